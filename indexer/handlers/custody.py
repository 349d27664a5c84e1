"""P2P escrow and multisig custody: escrow lifecycle rows and factory-created wallets."""

from __future__ import annotations

from typing import Any

from indexer.handlers import Batch, Event, on, registry
from offchain.custody.models import MultisigWalletRow
from offchain.p2p.models import EscrowOpenedRow, EscrowStepRow

registry.event_table(EscrowOpenedRow)
registry.event_table(EscrowStepRow)
registry.event_table(MultisigWalletRow)


def _hex(value: Any) -> str:
    return ("0x" + value.hex()) if isinstance(value, bytes | bytearray) else str(value).lower()


def _step(event: Event, step: str, **columns: Any) -> dict[str, Any]:
    return event.key | {
        "contract_address": event.address,
        "escrow_id": event.args["escrowId"],
        "step": step,
        "at": None,
        "by_address": None,
        "outcome": None,
        "buyer_amount": None,
        "seller_amount": None,
        "fee": None,
        **columns,
    }


@on("Escrow:EscrowOpened")
def escrow_opened(event: Event, out: Batch) -> None:
    a = event.args
    out.add(
        EscrowOpenedRow,
        event.key
        | {
            "contract_address": event.address,
            "escrow_id": a["escrowId"],
            "seller": _hex(a["seller"]),
            "buyer": _hex(a["buyer"]),
            "token": _hex(a["token"]),
            "amount": a["amount"],
            "terms_hash": _hex(a["termsHash"]),
            "payment_deadline": a["paymentDeadline"],
            "fee_bps": a["feeBps"],
            "kyc_level": a["kycLevel"],
            "arbiter": _hex(a["arbiter"]),
        },
    )


@on("Escrow:EscrowPaid")
def escrow_paid(event: Event, out: Batch) -> None:
    out.add(EscrowStepRow, _step(event, "paid", at=event.args["disputeAvailableAt"]))


@on("Escrow:EscrowDisputed")
def escrow_disputed(event: Event, out: Batch) -> None:
    a = event.args
    out.add(
        EscrowStepRow,
        _step(event, "disputed", at=a["arbitrationDeadline"], by_address=_hex(a["by"])),
    )


@on("Escrow:EscrowClosed")
def escrow_closed(event: Event, out: Batch) -> None:
    a = event.args
    out.add(
        EscrowStepRow,
        _step(
            event,
            "closed",
            outcome=a["outcome"],
            buyer_amount=a["buyerAmount"],
            seller_amount=a["sellerAmount"],
            fee=a["fee"],
        ),
    )


@on("MultisigFactory:WalletCreated")
def wallet_created(event: Event, out: Batch) -> None:
    a = event.args
    out.add(
        MultisigWalletRow,
        event.key
        | {
            "wallet": _hex(a["wallet"]),
            "owners": [_hex(o) for o in a["owners"]],
            "threshold": a["threshold"],
            "salt_nonce": a["saltNonce"],
        },
    )
