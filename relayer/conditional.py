"""Order types beyond plain limit / market: stop and take-profit (market or limit), trailing
stop, iceberg and OCO, as the relayer offers them on top of the engine (relayer/matcher).

The maker always signs the ordinary EIP-712 ``Order``: ``price_ticks`` is the worst price they
accept and ``quantity_lots`` the most they trade. The options here only tell the relayer *when*
(trigger) and *how* (display quantity, OCO partner) to let that signed order trade; whatever
fills result stay inside the signed limits, and the Exchange contract checks those limits again.

- ``stop_market`` / ``take_profit_market``: held until the last trade price L reaches
  ``trigger_price`` (stop: buy L >= trigger, sell L <= trigger; take-profit: buy L <= trigger,
  sell L >= trigger), then immediate-or-cancel at prices up to the signed price.
- ``stop_limit`` / ``take_profit_limit``: same triggers, then a limit order at the signed price
  with the submitted time in force (``gtc`` rests, ``ioc`` / ``fok``).
- ``trailing_stop_market``: ``trailing_delta`` ticks or ``trailing_bps`` below the highest last
  price since placement (sell) or above the lowest (buy); needs a last price when placed.
- iceberg: a ``limit`` GTC / post-only order with ``display_lots``: the book shows at most that.
- OCO: ``oco_with`` names a live order of the same maker, market and side; when either leg
  fills (even partly), triggers or leaves the book, the relayer cancels the other.

This module holds the option values, their validation (stable codes, nothing changes on a
refusal) and the engine commands; the sequencer in ``service.py`` calls them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Final, Literal, Protocol, get_args

from relayer import matcher
from relayer.errors import OrderOptionInvalid
from relayer.matcher import OrderType, TimeInForce

#: What `order_type` accepts (the API's schema uses this type).
OrderTypeName = Literal[
    "limit",
    "market",
    "stop_market",
    "stop_limit",
    "take_profit_market",
    "take_profit_limit",
    "trailing_stop_market",
]
ORDER_TYPES: Final[tuple[str, ...]] = get_args(OrderTypeName)
TIME_IN_FORCE: Final = ("gtc", "ioc", "fok", "post_only")
#: Held by the relayer (status ``pending_trigger``) until their trigger fires.
CONDITIONAL_TYPES: Final = frozenset(ORDER_TYPES[2:])
#: Immediate-or-cancel at prices up to the signed price (when placed, or once triggered).
MARKET_STYLE_TYPES: Final = frozenset(
    {"market", "stop_market", "take_profit_market", "trailing_stop_market"}
)
TRIGGER_PRICE_TYPES: Final = frozenset(
    {"stop_market", "stop_limit", "take_profit_market", "take_profit_limit"}
)
MAX_TICKS: Final = (1 << 63) - 1  # the engine's int64 prices
MAX_TRAILING_BPS: Final = 9_999

_ENGINE_TYPES: Final = {
    "stop_market": OrderType.STOP_MARKET,
    "stop_limit": OrderType.STOP_LIMIT,
    "take_profit_market": OrderType.TAKE_PROFIT_MARKET,
    "take_profit_limit": OrderType.TAKE_PROFIT_LIMIT,
    "trailing_stop_market": OrderType.TRAILING_STOP_MARKET,
}
_TIF: Final = {"gtc": TimeInForce.GTC, "ioc": TimeInForce.IOC, "fok": TimeInForce.FOK}
_HASH = re.compile(r"^0x[0-9a-f]{64}$")


@dataclass(frozen=True, slots=True)
class OrderOptions:
    """The conditional options of a submission (all None for a plain limit / market order).

    Attributes:
        trigger_price: ticks; stop / take-profit types.
        trailing_delta: ticks below the peak (sell) / above the trough (buy); trailing stop.
        trailing_bps: the same distance in basis points of the peak / trough (1..9,999).
        display_lots: iceberg: the most the book shows at a time (1 <= display < quantity).
        oco_with: hash of the maker's live order this one forms an OCO pair with.
    """

    trigger_price: int | None = None
    trailing_delta: int | None = None
    trailing_bps: int | None = None
    display_lots: int | None = None
    oco_with: str | None = None

    def public(self) -> dict[str, Any]:
        """The options that are set, by name (for acknowledgements and maker updates)."""
        return {name: getattr(self, name) for name in _OPTION_NAMES if getattr(self, name)}


_OPTION_NAMES: Final = (
    "trigger_price",
    "trailing_delta",
    "trailing_bps",
    "display_lots",
    "oco_with",
)
PLAIN: Final = OrderOptions()


class OptionFields(Protocol):
    """What the engine command needs of an order: a journal row or the sequencer's new row."""

    seq: int
    market_id: int
    price_ticks: int
    quantity_lots: int
    order_type: str
    time_in_force: str
    trigger_price: int | None
    trailing_delta: int | None
    trailing_bps: int | None
    display_lots: int | None
    oco_link_seq: int | None


