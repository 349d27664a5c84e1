"""Errors of the relayer service: one root, a stable ``code`` each, context in ``details``.

Every rejection of an order or cancel is one of these and leaves the relayer unchanged. Errors
of :mod:`relayer.orders` keep their own codes (``signature_invalid``, ``order_field_invalid``)
and are turned into :class:`OrderRejected` with the same code by :func:`from_order_error`.
"""

from __future__ import annotations

from typing import Any

from relayer.orders import OrderError
from tigerex.errors import TigerexError


class RelayerError(TigerexError):
    """Root of every error the relayer raises on purpose."""

    code = "relayer_error"


class RelayerUnavailable(RelayerError):
    """The relayer is starting, rebuilding a book, or cannot reach its journal or node."""

    code = "relayer_unavailable"
    http_status = 503


class OrderRejected(RelayerError):
    """An order or cancel that the relayer refuses; nothing changed."""

    code = "order_rejected"

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message, details=details)


class SignatureInvalid(OrderRejected):
    """Malformed, malleable (high s), not by the maker, or refused by the maker's wallet."""

    code = "signature_invalid"


class DomainMismatch(OrderRejected):
    """The submission names another chain id or exchange than this relayer's."""

    code = "domain_mismatch"


class MarketUnknown(OrderRejected):
    code = "market_unknown"
    http_status = 404


class MarketInactive(OrderRejected):
    code = "market_inactive"


class OrderExpired(OrderRejected):
    """Expired, or expiring sooner than the relayer can settle it."""

    code = "order_expired"


class PriceInvalid(OrderRejected):
    """Zero price, a price off the grid (SDK), or beyond the engine's range."""

    code = "price_invalid"


class QuantityInvalid(OrderRejected):
    """Zero, below the market minimum, or beyond the engine's range."""

    code = "quantity_invalid"


class NotionalTooSmall(OrderRejected):
    code = "notional_too_small"


class FeeBelowMarket(OrderRejected):
    """The order's signed maxFeeBps is below the market fee: every match would be skipped."""

    code = "fee_above_signed_max"


class OrderExists(OrderRejected):
    """The relayer already has this order (same EIP-712 hash)."""

    code = "order_exists"
    http_status = 409


class OrderFilledOnChain(OrderRejected):
    """The order hash already has fills on chain (a replay)."""

    code = "order_filled_on_chain"
    http_status = 409


class OrderCancelledOnChain(OrderRejected):
    code = "order_cancelled_on_chain"
    http_status = 409


class EpochStale(OrderRejected):
    """The order's epoch is below the maker's (market) epoch on chain: void."""

    code = "order_epoch_stale"


class InsufficientFunds(OrderRejected):
    """Vault balance minus pending withdrawals minus open orders' reservations is too small."""

    code = "insufficient_funds"


class PostOnlyWouldTake(OrderRejected):
    code = "post_only_would_take"


class OrderOptionInvalid(OrderRejected):
    """An order type / time in force / conditional option the relayer does not support, or a
    conditional option out of range (``details.field`` names it)."""

    code = "order_option_invalid"


class StopWouldTrigger(OrderRejected):
    """A stop or take-profit whose trigger condition already holds at the last trade price."""

    code = "stop_would_trigger"


class NoLastPrice(OrderRejected):
    """A trailing stop in a market that has not traded yet: there is no price to trail."""

    code = "no_last_price"


class OcoLinkInvalid(OrderRejected):
    """``oco_with`` names no live order of the same maker, market and side, or one that is
    already linked."""

    code = "oco_link_invalid"


class OrderNotFound(RelayerError):
    code = "order_not_found"
    http_status = 404


class OrderNotOpen(OrderRejected):
    """A cancel of an order that is already filled, cancelled or expired."""

    code = "order_not_open"
    http_status = 409


class CancelInvalid(OrderRejected):
    """A gasless cancel whose signer, deadline or orders do not match."""

    code = "cancel_invalid"


class RateLimited(RelayerError):
    code = "rate_limited"
    http_status = 429


def from_order_error(err: OrderError) -> OrderRejected:
    """The relayer rejection for an error of :mod:`relayer.orders` (same code and details)."""
    rejected = OrderRejected(err.message, **err.details)
    rejected.code = err.code
    return rejected
