"""SIGKILL the worker process (``python -m relayer.settlement``) at its dangerous points and at
random moments, restart it each time: at the end every fill is settled exactly once and every
balance is exact. The fills are partial fills of the same orders, the case where the contract's
``filled`` amounts alone could not stop a double settlement."""

# ruff: noqa: F811 (the fixtures are imported from tests/relayer/settlement_fixtures.py)

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections import Counter, defaultdict
from pathlib import Path

import pytest
from sqlalchemy import select

from relayer.models import (
    FILL_SETTLED,
    SETTLEMENT_CONFIRMED,
    SETTLEMENT_MINED,
    RelayerFill,
    RelayerSettlement,
)
from relayer.orders import Order, fill_amounts
from relayer.settlement import FAILPOINT_ENV
from tests.relayer.settlement_fixtures import (  # noqa: F401 (fixtures)
    DEPOSIT_BASE,
    DEPOSIT_QUOTE,
    Trading,
    journal_url,
    mine,
    traders,
    trading,
)
from tigerex.deployments import ContractRegistry
from tigerex.node import rpc_call
from tigerex.paths import project_root

pytestmark = pytest.mark.anvil

FAILPOINTS = ("after_commit_before_broadcast", "after_broadcast", "before_track_commit")
RANDOM_KILLS = 3
STARTED = b"settlement worker: operator"


class Miner:
    """Mines a block every ``interval`` seconds (confirmations accrue while the worker runs)."""

    def __init__(self, rpc_url: str, interval: float = 0.3) -> None:
        self.rpc_url = rpc_url
        self.interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            mine(self.rpc_url)

    def __enter__(self) -> Miner:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def _worker_env(
    rpc_url: str, database_url: str, suite: ContractRegistry, tmp_path: Path, **settlement: str
) -> dict[str, str]:
    deployments = tmp_path / "deployments"
    suite.deployments.save(deployments / "local.json")
    env = {
        **os.environ,
        "TIGEREX_NETWORK": "local",
        "TIGEREX_RPC_URL": rpc_url,
        "TIGEREX_DATABASE_URL": database_url,
        "TIGEREX_DEPLOYMENTS_DIR": str(deployments),
        "TIGEREX_SETTLEMENT_MAX_BATCH": "2",
        "TIGEREX_SETTLEMENT_MAX_IN_FLIGHT": "2",
        "TIGEREX_SETTLEMENT_MAX_INTERVAL": "0",
        "TIGEREX_SETTLEMENT_CONFIRMATIONS": "2",
        "TIGEREX_SETTLEMENT_POLL_INTERVAL": "0.05",
    }
    env.update({f"TIGEREX_SETTLEMENT_{k.upper()}": v for k, v in settlement.items()})
    env.pop(FAILPOINT_ENV, None)
    return env


