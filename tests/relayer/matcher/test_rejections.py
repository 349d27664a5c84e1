"""Invalid input is rejected with a stable code, raises from one root, and changes nothing."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from relayer.matcher import (
    DuplicateOrderId,
    Engine,
    InvalidNotional,
    InvalidPrice,
    InvalidQuantity,
    MarketConfigError,
    MatcherError,
    NotOwner,
    OrderRejected,
    OrderType,
    Reason,
    Side,
    SnapshotError,
    TimeInForce,
    UnknownMarket,
    UnknownOrder,
)

BUY, SELL = Side.BUY, Side.SELL
M = 1  # tick 5, lot 10, qty 10..10_000, min notional 1_000


@pytest.fixture
def engine() -> Engine:
    e = Engine()
    e.add_market(M, 5, 10, 10, 10_000, 1_000)
    e.place_limit(M, 1, 1, SELL, 500, 20)
    e.place_limit(M, 2, 2, BUY, 400, 20)
    e.place_stop(M, 3, 1, BUY, OrderType.STOP_MARKET, 10, stop_price=600)
    return e


Call = Callable[[Engine], object]
BIG = 5 << 60  # on tick, fits int64; BIG * 10 does not

CASES: list[tuple[str, Call, Reason, type[MatcherError]]] = [
    (
        "unknown market",
        lambda e: e.place_limit(9, 10, 1, BUY, 400, 10),
        Reason.UNKNOWN_MARKET,
        UnknownMarket,
    ),
    (
        "order id zero",
        lambda e: e.place_limit(M, 0, 1, BUY, 400, 10),
        Reason.INVALID_ORDER_ID,
        OrderRejected,
    ),
    (
        "duplicate resting id",
        lambda e: e.place_limit(M, 1, 1, BUY, 400, 10),
        Reason.DUPLICATE_ORDER_ID,
        DuplicateOrderId,
    ),
    (
        "duplicate stop id",
        lambda e: e.place_limit(M, 3, 1, BUY, 400, 10),
        Reason.DUPLICATE_ORDER_ID,
        DuplicateOrderId,
    ),
    (
        "zero quantity",
        lambda e: e.place_limit(M, 10, 1, BUY, 400, 0),
        Reason.INVALID_QUANTITY,
        InvalidQuantity,
    ),
    (
        "negative quantity",
        lambda e: e.place_limit(M, 10, 1, BUY, 400, -10),
        Reason.INVALID_QUANTITY,
        InvalidQuantity,
    ),
    (
        "off-lot quantity",
        lambda e: e.place_limit(M, 10, 1, BUY, 400, 15),
        Reason.QUANTITY_NOT_LOT_MULTIPLE,
        InvalidQuantity,
    ),
    (
        "quantity above max",
        lambda e: e.place_limit(M, 10, 1, BUY, 400, 10_010),
        Reason.QUANTITY_OUT_OF_RANGE,
        InvalidQuantity,
    ),
    (
        "zero price",
        lambda e: e.place_limit(M, 10, 1, BUY, 0, 10),
        Reason.INVALID_PRICE,
        InvalidPrice,
    ),
    (
        "negative price",
        lambda e: e.place_limit(M, 10, 1, BUY, -5, 10),
        Reason.INVALID_PRICE,
        InvalidPrice,
    ),
    (
        "off-tick price",
        lambda e: e.place_limit(M, 10, 1, BUY, 402, 10),
        Reason.PRICE_OFF_TICK,
        InvalidPrice,
    ),
    (
        "notional too small",
        lambda e: e.place_limit(M, 10, 1, BUY, 5, 10),
        Reason.NOTIONAL_TOO_SMALL,
        InvalidNotional,
    ),
    (
        "notional overflows 64 bits",
        lambda e: e.place_limit(M, 10, 1, BUY, BIG, 10),
        Reason.NOTIONAL_OVERFLOW,
        InvalidNotional,
    ),
    ("bad side", lambda e: e.place_limit(M, 10, 1, 2, 400, 10), Reason.INVALID_SIDE, OrderRejected),
    (
        "bad time in force",
        lambda e: e.place_limit(M, 10, 1, BUY, 400, 10, tif=3),
        Reason.INVALID_TIME_IN_FORCE,
        OrderRejected,
    ),
    (
        "bad stp",
        lambda e: e.place_limit(M, 10, 1, BUY, 400, 10, stp=4),
        Reason.INVALID_SELF_TRADE_PREVENTION,
        OrderRejected,
    ),
    (
        "post-only IOC",
        lambda e: e.place_limit(M, 10, 1, BUY, 400, 10, tif=TimeInForce.IOC, post_only=True),
        Reason.INVALID_FLAGS,
        OrderRejected,
    ),
    (
        "iceberg larger than order",
        lambda e: e.place_limit(M, 10, 1, BUY, 400, 10, visible=20),
        Reason.INVALID_ICEBERG,
        OrderRejected,
    ),
    (
        "iceberg IOC",
        lambda e: e.place_limit(M, 10, 1, BUY, 400, 20, tif=TimeInForce.IOC, visible=10),
        Reason.INVALID_ICEBERG,
        OrderRejected,
    ),
    (
        "stop off tick",
        lambda e: e.place_stop(M, 10, 1, BUY, OrderType.STOP_MARKET, 10, stop_price=601),
        Reason.INVALID_STOP_PRICE,
        OrderRejected,
    ),
    (
        "bad order type",
        lambda e: e.place_stop(M, 10, 1, BUY, 9, 10, stop_price=600),
        Reason.INVALID_ORDER_TYPE,
        OrderRejected,
    ),
    (
        "trailing bps out of range",
        lambda e: e.place_stop(
            M, 10, 1, BUY, OrderType.TRAILING_STOP_MARKET, 10, stop_price=10_000, trail_bps=True
        ),
        Reason.INVALID_STOP_PRICE,
        OrderRejected,
    ),
    (
        "link to unknown order",
        lambda e: e.place_limit(M, 10, 1, SELL, 600, 10, link=77),
        Reason.INVALID_LINK,
        OrderRejected,
    ),
    (
        "link to itself",
        lambda e: e.place_limit(M, 10, 1, SELL, 600, 10, link=10),
        Reason.INVALID_LINK,
        OrderRejected,
    ),
    (
        "post-only would take",
        lambda e: e.place_limit(M, 10, 1, BUY, 500, 10, post_only=True),
        Reason.POST_ONLY_WOULD_TAKE,
        OrderRejected,
    ),
    (
        "market quote below min notional",
        lambda e: e.place_market(M, 10, 1, BUY, 999, quote_qty=True),
        Reason.NOTIONAL_TOO_SMALL,
        InvalidNotional,
    ),
    (
        "market bound off tick",
        lambda e: e.place_market(M, 10, 1, BUY, 10, worst_price=501),
        Reason.PRICE_OFF_TICK,
        InvalidPrice,
    ),
    ("cancel unknown order", lambda e: e.cancel(M, 77, 1), Reason.UNKNOWN_ORDER, UnknownOrder),
    (
        "cancel in the wrong market",
        lambda e: e.cancel(9, 1, 1),
        Reason.UNKNOWN_MARKET,
        UnknownMarket,
    ),
    ("cancel by another owner", lambda e: e.cancel(M, 1, 2), Reason.NOT_OWNER, NotOwner),
    (
        "amend unknown order",
        lambda e: e.amend(M, 77, 1, qty=10),
        Reason.UNKNOWN_ORDER,
        UnknownOrder,
    ),
    ("amend off tick", lambda e: e.amend(M, 1, 1, price=503), Reason.PRICE_OFF_TICK, InvalidPrice),
    (
        "amend negative quantity",
        lambda e: e.amend(M, 1, 1, qty=-10),
        Reason.INVALID_QUANTITY,
        InvalidQuantity,
    ),
    ("amend by another owner", lambda e: e.amend(M, 1, 2, qty=10), Reason.NOT_OWNER, NotOwner),
    (
        "quantity beyond 64 bits",
        lambda e: e.place_limit(M, 10, 1, BUY, 400, 1 << 64),
        Reason.INVALID_QUANTITY,
        InvalidQuantity,
    ),
    (
        "price below -2**63",
        lambda e: e.place_limit(M, 10, 1, BUY, -(1 << 70), 10),
        Reason.INVALID_PRICE,
        InvalidPrice,
    ),
    (
        "negative order id",
        lambda e: e.place_limit(M, -1, 1, BUY, 400, 10),
        Reason.INVALID_ORDER_ID,
        OrderRejected,
    ),
    (
        "order id beyond 64 bits",
        lambda e: e.cancel(M, 1 << 64, 1),
        Reason.INVALID_ORDER_ID,
        OrderRejected,
    ),
    (
        "market id beyond 32 bits",
        lambda e: e.place_limit(1 << 33, 10, 1, BUY, 400, 10),
        Reason.UNKNOWN_MARKET,
        UnknownMarket,
    ),
    (
        "amend quantity beyond 64 bits",
        lambda e: e.amend(M, 1, 1, qty=1 << 80),
        Reason.INVALID_QUANTITY,
        InvalidQuantity,
    ),
    (
        "mass cancel unknown market",
        lambda e: e.mass_cancel(1, 9),
        Reason.UNKNOWN_MARKET,
        UnknownMarket,
    ),
]


@pytest.mark.parametrize(("call", "code", "exc"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_invalid_command_is_rejected_and_changes_nothing(
    engine: Engine, call: Call, code: Reason, exc: type[MatcherError]
) -> None:
    before = engine.state_hash()
    snapshot = engine.snapshot()
    with pytest.raises(exc) as info:
        call(engine)
    assert isinstance(info.value, MatcherError)
    assert info.value.code == code
    assert engine.state_hash() == before
    assert engine.snapshot() == snapshot
    engine.validate()


def test_batch_reports_rejections_as_events(engine: Engine) -> None:
    from relayer.matcher import CommandType, EventType, command

    before = engine.state_hash()
    events = engine.execute_batch(
        command(CommandType.PLACE, market=M, order_id=10, owner=1, price=402, qty=10)
    )
    assert [int(e["type"]) for e in events] == [EventType.REJECTED]
    assert int(events[0]["reason"]) == Reason.PRICE_OFF_TICK
    assert engine.state_hash() == before


@pytest.mark.parametrize(
    "args",
    [
        (M, 5, 10, 10, 100, 0),  # duplicate market
        (2, 0, 10, 10, 100, 0),  # zero tick
        (2, 5, 10, 15, 100, 0),  # min_qty not a lot multiple
        (2, 5, 10, 10, 1 << 50, 0),  # max_qty above the engine limit
    ],
)
def test_bad_market_configuration_is_refused(engine: Engine, args: tuple[int, ...]) -> None:
    with pytest.raises(MarketConfigError):
        engine.add_market(*args)


def test_unreadable_snapshot_is_refused_and_changes_nothing(engine: Engine) -> None:
    before = engine.state_hash()
    good = engine.snapshot()
    for bad in (b"", b"not a snapshot", good[:-8], good + b"\0" * 8, good[:8] + b"\xff" * 16):
        with pytest.raises(SnapshotError):
            engine.restore(bad)
        assert engine.state_hash() == before


def test_order_id_zero_is_never_found_even_after_removals(engine: Engine) -> None:
    # 0 marks an empty slot in the engine's id table; removals must not leave it "present".
    for oid in range(100, 140):
        engine.place_limit(M, oid, 1, BUY, 300, 10)
    for oid in range(100, 140):
        engine.cancel(M, oid, 1)
    before = engine.state_hash()
    with pytest.raises(UnknownOrder):
        engine.cancel(M, 0, 1)
    with pytest.raises(UnknownOrder):
        engine.amend(M, 0, 1, qty=10)
    assert engine.order(0) is None
    assert engine.state_hash() == before
