"""Conditional orders in the relayer (relayer/conditional.py + the sequencer), on a real Anvil with
the deployed suite: stop / take-profit (market and limit), trailing stops, icebergs, OCO pairs;
their triggers, funds, cancels, expiry, durability and settlement on chain."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Any

import pytest

from relayer import matcher
from relayer.cancels import CancelOrders, sign_cancel
from relayer.conditional import OrderOptions, default_time_in_force
from relayer.errors import RelayerUnavailable
from relayer.hub import Subscriber
from relayer.matcher import EventType, Side
from relayer.models import (
    FILL_SETTLED,
    ORDER_CANCELLED,
    ORDER_EXPIRED,
    ORDER_FILLED,
    ORDER_OPEN,
    ORDER_PENDING,
    RelayerFill,
    RelayerOrder,
)
from relayer.orders import Order, fill_amounts
from relayer.service import OrderAck, RelayerService, Submission, owner_id
from relayer.settlement import SettlementConfig, SettlementWorker
from tests.relayer.conftest import (
    LOT,
    PRICE,
    TICK,
    USDC,
    WETH,
    deposit,
    make_order,
    make_service,
    send,
    signed,
)
from tests.relayer.settlement_fixtures import run_until_idle
from tests.relayer.test_service import _accept, _journal, _reject
from tigerex.devchain import dev_accounts

pytestmark = [pytest.mark.anvil, pytest.mark.anyio]

BASE_DEPOSIT = WETH  # 1,000 lots
QUOTE_DEPOSIT = 10_000 * USDC


@pytest.fixture
def seller(funded_accounts):
    return funded_accounts[1]


@pytest.fixture
def buyer(funded_accounts):
    return funded_accounts[2]


@pytest.fixture
def trader(funded_accounts):
    """Holds the conditional orders: 1 tWETH and 10,000 tUSDC in the vault."""
    return funded_accounts[3]


@pytest.fixture
def funded(suite, w3, seller, buyer, trader):
    deposit(suite, w3, seller.address, "tWETH", BASE_DEPOSIT)
    deposit(suite, w3, buyer.address, "tUSDC", QUOTE_DEPOSIT)
    deposit(suite, w3, trader.address, "tWETH", BASE_DEPOSIT)
    deposit(suite, w3, trader.address, "tUSDC", QUOTE_DEPOSIT)


def conditional(
    service: RelayerService,
    account,
    *,
    is_buy: bool,
    order_type: str,
    price: int,
    lots: int = 5,
    tif: str | None = None,
    expiry: int | None = None,
    **options: Any,
) -> Submission:
    """A signed order (price = the signed limit / worst price) with its relayer options."""
    order = make_order(account, is_buy=is_buy, quantity_lots=lots, price_ticks=price, expiry=expiry)
    return signed(
        service,
        account,
        order,
        order_type=order_type,
        time_in_force=tif or default_time_in_force(order_type),
        options=OrderOptions(**options),
    )


async def trade_at(service: RelayerService, seller, buyer, price: int, lots: int = 1) -> OrderAck:
    """One trade of ``lots`` at ``price`` (the seller's new ask taken by the buyer's IOC bid):
    moves the market's last trade price to ``price``."""
    await _accept(
        service,
        signed(
            service, seller, make_order(seller, is_buy=False, quantity_lots=lots, price_ticks=price)
        ),
    )
    [take] = await _accept(
        service,
        signed(
            service,
            buyer,
            make_order(buyer, is_buy=True, quantity_lots=lots, price_ticks=price),
            time_in_force="ioc",
        ),
    )
    assert take.matched_lots == lots and take.fills[-1].price_ticks == price
    return take


def _row(service: RelayerService, order_hash: str) -> RelayerOrder:
    with service.factory() as session:
        row = session.get(RelayerOrder, order_hash)
        assert row is not None
        return row


def _fills_of(service: RelayerService, order_hash: str) -> list[RelayerFill]:
    _, fills, _ = _journal(service)
    return [f for f in fills if order_hash in (f.maker_order_hash, f.taker_order_hash)]


def _reserved(service: RelayerService, account, token_name: str) -> int:
    config = service.markets[1].market
    token = config.base if token_name == "base" else config.quote
    return sum(
        service._live[h].reserved
        for h in service._by_maker.get(account.address, ())
        if service._live[h].token == token
    )


# ------------------------------------------------------------------------- triggers per type


@dataclass(frozen=True)
class TriggerCase:
    order_type: str
    is_buy: bool
    price: int  # signed: the limit price, or the worst price of a market-style order
    options: dict[str, int]
    liquidity: tuple[int, int]  # (price, lots) of the resting counter-order it can take
    quiet: tuple[int, ...]  # last trade prices (in turn) that must not fire it
    fire: int  # the last trade price that fires it
    status: str  # after firing
    fill_price: int | None  # where it trades once fired (None: it only rests)
    matched: int
    rests: tuple[int, int] | None = None  # (price, lots) it rests with once fired
    tif: str | None = None


