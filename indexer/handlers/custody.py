"""Custody-side contracts: KYC attestations, P2P escrows, multisig wallets created by the
factory. One handler per event, one row per log.

The wallets' own events (executions, owner changes) are not followed: they live at addresses
the factory creates at run time, and the config follows the addresses in the deployments file
(a factory pattern, as Ponder has, is future work).
"""

from __future__ import annotations

from typing import Any

from indexer.handlers import Batch, Event, on, registry
from indexer.models import EscrowOpening, EscrowTransition, KycAttestation, MultisigWalletCreated

for _model in (KycAttestation, EscrowOpening, EscrowTransition, MultisigWalletCreated):
    registry.event_table(_model)


@on("KYCRegistry:Attested")
def attested(event: Event, out: Batch) -> None:
    """A KYC level recorded for a subject."""
    a = event.args
    out.add(
        KycAttestation,
        event.key
        | {
            "kyc_registry": event.address,
            "subject": a["subject"],
            "attester": a["attester"],
            "level": a["level"],
            "expires_at": a["expiresAt"],
            "revoked": False,
        },
    )


@on("KYCRegistry:Revoked")
def revoked(event: Event, out: Batch) -> None:
    """A subject's attestation revoked (recorded as level 0)."""
    a = event.args
    out.add(
        KycAttestation,
        event.key
        | {
            "kyc_registry": event.address,
            "subject": a["subject"],
            "attester": a["attester"],
            "level": 0,
            "expires_at": 0,
            "revoked": True,
        },
    )


@on("Escrow:EscrowOpened")
def escrow_opened(event: Event, out: Batch) -> None:
    """An escrow opened, with the parameters every later call must repeat."""
    a = event.args
    out.add(
        EscrowOpening,
        event.key
        | {
            "escrow": event.address,
            "escrow_id": a["escrowId"],
            "seller": a["seller"],
            "buyer": a["buyer"],
            "token": a["token"],
            "amount": a["amount"],
            "terms_hash": a["termsHash"],
            "payment_deadline": a["paymentDeadline"],
            "fee_bps": a["feeBps"],
            "kyc_level": a["kycLevel"],
            "arbiter": a["arbiter"],
        },
    )


def _transition(event: Event, kind: str, **values: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "escrow": event.address,
        "escrow_id": event.args["escrowId"],
        "kind": kind,
        "by": None,
        "available_at": None,
        "outcome": None,
        "buyer_amount": None,
        "seller_amount": None,
        "fee": None,
    }
    return event.key | row | values


@on("Escrow:EscrowPaid")
def escrow_paid(event: Event, out: Batch) -> None:
    """The buyer marked the escrow paid."""
    out.add(
        EscrowTransition,
        _transition(event, "paid", available_at=event.args["disputeAvailableAt"]),
    )


@on("Escrow:EscrowDisputed")
def escrow_disputed(event: Event, out: Batch) -> None:
    """A party opened a dispute."""
    a = event.args
    out.add(
        EscrowTransition,
        _transition(event, "disputed", by=a["by"], available_at=a["arbitrationDeadline"]),
    )


@on("Escrow:EscrowClosed")
def escrow_closed(event: Event, out: Batch) -> None:
    """Terminal: the outcome and the split."""
    a = event.args
    out.add(
        EscrowTransition,
        _transition(
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
    """A multisig custody wallet deployed by the factory."""
    a = event.args
    out.add(
        MultisigWalletCreated,
        event.key
        | {
            "factory": event.address,
            "wallet": a["wallet"],
            "owners": [str(o).lower() for o in a["owners"]],
            "threshold": a["threshold"],
        },
    )