def _start(env: dict[str, str], log: Path, failpoint: str | None = None) -> subprocess.Popen[bytes]:
    run_env = {**env}
    if failpoint:
        run_env[FAILPOINT_ENV] = failpoint
    with log.open("ab") as out:
        out.write(f"--- start (failpoint {failpoint})\n".encode())
        return subprocess.Popen(
            [sys.executable, "-m", "relayer.settlement"],
            cwd=project_root(),
            env=run_env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def _wait_started(log: Path, proc: subprocess.Popen[bytes], timeout: float = 60) -> None:
    """Until the newest run logged its start line (the interpreter takes a second or more)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        if log.read_bytes().rsplit(b"--- start", 1)[-1].find(STARTED) >= 0:
            return
        time.sleep(0.02)
    raise AssertionError(f"the worker did not start:\n{log.read_text()[-2000:]}")


def _unsettled(trading: Trading) -> int:
    with trading.sessions() as session:
        return len(
            session.scalars(select(RelayerFill.id).where(RelayerFill.status != FILL_SETTLED)).all()
        )


def test_sigkill_at_any_point_then_restart_settles_everything_exactly_once(
    anvil, suite: ContractRegistry, trading: Trading, traders, journal_url: str, tmp_path: Path
):
    alice, bob, carol = traders
    start_block = trading.w3.eth.block_number
    # alice's sell and bob's buy rest on the book; carol takes 2 lots at a time: every fill is
    # a partial fill of a maker order. 12 fills now, 4 more before each random kill.
    sell = trading.order(alice, is_buy=False, lots=12 + 4 * RANDOM_KILLS)
    buy = trading.order(bob, is_buy=True, lots=12 + 4 * RANDOM_KILLS)
    trading.journal_order(sell, alice)
    trading.journal_order(buy, bob)
    fills: list[tuple[Order, Order, int]] = []

    def journal_fills(count: int) -> None:
        for _ in range(count):
            maker = (sell, buy)[len(fills) % 2]
            taker = trading.order(carol, is_buy=not maker.is_buy, lots=2)
            trading.journal_order(taker, carol)
            trading.journal_fill(maker, taker, 2)
            fills.append((maker, taker, 2))

    journal_fills(12)

    env = _worker_env(anvil.url, journal_url, suite, tmp_path)
    log = tmp_path / "worker.log"
    seed = random.randrange(2**32)
    rng = random.Random(seed)
    kills = []
    with Miner(anvil.url):
        for failpoint in FAILPOINTS:
            proc = _start(env, log, failpoint)
            assert proc.wait(90) == -signal.SIGKILL, log.read_text()
            kills.append(failpoint)
        for _ in range(RANDOM_KILLS):
            journal_fills(4)
            proc = _start(env, log)
            _wait_started(log, proc)
            time.sleep(rng.uniform(0.0, 0.8))
            proc.send_signal(signal.SIGKILL)
            proc.wait(30)
            kills.append("random")
        proc = _start(env, log)
        deadline = time.monotonic() + 120
        while _unsettled(trading) and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.2)
        proc.send_signal(signal.SIGTERM)
        proc.wait(30)
    assert _unsettled(trading) == 0, f"seed {seed}, kills {kills}\n{log.read_text()[-4000:]}"

    # Exactly once on chain: one OrderFilled per fill, filled amounts equal to the journal.
    events = trading.exchange.events.OrderFilled().get_logs(from_block=start_block + 1)
    pairs = Counter(
        ("0x" + e["args"]["makerOrderHash"].hex(), "0x" + e["args"]["takerOrderHash"].hex())
        for e in events
    )
    assert len(events) == len(fills)
    assert set(pairs.values()) == {1}
    assert len(fills) == 12 + 4 * RANDOM_KILLS
    assert trading.filled_on_chain(sell) == sell.quantity_lots
    assert trading.filled_on_chain(buy) == buy.quantity_lots
    assert all(trading.filled_on_chain(taker) == 2 for _maker, taker, _lots in fills)

    # Balances exact: the sum of every fill's amounts and fees.
    expected = defaultdict(int)
    for maker, taker, lots in fills:
        amounts = fill_amounts(trading.market, maker, lots)
        buyer, seller = (maker, taker) if maker.is_buy else (taker, maker)
        buyer_fee, seller_fee = (
            (amounts.maker_fee, amounts.taker_fee)
            if maker.is_buy
            else (amounts.taker_fee, amounts.maker_fee)
        )
        expected[(buyer.maker, "base")] += amounts.base_amount - buyer_fee
        expected[(buyer.maker, "quote")] -= amounts.quote_amount
        expected[(seller.maker, "base")] -= amounts.base_amount
        expected[(seller.maker, "quote")] += amounts.quote_amount - seller_fee
    for trader in (alice, bob, carol):
        assert (
            trading.vault(trading.base, trader.address)
            == DEPOSIT_BASE + expected[(trader.address, "base")]
        )
        assert (
            trading.vault(trading.quote, trader.address)
            == DEPOSIT_QUOTE + expected[(trader.address, "quote")]
        )

    # The journal agrees: one final attempt per nonce, every fill in a confirmed settlement.
    with trading.sessions() as session:
        final = session.scalars(
            select(RelayerSettlement).where(
                RelayerSettlement.status.in_((SETTLEMENT_CONFIRMED, SETTLEMENT_MINED))
            )
        ).all()
        assert len({s.nonce for s in final}) == len(final)
        for fill in session.scalars(select(RelayerFill)):
            settlement = session.get(RelayerSettlement, fill.settlement_id)
            assert settlement is not None and settlement.status == SETTLEMENT_CONFIRMED
    assert kills[: len(FAILPOINTS)] == list(FAILPOINTS)


def test_sigkill_between_a_replacement_commit_and_its_broadcast(
    anvil, suite: ContractRegistry, trading: Trading, traders, journal_url: str, tmp_path: Path
):
    """A fee bump is journaled, the process dies before sending it, the original is still in
    the pool: after the restart exactly one of the attempts settles the (partial) fill."""
    alice, _bob, carol = traders
    sell, buy, _fill = trading.cross(alice, carol, 2, maker_lots=6)
    env = _worker_env(
        anvil.url, journal_url, suite, tmp_path, replace_after="0.5", confirmations="1"
    )
    log = tmp_path / "worker.log"
    rpc_call(anvil.url, "evm_setAutomine", [False])  # nothing is mined until the Miner runs
    try:
        proc = _start(env, log, "after_replace_commit")
        assert proc.wait(90) == -signal.SIGKILL, log.read_text()
        first, second = trading.settlements()
        assert (first.status, second.status, second.nonce) == ("replaced", "sent", first.nonce)
        assert second.replaces_id == first.id
        with Miner(anvil.url):
            proc = _start(env, log)
            deadline = time.monotonic() + 60
            while _unsettled(trading) and time.monotonic() < deadline and proc.poll() is None:
                time.sleep(0.1)
            proc.send_signal(signal.SIGTERM)
            proc.wait(30)
    finally:
        rpc_call(anvil.url, "evm_setAutomine", [True])
    assert _unsettled(trading) == 0, log.read_text()[-4000:]
    events = trading.exchange.events.OrderFilled().get_logs(from_block=first.block_number or 0)
    assert (
        len([e for e in events if "0x" + e["args"]["makerOrderHash"].hex() == trading.digest(sell)])
        == 1
    )
    assert trading.filled_on_chain(sell) == 2 and trading.filled_on_chain(buy) == 2
    with trading.sessions() as session:
        attempts = session.scalars(select(RelayerSettlement).order_by(RelayerSettlement.id)).all()
        assert {a.nonce for a in attempts} == {first.nonce}
        assert [a.status for a in attempts].count(SETTLEMENT_CONFIRMED) == 1