# fmt: off
TRIGGER_CASES = [
    # Stop sell: fires at L <= 195,000, sells down to its worst price 190,000.
    TriggerCase("stop_market", False, 190_000, {"trigger_price": 195_000}, (192_000, 5),
                (198_000, 196_000), 195_000, ORDER_FILLED, 192_000, 5),
    # Stop buy: fires at L >= 205,000, buys up to 210,000.
    TriggerCase("stop_market", True, 210_000, {"trigger_price": 205_000}, (208_000, 5),
                (202_000, 204_000), 205_000, ORDER_FILLED, 208_000, 5),
    # Take-profit sell: fires at L >= 205,000.
    TriggerCase("take_profit_market", False, 199_000, {"trigger_price": 205_000}, (199_500, 5),
                (202_000, 204_000), 205_000, ORDER_FILLED, 199_500, 5),
    # Take-profit buy: fires at L <= 195,000.
    TriggerCase("take_profit_market", True, 201_000, {"trigger_price": 195_000}, (200_500, 5),
                (198_000, 196_000), 195_000, ORDER_FILLED, 200_500, 5),
    # Stop-limit sell: fires at L <= 195,000, then a GTC limit at 194,000: takes the 2 lots
    # bid at 194,500 and rests with the other 3.
    TriggerCase("stop_limit", False, 194_000, {"trigger_price": 195_000}, (194_500, 2),
                (198_000, 196_000), 195_000, ORDER_OPEN, 194_500, 2, rests=(194_000, 3)),
    # Take-profit-limit buy: fires at L <= 195,000; nothing offered at 196,000, so it rests.
    TriggerCase("take_profit_limit", True, 196_000, {"trigger_price": 195_000}, (199_000, 5),
                (198_000, 196_000), 195_000, ORDER_OPEN, None, 0, rests=(196_000, 5)),
    # Trailing sell, 3,000 ticks: the peak follows 200,000 -> 204,000, so it fires at 201,000
    # (it would not have at the placement price: 201,000 > 197,000).
    TriggerCase("trailing_stop_market", False, 198_000, {"trailing_delta": 3_000}, (199_000, 5),
                (204_000, 201_500), 201_000, ORDER_FILLED, 199_000, 5),
    # Trailing buy, 1%: the trough follows 200,000 -> 197,000, so it fires at >= 198,970.
    TriggerCase("trailing_stop_market", True, 201_000, {"trailing_bps": 100}, (199_500, 5),
                (197_000, 198_900), 199_000, ORDER_FILLED, 199_500, 5),
]
# fmt: on


@pytest.mark.parametrize(
    "case",
    TRIGGER_CASES,
    ids=[f"{c.order_type}-{'buy' if c.is_buy else 'sell'}" for c in TRIGGER_CASES],
)
async def test_each_type_fires_at_its_last_trade_price_and_not_before(
    relayer, funded, seller, buyer, trader, case: TriggerCase
):
    await trade_at(relayer, seller, buyer, PRICE)  # the last price the triggers start from
    liquidity_price, liquidity_lots = case.liquidity
    counter = seller if case.is_buy else buyer
    [liquidity] = await _accept(
        relayer,
        signed(
            relayer,
            counter,
            make_order(
                counter,
                is_buy=not case.is_buy,
                quantity_lots=liquidity_lots,
                price_ticks=liquidity_price,
            ),
        ),
    )
    [ack] = await _accept(
        relayer,
        conditional(
            relayer,
            trader,
            is_buy=case.is_buy,
            order_type=case.order_type,
            price=case.price,
            tif=case.tif,
            **case.options,
        ),
    )
    assert (ack.status, ack.matched_lots, ack.remaining_lots) == (ORDER_PENDING, 0, 5)
    info = relayer.engines[1].order(ack.seq)
    assert info is not None and not info.resting  # held outside the book
    # A pending order reserves what it may spend, like an open order.
    if case.is_buy:
        assert _reserved(relayer, trader, "quote") == 5 * case.price * TICK
    else:
        assert _reserved(relayer, trader, "base") == 5 * LOT
    book_before = relayer.depth(1, 10)

    for price in case.quiet:
        await trade_at(relayer, seller, buyer, price)
        row = _row(relayer, ack.order_hash)
        assert (row.status, row.matched_lots, row.triggered_at) == (ORDER_PENDING, 0, None)
    assert not _fills_of(relayer, ack.order_hash)

    await trade_at(relayer, seller, buyer, case.fire)
    row = _row(relayer, ack.order_hash)
    assert row.status == case.status and row.matched_lots == case.matched
    assert row.trigger_last_price == case.fire and row.triggered_at is not None
    fills = _fills_of(relayer, ack.order_hash)
    assert sum(f.quantity_lots for f in fills) == case.matched <= 5
    for fill in fills:
        # Never beyond what the maker signed: the triggered order takes at the makers' prices.
        assert fill.taker_order_hash == ack.order_hash
        assert fill.maker_order_hash == liquidity.order_hash
        assert fill.price_ticks == case.fill_price
        assert fill.price_ticks <= case.price if case.is_buy else fill.price_ticks >= case.price
    if case.rests is not None:
        side = "bids" if case.is_buy else "asks"
        assert (*case.rests, 1) in relayer.depth(1, 10)[side]
        assert relayer.live_order(ack.order_hash) is not None
        token = "quote" if case.is_buy else "base"
        unit = case.price * TICK if case.is_buy else LOT
        assert _reserved(relayer, trader, token) == case.rests[1] * unit
    else:
        assert relayer.live_order(ack.order_hash) is None
        assert _reserved(relayer, trader, "quote" if case.is_buy else "base") == 0
    assert book_before != relayer.depth(1, 10) or case.fill_price is None


async def test_a_stop_or_take_profit_that_would_fire_at_once_is_refused(
    relayer, funded, seller, buyer, trader
):
    await trade_at(relayer, seller, buyer, PRICE)
    err = await _reject(
        relayer,
        conditional(
            relayer,
            trader,
            is_buy=False,
            order_type="stop_market",
            price=190_000,
            trigger_price=PRICE + 1,
        ),
    )
    assert err.code == "stop_would_trigger"
    err = await _reject(
        relayer,
        conditional(
            relayer,
            trader,
            is_buy=True,
            order_type="take_profit_limit",
            price=199_000,
            trigger_price=PRICE,
        ),
    )
    assert err.code == "stop_would_trigger"


async def test_a_trailing_stop_needs_a_last_price(relayer, funded, trader):
    err = await _reject(
        relayer,
        conditional(
            relayer,
            trader,
            is_buy=False,
            order_type="trailing_stop_market",
            price=190_000,
            trailing_delta=100,
        ),
    )
    assert err.code == "no_last_price"


