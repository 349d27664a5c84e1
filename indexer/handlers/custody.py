"""Custody-side contracts: KYC attestations, P2P escrows, multisig wallets created by the
factory and every event of those wallets. One handler per event, one row per log.

The wallets live at addresses ``MultisigFactory`` creates at run time: the config declares them
(``FACTORY_CHILDREN``: ``MultisigFactory:WalletCreated``'s ``wallet`` is a ``MultisigWallet``), so
the engine follows each one from the block of its creation and its events reach the
``MultisigWallet:*`` handlers below. A wallet's owners and threshold now are derived from these
rows when read (``offchain/custody/indexed.py``), so a reorg, which deletes rows, can never
leave them stale.
"""

from __future__ import annotations

from typing import Any

from indexer.handlers import Batch, Event, on, registry
from indexer.models import (
    EscrowOpening,
    EscrowTransition,
    KycAttestation,
    MultisigDelegatecallChange,
    MultisigExecution,
    MultisigHashApproval,
    MultisigOwnerChange,
    MultisigReceipt,
    MultisigThresholdChange,
    MultisigWalletCreated,
)

for _model in (
    KycAttestation,
    EscrowOpening,
    EscrowTransition,
    MultisigWalletCreated,
    MultisigExecution,
    MultisigOwnerChange,
    MultisigThresholdChange,
    MultisigHashApproval,
    MultisigDelegatecallChange,
    MultisigReceipt,
):
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


# --------------------------------------------------------------- MultisigWallet (factory children)


def _wallet_row(event: Event, **values: Any) -> dict[str, Any]:
    return event.key | {"wallet": event.address} | values


@on("MultisigWallet:Initialized")
def wallet_initialized(event: Event, out: Batch) -> None:
    """The initial owners (one row each) and threshold. OpenZeppelin's ``Initializable`` emits
    an ``Initialized(uint64 version)`` of the same name in the same transaction: skipped."""
    a = event.args
    if "owners" not in a:
        return
    for owner in a["owners"]:
        out.add(MultisigOwnerChange, _wallet_row(event, owner=str(owner).lower(), added=True))
    out.add(MultisigThresholdChange, _wallet_row(event, threshold=a["threshold"]))


@on("MultisigWallet:ExecutionSuccess")
def wallet_executed(event: Event, out: Batch) -> None:
    """A transaction executed by the wallet (whoever proposed and submitted it)."""
    a = event.args
    out.add(
        MultisigExecution,
        _wallet_row(
            event, safe_tx_hash=a["txHash"], nonce=a["nonce"], to=a["to"], value=a["value"]
        ),
    )


@on("MultisigWallet:OwnerAdded")
def wallet_owner_added(event: Event, out: Batch) -> None:
    """An owner added (``addOwner``, or the new half of ``swapOwner``)."""
    out.add(MultisigOwnerChange, _wallet_row(event, owner=event.args["owner"], added=True))


@on("MultisigWallet:OwnerRemoved")
def wallet_owner_removed(event: Event, out: Batch) -> None:
    """An owner removed (``removeOwner``, or the old half of ``swapOwner``)."""
    out.add(MultisigOwnerChange, _wallet_row(event, owner=event.args["owner"], added=False))


@on("MultisigWallet:ThresholdChanged")
def wallet_threshold_changed(event: Event, out: Batch) -> None:
    """A new threshold (emitted only when it differs from the old one)."""
    out.add(MultisigThresholdChange, _wallet_row(event, threshold=event.args["threshold"]))


@on("MultisigWallet:HashApproved")
def wallet_hash_approved(event: Event, out: Batch) -> None:
    """An owner approved a digest on chain."""
    a = event.args
    out.add(MultisigHashApproval, _wallet_row(event, hash=a["hash"], owner=a["owner"]))


@on("MultisigWallet:DelegatecallAllowed")
def wallet_delegatecall_allowed(event: Event, out: Batch) -> None:
    """A delegatecall target allowed or disallowed by the wallet itself."""
    a = event.args
    out.add(
        MultisigDelegatecallChange, _wallet_row(event, target=a["target"], allowed=a["allowed"])
    )


@on("MultisigWallet:Received")
def wallet_received(event: Event, out: Batch) -> None:
    """Plain ETH received."""
    a = event.args
    out.add(MultisigReceipt, _wallet_row(event, sender=a["from"], value=a["value"]))
