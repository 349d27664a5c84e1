"""relayer/journal.py: the sequencer's commit and, on SQLite, checkpoints kept out of it."""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import func, select

from relayer.journal import SMALL_COMMIT_ROWS, Journal, JournalTx
from relayer.models import EngineSnapshot, RelayerOrder
from tigerex.db import make_engine, migrate, session_factory

PAGE = 4096


def _order(seq: int) -> dict[str, object]:
    now = datetime.now(UTC)
    return {
        "order_hash": "0x" + seq.to_bytes(32, "big").hex(),
        "seq": seq,
        "chain_id": 31337,
        "exchange": "0x" + "42" * 20,
        "maker": "0x" + "11" * 20,
        "market_id": 1,
        "is_buy": seq % 2 == 0,
        "price_ticks": 200_000 + seq % 100,
        "quantity_lots": 1,
        "expiry": 2**40,
        "salt": seq,
        "epoch": 0,
        "max_fee_bps": 30,
        "signature": "0x" + "ab" * 65,
        "order_type": "limit",
        "time_in_force": "gtc",
        "status": "open",
        "matched_lots": 0,
        "settled_lots": 0,
        "created_at": now,
        "updated_at": now,
    }


def _journal(database_url: str) -> Journal:
    return Journal(session_factory(make_engine(database_url)))


def _count(journal: Journal) -> int:
    with journal.factory() as session:
        return int(session.scalar(select(func.count()).select_from(RelayerOrder)) or 0)


def _wal_pages(path: Path) -> int:
    wal = Path(f"{path}-wal")
    return os.path.getsize(wal) // PAGE if wal.exists() else 0


def test_commits_are_durable_and_readable_on_every_backend(database_url):
    journal = _journal(database_url)
    journal.start()
    try:
        for seq in range(1, 51):
            journal.write(JournalTx(orders=[_order(seq)]))
        journal.write(JournalTx(orders=[_order(seq) for seq in range(51, 151)]))
        assert _count(journal) == 150
        seventh = str(_order(7)["order_hash"])
        assert journal.existing_hashes([seventh, "0x" + "ff" * 32]) == {seventh}
        assert sorted(journal.order_hashes()) == sorted(
            str(_order(seq)["order_hash"]) for seq in range(1, 151)
        )
    finally:
        journal.close()
    # Only SQLite commits small transactions on the caller's thread.
    sqlite = database_url.startswith("sqlite")
    assert journal.is_small(JournalTx(orders=[_order(1)])) is sqlite
    assert not journal.is_small(JournalTx(orders=[_order(i) for i in range(SMALL_COMMIT_ROWS + 1)]))


def test_the_writer_never_checkpoints_and_the_checkpointer_keeps_the_log_short(tmp_path):
    path = tmp_path / "journal.db"
    migrate(f"sqlite:///{path}")
    journal = _journal(f"sqlite:///{path}")
    assert journal.checkpointer is not None
    # Without the checkpointer the log only grows: SQLite's automatic checkpoint (at 1,000
    # pages, after which the log starts over and the file stays near that size) is off on the
    # writer's connection.
    for seq in range(1, 401):
        journal.write(JournalTx(orders=[_order(seq)]))
    assert _wal_pages(path) > 2_000
    journal.checkpointer.restart_pages = 1_000
    journal.start()
    try:
        for seq in range(401, 1_601):
            journal.write(JournalTx(orders=[_order(seq)]))
    finally:
        journal.close()
    assert journal.checkpointer.checkpoints > 0
    # Copied into the database file: a plain reader of the file alone sees every order.
    connection = sqlite3.connect(path)
    connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    assert connection.execute("SELECT count(*) FROM relayer_orders").fetchone() == (1_600,)
    connection.close()


def test_a_long_log_is_truncated_when_no_one_is_writing(tmp_path):
    path = tmp_path / "journal.db"
    migrate(f"sqlite:///{path}")
    journal = _journal(f"sqlite:///{path}")
    assert journal.checkpointer is not None
    for seq in range(1, 201):
        journal.write(JournalTx(orders=[_order(seq)]))
    assert _wal_pages(path) >= 100
    journal.checkpointer.restart_pages = 100
    connection = sqlite3.connect(path, isolation_level=None)
    try:
        journal.checkpointer.checkpoint(connection)
    finally:
        connection.close()
    assert journal.checkpointer.restarts == 1
    assert _wal_pages(path) == 0
    assert _count(journal) == 200
    journal.close()


def test_a_commit_on_the_event_loop_does_not_wait_for_another_writer(tmp_path):
    """wait_for_lock=False: while another connection holds the write lock the commit writes
    nothing and says so at once (the service then commits in a thread, which waits)."""
    path = tmp_path / "journal.db"
    migrate(f"sqlite:///{path}")
    journal = _journal(f"sqlite:///{path}")
    other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    try:
        other.execute("BEGIN IMMEDIATE")  # the settlement worker, say, in a write transaction
        started = time.monotonic()
        assert journal.write(JournalTx(orders=[_order(1)]), wait_for_lock=False) is False
        assert time.monotonic() - started < 1.0
        other.execute("COMMIT")
        assert _count(journal) == 0
        assert journal.write(JournalTx(orders=[_order(1)]), wait_for_lock=False) is True
        # The waiting form waits for the lock.
        other.execute("BEGIN IMMEDIATE")
        release = threading.Timer(0.3, lambda: other.execute("COMMIT"))
        release.start()
        assert journal.write(JournalTx(orders=[_order(2)])) is True
        release.join()
    finally:
        other.close()
        journal.close()
    assert _count(journal) == 2


def test_snapshots_are_stored_and_only_the_newest_kept(database_url):
    journal = _journal(database_url)
    try:
        # After a commit that did not wait for the lock, the snapshot's own transaction (which
        # does) still commits.
        journal.write(JournalTx(orders=[_order(1)]), wait_for_lock=False)
        for seq in range(1, 5):
            journal.save_snapshot(1, seq, b"book after %d" % seq, keep=2)
        journal.save_snapshot(2, 3, b"other market", keep=2)
        latest = journal.latest_snapshot(1)
        assert latest is not None and (latest.seq, latest.blob) == (4, b"book after 4")
        with journal.factory() as session:
            kept = session.execute(
                select(EngineSnapshot.market_id, EngineSnapshot.seq).order_by(
                    EngineSnapshot.market_id, EngineSnapshot.seq
                )
            ).all()
        assert [tuple(row) for row in kept] == [(1, 3), (1, 4), (2, 3)]
    finally:
        journal.close()