async def test_stops_fired_by_one_trade_run_in_placement_order_and_cascade(
    relayer, funded, seller, buyer, trader
):
    """Two stop sells fire on the same trade; the first's fills move the last price further
    and fire a third one, all in the command of the trade that started it."""
    await trade_at(relayer, seller, buyer, PRICE)
    for price, lots in ((196_000, 2), (194_000, 2), (190_000, 5)):
        await _accept(
            relayer,
            signed(
                relayer,
                buyer,
                make_order(buyer, is_buy=True, quantity_lots=lots, price_ticks=price),
            ),
        )
    [first] = await _accept(
        relayer,
        conditional(
            relayer,
            trader,
            is_buy=False,
            order_type="stop_market",
            price=180_000,
            lots=2,
            trigger_price=197_000,
        ),
    )
    [second] = await _accept(
        relayer,
        conditional(
            relayer,
            trader,
            is_buy=False,
            order_type="stop_market",
            price=180_000,
            lots=2,
            trigger_price=197_000,
        ),
    )
    [third] = await _accept(
        relayer,
        conditional(
            relayer,
            trader,
            is_buy=False,
            order_type="stop_market",
            price=180_000,
            lots=1,
            trigger_price=194_000,
        ),
    )
    take = await trade_at(relayer, seller, buyer, 197_000)
    _, fills, _ = _journal(relayer)
    triggered = [
        (f.taker_order_hash, f.price_ticks, f.quantity_lots)
        for f in fills
        if f.id > take.fills[-1].fill_id
    ]
    assert triggered == [
        (first.order_hash, 196_000, 2),
        (second.order_hash, 194_000, 2),
        (third.order_hash, 190_000, 1),
    ]
    # All journaled by the step of the trade that fired them (same created_at).
    created = {f.created_at for f in fills if f.id >= take.fills[-1].fill_id}
    assert len(created) == 1
    for ack in (first, second, third):
        assert _row(relayer, ack.order_hash).status == ORDER_FILLED
    assert _row(relayer, third.order_hash).trigger_last_price == 194_000


# ------------------------------------------------------------------------------ settlement


async def test_a_fired_stop_settles_on_chain_within_its_signed_limits(
    relayer, suite, anvil, funded, seller, buyer, trader
):
    """End to end: the stop sell's fills go through the settlement worker and Exchange.settle;
    the vault balances move exactly by the fills at the makers' prices minus fees."""
    await trade_at(relayer, seller, buyer, PRICE)
    bid = make_order(buyer, is_buy=True, quantity_lots=5, price_ticks=192_000)
    await _accept(relayer, signed(relayer, buyer, bid))
    stop = conditional(
        relayer,
        trader,
        is_buy=False,
        order_type="stop_market",
        price=190_000,
        lots=8,
        trigger_price=195_000,
    )
    [ack] = await _accept(relayer, stop)
    await trade_at(relayer, seller, buyer, 196_000)
    await trade_at(relayer, seller, buyer, 195_000)
    row = _row(relayer, ack.order_hash)
    # 5 lots at 192,000 taken; nothing else within 190,000: the other 3 expire (market-style).
    assert (row.status, row.matched_lots) == (ORDER_EXPIRED, 5)

    exchange = suite.contract("Exchange")
    worker = SettlementWorker(
        w3=relayer.w3,
        exchange=exchange,
        sessions=relayer.factory,
        operator=dev_accounts()[0],
        config=SettlementConfig(
            confirmations=1, max_interval=0, replace_after=3600, funds_check_interval=0
        ),
    )
    run_until_idle(worker, anvil.url)

    fills = _fills_of(relayer, ack.order_hash)
    assert [(f.price_ticks, f.quantity_lots, f.status) for f in fills] == [
        (192_000, 5, FILL_SETTLED)
    ]
    assert int(exchange.functions.filled(bytes.fromhex(ack.order_hash[2:])).call()) == 5
    assert _row(relayer, ack.order_hash).settled_lots == 5
    market = relayer.markets[1].market
    base, quote = suite.contract("tWETH").address, suite.contract("tUSDC").address
    # Hand-computed: the stop is the taker (seller): it gives 5 lots of base and receives
    # 5 x 192,000 ticks x 10 quote units, minus the 20 bps taker fee paid in quote.
    received = 5 * 192_000 * TICK
    assert exchange.functions.balanceOf(base, trader.address).call() == BASE_DEPOSIT - 5 * LOT
    assert (
        exchange.functions.balanceOf(quote, trader.address).call()
        == QUOTE_DEPOSIT + received - received * 20 // 10_000
    )
    amounts = fill_amounts(market, bid, 5)  # the relayer's own arithmetic agrees
    assert amounts.quote_amount == received and amounts.taker_fee == received * 20 // 10_000
    # The buyer (maker of that fill) received 5 lots minus the 10 bps maker fee in base, on top
    # of the three 1-lot trades it took as taker (20 bps each).
    buyer_base = exchange.functions.balanceOf(base, buyer.address).call()
    assert buyer_base == 5 * LOT - 5 * LOT * 10 // 10_000 + 3 * (LOT - LOT * 20 // 10_000)


# -------------------------------------------------------------------------------------- OCO


async def _limit_and_stop_pair(relayer, trader, lots: int = 5) -> tuple[OrderAck, OrderAck]:
    """A take-profit limit sell at 210,000 resting, paired with a stop sell at 195,000."""
    limit = signed(
        relayer, trader, make_order(trader, is_buy=False, quantity_lots=lots, price_ticks=210_000)
    )
    [first] = await _accept(relayer, limit)
    [second] = await _accept(
        relayer,
        conditional(
            relayer,
            trader,
            is_buy=False,
            order_type="stop_market",
            price=190_000,
            lots=lots,
            trigger_price=195_000,
            oco_with=first.order_hash,
        ),
    )
    assert (first.status, second.status) == (ORDER_OPEN, ORDER_PENDING)
    assert relayer._live[first.order_hash].partner == second.order_hash
    assert relayer._live[second.order_hash].partner == first.order_hash
    assert _row(relayer, first.order_hash).oco_with == second.order_hash
    assert _row(relayer, second.order_hash).oco_with == first.order_hash
    # The resting leg's signature is public (anyone can fill it on chain), so each leg
    # reserves in full.
    assert _reserved(relayer, trader, "base") == 2 * lots * LOT
    return first, second


