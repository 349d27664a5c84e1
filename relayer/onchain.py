"""What the chain says about journaled orders, and the corrections the relayer makes from it.

The exchange contract is the truth: an order the relayer holds can die on chain (cancelled,
epoch advanced, filled directly with ``fillOrder``, funds withdrawn). The settlement worker
(``relayer.settlement``) calls these after a skipped match and in its periodic check; the relayer
service calls :func:`reject_uncovered_orders` when it sees a ``WithdrawalRequested``.

Every correction is a targeted ``UPDATE`` of the columns the worker owns (``status`` of a
live order, ``status_reason``, ``settled_lots``), so it composes with the relayer service
writing ``matched_lots`` and its own statuses to the same rows. The caller commits.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session
from web3.contract import Contract

from relayer.models import (
    ORDER_CANCELLED,
    ORDER_EXPIRED,
    ORDER_FILLED,
    ORDER_OPEN,
    ORDER_PENDING,
    ORDER_REJECTED,
    RelayerOrder,
)
from relayer.orders import Market, base_amount, quote_amount

ZERO_ADDRESS = "0x0000000000000000000000000000000000000000"
# Statuses the relayer may still match or settle; the others are final.
LIVE_ORDER_STATUSES = (ORDER_OPEN, ORDER_PENDING, ORDER_FILLED)
# On a book: resting, or a conditional order waiting for its trigger (it may trade any time).
BOOK_STATUSES = (ORDER_OPEN, ORDER_PENDING)

# IExchange.SkipReason codes the corrections distinguish (see contracts/exchange/README.md).
SKIP_MARKET_INACTIVE = 1
SKIP_SIGNATURE = (6, 7)
SKIP_CANCELLED = (8, 9)
SKIP_EXPIRED = (10, 11)
SKIP_EPOCH_STALE = (12, 13)
SKIP_FEE_ABOVE_MAX = (14, 15)
SKIP_BELOW_MIN_QUANTITY = (16, 17)
SKIP_OVERFILL = (18, 19)
SKIP_INSUFFICIENT_BALANCE = (20, 21)


def blamed_side(reason: int) -> str | None:
    """``"maker"`` or ``"taker"`` for the paired reasons (even = maker, odd = taker), else None."""
    if reason < 6:
        return None
    return "maker" if reason % 2 == 0 else "taker"


class MarketCache:
    """Market parameters read from the exchange. Tokens and grid never change on chain, so they
    are cached; fees and the active flag are read again by :meth:`fresh`."""

    def __init__(self, exchange: Contract) -> None:
        self.exchange = exchange
        self._markets: dict[int, Market] = {}

    def fresh(self, market_id: int) -> Market | None:
        """The market as the chain has it now (None if unknown)."""
        info = self.exchange.functions.market(market_id).call()
        if info[0] == ZERO_ADDRESS:
            return None
        market = Market(
            market_id=market_id,
            base=info[0],
            quote=info[1],
            lot_size=int(info[2]),
            tick_size=int(info[3]),
            min_quantity_lots=int(info[4]),
            maker_fee_bps=int(info[5]),
            taker_fee_bps=int(info[6]),
            active=bool(info[7]),
        )
        self._markets[market_id] = market
        return market

    def get(self, market_id: int) -> Market | None:
        """The cached market (tokens and grid), read once."""
        if market_id not in self._markets:
            return self.fresh(market_id)
        return self._markets[market_id]


@dataclass(frozen=True, slots=True)
class OrderChainState:
    """One order as the exchange sees it at the latest block."""

    filled_lots: int
    cancelled: bool
    epoch_stale: bool
    expired: bool
    market_active: bool
    fee_above_max: bool


def read_order_state(
    exchange: Contract, order: RelayerOrder, markets: MarketCache
) -> OrderChainState:
    """Reads ``filled``, ``cancelled``, the maker's epochs, the market and the block time."""
    digest = bytes.fromhex(order.order_hash.removeprefix("0x"))
    functions = exchange.functions
    epoch = max(
        int(functions.epoch(order.maker).call()),
        int(functions.marketEpoch(order.maker, order.market_id).call()),
    )
    market = markets.fresh(order.market_id)
    timestamp = int(exchange.w3.eth.get_block("latest")["timestamp"])
    # The stricter of the two fees: whether the order is maker or taker of a future fill is
    # unknown, so a fee above its maximum on either side is reported.
    highest_fee = max(market.maker_fee_bps, market.taker_fee_bps) if market else 0
    return OrderChainState(
        filled_lots=int(functions.filled(digest).call()),
        cancelled=bool(functions.cancelled(digest).call()),
        epoch_stale=order.epoch < epoch,
        expired=timestamp >= order.expiry,
        market_active=market is not None and market.active,
        fee_above_max=highest_fee > order.max_fee_bps,
    )


