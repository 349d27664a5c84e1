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