async def test_oco_the_stop_firing_cancels_the_limit(relayer, funded, seller, buyer, trader):
    await trade_at(relayer, seller, buyer, PRICE)
    await _accept(
        relayer,
        signed(
            relayer, buyer, make_order(buyer, is_buy=True, quantity_lots=5, price_ticks=192_000)
        ),
    )
    limit, stop = await _limit_and_stop_pair(relayer, trader)
    await trade_at(relayer, seller, buyer, 195_000)
    orders, _, cancels = _journal(relayer)
    assert orders[stop.order_hash].status == ORDER_FILLED
    assert orders[limit.order_hash].status == ORDER_CANCELLED
    assert [(c.order_hash, c.reason) for c in cancels] == [(limit.order_hash, "oco")]
    assert (210_000, 5, 1) not in relayer.depth(1, 10)["asks"]
    assert _reserved(relayer, trader, "base") == 0


async def test_oco_the_limit_filling_cancels_the_stop(relayer, funded, seller, buyer, trader):
    await trade_at(relayer, seller, buyer, PRICE)
    limit, stop = await _limit_and_stop_pair(relayer, trader)
    [take] = await _accept(
        relayer,
        signed(
            relayer,
            buyer,
            make_order(buyer, is_buy=True, quantity_lots=2, price_ticks=210_000),
            time_in_force="ioc",
        ),
    )
    assert [(f.maker_order_hash, f.quantity_lots) for f in take.fills] == [(limit.order_hash, 2)]
    orders, _, cancels = _journal(relayer)
    assert orders[stop.order_hash].status == ORDER_CANCELLED  # filled even partly: the other goes
    assert orders[limit.order_hash].status == ORDER_OPEN
    assert [(c.order_hash, c.reason) for c in cancels] == [(stop.order_hash, "oco")]
    assert relayer.engines[1].order(stop.seq) is None
    assert _reserved(relayer, trader, "base") == 3 * LOT
    # The stop's trigger passing later changes nothing.
    await trade_at(relayer, seller, buyer, 190_000)
    assert _row(relayer, stop.order_hash).status == ORDER_CANCELLED
    assert not _fills_of(relayer, stop.order_hash)


@pytest.mark.parametrize("cancelled_leg", ["limit", "stop"])
async def test_oco_cancelling_either_leg_cancels_the_other(
    relayer, funded, seller, buyer, trader, cancelled_leg
):
    await trade_at(relayer, seller, buyer, PRICE)
    limit, stop = await _limit_and_stop_pair(relayer, trader)
    target, other = (limit, stop) if cancelled_leg == "limit" else (stop, limit)
    cancel = CancelOrders(
        trader.address, (bytes.fromhex(target.order_hash[2:]),), int(time.time()) + 60
    )
    signature = sign_cancel(cancel, trader.key, relayer.chain_id, relayer.exchange_address)
    [result] = await relayer.cancel_signed(cancel, signature)
    assert isinstance(result, OrderAck) and result.status == ORDER_CANCELLED
    orders, _, cancels = _journal(relayer)
    assert orders[other.order_hash].status == ORDER_CANCELLED
    assert sorted((c.order_hash, c.reason) for c in cancels) == sorted(
        [(target.order_hash, "maker"), (other.order_hash, "oco")]
    )
    assert not relayer._live and _reserved(relayer, trader, "base") == 0
    assert relayer.engines[1].open_orders(1, owner_id(trader.address)) == []


async def test_oco_two_waiting_legs_share_one_reservation(relayer, funded, seller, buyer, trader):
    """Neither leg's signature is public and the engine lets only one trade: the pair
    reserves the larger leg once (600 + 600 lots fit in 1,000 lots of vault)."""
    await trade_at(relayer, seller, buyer, PRICE)
    [take_profit] = await _accept(
        relayer,
        conditional(
            relayer,
            trader,
            is_buy=False,
            order_type="take_profit_limit",
            price=205_000,
            lots=600,
            tif="gtc",
            trigger_price=206_000,
        ),
    )
    [stop] = await _accept(
        relayer,
        conditional(
            relayer,
            trader,
            is_buy=False,
            order_type="stop_market",
            price=190_000,
            lots=500,
            trigger_price=195_000,
            oco_with=take_profit.order_hash,
        ),
    )
    assert _reserved(relayer, trader, "base") == 600 * LOT
    # 400 lots are left: 401 are refused, 400 fit.
    err = await _reject(
        relayer,
        signed(
            relayer,
            trader,
            make_order(trader, is_buy=False, quantity_lots=401, price_ticks=250_000),
        ),
    )
    assert err.code == "insufficient_funds"
    [plain] = await _accept(
        relayer,
        signed(
            relayer,
            trader,
            make_order(trader, is_buy=False, quantity_lots=400, price_ticks=250_000),
        ),
    )
    # The stop fires (against the trader's own bid-side counterparty: the buyer's 600 lots):
    # the take-profit leg goes, the stop alone reserves what it still needs.
    await _accept(
        relayer,
        signed(
            relayer, buyer, make_order(buyer, is_buy=True, quantity_lots=200, price_ticks=192_000)
        ),
    )
    await trade_at(relayer, seller, buyer, 195_000)
    orders, _, cancels = _journal(relayer)
    assert orders[take_profit.order_hash].status == ORDER_CANCELLED
    assert orders[stop.order_hash].status == ORDER_EXPIRED  # 200 of 500 lots found a bid
    assert orders[stop.order_hash].matched_lots == 200
    assert [(c.order_hash, c.reason) for c in cancels] == [(take_profit.order_hash, "oco")]
    assert _reserved(relayer, trader, "base") == 400 * LOT  # the plain order only
    assert relayer._reserved[(trader.address, relayer.markets[1].market.base)] == 600 * LOT
    assert plain.status == ORDER_OPEN


