"""Exceptions of the matching engine: one root, the stable reason code on ``.code``."""

from __future__ import annotations

from relayer.matcher.enums import Reason


class MatcherError(Exception):
    """Root of every error raised by :mod:`relayer.matcher`.

    Attributes:
        code: the engine's stable reason code, or None for errors that are not about a command
            (invariant breaches, unreadable snapshots).
        order_id: the order id of the rejected command (0 if none).
        market: the market id of the rejected command (0 if none).
    """

    def __init__(
        self, detail: str, *, code: Reason | None = None, order_id: int = 0, market: int = 0
    ) -> None:
        self.code = code
        self.order_id = order_id
        self.market = market
        self.detail = detail
        label = f"{code.name} ({int(code)})" if code is not None else "error"
        super().__init__(f"{label}: {detail} (order_id={order_id}, market={market})")


class OrderRejected(MatcherError):
    """A command was rejected; the engine state is unchanged."""


class UnknownMarket(OrderRejected):
    """The market id does not exist."""


class UnknownOrder(OrderRejected):
    """The order id is not live in that market."""


class DuplicateOrderId(OrderRejected):
    """The order id is already live."""


class InvalidQuantity(OrderRejected):
    """Quantity <= 0, not a lot multiple, or outside [min_qty, max_qty]."""


class InvalidPrice(OrderRejected):
    """Price <= 0 or not a multiple of the tick size."""


class InvalidNotional(OrderRejected):
    """price * quantity below min_notional or above the 64-bit range."""


class PostOnlyWouldTake(OrderRejected):
    """A post-only order would have taken liquidity."""


class NotOwner(OrderRejected):
    """The order belongs to another owner."""


class MarketConfigError(MatcherError):
    """add_market was refused (duplicate id or invalid rules)."""


class EngineBusy(MatcherError):
    """The engine is running a batch (GIL released) in another thread; one thread per engine."""


class InvariantViolation(MatcherError):
    """validate() found a broken book invariant (a bug, never a user error)."""


class SnapshotError(MatcherError):
    """restore() was given bytes that are not a valid snapshot; the engine is unchanged."""


_BY_CODE: dict[Reason, type[MatcherError]] = {
    Reason.UNKNOWN_MARKET: UnknownMarket,
    Reason.UNKNOWN_ORDER: UnknownOrder,
    Reason.DUPLICATE_ORDER_ID: DuplicateOrderId,
    Reason.INVALID_QUANTITY: InvalidQuantity,
    Reason.QUANTITY_NOT_LOT_MULTIPLE: InvalidQuantity,
    Reason.QUANTITY_OUT_OF_RANGE: InvalidQuantity,
    Reason.INVALID_PRICE: InvalidPrice,
    Reason.PRICE_OFF_TICK: InvalidPrice,
    Reason.NOTIONAL_TOO_SMALL: InvalidNotional,
    Reason.NOTIONAL_OVERFLOW: InvalidNotional,
    Reason.POST_ONLY_WOULD_TAKE: PostOnlyWouldTake,
    Reason.NOT_OWNER: NotOwner,
    Reason.MARKET_EXISTS: MarketConfigError,
    Reason.INVALID_MARKET_CONFIG: MarketConfigError,
}


def error_for(code: int, order_id: int = 0, market: int = 0, detail: str = "") -> MatcherError:
    """Build the exception for a reason code.

    Args:
        code: the engine's reason code.
        order_id: order id of the command.
        market: market id of the command.
        detail: short description.

    Returns:
        An instance of the most specific subclass of :class:`OrderRejected` (or
        :class:`MarketConfigError`) for the code; :class:`EngineBusy` for a negative code.
    """
    if code < 0:
        return EngineBusy(detail or "engine busy", order_id=order_id, market=market)
    reason = Reason(code)
    cls = _BY_CODE.get(reason, OrderRejected)
    return cls(detail or reason.name.lower(), code=reason, order_id=order_id, market=market)
