"""Read API of P2P escrows from the indexer's tables (``escrows_opened``, ``escrow_transitions``):
by party and state, with deadlines. An escrow's state is derived from its rows when read.

Amounts travel as decimal strings (uint256), timestamps as unix seconds.
"""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel
from sqlalchemy import or_, select

from indexer.models import EscrowOpening, EscrowTransition
from offchain.p2p.escrow import EscrowStatus
from tigerex.deps import SessionDep
from tigerex.errors import TigerexError

router = APIRouter(prefix="/p2p", tags=["p2p"])

Status = Literal["open", "paid", "disputed", "released", "refunded", "resolved"]
_CLOSED = {
    EscrowStatus.RELEASED: "released",
    EscrowStatus.REFUNDED: "refunded",
    EscrowStatus.RESOLVED: "resolved",
}


class EscrowNotFound(TigerexError):
    code = "escrow_not_found"
    http_status = 404


class EscrowPublic(BaseModel):
    chain_id: int
    contract: str
    escrow_id: str
    seller: str
    buyer: str
    token: str
    amount: str
    terms_hash: str
    fee_bps: int
    kyc_level: int
    arbiter: str
    status: Status
    payment_deadline: int
    dispute_available_at: int | None
    arbitration_deadline: int | None
    disputed_by: str | None
    buyer_amount: str | None
    seller_amount: str | None
    fee: str | None
    opened_block: int
    opened_tx: str


def _public(opened: EscrowOpening, steps: list[EscrowTransition]) -> EscrowPublic:
    status: Status = "open"
    dispute_at = arbitration_at = None
    disputed_by = buyer_amount = seller_amount = fee = None
    for step in sorted(steps, key=lambda s: (s.block_number, s.log_index)):
        if step.kind == "paid":
            status, dispute_at = "paid", step.available_at
        elif step.kind == "disputed":
            status, arbitration_at, disputed_by = "disputed", step.available_at, step.by
        elif step.kind == "closed" and step.outcome is not None:
            status = _CLOSED[EscrowStatus(step.outcome)]  # type: ignore[assignment]
            buyer_amount, seller_amount = str(step.buyer_amount), str(step.seller_amount)
            fee = str(step.fee)
    return EscrowPublic(
        chain_id=opened.chain_id,
        contract=opened.escrow,
        escrow_id=str(opened.escrow_id),
        seller=opened.seller,
        buyer=opened.buyer,
        token=opened.token,
        amount=str(opened.amount),
        terms_hash=opened.terms_hash,
        fee_bps=opened.fee_bps,
        kyc_level=opened.kyc_level,
        arbiter=opened.arbiter,
        status=status,
        payment_deadline=opened.payment_deadline,
        dispute_available_at=dispute_at,
        arbitration_deadline=arbitration_at,
        disputed_by=disputed_by,
        buyer_amount=buyer_amount,
        seller_amount=seller_amount,
        fee=fee,
        opened_block=opened.block_number,
        opened_tx=opened.tx_hash,
    )


def _escrows(session: SessionDep, opened: list[EscrowOpening]) -> list[EscrowPublic]:
    if not opened:
        return []
    ids = {o.escrow_id for o in opened}
    steps: dict[tuple[int, str, int], list[EscrowTransition]] = {}
    for step in session.scalars(
        select(EscrowTransition).where(EscrowTransition.escrow_id.in_(ids))
    ):
        steps.setdefault((step.chain_id, step.escrow, step.escrow_id), []).append(step)
    return [_public(o, steps.get((o.chain_id, o.escrow, o.escrow_id), [])) for o in opened]


@router.get("/escrows", response_model=list[EscrowPublic])
def list_escrows(
    session: SessionDep,
    party: str | None = Query(default=None, pattern=r"^0x[0-9a-fA-F]{40}$"),
    status: Status | None = None,
    chain_id: int | None = None,
    limit: int = Query(default=100, ge=1, le=1000),
) -> list[EscrowPublic]:
    """Escrows where ``party`` is seller or buyer (all when omitted), newest first."""
    query = select(EscrowOpening)
    if party:
        account = party.lower()
        query = query.where(or_(EscrowOpening.seller == account, EscrowOpening.buyer == account))
    if chain_id is not None:
        query = query.where(EscrowOpening.chain_id == chain_id)
    rows = list(
        session.scalars(
            query.order_by(EscrowOpening.block_number.desc(), EscrowOpening.log_index.desc())
        )
    )
    found = [e for e in _escrows(session, rows) if status is None or e.status == status]
    return found[:limit]


@router.get("/escrows/{contract}/{escrow_id}", response_model=EscrowPublic)
def get_escrow(contract: str, escrow_id: int, session: SessionDep) -> EscrowPublic:
    opened = session.scalars(
        select(EscrowOpening).where(
            EscrowOpening.escrow == contract.lower(),
            EscrowOpening.escrow_id == escrow_id,
        )
    ).all()
    if not opened:
        raise EscrowNotFound(f"no escrow {escrow_id} indexed for {contract}")
    return _escrows(session, list(opened))[0]