async def test_oco_link_must_name_a_free_live_order_of_the_same_maker_market_and_side(
    relayer, funded, seller, buyer, trader
):
    await trade_at(relayer, seller, buyer, PRICE)
    [sell] = await _accept(
        relayer,
        signed(
            relayer, trader, make_order(trader, is_buy=False, quantity_lots=5, price_ticks=210_000)
        ),
    )
    stop_args = {
        "is_buy": False,
        "order_type": "stop_market",
        "price": 190_000,
        "trigger_price": 195_000,
    }
    unknown = "0x" + "ab" * 32
    assert (
        await _reject(relayer, conditional(relayer, trader, oco_with=unknown, **stop_args))
    ).code == "oco_link_invalid"
    other_side = conditional(
        relayer,
        trader,
        is_buy=True,
        order_type="stop_market",
        price=210_000,
        trigger_price=205_000,
        oco_with=sell.order_hash,
    )
    assert (await _reject(relayer, other_side)).code == "oco_link_invalid"
    stranger = conditional(relayer, seller, oco_with=sell.order_hash, **stop_args)
    assert (await _reject(relayer, stranger)).code == "oco_link_invalid"
    await _accept(relayer, conditional(relayer, trader, oco_with=sell.order_hash, **stop_args))
    again = await _reject(
        relayer, conditional(relayer, trader, oco_with=sell.order_hash, **stop_args)
    )
    assert again.code == "oco_link_invalid" and "already" in again.message


async def test_an_oco_pair_in_one_batch_forms_in_one_journal_step(
    relayer, funded, seller, buyer, trader
):
    await trade_at(relayer, seller, buyer, PRICE)
    first = signed(
        relayer, trader, make_order(trader, is_buy=False, quantity_lots=5, price_ticks=210_000)
    )
    from relayer.orders import order_hash

    first_hash = "0x" + order_hash(first.order, relayer.chain_id, relayer.exchange_address).hex()
    second = conditional(
        relayer,
        trader,
        is_buy=False,
        order_type="stop_limit",
        price=194_000,
        tif="gtc",
        trigger_price=195_000,
        oco_with=first_hash,
    )
    a, b = await _accept(relayer, first, second)
    assert a.order_hash == first_hash and b.status == ORDER_PENDING
    assert relayer._live[first_hash].partner == b.order_hash


# -------------------------------------------------------------------------------- iceberg


async def test_an_iceberg_shows_only_its_display_and_refills_at_the_back(
    relayer, funded, seller, buyer
):
    subscriber = Subscriber()
    await relayer.subscribe_book(subscriber, 1, 10)
    [iceberg] = await _accept(
        relayer,
        signed(
            relayer,
            seller,
            make_order(seller, is_buy=False, quantity_lots=10, price_ticks=PRICE),
            options=OrderOptions(display_lots=3),
        ),
    )
    assert relayer.depth(1, 5)["asks"] == [(PRICE, 3, 1)]  # not 10
    [plain] = await _accept(
        relayer, signed(relayer, seller, make_order(seller, is_buy=False, quantity_lots=2))
    )
    assert relayer.depth(1, 5)["asks"] == [(PRICE, 5, 2)]
    # The maker's own view knows the full size and reserves it.
    assert relayer.live_order(iceberg.order_hash).remaining == 10
    assert _reserved(relayer, seller, "base") == 12 * LOT

    # 4 lots: the 3 shown, then the refill goes behind the plain order, which gives 1.
    [take] = await _accept(
        relayer,
        signed(
            relayer, buyer, make_order(buyer, is_buy=True, quantity_lots=4), time_in_force="ioc"
        ),
    )
    assert [(f.maker_order_hash, f.quantity_lots) for f in take.fills] == [
        (iceberg.order_hash, 3),
        (plain.order_hash, 1),
    ]
    assert relayer.depth(1, 5)["asks"] == [(PRICE, 4, 2)]  # refilled 3 + the plain order's 1
    assert relayer.live_order(iceberg.order_hash).remaining == 7
    # Book deltas only ever carried visible quantities.
    snapshot = subscriber.queue.get_nowait()
    assert snapshot["type"] == "snapshot"
    deltas = []
    while not subscriber.queue.empty():
        deltas.append(subscriber.queue.get_nowait()["quantity_lots"])
    assert max(deltas) <= 5 and 10 not in deltas and 12 not in deltas


# ------------------------------------------------------------------- cancels, expiry, funds


async def test_a_pending_stop_can_be_cancelled_gasless(relayer, funded, seller, buyer, trader):
    await trade_at(relayer, seller, buyer, PRICE)
    [ack] = await _accept(
        relayer,
        conditional(
            relayer,
            trader,
            is_buy=False,
            order_type="stop_market",
            price=190_000,
            trigger_price=195_000,
        ),
    )
    cancel = CancelOrders(
        trader.address, (bytes.fromhex(ack.order_hash[2:]),), int(time.time()) + 60
    )
    signature = sign_cancel(cancel, trader.key, relayer.chain_id, relayer.exchange_address)
    [result] = await relayer.cancel_signed(cancel, signature)
    assert isinstance(result, OrderAck) and result.status == ORDER_CANCELLED
    assert relayer.engines[1].order(ack.seq) is None
    assert _reserved(relayer, trader, "base") == 0
    await trade_at(relayer, seller, buyer, 190_000)  # its trigger passes: nothing happens
    row = _row(relayer, ack.order_hash)
    assert (row.status, row.matched_lots, row.triggered_at) == (ORDER_CANCELLED, 0, None)


async def test_a_pending_stop_expires(relayer, funded, seller, buyer, trader):
    await trade_at(relayer, seller, buyer, PRICE)
    expiry = int(time.time()) + 4  # min_expiry_seconds is 2 in the tests
    [ack] = await _accept(
        relayer,
        conditional(
            relayer,
            trader,
            is_buy=False,
            order_type="stop_market",
            price=190_000,
            trigger_price=195_000,
            expiry=expiry,
        ),
    )
    await relayer.sweep()
    assert _row(relayer, ack.order_hash).status == ORDER_PENDING
    await asyncio.sleep(max(0.0, expiry - 2 - time.time()) + 0.2)
    await relayer.sweep()
    orders, _, cancels = _journal(relayer)
    assert orders[ack.order_hash].status == ORDER_EXPIRED
    assert [(c.order_hash, c.reason) for c in cancels] == [(ack.order_hash, "expired")]
    assert relayer.engines[1].order(ack.seq) is None and _reserved(relayer, trader, "base") == 0


