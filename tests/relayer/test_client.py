"""relayer/client.py against a real relayer process: place, query, cancel, stream."""

from __future__ import annotations

import asyncio

import pytest

from relayer.client import RelayerApiError, RelayerClient, price_ticks, quantity_lots
from relayer.errors import PriceInvalid, QuantityInvalid
from tests.relayer.conftest import LOT, PRICE, TICK, USDC, WETH, deployments_dir_for, deposit
from tests.relayer.test_kill import _start
from tigerex.process import stop

pytestmark = pytest.mark.anvil


def test_amount_helpers_refuse_off_grid_values():
    assert price_ticks(PRICE * TICK, TICK) == PRICE
    with pytest.raises(PriceInvalid) as info:
        price_ticks(PRICE * TICK + 3, TICK)
    assert info.value.code == "price_invalid"
    assert quantity_lots(7 * LOT, LOT) == 7
    with pytest.raises(QuantityInvalid):
        quantity_lots(LOT + 1, LOT)


def test_sdk_places_queries_cancels_and_streams_a_gapless_book(
    anvil, suite, w3, database_url, tmp_path, funded_accounts
):
    if not database_url.startswith("sqlite"):
        pytest.skip("the SDK does not depend on the journal database")
    seller, buyer = funded_accounts[1], funded_accounts[2]
    deposit(suite, w3, seller.address, "tWETH", WETH)
    deposit(suite, w3, buyer.address, "tUSDC", 10_000 * USDC)
    deployments = deployments_dir_for(suite, tmp_path / "deployments")
    proc, base = _start(anvil, deployments, database_url, tmp_path / "relayer.log")
    try:
        with RelayerClient(base) as client:
            ask = client.place(
                seller, market_id=1, is_buy=False, price_ticks=PRICE, quantity_lots=5
            )
            assert ask["status"] == "open"
            with pytest.raises(RelayerApiError) as info:
                client.place(seller, market_id=1, is_buy=False, price_ticks=0, quantity_lots=5)
            assert (info.value.status, info.value.code) == (400, "price_invalid")

            async def watch() -> list[dict]:
                messages: list[dict] = []
                stream = client.stream([{"channel": "book", "market_id": 1}])
                async for message in stream:
                    messages.append(message)
                    if message["type"] == "snapshot":
                        # Trade against the book while streaming (from a thread: sync client).
                        await asyncio.to_thread(
                            client.place,
                            buyer,
                            market_id=1,
                            is_buy=True,
                            price_ticks=PRICE,
                            quantity_lots=2,
                        )
                        await asyncio.to_thread(
                            client.place,
                            seller,
                            market_id=1,
                            is_buy=False,
                            price_ticks=PRICE + 1,
                            quantity_lots=1,
                        )
                    if len(messages) == 3:
                        await stream.aclose()
                        return messages
                return messages

            snapshot, *deltas = asyncio.run(asyncio.wait_for(watch(), 30))
            assert snapshot["asks"] == [[PRICE, 5]]
            assert [d["seq"] for d in deltas] == [snapshot["seq"] + 1, snapshot["seq"] + 2]
            assert [(d["price_ticks"], d["quantity_lots"]) for d in deltas] == [
                (PRICE, 3),
                (PRICE + 1, 1),
            ]
            [cancelled] = client.cancel(seller, [ask["order_hash"]])
            assert cancelled["cancelled"] and cancelled["status"] == "cancelled"
            assert client.order(ask["order_hash"])["matched_lots"] == 2
            assert [o["status"] for o in client.orders(seller.address, status="all")] == [
                "open",
                "cancelled",
            ]
            assert client.trades(1)["trades"][0]["quantity_lots"] == 2
            assert client.ticker(1)["last_24h"]["volume_lots"] == 2
            assert client.candles(1, "5m")["candles"][0]["close"] == PRICE
    finally:
        stop(proc)