def _verdict(
    state: OrderChainState, order: RelayerOrder, blamed_reason: int | None
) -> tuple[str, str] | None:
    """The status the chain imposes on ``order`` (with its reason), or None if it lives on.

    ``rejected`` is the status the relayer service follows to take an order off its book, so
    every death the service cannot see in the exchange's events ends there (filled directly on
    chain, funds, signature, fee, market). Cancels, epochs and expiry it sees itself.
    """
    if state.cancelled:
        return ORDER_CANCELLED, "cancelled_on_chain"
    if state.epoch_stale:
        return ORDER_CANCELLED, "epoch_advanced"
    if state.expired:
        return ORDER_EXPIRED, "expired"
    if state.filled_lots >= order.quantity_lots:
        # Fully matched here and filled there (by someone else): nothing left to drop.
        status = ORDER_FILLED if order.status == ORDER_FILLED else ORDER_REJECTED
        return status, "filled_on_chain"
    if not state.market_active:
        return ORDER_REJECTED, "market_inactive"
    if blamed_reason is None:
        return None
    if blamed_reason in SKIP_OVERFILL:
        # A direct fill took part of it: the relayer's remaining quantity is wrong.
        return ORDER_REJECTED, "filled_on_chain"
    if blamed_reason in SKIP_INSUFFICIENT_BALANCE:
        return ORDER_REJECTED, "insufficient_funds"
    if blamed_reason in SKIP_SIGNATURE:
        return ORDER_REJECTED, "signature_invalid"
    if blamed_reason in SKIP_FEE_ABOVE_MAX:
        return ORDER_REJECTED, "fee_above_max"
    if blamed_reason in SKIP_BELOW_MIN_QUANTITY:
        return ORDER_REJECTED, "below_min_quantity"
    return None


def correct_order(
    session: Session,
    exchange: Contract,
    order: RelayerOrder,
    markets: MarketCache,
    *,
    blamed_reason: int | None = None,
) -> bool:
    """Re-reads ``order`` on chain and corrects its row: ``settled_lots`` up to what the chain
    filled, and the final status (with ``status_reason``) when the chain killed the order:
    cancelled, epoch advanced, expired, filled directly, market inactive, or, when it is the
    side a ``MatchSkipped`` blamed, overfilled / funds / signature / fee / minimum quantity.

    ``matched_lots`` stays the engine's: the lots of a skipped fill are not handed back to the
    innocent side (the relayer tells its maker through the fill's status).

    Args:
        blamed_reason: The skip reason when this order was the side ``MatchSkipped`` blamed.

    Returns:
        True if the row changed.
    """
    if order.status not in LIVE_ORDER_STATUSES:
        return False
    state = read_order_state(exchange, order, markets)
    values: dict[str, Any] = {}
    settled = max(order.settled_lots, min(state.filled_lots, order.quantity_lots))
    if settled != order.settled_lots:
        values["settled_lots"] = settled
    verdict = _verdict(state, order, blamed_reason)
    if verdict is not None:
        status, reason = verdict
        if status != order.status:
            values["status"] = status
        if reason != order.status_reason:
            values["status_reason"] = reason
    if not values:
        return False
    session.execute(
        update(RelayerOrder)
        .where(
            RelayerOrder.order_hash == order.order_hash,
            RelayerOrder.status.in_(LIVE_ORDER_STATUSES),
        )
        .values(**values)
        .execution_options(synchronize_session="fetch")
    )
    return True


# ------------------------------------------------------------------- reservations and funds


def _order_need(order: RelayerOrder, market: Market, lots: int) -> tuple[str, int]:
    """The token and amount ``lots`` of ``order`` need in the vault: quote for a buy (at its
    limit price, an upper bound of what a fill at the maker's price costs), base for a sell."""
    if order.is_buy:
        return market.quote, quote_amount(market, lots, order.price_ticks)
    return market.base, base_amount(market, lots)