async def test_pending_stops_follow_on_chain_cancels_and_withdrawals(
    relayer, suite, w3, funded, seller, buyer, trader
):
    exchange = suite.contract("Exchange")
    await trade_at(relayer, seller, buyer, PRICE)
    stop = conditional(
        relayer,
        trader,
        is_buy=False,
        order_type="stop_market",
        price=190_000,
        trigger_price=195_000,
    )
    [on_chain] = await _accept(relayer, stop)
    send(w3, exchange.functions.cancelOrder(stop.order.as_tuple()), trader.address)
    [funds] = await _accept(
        relayer,
        conditional(
            relayer,
            trader,
            is_buy=False,
            order_type="take_profit_market",
            price=200_000,
            lots=800,
            trigger_price=210_000,
        ),
    )
    weth = suite.contract("tWETH").address
    send(w3, exchange.functions.requestWithdrawal(weth, 500 * LOT), trader.address)
    await relayer.sweep()
    orders, _, cancels = _journal(relayer)
    assert orders[on_chain.order_hash].status == ORDER_CANCELLED
    assert orders[funds.order_hash].status == ORDER_CANCELLED
    assert sorted((c.order_hash, c.reason) for c in cancels) == sorted(
        [(on_chain.order_hash, "chain"), (funds.order_hash, "funds")]
    )
    assert not relayer.engines[1].open_orders(1, owner_id(trader.address))


async def test_the_settlement_workers_funds_check_counts_pending_orders(
    relayer, suite, w3, funded, seller, buyer, trader
):
    """relayer/onchain.reject_uncovered_orders: a waiting OCO pair reserves its larger leg
    once, a lone pending stop in full; rejecting one leg of the pair takes both off."""
    from relayer.onchain import MarketCache, reject_uncovered_orders

    exchange = suite.contract("Exchange")
    await trade_at(relayer, seller, buyer, PRICE)
    [first] = await _accept(
        relayer,
        conditional(
            relayer,
            trader,
            is_buy=False,
            order_type="take_profit_market",
            price=200_000,
            lots=300,
            trigger_price=210_000,
        ),
    )
    [second] = await _accept(
        relayer,
        conditional(
            relayer,
            trader,
            is_buy=False,
            order_type="stop_market",
            price=190_000,
            lots=300,
            trigger_price=195_000,
            oco_with=first.order_hash,
        ),
    )
    [lone] = await _accept(
        relayer,
        conditional(
            relayer,
            trader,
            is_buy=False,
            order_type="stop_market",
            price=190_000,
            lots=300,
            trigger_price=194_000,
        ),
    )
    markets = MarketCache(exchange)
    weth = suite.contract("tWETH").address
    with relayer.factory() as session:
        assert reject_uncovered_orders(session, exchange, trader.address, markets) == []
    # 600 lots stay: the pair (300) and the lone stop (300) still fit.
    send(w3, exchange.functions.requestWithdrawal(weth, 400 * LOT), trader.address)
    with relayer.factory() as session:
        assert reject_uncovered_orders(session, exchange, trader.address, markets) == []
    # 500 lots stay: the newest (the lone stop) goes; the pair fits.
    send(w3, exchange.functions.requestWithdrawal(weth, 500 * LOT), trader.address)
    with relayer.factory() as session:
        assert reject_uncovered_orders(session, exchange, trader.address, markets) == [
            lone.order_hash
        ]
        session.commit()
    # 200 lots stay: rejecting the pair's newer leg frees the whole pair.
    send(w3, exchange.functions.requestWithdrawal(weth, 800 * LOT), trader.address)
    with relayer.factory() as session:
        assert reject_uncovered_orders(session, exchange, trader.address, markets) == [
            second.order_hash
        ]
        session.commit()
    # The relayer follows the worker: both legs leave its book (the first as an OCO cancel).
    await relayer.sweep()
    orders, _, cancels = _journal(relayer)
    assert orders[first.order_hash].status == ORDER_CANCELLED
    assert {(c.order_hash, c.reason) for c in cancels} >= {
        (lone.order_hash, "settlement"),
        (first.order_hash, "oco"),
    }
    assert not relayer._live


# ------------------------------------------------------------------------- validation


_HASH = "0x" + "cd" * 32

# fmt: off
BAD_OPTIONS = [
    ("limit", "gtc", {"trigger_price": 1}, "trigger_price"),
    ("stop_market", "ioc", {}, "trigger_price"),
    ("stop_market", "ioc", {"trigger_price": 0}, "trigger_price"),
    ("stop_market", "ioc", {"trigger_price": 2**63}, "trigger_price"),
    ("stop_market", "gtc", {"trigger_price": 190_000}, "time_in_force"),
    ("stop_limit", "post_only", {"trigger_price": 190_000}, "time_in_force"),
    ("take_profit_market", "ioc", {"trigger_price": 210_000, "trailing_delta": 5},
     "trailing_delta"),
    ("trailing_stop_market", "ioc", {}, "trailing_delta"),
    ("trailing_stop_market", "ioc", {"trailing_delta": 5, "trailing_bps": 5}, "trailing_delta"),
    ("trailing_stop_market", "ioc", {"trailing_bps": 10_000}, "trailing_bps"),
    ("trailing_stop_market", "ioc", {"trailing_delta": 0}, "trailing_delta"),
    ("trailing_stop_market", "ioc", {"trailing_bps": 50, "trigger_price": 1}, "trigger_price"),
    ("limit", "gtc", {"trailing_bps": 50}, "trailing_bps"),
    ("limit", "ioc", {"display_lots": 3}, "display_lots"),
    ("limit", "gtc", {"display_lots": 10}, "display_lots"),
    ("limit", "gtc", {"display_lots": 0}, "display_lots"),
    ("stop_limit", "gtc", {"trigger_price": 190_000, "display_lots": 3}, "display_lots"),
    ("limit", "ioc", {"oco_with": _HASH}, "oco_with"),
    ("market", "ioc", {"oco_with": _HASH}, "oco_with"),
    ("limit", "gtc", {"oco_with": "0x1234"}, "oco_with"),
    ("iceberg", "gtc", {}, "order_type"),
    ("limit", "day", {}, "time_in_force"),
]
# fmt: on


