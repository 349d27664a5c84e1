"""SQL side of the relayer: one transaction per sequencer step, and the reads a restart needs.

The sequencer collects everything one step produced (new orders with their final status, fills,
order updates, cancels) in a :class:`JournalTx` and commits it at once; only then are the
orders acknowledged and the fills published. A crash before the commit loses nothing that was
acknowledged; a crash after it is recovered by replaying the journal (see ``service.py``).

On SQLite (WAL, ``synchronous=NORMAL``: a commit is durable once it is in the write-ahead log,
which survives a crash of the process, not necessarily one of the machine) the journal writes
through a connection of its own that never checkpoints; :class:`WalCheckpointer` copies the log
into the database file from another thread. SQLite's automatic checkpoint runs inside the
commit that crosses 1,000 log pages, with two fsyncs: every ~140 single-order commits one of
them took 5-25 ms on this machine, and every order behind it waited.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final, cast

from sqlalchemy import (
    Table,
    and_,
    bindparam,
    case,
    delete,
    event,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from relayer.conditional import CONDITIONAL_TYPES
from relayer.models import (
    CANCEL_OCO,
    FILL_PENDING,
    FILL_SUBMITTED,
    ORDER_CANCELLED,
    ORDER_EXPIRED,
    ORDER_OPEN,
    ORDER_PENDING,
    ORDER_REJECTED,
    EngineSnapshot,
    RelayerCancel,
    RelayerFill,
    RelayerOrder,
)
from tigerex.db import make_engine

log = logging.getLogger(__name__)

PENDING_FILL_STATUSES = (FILL_PENDING, FILL_SUBMITTED)
#: Orders on a book: resting / partly matched, or a conditional order waiting for its trigger.
LIVE_STATUSES = (ORDER_OPEN, ORDER_PENDING)
#: Up to this many rows a SQLite commit runs on the event loop: a single-order commit costs
#: ~0.13 ms of CPU, and handing it to a thread added ~0.1 ms plus a wait for the GIL on the way
#: back. Larger ones run in a thread so that intake goes on meanwhile.
SMALL_COMMIT_ROWS: Final = 64
_LOCK_WAIT_MS: Final = 30_000  # as tigerex.db's connect timeout


@dataclass
class JournalTx:
    """What one sequencer step writes, in one database transaction."""

    orders: list[dict[str, Any]] = field(default_factory=list)
    fills: list[dict[str, Any]] = field(default_factory=list)
    cancels: list[dict[str, Any]] = field(default_factory=list)
    #: order_hash -> (matched_lots, status) for orders already in the journal
    updates: dict[str, tuple[int, str]] = field(default_factory=dict)
    #: conditional orders whose trigger fired: order_hash -> (last trade price, when)
    triggers: dict[str, tuple[int, datetime]] = field(default_factory=dict)
    #: OCO pairs formed: the earlier leg's order_hash -> the new leg's
    links: dict[str, str] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(
            self.orders or self.fills or self.cancels or self.updates or self.triggers or self.links
        )

    def __len__(self) -> int:
        return (
            len(self.orders)
            + len(self.fills)
            + len(self.cancels)
            + len(self.updates)
            + len(self.triggers)
            + len(self.links)
        )


_ORDERS = cast(Table, RelayerOrder.__table__)
_FILLS = cast(Table, RelayerFill.__table__)
_CANCELS = cast(Table, RelayerCancel.__table__)
_SNAPSHOTS = cast(Table, EngineSnapshot.__table__)
# Built once: the commit runs for every sequencer step.
_INSERT_ORDERS = insert(_ORDERS)
_INSERT_FILLS = insert(_FILLS)
_INSERT_CANCELS = insert(_CANCELS)
# A status set elsewhere (the settlement worker's ``rejected``) is kept.
_UPDATE_ORDERS = (
    update(_ORDERS)
    .where(_ORDERS.c.order_hash == bindparam("hash"))
    .values(
        matched_lots=bindparam("matched"),
        status=case(
            # (no IN: expanding parameters do not work in executemany)
            (
                or_(*(_ORDERS.c.status == status for status in LIVE_STATUSES)),
                bindparam("new_status"),
            ),
            else_=_ORDERS.c.status,
        ),
        updated_at=func.now(),
    )
)


class Journal:
    """The relayer's tables: :meth:`write` (the sequencer's commit) and the reads.

    Call :meth:`start` before writing and :meth:`close` at the end (they run and stop the
    SQLite checkpointer).
    """

    def __init__(self, factory: sessionmaker[Session]) -> None:
        self.factory = factory
        bind = factory.kw.get("bind")
        if not isinstance(bind, Engine):
            raise TypeError("the journal needs a sessionmaker bound to an Engine")
        #: The sequencer's commit and intake's duplicate lookup use SQLAlchemy Core on the
        #: engine: an ORM Session and its bulk-insert bookkeeping cost more than the SQL.
        self.engine = bind
        #: Where the sequencer's commits and the snapshots go (one writer at a time: the
        #: service serializes them).
        self.writer = bind
        self.checkpointer: WalCheckpointer | None = None
        path = bind.url.database if bind.dialect.name == "sqlite" else None
        if path and path != ":memory:":
            self.writer = make_engine(bind.url.render_as_string(hide_password=False), pool_size=1)
            event.listen(self.writer, "connect", _no_automatic_checkpoint)
            self.checkpointer = WalCheckpointer(path)

    def start(self) -> None:
        if self.checkpointer is not None:
            self.checkpointer.start()

    def close(self) -> None:
        if self.checkpointer is not None:
            self.checkpointer.stop()
        if self.writer is not self.engine:
            self.writer.dispose()

    def is_small(self, tx: JournalTx) -> bool:
        """Whether committing ``tx`` on the calling thread (the event loop) is cheaper than a
        thread hop: SQLite in WAL mode with checkpoints in the background, where a commit
        writes a few pages into the OS cache and waits for no disk, and few rows."""
        return self.checkpointer is not None and len(tx) <= SMALL_COMMIT_ROWS

    # ---------------------------------------------------------------------------------- write

    def write(self, tx: JournalTx, *, wait_for_lock: bool = True) -> bool:
        """Commit ``tx`` atomically (orders first: fills and cancels reference them).

        With ``wait_for_lock=False`` (for a commit on the event loop, see :meth:`is_small`) it
        does not wait while another connection holds SQLite's write lock (the settlement worker,
        a checkpoint that restarts the log): it writes nothing and returns False, and the caller
        commits in a thread instead. Returns True once committed.
        """
        try:
            with self.writer.begin() as connection:
                self._wait_for_lock(connection, wait_for_lock)
                if tx.orders:
                    # Core executemany compiles the first row's keys and ignores others' extra
                    # keys, and plain orders leave the conditional columns out: one insert per
                    # key set.
                    by_keys: dict[frozenset[str], list[dict[str, Any]]] = {}
                    for row in tx.orders:
                        by_keys.setdefault(frozenset(row), []).append(row)
                    for rows in by_keys.values():
                        connection.execute(_INSERT_ORDERS, rows)
                if tx.updates:
                    connection.execute(
                        _UPDATE_ORDERS,
                        [
                            {"hash": h, "matched": matched, "new_status": status}
                            for h, (matched, status) in tx.updates.items()
                        ],
                    )
                if tx.triggers or tx.links:
                    self._write_conditional(connection, tx)
                if tx.fills:
                    connection.execute(_INSERT_FILLS, tx.fills)
                if tx.cancels:
                    connection.execute(_INSERT_CANCELS, tx.cancels)
        except OperationalError as err:
            if wait_for_lock or not _is_busy(err):
                raise
            return False
        return True

    def _wait_for_lock(self, connection: Connection, wait: bool) -> None:
        """How long a statement on the SQLite writer connection waits for another writer."""
        timeout = _LOCK_WAIT_MS if wait else 0
        # connection.info lives as long as the SQLite connection: set it on a change only
        if self.checkpointer is not None and connection.info.get("busy_ms") != timeout:
            connection.exec_driver_sql(f"PRAGMA busy_timeout={timeout}")
            connection.info["busy_ms"] = timeout

    @staticmethod
    def _write_conditional(connection: Connection, tx: JournalTx) -> None:
        orders = _ORDERS
        if tx.triggers:
            connection.execute(
                update(orders)
                .where(orders.c.order_hash == bindparam("hash"))
                .values(triggered_at=bindparam("at"), trigger_last_price=bindparam("price")),
                [{"hash": h, "price": price, "at": at} for h, (price, at) in tx.triggers.items()],
            )
        if tx.links:
            connection.execute(
                update(orders)
                .where(orders.c.order_hash == bindparam("hash"))
                .values(oco_with=bindparam("partner")),
                [{"hash": h, "partner": partner} for h, partner in tx.links.items()],
            )

    def save_snapshot(self, market_id: int, seq: int, blob: bytes, keep: int) -> None:
        """Store a snapshot and drop all but the newest ``keep`` of the market."""
        with self.writer.begin() as connection:
            self._wait_for_lock(connection, True)
            connection.execute(
                insert(_SNAPSHOTS).values(
                    market_id=market_id, seq=seq, blob=blob, created_at=datetime.now(UTC)
                )
            )
            stale = (
                select(_SNAPSHOTS.c.id)
                .where(_SNAPSHOTS.c.market_id == market_id)
                .order_by(_SNAPSHOTS.c.seq.desc(), _SNAPSHOTS.c.id.desc())
                .offset(keep)
            )
            ids = list(connection.scalars(stale))
            if ids:
                connection.execute(delete(_SNAPSHOTS).where(_SNAPSHOTS.c.id.in_(ids)))

    # ----------------------------------------------------------------------------------- read

    def existing_hashes(self, hashes: list[str]) -> set[str]:
        if not hashes:
            return set()
        found: set[str] = set()
        with self.engine.connect() as connection:
            for chunk in _chunks(hashes, 1_000):
                found.update(
                    connection.scalars(
                        select(_ORDERS.c.order_hash).where(_ORDERS.c.order_hash.in_(chunk))
                    )
                )
        return found

    def order_hashes(self) -> Iterator[str]:
        """Every journaled order hash, streamed (for the intake's :class:`OrderHashFilter`)."""
        with self.engine.connect() as connection:
            rows = connection.execution_options(yield_per=10_000).execute(
                select(_ORDERS.c.order_hash)
            )
            for (order_hash,) in rows:
                yield order_hash

    def counters(self) -> tuple[int, int]:
        """(last journal seq, last fill id), 0 when empty."""
        with self.factory() as session:
            order_seq = session.scalar(select(func.max(RelayerOrder.seq))) or 0
            cancel_seq = session.scalar(select(func.max(RelayerCancel.seq))) or 0
            fill_id = session.scalar(select(func.max(RelayerFill.id))) or 0
        return max(order_seq, cancel_seq), fill_id

    def latest_snapshot(self, market_id: int) -> EngineSnapshot | None:
        with self.factory() as session:
            return session.scalars(
                select(EngineSnapshot)
                .where(EngineSnapshot.market_id == market_id)
                .order_by(EngineSnapshot.seq.desc(), EngineSnapshot.id.desc())
                .limit(1)
            ).first()

    def entries_after(
        self, market_id: int, seq: int
    ) -> list[tuple[int, RelayerOrder | tuple[int, str]]]:
        """Orders and cancels of ``market_id`` after ``seq``, in journal order (for replay).

        An order entry is its row; a cancel entry is ``(order seq, maker)`` of the order it
        took off the book. OCO cancels are left out: the engine repeats them itself while
        replaying the entry that caused them.
        """
        with self.factory() as session:
            orders = session.scalars(
                select(RelayerOrder).where(
                    RelayerOrder.market_id == market_id, RelayerOrder.seq > seq
                )
            ).all()
            cancels = session.execute(
                select(RelayerCancel.seq, RelayerOrder.seq, RelayerOrder.maker)
                .join(RelayerOrder, RelayerOrder.order_hash == RelayerCancel.order_hash)
                .where(
                    RelayerCancel.market_id == market_id,
                    RelayerCancel.seq > seq,
                    RelayerCancel.reason != CANCEL_OCO,
                )
            ).all()
        entries: list[tuple[int, RelayerOrder | tuple[int, str]]] = [(o.seq, o) for o in orders]
        entries += [(cancel_seq, (order_seq, maker)) for cancel_seq, order_seq, maker in cancels]
        entries.sort(key=lambda entry: entry[0])
        return entries

    def open_orders(self) -> list[RelayerOrder]:
        with self.factory() as session:
            return list(
                session.scalars(
                    select(RelayerOrder)
                    .where(RelayerOrder.status.in_(LIVE_STATUSES))
                    .order_by(RelayerOrder.seq)
                )
            )

    def pending_fills(self) -> list[tuple[RelayerFill, RelayerOrder, RelayerOrder]]:
        """Fills not yet final on chain, with their maker and taker orders."""
        with self.factory() as session:
            fills = session.scalars(
                select(RelayerFill).where(RelayerFill.status.in_(PENDING_FILL_STATUSES))
            ).all()
            hashes = {f.maker_order_hash for f in fills} | {f.taker_order_hash for f in fills}
            orders: dict[str, RelayerOrder] = {}
            for chunk in _chunks(sorted(hashes), 500):
                for order in session.scalars(
                    select(RelayerOrder).where(RelayerOrder.order_hash.in_(chunk))
                ):
                    orders[order.order_hash] = order
        return [(f, orders[f.maker_order_hash], orders[f.taker_order_hash]) for f in fills]

    def closed_elsewhere(self, since: datetime | None) -> list[RelayerOrder]:
        """Book-type orders that another writer (the settlement worker) closed: status
        ``cancelled``, ``rejected`` or ``expired`` with no ``relayer_cancels`` row, updated at
        or after ``since`` (all of them when None). The relayer takes them off its book."""
        journaled = select(RelayerCancel.id).where(
            RelayerCancel.order_hash == RelayerOrder.order_hash
        )
        query = select(RelayerOrder).where(
            RelayerOrder.status.in_((ORDER_CANCELLED, ORDER_REJECTED, ORDER_EXPIRED)),
            or_(
                and_(
                    RelayerOrder.order_type == "limit",
                    RelayerOrder.time_in_force.in_(("gtc", "post_only")),
                ),
                RelayerOrder.order_type.in_(sorted(CONDITIONAL_TYPES)),
            ),
            ~journaled.exists(),
        )
        if since is not None:
            query = query.where(RelayerOrder.updated_at >= since)
        with self.factory() as session:
            return list(session.scalars(query.order_by(RelayerOrder.seq)))

    def fill_statuses(self, fill_ids: list[int]) -> dict[int, tuple[str, int | None]]:
        """Current status (and skip reason) of the given fills."""
        result: dict[int, tuple[str, int | None]] = {}
        with self.factory() as session:
            for chunk in _chunks(fill_ids, 500):
                rows = session.execute(
                    select(RelayerFill.id, RelayerFill.status, RelayerFill.skip_reason).where(
                        RelayerFill.id.in_(chunk)
                    )
                )
                for fill_id, status, reason in rows:
                    result[fill_id] = (status, reason)
        return result

    def order_statuses(self, hashes: list[str]) -> dict[str, str]:
        result: dict[str, str] = {}
        with self.factory() as session:
            for chunk in _chunks(hashes, 500):
                rows = session.execute(
                    select(RelayerOrder.order_hash, RelayerOrder.status).where(
                        RelayerOrder.order_hash.in_(chunk)
                    )
                )
                result.update({order_hash: status for order_hash, status in rows})
        return result


def _chunks(items: list[Any], size: int) -> list[list[Any]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


def _is_busy(err: OperationalError) -> bool:
    """SQLITE_BUSY (or an extended code of it): another connection holds the lock."""
    code = getattr(err.orig, "sqlite_errorcode", None)
    return isinstance(code, int) and code & 0xFF == sqlite3.SQLITE_BUSY


def _no_automatic_checkpoint(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA wal_autocheckpoint=0")
    cursor.close()


class WalCheckpointer:
    """Copies a SQLite database's write-ahead log into the database file from a thread of its
    own, so that no commit of the journal writer waits for a checkpoint's fsyncs.

    Every ``interval`` seconds a PASSIVE checkpoint copies what committed since the last one
    (it never blocks a writer or a reader, and holds no GIL while it runs). SQLite starts the
    log over at the next write after a checkpoint caught up; when writes keep coming and the
    log has grown past ``restart_pages`` anyway, a TRUNCATE checkpoint that waits for no one
    (busy timeout 0: it gives up if the writer or a reader is busy) resets it.

    Durability is unchanged: commits reach the log exactly as before; only where the copy into
    the database file happens moves.
    """

    def __init__(self, path: str, *, interval: float = 0.02, restart_pages: int = 4_096) -> None:
        self.path = path
        self.interval = interval
        self.restart_pages = restart_pages
        self.checkpoints = 0
        self.restarts = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            return
        self._stop.clear()
        self._thread = threading.Thread(
            target=self._run, name="relayer-wal-checkpoint", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def checkpoint(self, connection: sqlite3.Connection) -> None:
        """One pass: PASSIVE, then a TRUNCATE attempt if the log is long."""
        _busy, log_pages, _copied = connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        self.checkpoints += 1
        if log_pages >= self.restart_pages:
            connection.execute("PRAGMA busy_timeout=0")
            try:
                busy, _, _ = connection.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
                self.restarts += not busy
            finally:
                connection.execute("PRAGMA busy_timeout=30000")

    def _run(self) -> None:
        connection = sqlite3.connect(
            self.path, timeout=30, isolation_level=None, check_same_thread=False
        )
        try:
            while not self._stop.wait(self.interval):
                try:
                    self.checkpoint(connection)
                except sqlite3.Error:
                    log.exception("WAL checkpoint of %s failed; retrying", self.path)
                    self._stop.wait(1.0)
        finally:
            connection.close()
