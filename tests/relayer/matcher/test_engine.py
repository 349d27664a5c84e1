"""Behaviour of every command and order type, through the typed single-call API."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from relayer.matcher import (
    Engine,
    Event,
    EventType,
    OrderType,
    Reason,
    SelfTradePrevention,
    Side,
    TimeInForce,
)

BUY, SELL = Side.BUY, Side.SELL
M = 1  # tick 1, lot 1
M2 = 2  # tick 5, lot 10, min notional 1000


@pytest.fixture
def engine() -> Engine:
    e = Engine()
    e.add_market(M, 1, 1, 1, 1_000_000, 0)
    e.add_market(M2, 5, 10, 10, 100_000, 1_000)
    return e


def kinds(events: Sequence[Event]) -> list[EventType]:
    return [EventType(e.type) for e in events]


def fills(events: Sequence[Event]) -> list[tuple[int, int, int]]:
    """(maker_id, price, qty) of each fill."""
    return [(e.maker_id, e.price, e.qty) for e in events if e.type == EventType.FILL]


def of_type(events: Sequence[Event], kind: EventType) -> list[Event]:
    return [e for e in events if e.type == kind]


def trade(engine: Engine, price: int, first_id: int) -> None:
    """Prints a trade at `price` between owners 90 and 91 (sets the last price)."""
    engine.place_limit(M, first_id, 90, SELL, price, 1)
    engine.place_limit(M, first_id + 1, 91, BUY, price, 1)


# ---------------------------------------------------------------------------- limit orders


def test_gtc_limit_rests_and_publishes_a_book_delta(engine: Engine) -> None:
    events = engine.place_limit(M, 1, 7, BUY, 100, 5)
    assert kinds(events) == [EventType.ACCEPTED, EventType.BOOK_DELTA]
    delta = events[1]
    assert (delta.side, delta.price, delta.qty, delta.seq) == (BUY, 100, 5, 1)
    level = engine.best_bid(M)
    assert level is not None and (level.price, level.quantity, level.orders) == (100, 5, 1)


def test_fills_follow_price_then_time_priority(engine: Engine) -> None:
    engine.place_limit(M, 1, 1, SELL, 101, 5)
    engine.place_limit(M, 2, 2, SELL, 100, 5)
    engine.place_limit(M, 3, 3, SELL, 100, 5)
    events = engine.place_limit(M, 4, 4, BUY, 101, 12)
    assert fills(events) == [(2, 100, 5), (3, 100, 5), (1, 101, 2)]


def test_fill_event_carries_both_sides_and_remainders(engine: Engine) -> None:
    engine.place_limit(M, 1, 11, SELL, 100, 10)
    events = engine.place_limit(M, 2, 22, BUY, 100, 4)
    (fill,) = of_type(events, EventType.FILL)
    assert (fill.order_id, fill.maker_id, fill.owner, fill.maker_owner) == (2, 1, 22, 11)
    assert (fill.side, fill.price, fill.qty) == (BUY, 100, 4)
    assert (fill.remaining, fill.maker_remaining) == (0, 6)
    assert engine.last_price(M) == 100


def test_taker_remainder_rests_at_its_limit(engine: Engine) -> None:
    engine.place_limit(M, 1, 1, SELL, 100, 3)
    engine.place_limit(M, 2, 2, BUY, 101, 5)
    bid = engine.best_bid(M)
    assert bid is not None and (bid.price, bid.quantity) == (101, 2)
    assert engine.best_ask(M) is None


def test_ioc_remainder_expires(engine: Engine) -> None:
    engine.place_limit(M, 1, 1, SELL, 100, 3)
    events = engine.place_limit(M, 2, 2, BUY, 100, 5, tif=TimeInForce.IOC)
    (expired,) = of_type(events, EventType.EXPIRED)
    assert (expired.order_id, expired.remaining, expired.reason) == (2, 2, Reason.UNFILLED)
    assert engine.best_bid(M) is None


def test_fok_fills_completely_or_changes_nothing(engine: Engine) -> None:
    engine.place_limit(M, 1, 1, SELL, 100, 3)
    engine.place_limit(M, 2, 1, SELL, 101, 3)
    before = engine.state_hash()
    events = engine.place_limit(M, 3, 2, BUY, 101, 7, tif=TimeInForce.FOK)
    assert kinds(events) == [EventType.ACCEPTED, EventType.EXPIRED]
    assert events[1].reason == Reason.FOK_UNFILLABLE
    assert engine.state_hash() == before
    events = engine.place_limit(M, 4, 2, BUY, 101, 6, tif=TimeInForce.FOK)
    assert sum(q for _, _, q in fills(events)) == 6


def test_post_only_rests_or_is_rejected(engine: Engine) -> None:
    engine.place_limit(M, 1, 1, SELL, 100, 3)
    assert kinds(engine.place_limit(M, 2, 2, BUY, 99, 3, post_only=True))[-1] == (
        EventType.BOOK_DELTA
    )
    before = engine.state_hash()
    with pytest.raises(Exception) as info:
        engine.place_limit(M, 3, 2, BUY, 100, 3, post_only=True)
    assert getattr(info.value, "code", None) == Reason.POST_ONLY_WOULD_TAKE
    assert engine.state_hash() == before


# ---------------------------------------------------------------------------- market orders


def test_market_order_by_base_quantity_sweeps_levels(engine: Engine) -> None:
    engine.place_limit(M, 1, 1, SELL, 100, 2)
    engine.place_limit(M, 2, 1, SELL, 105, 2)
    events = engine.place_market(M, 3, 2, BUY, 3)
    assert fills(events) == [(1, 100, 2), (2, 105, 1)]
    assert EventType.EXPIRED not in kinds(events)


def test_market_order_stops_at_its_worst_price(engine: Engine) -> None:
    engine.place_limit(M, 1, 1, SELL, 100, 2)
    engine.place_limit(M, 2, 1, SELL, 105, 2)
    events = engine.place_market(M, 3, 2, BUY, 3, worst_price=104)
    assert fills(events) == [(1, 100, 2)]
    (expired,) = of_type(events, EventType.EXPIRED)
    assert expired.remaining == 1
    ask = engine.best_ask(M)
    assert ask is not None and ask.price == 105


def test_market_order_by_quote_spends_its_budget_in_whole_lots(engine: Engine) -> None:
    engine.place_limit(M2, 1, 1, SELL, 100, 20)
    engine.place_limit(M2, 2, 1, SELL, 200, 50)
    # Budget 6500 buys 20 @ 100 (2000), then whole lots of 10 @ 200: 20 (4000); the 500 left
    # is less than one lot at 200, so it expires.
    events = engine.place_market(M2, 3, 2, BUY, 6_500, quote_qty=True)
    assert fills(events) == [(1, 100, 20), (2, 200, 20)]
    (expired,) = of_type(events, EventType.EXPIRED)
    assert expired.remaining == 500


def test_market_order_without_liquidity_expires(engine: Engine) -> None:
    events = engine.place_market(M, 1, 1, SELL, 5)
    assert kinds(events) == [EventType.ACCEPTED, EventType.EXPIRED]


# ---------------------------------------------------------------------------- cancel / amend


def test_cancel_removes_the_order_and_publishes_the_level(engine: Engine) -> None:
    engine.place_limit(M, 1, 1, BUY, 100, 5)
    engine.place_limit(M, 2, 1, BUY, 100, 2)
    events = engine.cancel(M, 1, 1)
    assert kinds(events) == [EventType.CANCELLED, EventType.BOOK_DELTA]
    assert events[0].reason == Reason.USER_CANCEL and events[0].remaining == 5
    assert events[1].qty == 2
    assert engine.order(1) is None


def test_cancel_by_another_owner_is_refused(engine: Engine) -> None:
    engine.place_limit(M, 1, 1, BUY, 100, 5)
    with pytest.raises(Exception) as info:
        engine.cancel(M, 1, 2)
    assert getattr(info.value, "code", None) == Reason.NOT_OWNER


def test_amend_quantity_down_keeps_priority(engine: Engine) -> None:
    engine.place_limit(M, 1, 1, SELL, 100, 5)
    engine.place_limit(M, 2, 2, SELL, 100, 5)
    events = engine.amend(M, 1, 1, qty=3)
    assert kinds(events) == [EventType.AMENDED, EventType.BOOK_DELTA]
    assert fills(engine.place_limit(M, 3, 3, BUY, 100, 1)) == [(1, 100, 1)]


def test_amend_quantity_up_loses_priority(engine: Engine) -> None:
    engine.place_limit(M, 1, 1, SELL, 100, 5)
    engine.place_limit(M, 2, 2, SELL, 100, 5)
    engine.amend(M, 1, 1, qty=6)
    assert fills(engine.place_limit(M, 3, 3, BUY, 100, 1)) == [(2, 100, 1)]


def test_amend_price_moves_the_order_and_may_trade(engine: Engine) -> None:
    engine.place_limit(M, 1, 1, SELL, 100, 5)
    engine.place_limit(M, 2, 2, BUY, 95, 5)
    events = engine.amend(M, 2, 2, price=100)
    assert kinds(events)[:2] == [EventType.AMENDED, EventType.BOOK_DELTA]
    assert fills(events) == [(1, 100, 5)]
    assert engine.best_bid(M) is None and engine.best_ask(M) is None


def test_amend_of_a_pending_stop_is_refused(engine: Engine) -> None:
    engine.place_stop(M, 1, 1, BUY, OrderType.STOP_MARKET, 5, stop_price=110)
    with pytest.raises(Exception) as info:
        engine.amend(M, 1, 1, qty=3)
    assert getattr(info.value, "code", None) == Reason.NOT_AMENDABLE


# ---------------------------------------------------------------------------- iceberg


def test_iceberg_shows_only_its_display_and_refills_at_the_back(engine: Engine) -> None:
    engine.place_limit(M, 1, 1, SELL, 100, 10, visible=3)
    engine.place_limit(M, 2, 2, SELL, 100, 4)
    ask = engine.best_ask(M)
    assert ask is not None and ask.quantity == 7
    events = engine.place_limit(M, 3, 3, BUY, 100, 5)
    assert fills(events) == [(1, 100, 3), (2, 100, 2)]
    info = engine.order(1)
    assert info is not None and (info.remaining, info.visible) == (7, 3)


def test_iceberg_taker_uses_its_full_quantity(engine: Engine) -> None:
    engine.place_limit(M, 1, 1, SELL, 100, 8)
    events = engine.place_limit(M, 2, 2, BUY, 100, 10, visible=2)
    assert fills(events) == [(1, 100, 8)]
    bid = engine.best_bid(M)
    assert bid is not None and bid.quantity == 2


# ---------------------------------------------------------------------------- stops


def test_stop_market_triggers_when_the_last_price_reaches_it(engine: Engine) -> None:
    trade(engine, 100, 100)
    engine.place_stop(M, 1, 1, BUY, OrderType.STOP_MARKET, 2, stop_price=105)
    engine.place_limit(M, 2, 2, SELL, 105, 10)
    engine.place_limit(M, 3, 2, SELL, 104, 1)
    events = engine.place_limit(M, 4, 3, BUY, 104, 1)  # last 104: not yet
    assert EventType.TRIGGERED not in kinds(events)
    events = engine.place_limit(M, 5, 3, BUY, 105, 1)  # last 105: fires
    (trig,) = of_type(events, EventType.TRIGGERED)
    assert (trig.order_id, trig.price) == (1, 105)
    assert any(e.order_id == 1 and e.maker_id == 2 for e in of_type(events, EventType.FILL))


def test_stop_limit_rests_after_triggering(engine: Engine) -> None:
    trade(engine, 100, 100)
    engine.place_stop(M, 1, 1, SELL, OrderType.STOP_LIMIT, 3, stop_price=95, price=94)
    trade(engine, 95, 102)
    ask = engine.best_ask(M)
    assert ask is not None and (ask.price, ask.quantity) == (94, 3)
    info = engine.order(1)
    assert info is not None and info.resting


def test_take_profit_triggers_in_the_favourable_direction(engine: Engine) -> None:
    trade(engine, 100, 100)
    engine.place_stop(M, 1, 1, SELL, OrderType.TAKE_PROFIT_MARKET, 1, stop_price=110)
    trade(engine, 105, 102)
    assert engine.order(1) is not None
    engine.place_limit(M, 5, 2, BUY, 100, 1)  # liquidity for the triggered sell
    trade(engine, 110, 104)
    assert engine.order(1) is None
    assert engine.order(5) is None  # the triggered market sell took it


def test_stop_that_would_trigger_at_once_is_rejected(engine: Engine) -> None:
    trade(engine, 100, 100)
    with pytest.raises(Exception) as info:
        engine.place_stop(M, 1, 1, BUY, OrderType.STOP_MARKET, 1, stop_price=100)
    assert getattr(info.value, "code", None) == Reason.STOP_WOULD_TRIGGER


def test_trailing_stop_follows_the_high_by_absolute_distance(engine: Engine) -> None:
    trade(engine, 100, 100)
    engine.place_stop(M, 1, 1, SELL, OrderType.TRAILING_STOP_MARKET, 1, stop_price=5)
    assert engine.order(1).watermark == 100  # the last price at placement
    trade(engine, 110, 102)  # high 110 -> stop at 105
    trade(engine, 106, 104)
    info = engine.order(1)
    assert info is not None and info.watermark == 110
    engine.place_limit(M, 50, 2, BUY, 90, 5)  # liquidity for the triggered sell
    trade(engine, 105, 106)
    assert engine.order(1) is None


def test_trailing_stop_by_basis_points(engine: Engine) -> None:
    trade(engine, 1000, 100)
    # buy-side trailing stop 1% above the low
    engine.place_stop(
        M, 1, 1, BUY, OrderType.TRAILING_STOP_MARKET, 1, stop_price=100, trail_bps=True
    )
    trade(engine, 900, 102)  # low 900 -> fires at >= 909
    trade(engine, 908, 104)
    info = engine.order(1)
    assert info is not None and info.watermark == 900
    engine.place_limit(M, 50, 2, SELL, 2000, 5)
    trade(engine, 909, 106)
    assert engine.order(1) is None


def test_trailing_stop_needs_a_reference_price(engine: Engine) -> None:
    with pytest.raises(Exception) as info:
        engine.place_stop(M, 1, 1, SELL, OrderType.TRAILING_STOP_MARKET, 1, stop_price=5)
    assert getattr(info.value, "code", None) == Reason.NO_REFERENCE_PRICE


# ---------------------------------------------------------------------------- OCO


def test_oco_fill_of_one_leg_cancels_the_other(engine: Engine) -> None:
    trade(engine, 100, 100)
    engine.place_limit(M, 1, 1, SELL, 110, 5)
    engine.place_stop(M, 2, 1, SELL, OrderType.STOP_MARKET, 5, stop_price=90, link=1)
    events = engine.place_limit(M, 3, 2, BUY, 110, 1)
    cancelled = of_type(events, EventType.CANCELLED)
    assert [(e.order_id, e.reason) for e in cancelled] == [(2, Reason.OCO_SIBLING)]
    assert engine.order(2) is None


def test_oco_trigger_of_one_leg_cancels_the_other(engine: Engine) -> None:
    trade(engine, 100, 100)
    engine.place_limit(M, 1, 1, SELL, 110, 5)
    engine.place_stop(M, 2, 1, SELL, OrderType.STOP_MARKET, 5, stop_price=95, link=1)
    trade(engine, 95, 102)
    assert engine.order(1) is None and engine.order(2) is None


def test_cancelling_one_oco_leg_cancels_the_other(engine: Engine) -> None:
    engine.place_limit(M, 1, 1, SELL, 110, 5)
    engine.place_stop(M, 2, 1, SELL, OrderType.STOP_MARKET, 5, stop_price=90, link=1)
    events = engine.cancel(M, 1, 1)
    assert [(e.order_id, e.reason) for e in of_type(events, EventType.CANCELLED)] == [
        (1, Reason.USER_CANCEL),
        (2, Reason.OCO_SIBLING),
    ]


def test_oco_link_must_be_same_owner_side_and_market(engine: Engine) -> None:
    engine.place_limit(M, 1, 1, SELL, 110, 5)
    for owner, side in ((2, SELL), (1, BUY)):
        with pytest.raises(Exception) as info:
            engine.place_stop(M, 2, owner, side, OrderType.STOP_MARKET, 5, stop_price=90, link=1)
        assert getattr(info.value, "code", None) == Reason.INVALID_LINK


# ---------------------------------------------------------------------------- self-trade


@pytest.mark.parametrize(
    ("mode", "maker_left", "taker_rests", "reasons"),
    [
        (SelfTradePrevention.NONE, False, False, []),
        (SelfTradePrevention.CANCEL_TAKER, True, False, [(2, Reason.SELF_TRADE)]),
        (SelfTradePrevention.CANCEL_MAKER, False, True, [(1, Reason.SELF_TRADE)]),
        (
            SelfTradePrevention.CANCEL_BOTH,
            False,
            False,
            [(1, Reason.SELF_TRADE), (2, Reason.SELF_TRADE)],
        ),
    ],
)
def test_self_trade_prevention_modes(
    engine: Engine,
    mode: SelfTradePrevention,
    maker_left: bool,
    taker_rests: bool,
    reasons: list[tuple[int, Reason]],
) -> None:
    engine.place_limit(M, 1, 7, SELL, 100, 5)
    events = engine.place_limit(M, 2, 7, BUY, 100, 5, stp=mode)
    got = [(e.order_id, e.reason) for e in of_type(events, EventType.CANCELLED)]
    assert got == reasons
    assert (engine.order(1) is not None) == maker_left
    assert (engine.order(2) is not None) == taker_rests
    if mode == SelfTradePrevention.NONE:
        assert fills(events) == [(1, 100, 5)]


# ---------------------------------------------------------------------------- mass cancel


def test_mass_cancel_by_owner_and_market(engine: Engine) -> None:
    engine.place_limit(M, 3, 1, BUY, 90, 1)
    engine.place_limit(M, 1, 1, SELL, 110, 1)
    engine.place_limit(M, 2, 2, SELL, 111, 1)
    engine.place_limit(M2, 4, 1, BUY, 200, 10)
    events = engine.mass_cancel(1, M)
    assert [e.order_id for e in of_type(events, EventType.CANCELLED)] == [1, 3]
    assert engine.order(4) is not None and engine.order(2) is not None


def test_mass_cancel_by_owner_in_all_markets(engine: Engine) -> None:
    engine.place_limit(M, 1, 1, SELL, 110, 1)
    engine.place_limit(M2, 2, 1, BUY, 200, 10)
    engine.place_stop(M, 3, 1, BUY, OrderType.STOP_MARKET, 1, stop_price=120)
    events = engine.mass_cancel(1)
    cancelled = of_type(events, EventType.CANCELLED)
    assert [(e.market, e.order_id) for e in cancelled] == [(M, 1), (M, 3), (M2, 2)]
    assert all(e.reason == Reason.MASS_CANCEL for e in cancelled)


# ---------------------------------------------------------------------------- queries, misc


def test_depth_open_orders_and_order_lookup(engine: Engine) -> None:
    for oid, price in ((1, 99), (2, 98), (3, 99), (4, 97)):
        engine.place_limit(M, oid, 1 if oid % 2 else 2, BUY, price, oid)
    assert [(lv.price, lv.quantity, lv.orders) for lv in engine.depth(M, BUY, 2)] == [
        (99, 4, 2),
        (98, 2, 1),
    ]
    assert [o.order_id for o in engine.open_orders(M, 1)] == [1, 3]
    info = engine.order(4)
    assert info is not None and (info.price, info.remaining, info.owner) == (97, 4, 2)
    assert engine.last_price(M) is None
    assert engine.markets() == [M, M2]


def test_book_delta_sequence_is_per_market_and_gapless(engine: Engine) -> None:
    seqs: dict[int, list[int]] = {M: [], M2: []}
    engine.place_limit(M, 1, 1, SELL, 100, 5)
    for events in (
        engine.place_limit(M2, 2, 1, SELL, 500, 10),
        engine.place_limit(M, 3, 2, BUY, 100, 2),
        engine.amend(M, 1, 1, price=101),
        engine.cancel(M2, 2, 1),
    ):
        for e in of_type(events, EventType.BOOK_DELTA):
            seqs[e.market].append(e.seq)
    assert seqs[M] == [2, 3, 4]
    assert seqs[M2] == [1, 2]


def test_markets_are_independent(engine: Engine) -> None:
    engine.place_limit(M, 1, 1, SELL, 500, 10)
    events = engine.place_limit(M2, 2, 2, BUY, 500, 10)
    assert fills(events) == []


def test_same_commands_give_the_same_hash() -> None:
    def build() -> Engine:
        e = Engine()
        e.add_market(M, 1, 1, 1, 1000, 0)
        e.place_limit(M, 1, 1, SELL, 100, 5)
        e.place_limit(M, 2, 2, BUY, 99, 5, visible=2)
        e.place_stop(M, 3, 2, BUY, OrderType.STOP_LIMIT, 2, stop_price=120, price=121)
        return e

    a, b = build(), build()
    assert a.state_hash() == b.state_hash()
    a.validate()
    b.place_limit(M, 4, 3, BUY, 98, 1)
    assert a.state_hash() != b.state_hash()


# ---------------------------------------------------------------------------- edge rules


def test_fok_is_killed_when_a_reachable_level_holds_its_own_order(engine: Engine) -> None:
    engine.place_limit(M, 1, 7, SELL, 100, 5)  # same owner as the taker
    engine.place_limit(M, 2, 8, SELL, 100, 5)
    before = engine.state_hash()
    events = engine.place_limit(
        M, 3, 7, BUY, 100, 5, tif=TimeInForce.FOK, stp=SelfTradePrevention.CANCEL_TAKER
    )
    assert kinds(events) == [EventType.ACCEPTED, EventType.EXPIRED]
    assert engine.state_hash() == before


def test_fok_does_not_count_oco_linked_liquidity(engine: Engine) -> None:
    # Filling a linked maker cancels its partner, so linked size cannot be promised to a FOK.
    engine.place_limit(M, 1, 7, SELL, 100, 5)
    engine.place_limit(M, 2, 7, SELL, 101, 5, link=1)  # 1 and 2 are now a pair
    engine.place_limit(M, 5, 9, SELL, 101, 5)  # the only unlinked liquidity
    events = engine.place_limit(M, 3, 8, BUY, 101, 6, tif=TimeInForce.FOK)
    assert events[-1].type == EventType.EXPIRED and events[-1].reason == Reason.FOK_UNFILLABLE
    events = engine.place_limit(M, 4, 8, BUY, 101, 5, tif=TimeInForce.FOK)
    assert fills(events) == [(1, 100, 5)]  # price priority still applies
    assert engine.order(2) is None  # the partner of the filled leg went with it


def test_amended_oco_leg_cancelled_by_self_trade_takes_its_partner(engine: Engine) -> None:
    engine.place_limit(M, 1, 7, BUY, 90, 5, stp=SelfTradePrevention.CANCEL_TAKER)
    engine.place_stop(M, 2, 7, BUY, OrderType.STOP_MARKET, 5, stop_price=120, link=1)
    engine.place_limit(M, 3, 7, SELL, 100, 5)
    events = engine.amend(M, 1, 7, price=100)  # now crosses its own ask
    cancelled = [(e.order_id, e.reason) for e in of_type(events, EventType.CANCELLED)]
    assert cancelled == [(1, Reason.SELF_TRADE), (2, Reason.OCO_SIBLING)]


def test_a_triggered_stop_can_trigger_the_next(engine: Engine) -> None:
    trade(engine, 100, 100)
    engine.place_limit(M, 10, 5, SELL, 105, 1)
    engine.place_limit(M, 11, 5, SELL, 110, 1)
    engine.place_stop(M, 1, 1, BUY, OrderType.STOP_MARKET, 1, stop_price=105)
    engine.place_stop(M, 2, 2, BUY, OrderType.STOP_MARKET, 1, stop_price=110)
    engine.place_limit(M, 12, 5, SELL, 104, 1)
    events = engine.place_limit(M, 13, 6, BUY, 105, 1)  # trades 104: nothing fires
    assert of_type(events, EventType.TRIGGERED) == []
    events = engine.place_market(M, 14, 6, BUY, 1)  # trades 105: stop 1 fires, buys at 110
    assert [e.order_id for e in of_type(events, EventType.TRIGGERED)] == [1, 2]
    assert engine.last_price(M) == 110