@pytest.mark.parametrize(
    ("order_type", "tif", "options", "field_name"),
    BAD_OPTIONS,
    ids=[f"{t}-{tif}-{name}-{i}" for i, (t, tif, _o, name) in enumerate(BAD_OPTIONS)],
)
async def test_bad_conditional_options_are_refused_with_the_field_at_fault(
    relayer, funded, trader, order_type, tif, options, field_name
):
    sub = conditional(
        relayer,
        trader,
        is_buy=False,
        order_type=order_type,
        price=190_000,
        lots=10,
        tif=tif,
        **options,
    )
    err = await _reject(relayer, sub)
    assert err.code == "order_option_invalid"
    assert err.details["field"] == field_name


# ------------------------------------------------------------------------------- privacy


async def test_maker_updates_carry_the_trigger_and_never_a_signature(
    relayer, funded, seller, buyer, trader
):
    subscriber = Subscriber()
    relayer.hub.subscribe(subscriber, ("orders", trader.address))
    await trade_at(relayer, seller, buyer, PRICE)
    await _accept(
        relayer,
        signed(
            relayer, buyer, make_order(buyer, is_buy=True, quantity_lots=5, price_ticks=192_000)
        ),
    )
    [ack] = await _accept(
        relayer,
        conditional(
            relayer,
            trader,
            is_buy=False,
            order_type="stop_market",
            price=190_000,
            trigger_price=195_000,
        ),
    )
    await trade_at(relayer, seller, buyer, 195_000)
    messages = []
    while not subscriber.queue.empty():
        messages.append(subscriber.queue.get_nowait())
    orders = [(m["status"], m.get("trigger_last_price")) for m in messages if m["type"] == "order"]
    assert orders == [(ORDER_PENDING, None), ("triggered", 195_000), (ORDER_FILLED, None)]
    assert all(m.get("trigger_price") == 195_000 for m in messages if m["type"] == "order")
    assert [m["quantity_lots"] for m in messages if m["type"] == "trade"] == [5]
    assert not any("signature" in m for m in messages)
    assert all(m["order_hash"] == ack.order_hash for m in messages if m["type"] == "order")


# ---------------------------------------------------------------------------- durability


async def test_fills_of_a_trigger_are_published_only_after_their_commit(
    relayer, funded, seller, buyer, trader, monkeypatch
):
    """The trigger's fills belong to the step of the trade that fired them: a failing commit
    loses them all (nothing published, the stop waits again after the rebuild); a good commit
    writes them before any message leaves."""
    await trade_at(relayer, seller, buyer, PRICE)
    await _accept(
        relayer,
        signed(
            relayer, buyer, make_order(buyer, is_buy=True, quantity_lots=5, price_ticks=192_000)
        ),
    )
    [ack] = await _accept(
        relayer,
        conditional(
            relayer,
            trader,
            is_buy=False,
            order_type="stop_market",
            price=190_000,
            trigger_price=195_000,
        ),
    )
    await _accept(
        relayer,
        signed(
            relayer, seller, make_order(seller, is_buy=False, quantity_lots=1, price_ticks=195_000)
        ),
    )
    subscriber = Subscriber()
    relayer.hub.subscribe(subscriber, ("orders", trader.address))
    before = relayer.engines[1].state_hash()
    real_write = relayer.journal.write
    seen_at_commit: list[int] = []

    def failing_write(tx, *, wait_for_lock=True):
        raise OSError("disk full")

    monkeypatch.setattr(relayer.journal, "write", failing_write)
    taker = make_order(buyer, is_buy=True, quantity_lots=1, price_ticks=195_000)
    with pytest.raises(RelayerUnavailable):
        await relayer.submit([signed(relayer, buyer, taker, time_in_force="ioc")])
    # The refusal is answered first; requests are taken again once the books are rebuilt.
    while not relayer.ready:
        await asyncio.sleep(0.01)
    rebuilt = relayer.engines[1].state_hash()
    assert rebuilt == before  # nothing of the failed step survived
    assert _row(relayer, ack.order_hash).status == ORDER_PENDING
    assert relayer.live_order(ack.order_hash).pending and subscriber.queue.empty()

    def watching_write(tx, *, wait_for_lock=True):
        seen_at_commit.append(subscriber.queue.qsize())
        return real_write(tx, wait_for_lock=wait_for_lock)

    monkeypatch.setattr(relayer.journal, "write", watching_write)
    await _accept(relayer, signed(relayer, buyer, taker, time_in_force="ioc"))
    assert seen_at_commit == [0]
    assert _row(relayer, ack.order_hash).status == ORDER_FILLED
    statuses = []
    while not subscriber.queue.empty():
        message = subscriber.queue.get_nowait()
        statuses.append(message.get("status"))
    assert "triggered" in statuses and ORDER_FILLED in statuses


def _engine_fills(events: Any) -> list[tuple[int, int, int, int]]:
    return [(e.order_id, e.maker_id, e.price, e.qty) for e in events if e.type == EventType.FILL]