def test_sdk_conditional_helpers_stop_take_profit_trailing_iceberg_and_oco(
    anvil, suite, w3, database_url, tmp_path, funded_accounts
):
    if not database_url.startswith("sqlite"):
        pytest.skip("the SDK does not depend on the journal database")
    seller, buyer, trader = funded_accounts[1], funded_accounts[2], funded_accounts[3]
    deposit(suite, w3, seller.address, "tWETH", WETH)
    deposit(suite, w3, buyer.address, "tUSDC", 10_000 * USDC)
    deposit(suite, w3, trader.address, "tWETH", WETH)
    deposit(suite, w3, trader.address, "tUSDC", 10_000 * USDC)
    deployments = deployments_dir_for(suite, tmp_path / "deployments")
    proc, base = _start(anvil, deployments, database_url, tmp_path / "relayer.log")
    market = {"market_id": 1}
    try:
        with RelayerClient(base) as client:

            def trade_at(price: int) -> None:
                client.place(seller, **market, is_buy=False, price_ticks=price, quantity_lots=1)
                ack = client.place(
                    buyer, **market, is_buy=True, price_ticks=price, quantity_lots=1,
                    time_in_force="ioc",
                )  # fmt: skip
                assert ack["matched_lots"] == 1

            trade_at(PRICE)
            iceberg = client.place_iceberg(
                buyer, **market, is_buy=True, price_ticks=192_000, quantity_lots=20, display_lots=4
            )
            assert client.book(1)["bids"] == [
                {"price_ticks": 192_000, "quantity_lots": 4, "orders": 1}
            ]
            stop_loss = client.place_stop(
                trader, **market, is_buy=False, trigger_price=195_000, price_ticks=190_000,
                quantity_lots=6,
            )  # fmt: skip
            take_profit = client.place_take_profit(
                trader, **market, is_buy=True, trigger_price=193_000, price_ticks=193_000,
                quantity_lots=2, limit=True,
            )  # fmt: skip
            trailing = client.place_trailing_stop(
                trader, **market, is_buy=False, trailing_bps=500, price_ticks=180_000,
                quantity_lots=2,
            )  # fmt: skip
            first, second = client.place_oco(
                trader,
                {**market, "is_buy": False, "price_ticks": 230_000, "quantity_lots": 3},
                {**market, "is_buy": False, "price_ticks": 185_000, "quantity_lots": 3,
                 "order_type": "stop_limit", "trigger_price": 186_000},
            )  # fmt: skip
            for ack in (stop_loss, take_profit, trailing, second):
                assert ack["status"] == "pending_trigger"
                assert client.order(ack["order_hash"])["signature"] is None
            assert client.order(first["order_hash"])["oco_with"] == second["order_hash"]
            # A refused second leg takes the first one back off the book.
            with pytest.raises(RelayerApiError) as info:
                client.place_oco(
                    trader,
                    {**market, "is_buy": False, "price_ticks": 240_000, "quantity_lots": 1},
                    {**market, "is_buy": True, "price_ticks": 185_000, "quantity_lots": 1,
                     "order_type": "stop_market", "trigger_price": 250_000},
                )  # fmt: skip
            assert info.value.code == "oco_link_invalid"
            assert [o["price_ticks"] for o in client.orders(trader.address)] == [
                185_000, 230_000, 180_000, 193_000, 190_000,
            ]  # fmt: skip

            # 195,000 fires the stop: it sells 6 into the iceberg (4 shown, then 2 of the
            # refill); the take-profit buy fires at the fills' 192,000 and rests at 193,000.
            trade_at(195_000)
            fired = client.order(stop_loss["order_hash"])
            assert (fired["status"], fired["matched_lots"]) == ("filled", 6)
            assert [(f["price_ticks"], f["quantity_lots"]) for f in fired["fills"]] == [
                (192_000, 4),
                (192_000, 2),
            ]
            assert fired["signature"] is not None
            assert client.order(take_profit["order_hash"])["status"] == "open"
            assert client.order(iceberg["order_hash"])["remaining_lots"] == 14
            book = client.book(1)
            assert book["bids"][0] == {"price_ticks": 193_000, "quantity_lots": 2, "orders": 1}
            assert book["bids"][1]["quantity_lots"] == 2  # the iceberg shows 2 of its 14
            assert client.order(trailing["order_hash"])["status"] == "pending_trigger"
            [gone] = client.cancel(trader, [trailing["order_hash"]])
            assert gone["status"] == "cancelled"
            [gone] = client.cancel(trader, [second["order_hash"]])
            assert client.order(first["order_hash"])["status"] == "cancelled"  # its OCO leg
    finally:
        stop(proc)