def available_balance(exchange: Contract, token: str, account: str) -> int:
    """Vault balance minus the pending withdrawal request: what the relayer may still match.
    (During the delay the requested funds still settle fills already matched.)"""
    balance = int(exchange.functions.balanceOf(token, account).call())
    requested, _unlocks_at = exchange.functions.pendingWithdrawal(token, account).call()
    return max(0, balance - int(requested))


def reject_uncovered_orders(
    session: Session, exchange: Contract, maker: str, markets: MarketCache
) -> list[str]:
    """Rejects ``maker``'s open orders, newest first, until what their unsettled orders reserve
    fits in the vault balance minus pending withdrawals, token by token.

    Everything matched but not settled (fills in flight) stays reserved and is never cancelled:
    the withdrawal delay guarantees it still settles. Rejecting an open order frees only its
    unmatched lots. Conditional orders waiting for their trigger reserve like open orders; two
    waiting OCO legs reserve the larger leg once (only one of them can ever trade, exactly as
    the relayer service counts them), and rejecting either takes both off the book.

    Call it when a ``WithdrawalRequested`` or ``Withdrawn`` of ``maker`` is seen
    (the settlement worker also does it periodically); the caller commits and removes the
    returned orders from its books.

    Returns:
        The hashes of the orders rejected (status ``rejected``, reason ``funds_uncovered``).
    """
    orders = session.scalars(
        select(RelayerOrder)
        .where(
            func.lower(RelayerOrder.maker) == maker.lower(),
            RelayerOrder.status.in_(LIVE_ORDER_STATUSES),
            RelayerOrder.chain_id == int(exchange.w3.eth.chain_id),
            func.lower(RelayerOrder.exchange) == exchange.address.lower(),
        )
        .order_by(RelayerOrder.seq)
        .execution_options(populate_existing=True)
    ).all()
    reserved: dict[str, int] = defaultdict(int)
    open_by_token: dict[str, list[tuple[RelayerOrder, int]]] = defaultdict(list)
    frees: dict[str, int] = {}  # what taking an order off the book frees
    waiting = {o.order_hash: o for o in orders if o.status == ORDER_PENDING}
    for order in orders:
        market = markets.get(order.market_id)
        if market is None:
            continue
        unsettled = max(0, order.quantity_lots - order.settled_lots)
        token, amount = _order_need(order, market, unsettled)
        reserved[token] += amount
        if order.status in BOOK_STATUSES:
            unmatched = max(0, order.quantity_lots - order.matched_lots)
            freed = _order_need(order, market, unmatched)[1]
            partner = _waiting_partner(order, waiting)
            if partner is not None and partner.seq < order.seq:
                shared = min(freed, _order_need(partner, market, partner.quantity_lots)[1])
                reserved[token] -= shared
                freed -= shared
            frees[order.order_hash] = freed
            open_by_token[token].append((order, freed))
    rejected: list[str] = []
    gone: set[str] = set()
    for token, need in reserved.items():
        available = available_balance(exchange, token, maker)
        for order, freed in reversed(open_by_token[token]):  # newest first
            if need <= available:
                break
            if order.order_hash in gone:
                continue
            partner = _waiting_partner(order, waiting)  # before the update changes its status
            session.execute(
                update(RelayerOrder)
                .where(
                    RelayerOrder.order_hash == order.order_hash,
                    RelayerOrder.status.in_(BOOK_STATUSES),
                )
                .values(status=ORDER_REJECTED, status_reason="funds_uncovered")
                .execution_options(synchronize_session="fetch")
            )
            rejected.append(order.order_hash)
            gone.add(order.order_hash)
            need -= freed
            if partner is not None and partner.order_hash not in gone:
                # The relayer cancels the other leg with it (OCO).
                gone.add(partner.order_hash)
                need -= frees.get(partner.order_hash, 0)
    return rejected


def _waiting_partner(order: RelayerOrder, waiting: dict[str, RelayerOrder]) -> RelayerOrder | None:
    """The OCO partner of a waiting conditional order, if it waits too and the pair formed."""
    if order.status != ORDER_PENDING or order.oco_with is None:
        return None
    partner = waiting.get(order.oco_with)
    if partner is None or partner.oco_with != order.order_hash:
        return None
    return partner