async def test_restart_rebuilds_pending_stops_trailing_watermarks_icebergs_and_oco_pairs(
    relayer, suite, w3, anvil, database_url, funded, seller, buyer, trader
):
    """Snapshot in the middle, journal after it: the rebuilt engine has the same state hash
    (stops, trailing watermarks, iceberg reserve, OCO links), the relayer the same live orders
    and reservations, and the next commands give exactly the fills the old book would have."""
    await trade_at(relayer, seller, buyer, PRICE)
    [iceberg] = await _accept(
        relayer,
        signed(
            relayer,
            buyer,
            make_order(buyer, is_buy=True, quantity_lots=12, price_ticks=195_000),
            options=OrderOptions(display_lots=2),
        ),
    )
    [hit] = await _accept(relayer, _ioc_sell(relayer, seller, 3, 195_000))
    assert [f.quantity_lots for f in hit.fills] == [2, 1]  # shown 2, refilled, 1 more
    [trailing] = await _accept(
        relayer,
        conditional(
            relayer,
            trader,
            is_buy=False,
            order_type="trailing_stop_market",
            price=190_000,
            lots=4,
            trailing_delta=3_000,
        ),
    )
    await relayer.snapshot()
    # After the snapshot: the iceberg is hit again, the trailing peak moves 195,000 ->
    # 204,000, a waiting OCO pair shares its reservation, a stop buy waits.
    await _accept(relayer, _ioc_sell(relayer, seller, 1, 195_000))
    await trade_at(relayer, seller, buyer, 204_000)
    [tp] = await _accept(
        relayer,
        conditional(
            relayer,
            trader,
            is_buy=False,
            order_type="take_profit_limit",
            price=209_000,
            lots=50,
            tif="gtc",
            trigger_price=210_000,
        ),
    )
    [sl] = await _accept(
        relayer,
        conditional(
            relayer,
            trader,
            is_buy=False,
            order_type="stop_limit",
            price=185_000,
            lots=80,
            tif="gtc",
            trigger_price=186_000,
            oco_with=tp.order_hash,
        ),
    )
    [stop_buy] = await _accept(
        relayer,
        conditional(
            relayer,
            buyer,
            is_buy=True,
            order_type="stop_market",
            price=215_000,
            lots=3,
            trigger_price=212_000,
        ),
    )
    assert relayer._live[sl.order_hash].shared == 50 * LOT
    assert relayer._live[trailing.order_hash].watermark == 204_000  # kept across the restart
    original = relayer.engines[1]
    reference = matcher.Engine.from_snapshot(original.snapshot())

    def live_state(service: RelayerService) -> dict[str, Any]:
        return {
            h: (
                o.remaining,
                o.matched,
                o.pending,
                o.partner,
                o.shared,
                o.order_type,
                o.options,
                o.watermark,
            )
            for h, o in service._live.items()
        }

    before = {
        "hash": original.state_hash(),
        "reserved": {k: v for k, v in relayer._reserved.items() if v},
        "live": live_state(relayer),
        "book_seq": relayer.book_seq[1],
    }
    await relayer.stop()

    restarted = make_service(suite, w3, anvil, database_url)
    await restarted.start()
    try:
        engine = restarted.engines[1]
        assert engine.state_hash() == before["hash"]
        assert restarted.book_seq[1] == before["book_seq"]
        assert {k: v for k, v in restarted._reserved.items() if v} == before["reserved"]
        assert live_state(restarted) == before["live"]

        async def same_as_reference(sub: Submission) -> OrderAck:
            """Submit to the rebuilt relayer and the same command to a copy of the old book:
            the journaled fills of the step are the old book's fills."""
            _, fills_before, _ = _journal(restarted)
            last_fill = max((f.id for f in fills_before), default=0)
            [ack] = await _accept(restarted, sub)
            order: Order = sub.order
            expected = reference.place_limit(
                1,
                ack.seq,
                owner_id(order.maker),
                Side.BUY if order.is_buy else Side.SELL,
                order.price_ticks,
                order.quantity_lots,
                tif=matcher.TimeInForce.IOC
                if sub.time_in_force == "ioc"
                else matcher.TimeInForce.GTC,
            )
            orders, fills, _ = _journal(restarted)
            seqs = {h: o.seq for h, o in orders.items()}
            journaled = [
                (seqs[f.taker_order_hash], seqs[f.maker_order_hash], f.price_ticks, f.quantity_lots)
                for f in fills
                if f.id > last_fill
            ]
            assert journaled == _engine_fills(expected)
            assert engine.state_hash() == reference.state_hash()
            return ack

        # 201,000 fires the trailing stop (peak 204,000 - 3,000), which sells into the iceberg
        # (2 shown, refilled, 2 more).
        await same_as_reference(_gtc_sell(restarted, seller, 1, 201_000))
        await same_as_reference(_ioc_buy(restarted, buyer, 1, 201_000))
        assert _row(restarted, trailing.order_hash).status == ORDER_FILLED
        assert [
            (f.maker_order_hash, f.price_ticks, f.quantity_lots)
            for f in _fills_of(restarted, trailing.order_hash)
        ] == [(iceberg.order_hash, 195_000, 2), (iceberg.order_hash, 195_000, 2)]
        # 212,000 fires the take-profit (placed first: it rests at 209,000 and its OCO stop
        # leg goes), then the stop buy, which takes 3 lots of it.
        await same_as_reference(_gtc_sell(restarted, seller, 1, 212_000))
        await same_as_reference(_ioc_buy(restarted, buyer, 1, 212_000))
        orders, _, cancels = _journal(restarted)
        assert (orders[tp.order_hash].status, orders[tp.order_hash].matched_lots) == (ORDER_OPEN, 3)
        assert orders[sl.order_hash].status == ORDER_CANCELLED
        assert (sl.order_hash, "oco") in {(c.order_hash, c.reason) for c in cancels}
        assert orders[stop_buy.order_hash].status == ORDER_FILLED
        assert [
            (f.maker_order_hash, f.price_ticks) for f in _fills_of(restarted, stop_buy.order_hash)
        ] == [(tp.order_hash, 209_000)]
        engine.validate()
    finally:
        await restarted.stop()


def _gtc_sell(service: RelayerService, account, lots: int, price: int) -> Submission:
    return signed(
        service, account, make_order(account, is_buy=False, quantity_lots=lots, price_ticks=price)
    )


def _ioc_sell(service: RelayerService, account, lots: int, price: int) -> Submission:
    order = make_order(account, is_buy=False, quantity_lots=lots, price_ticks=price)
    return signed(service, account, order, time_in_force="ioc")


def _ioc_buy(service: RelayerService, account, lots: int, price: int) -> Submission:
    order = make_order(account, is_buy=True, quantity_lots=lots, price_ticks=price)
    return signed(service, account, order, time_in_force="ioc")