def option_columns(options: OrderOptions, link_seq: int | None) -> dict[str, Any]:
    """The journal columns of ``options`` (``link_seq``: the OCO partner's journal seq)."""
    return {
        "trigger_price": options.trigger_price,
        "trailing_delta": options.trailing_delta,
        "trailing_bps": options.trailing_bps,
        "display_lots": options.display_lots,
        "oco_with": options.oco_with,
        "oco_link_seq": link_seq,
        "triggered_at": None,
        "trigger_last_price": None,
    }


def options_of(row: Any) -> OrderOptions:
    """The options journaled with an order row."""
    return OrderOptions(
        trigger_price=row.trigger_price,
        trailing_delta=row.trailing_delta,
        trailing_bps=row.trailing_bps,
        display_lots=row.display_lots,
        oco_with=row.oco_with,
    )


def has_options(row: Any) -> bool:
    """True for an order with options: a conditional type, an iceberg display or an OCO link."""
    return (
        row.order_type in CONDITIONAL_TYPES
        or row.display_lots is not None
        or row.oco_with is not None
    )


def trailing_trigger_price(options: OrderOptions, is_buy: bool, watermark: int) -> int:
    """The last price at (or beyond) which a trailing stop with peak / trough ``watermark``
    fires: a sell at or below it, a buy at or above it. The engine's own comparison, solved
    for the last price in integers (a sell's bps bound rounds down, a buy's up)."""
    if options.trailing_bps is not None:
        scaled = watermark * (10_000 + (options.trailing_bps if is_buy else -options.trailing_bps))
        return -(-scaled // 10_000) if is_buy else scaled // 10_000
    delta = options.trailing_delta or 0
    return watermark + delta if is_buy else watermark - delta


def default_time_in_force(order_type: str) -> str:
    """``ioc`` for the market-style types (they never rest), ``gtc`` for the others."""
    return "ioc" if order_type in MARKET_STYLE_TYPES else "gtc"


def _invalid(message: str, field: str, **details: Any) -> OrderOptionInvalid:
    return OrderOptionInvalid(message, field=field, **details)


def check_options(
    order_type: str, time_in_force: str, options: OrderOptions, quantity_lots: int
) -> None:
    """Check an order type, time in force and conditional options together.

    Raises:
        OrderOptionInvalid: with ``details.field`` the option at fault (nothing changed).
    """
    if order_type not in ORDER_TYPES:
        raise _invalid(
            f"order_type must be one of {ORDER_TYPES}", "order_type", order_type=order_type
        )
    if time_in_force not in TIME_IN_FORCE:
        raise _invalid(
            f"time_in_force must be one of {TIME_IN_FORCE}",
            "time_in_force",
            time_in_force=time_in_force,
        )
    if order_type in MARKET_STYLE_TYPES and time_in_force != "ioc":
        raise _invalid(
            f"a {order_type} order is immediate-or-cancel at its signed worst price: use "
            "time_in_force 'ioc'",
            "time_in_force",
            time_in_force=time_in_force,
        )
    if order_type in CONDITIONAL_TYPES and time_in_force == "post_only":
        raise _invalid(
            "a triggered order takes liquidity: post_only is not available", "time_in_force"
        )
    _check_trigger(order_type, options)
    _check_trailing(order_type, options)
    display = options.display_lots
    if display is not None:
        if order_type != "limit" or time_in_force not in ("gtc", "post_only"):
            raise _invalid(
                "display_lots (iceberg) needs order_type 'limit' with time_in_force 'gtc' or "
                "'post_only'",
                "display_lots",
            )
        if not 1 <= display < quantity_lots:
            raise _invalid(
                f"display_lots must be at least 1 and below quantity_lots ({quantity_lots})",
                "display_lots",
                display_lots=display,
            )
    if options.oco_with is not None:
        if not _HASH.match(options.oco_with):
            raise _invalid("oco_with is an order hash: 0x + 64 lower-case hex digits", "oco_with")
        if order_type == "market" or (
            order_type == "limit" and time_in_force not in ("gtc", "post_only")
        ):
            raise _invalid(
                "an OCO leg must be able to rest or wait for its trigger: a GTC / post-only "
                "limit order or a conditional order",
                "oco_with",
            )


def _check_trigger(order_type: str, options: OrderOptions) -> None:
    trigger = options.trigger_price
    if order_type in TRIGGER_PRICE_TYPES:
        if trigger is None:
            raise _invalid(f"a {order_type} order needs trigger_price (ticks)", "trigger_price")
        if not 1 <= trigger <= MAX_TICKS:
            raise _invalid(
                f"trigger_price must be between 1 and {MAX_TICKS} ticks",
                "trigger_price",
                trigger_price=trigger,
            )
    elif trigger is not None:
        raise _invalid(
            "trigger_price applies to stop / take-profit types only",
            "trigger_price",
            order_type=order_type,
        )


def _check_trailing(order_type: str, options: OrderOptions) -> None:
    delta, bps = options.trailing_delta, options.trailing_bps
    if order_type != "trailing_stop_market":
        if delta is not None or bps is not None:
            field = "trailing_delta" if delta is not None else "trailing_bps"
            raise _invalid(
                "trailing_delta / trailing_bps apply to trailing_stop_market only",
                field,
                order_type=order_type,
            )
        return
    if (delta is None) == (bps is None):
        raise _invalid(
            "a trailing stop needs exactly one of trailing_delta (ticks) and trailing_bps",
            "trailing_delta",
        )
    if delta is not None and not 1 <= delta <= MAX_TICKS:
        raise _invalid(
            f"trailing_delta must be between 1 and {MAX_TICKS} ticks",
            "trailing_delta",
            trailing_delta=delta,
        )
    if bps is not None and not 1 <= bps <= MAX_TRAILING_BPS:
        raise _invalid(
            f"trailing_bps must be between 1 and {MAX_TRAILING_BPS}",
            "trailing_bps",
            trailing_bps=bps,
        )


def place(
    engine: matcher.Engine, row: OptionFields, owner: int, side: matcher.Side
) -> list[matcher.Event]:
    """Run an order with options through its engine (the same call live and in replay).

    Args:
        engine: the market's engine.
        row: the journaled order (its ``seq`` is the engine's order id).
        owner: the engine owner id of the maker.
        side: buy or sell.

    Returns:
        The engine's events.

    Raises:
        matcher.MatcherError: the engine refused the command (nothing changed).
    """
    link = row.oco_link_seq or 0
    order_type = row.order_type
    if order_type == "limit":
        return engine.place_limit(
            row.market_id,
            row.seq,
            owner,
            side,
            row.price_ticks,
            row.quantity_lots,
            tif=_TIF.get(row.time_in_force, TimeInForce.GTC),
            post_only=row.time_in_force == "post_only",
            visible=row.display_lots or 0,
            link=link,
        )
    if order_type == "market":
        return engine.place_market(
            row.market_id,
            row.seq,
            owner,
            side,
            row.quantity_lots,
            worst_price=row.price_ticks,
            link=link,
        )
    engine_type = _ENGINE_TYPES[order_type]
    if engine_type == OrderType.TRAILING_STOP_MARKET:
        by_bps = row.trailing_bps is not None
        distance = row.trailing_bps if by_bps else row.trailing_delta
        assert distance is not None  # check_options: exactly one of them
        return engine.place_stop(
            row.market_id,
            row.seq,
            owner,
            side,
            engine_type,
            row.quantity_lots,
            stop_price=distance,
            price=row.price_ticks,
            trail_bps=by_bps,
            link=link,
        )
    assert row.trigger_price is not None  # check_options
    # The signed price is the limit of a *_limit order and the worst price of a *_market one.
    return engine.place_stop(
        row.market_id,
        row.seq,
        owner,
        side,
        engine_type,
        row.quantity_lots,
        stop_price=row.trigger_price,
        price=row.price_ticks,
        tif=_TIF.get(row.time_in_force, TimeInForce.GTC),
        link=link,
    )
