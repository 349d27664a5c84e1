"""The exchange (``Exchange``): deposits, withdrawal requests, withdrawals, fills as trades,
cancels. One handler per event; each maps the decoded args to one row keyed by the log."""

from __future__ import annotations

from indexer.handlers import Batch, Event, on, registry
from indexer.models import (
    ExchangeCancel,
    ExchangeDeposit,
    ExchangeTrade,
    ExchangeWithdrawal,
    ExchangeWithdrawalRequest,
)

for _model in (
    ExchangeDeposit,
    ExchangeWithdrawalRequest,
    ExchangeWithdrawal,
    ExchangeTrade,
    ExchangeCancel,
):
    registry.event_table(_model)


def _base(event: Event) -> dict[str, object]:
    return event.key | {"exchange": event.address}


@on("Exchange:Deposited")
def deposited(event: Event, out: Batch) -> None:
    """Tokens credited to an exchange balance (what actually arrived)."""
    a = event.args
    out.add(
        ExchangeDeposit,
        _base(event) | {"token": a["token"], "account": a["account"], "amount": a["amount"]},
    )


@on("Exchange:WithdrawalRequested")
def withdrawal_requested(event: Event, out: Batch) -> None:
    """A withdrawal request (the relayer stops matching these funds)."""
    a = event.args
    out.add(
        ExchangeWithdrawalRequest,
        _base(event)
        | {
            "token": a["token"],
            "account": a["account"],
            "amount": a["amount"],
            "unlocks_at": a["unlocksAt"],
        },
    )


@on("Exchange:Withdrawn")
def withdrawn(event: Event, out: Batch) -> None:
    """Tokens paid out of the vault."""
    a = event.args
    out.add(
        ExchangeWithdrawal,
        _base(event) | {"token": a["token"], "account": a["account"], "amount": a["amount"]},
    )


@on("Exchange:OrderFilled")
def order_filled(event: Event, out: Batch) -> None:
    """A fill, recorded as a trade."""
    a = event.args
    out.add(
        ExchangeTrade,
        _base(event)
        | {
            "market_id": a["marketId"],
            "maker_order_hash": a["makerOrderHash"],
            "taker_order_hash": a["takerOrderHash"],
            "maker": a["maker"],
            "taker": a["taker"],
            "quantity_lots": a["quantityLots"],
            "price_ticks": a["priceTicks"],
            "base_amount": a["baseAmount"],
            "quote_amount": a["quoteAmount"],
            "maker_fee": a["makerFee"],
            "taker_fee": a["takerFee"],
        },
    )


@on("Exchange:OrderCancelled")
def order_cancelled(event: Event, out: Batch) -> None:
    """One order cancelled by its maker."""
    a = event.args
    out.add(ExchangeCancel, _base(event) | {"order_hash": a["orderHash"], "maker": a["maker"]})
