"""SIGKILL a running relayer (uvicorn, as ``tigerex up`` starts the API) while orders stream in,
plain and conditional; restart it on the same database: nothing acknowledged is lost, no fill is
journaled twice, the rebuilt book is exactly the journal's open orders, and the held stops, OCO
pairs and icebergs work on after the restart as if nothing had happened."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter, defaultdict
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from relayer.client import RelayerApiError, RelayerClient
from relayer.models import (
    ORDER_CANCELLED,
    ORDER_OPEN,
    ORDER_PENDING,
    EngineSnapshot,
    RelayerFill,
    RelayerOrder,
)
from tests.relayer.conftest import PRICE, USDC, WETH, deployments_dir_for, deposit
from tigerex.db import make_engine, session_factory
from tigerex.node import free_port
from tigerex.process import spawn, stop

pytestmark = [pytest.mark.anvil, pytest.mark.slow]

# The plain flood trades within PRICE +- 5: these never fire or trade before the kill.
STOP = PRICE - 100  # sell stops fire when the last price falls to it
TAKE_PROFIT = PRICE + 100
ICEBERG = PRICE + 50


def _start(
    anvil, deployments: Path, database_url: str, log: Path
) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = {
        **os.environ,
        "TIGEREX_NETWORK": "local",
        "TIGEREX_RPC_URL": anvil.url,
        "TIGEREX_CHAIN_ID": str(anvil.chain_id),
        "TIGEREX_DEPLOYMENTS_DIR": str(deployments),
        "TIGEREX_DATABASE_URL": database_url,
        "TIGEREX_RELAYER_RATE_LIMIT_ENABLED": "false",
        "TIGEREX_RELAYER_SNAPSHOT_INTERVAL": "0.3",
        "TIGEREX_RELAYER_BALANCE_TTL": "5",
    }
    proc = spawn(
        [sys.executable, "-m", "uvicorn", "tigerex.api:create_app", "--factory",
         "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"],
        env=env,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert proc.poll() is None, log.read_text()[-3000:]
        try:
            if httpx.get(f"{base}/relayer/markets", timeout=1).status_code == 200:
                return proc, base
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise AssertionError("relayer did not start: " + log.read_text()[-3000:])


def test_sigkill_with_orders_open_loses_no_acknowledged_order_and_no_fill_twice(
    anvil, suite, w3, database_url, tmp_path, funded_accounts
):
    seller, buyer, trader = funded_accounts[4], funded_accounts[5], funded_accounts[6]
    deposit(suite, w3, seller.address, "tWETH", 50 * WETH)
    deposit(suite, w3, buyer.address, "tUSDC", 500_000 * USDC)
    deposit(suite, w3, trader.address, "tWETH", 10 * WETH)
    deployments = deployments_dir_for(suite, tmp_path / "deployments")
    log = tmp_path / "relayer.log"
    proc, base = _start(anvil, deployments, database_url, log)

    acked: dict[str, dict] = {}
    acked_fills: set[int] = set()
    stop_flag = threading.Event()

    def flood() -> None:
        with RelayerClient(base, timeout=5) as client:
            i = 0
            while not stop_flag.is_set():
                i += 1
                batch = []
                for j in range(10):
                    account = seller if (i + j) % 2 else buyer
                    # Prices straddle: some orders rest, some cross.
                    price = PRICE + ((i * 7 + j * 3) % 11) - 5
                    order = client.build_order(
                        account.address,
                        market_id=1,
                        is_buy=account is buyer,
                        price_ticks=price,
                        quantity_lots=1 + (i + j) % 4,
                    )
                    batch.append((order, client.sign_order(order, account)))
                try:
                    results = client.submit_batch(batch)
                except (httpx.HTTPError, Exception):
                    return  # the server died mid-request: that batch was never acknowledged
                for result in results:
                    if result["accepted"]:
                        acked[result["order"]["order_hash"]] = result["order"]
                        acked_fills.update(f["fill_id"] for f in result["order"]["fills"])

    # The trader's conditional orders, acknowledged: held stops, OCO pairs (take-profit +
    # stop), icebergs.
    stops: list[str] = []
    pairs: list[tuple[str, str]] = []
    icebergs: list[str] = []

    def conditional_flood() -> None:
        with RelayerClient(base, timeout=5) as client:
            try:
                while not stop_flag.is_set():
                    stops.append(
                        client.place_stop(
                            trader,
                            market_id=1,
                            is_buy=False,
                            price_ticks=STOP - 50,
                            quantity_lots=1,
                            trigger_price=STOP,
                        )["order_hash"]
                    )
                    take_profit, stop_loss = client.place_oco(
                        trader,
                        {
                            "market_id": 1,
                            "is_buy": False,
                            "price_ticks": TAKE_PROFIT,
                            "quantity_lots": 2,
                            "order_type": "take_profit_limit",
                            "trigger_price": TAKE_PROFIT,
                        },
                        {
                            "market_id": 1,
                            "is_buy": False,
                            "price_ticks": STOP,
                            "quantity_lots": 2,
                            "order_type": "stop_limit",
                            "trigger_price": STOP,
                        },
                    )
                    pairs.append((take_profit["order_hash"], stop_loss["order_hash"]))
                    icebergs.append(
                        client.place_iceberg(
                            trader,
                            market_id=1,
                            is_buy=False,
                            price_ticks=ICEBERG,
                            quantity_lots=4,
                            display_lots=1,
                        )["order_hash"]
                    )
            except (httpx.HTTPError, RelayerApiError):
                return  # the server died mid-request: that one was never acknowledged

    workers = [threading.Thread(target=flood), threading.Thread(target=conditional_flood)]
    for worker in workers:
        worker.start()
    time.sleep(4.0)  # several snapshots are taken meanwhile
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)
    stop_flag.set()
    for worker in workers:
        worker.join(timeout=30)
    assert len(acked) > 20, log.read_text()[-3000:]
    assert acked_fills, "the flood crossed no orders"
    assert stops and pairs and icebergs, log.read_text()[-3000:]
    held = stops + [hash_ for pair in pairs for hash_ in pair]

    proc, base = _start(anvil, deployments, database_url, log)
    try:
        factory = session_factory(make_engine(database_url))
        with factory() as session:
            orders = {o.order_hash: o for o in session.scalars(select(RelayerOrder))}
            fills = list(session.scalars(select(RelayerFill)))
            snapshots = list(session.scalars(select(EngineSnapshot.seq)))
        # The restart had a snapshot to start from, and a journal tail after it to replay.
        assert snapshots and min(snapshots) > 0
        # 1. Every acknowledged order and fill is in the journal; the conditional ones still
        #    wait for their triggers (none could fire), the icebergs were never touched.
        assert set(acked) <= set(orders)
        assert acked_fills <= {f.id for f in fills}
        assert {orders[h].status for h in held} == {ORDER_PENDING}
        assert all(orders[h].status == ORDER_OPEN and not orders[h].matched_lots for h in icebergs)
        assert all(orders[stop].oco_with == take_profit for take_profit, stop in pairs)
        # 2. No fill twice: fill ids unique, and each order's fills sum to its matched lots.
        assert len({f.id for f in fills}) == len(fills)
        matched: Counter[str] = Counter()
        for fill in fills:
            matched[fill.maker_order_hash] += fill.quantity_lots
            matched[fill.taker_order_hash] += fill.quantity_lots
        for order in orders.values():
            assert matched[order.order_hash] == order.matched_lots, order.order_hash
            assert order.matched_lots <= order.quantity_lots
        # 3. The rebuilt book is exactly the open orders' remainders.
        expected: dict[str, dict[int, int]] = {"bids": defaultdict(int), "asks": defaultdict(int)}
        for order in orders.values():
            if order.status == ORDER_OPEN:  # not pending_trigger: a held stop is off the book
                side = "bids" if order.is_buy else "asks"
                remaining = order.quantity_lots - order.matched_lots
                expected[side][order.price_ticks] += min(remaining, order.display_lots or remaining)
        with RelayerClient(base) as client:
            book = client.book(1, levels=500)
            for side in ("bids", "asks"):
                assert {lv["price_ticks"]: lv["quantity_lots"] for lv in book[side]} == dict(
                    expected[side]
                )
            assert {h: client.order(h)["status"] for h in held} == dict.fromkeys(
                held, ORDER_PENDING
            )
            # 4. It goes on matching: a crossing order takes the best ask, with a new fill id.
            if book["asks"]:
                best = book["asks"][0]
                ack = client.place(
                    buyer,
                    market_id=1,
                    is_buy=True,
                    price_ticks=best["price_ticks"],
                    quantity_lots=1,
                )
                [fill] = ack["fills"]
                assert fill["fill_id"] > max(f.id for f in fills)
            # 5. The held orders fire on the rebuilt book: take every bid, then trade at STOP.
            bids = client.book(1, levels=500)["bids"]
            if bids:
                client.place(
                    seller,
                    market_id=1,
                    is_buy=False,
                    price_ticks=STOP,
                    quantity_lots=sum(level["quantity_lots"] for level in bids),
                    time_in_force="ioc",
                )
            client.place(buyer, market_id=1, is_buy=True, price_ticks=STOP, quantity_lots=1)
            [trade] = client.place(
                seller, market_id=1, is_buy=False, price_ticks=STOP, quantity_lots=1
            )["fills"]
            assert trade["price_ticks"] == STOP
            fired = {h: client.order(h) for h in held}
            for take_profit, stop_loss in pairs:
                # The stop fired and rests at its limit; its OCO partner was cancelled.
                assert fired[stop_loss]["trigger_last_price"] == STOP
                assert fired[stop_loss]["status"] == ORDER_OPEN
                assert fired[take_profit]["status"] == ORDER_CANCELLED
            for stop_market in stops:
                # Fired into an empty bid side: immediate-or-cancel, nothing left waiting.
                assert fired[stop_market]["trigger_last_price"] == STOP
                assert fired[stop_market]["status"] not in (ORDER_PENDING, ORDER_OPEN)
            # Every stop-limit the journal held now rests at STOP (acknowledged or not: the
            # kill may have cut an acknowledgement short), and nothing else does.
            stop_limits = [o for o in orders.values() if o.order_type == "stop_limit"]
            [best_ask] = client.book(1, levels=1)["asks"]
            assert (best_ask["price_ticks"], best_ask["quantity_lots"]) == (
                STOP,
                sum(o.quantity_lots for o in stop_limits),
            )
    finally:
        stop(proc)
