"""HTTP API of the multisig flow: wallets, proposals, signatures, execution.

Amounts (``value``, wei) travel as decimal strings: a uint256 does not fit a JSON number that
every client parses exactly.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from eth_account import Account
from eth_account.signers.local import LocalAccount
from fastapi import APIRouter, Query, status
from hexbytes import HexBytes
from pydantic import BaseModel, Field
from sqlalchemy import select

from indexer.models import MultisigWalletCreated
from offchain.custody.models import MultisigProposal
from offchain.custody.multisig import (
    Operation,
)
from offchain.custody.service import MultisigService, ProposalView
from tigerex.deps import SessionDep, SettingsDep, Web3Dep
from tigerex.devchain import dev_accounts
from tigerex.errors import ConfigurationError
from tigerex.settings import Settings

router = APIRouter(prefix="/custody", tags=["custody"])

_HEX = r"^0x([0-9a-fA-F]{2})*$"
_ADDRESS = r"^0x[0-9a-fA-F]{40}$"
_UINT = r"^[0-9]{1,78}$"


class WalletPublic(BaseModel):
    address: str
    owners: list[str]
    threshold: int
    nonce: int


class ProposalCreate(BaseModel):
    to: str = Field(pattern=_ADDRESS)
    value: str = Field(default="0", pattern=_UINT, description="wei, as a decimal string")
    data: str = Field(default="0x", pattern=_HEX)
    operation: Literal[0, 1] = 0
    nonce: int | None = Field(default=None, ge=0)
    description: str = Field(default="", max_length=2000)
    proposer: str | None = Field(default=None, pattern=_ADDRESS)


class SignatureCreate(BaseModel):
    signature: str = Field(pattern=_HEX, description="65-byte ECDSA, or EIP-1271 bytes")
    owner: str | None = Field(
        default=None, pattern=_ADDRESS, description="required for a contract (EIP-1271) owner"
    )


class ProposalPublic(BaseModel):
    id: int
    chain_id: int
    wallet: str
    to: str
    value: str
    data: str
    operation: int
    nonce: int
    tx_hash: str
    status: str
    description: str
    proposer: str | None
    created_at: datetime | None
    executed_tx: str | None
    signers: list[str]
    threshold: int
    wallet_nonce: int
    ready: bool
    typed_data: dict[str, Any]

    @classmethod
    def of(cls, view: ProposalView) -> ProposalPublic:
        p: MultisigProposal = view.proposal
        return cls(
            id=p.id,
            chain_id=p.chain_id,
            wallet=p.wallet,
            to=p.to,
            value=str(p.value),
            data=p.data,
            operation=p.operation,
            nonce=p.nonce,
            tx_hash=p.tx_hash,
            status=p.status,
            description=p.description,
            proposer=p.proposer,
            created_at=p.created_at,
            executed_tx=p.executed_tx,
            signers=view.signers,
            threshold=view.threshold,
            wallet_nonce=view.wallet_nonce,
            ready=view.ready,
            typed_data=view.typed_data,
        )


def executor_account(settings: Settings) -> LocalAccount:
    """The key that pays for executions: TIGEREX_OPERATOR_PRIVATE_KEY, or on the local network
    Anvil's first dev account."""
    if settings.operator_private_key is not None:
        account: LocalAccount = Account.from_key(settings.operator_private_key.get_secret_value())
        return account
    if settings.is_local:
        return dev_accounts()[0]
    raise ConfigurationError("set TIGEREX_OPERATOR_PRIVATE_KEY to execute proposals")


class IndexedWalletPublic(BaseModel):
    chain_id: int
    wallet: str
    initial_owners: list[str]
    initial_threshold: int
    created_block: int
    created_tx: str


@router.get("/wallets", response_model=list[IndexedWalletPublic])
def list_wallets(
    session: SessionDep,
    owner: str | None = Query(default=None, pattern=_ADDRESS),
    chain_id: int | None = None,
) -> list[IndexedWalletPublic]:
    """Wallets the factory created (indexed), optionally those ``owner`` started as an owner of.
    Live owners, threshold and nonce: ``GET /custody/wallets/{address}``."""
    query = select(MultisigWalletCreated).order_by(MultisigWalletCreated.block_number)
    if chain_id is not None:
        query = query.where(MultisigWalletCreated.chain_id == chain_id)
    wanted = owner.lower() if owner else None
    return [
        IndexedWalletPublic(
            chain_id=row.chain_id,
            wallet=row.wallet,
            initial_owners=row.owners,
            initial_threshold=row.threshold,
            created_block=row.block_number,
            created_tx=row.tx_hash,
        )
        for row in session.scalars(query)
        if wanted is None or wanted in row.owners
    ]


@router.get("/wallets/{address}", response_model=WalletPublic)
def get_wallet(address: str, w3: Web3Dep) -> WalletPublic:
    state = MultisigService(w3).state(address)
    return WalletPublic(**state.__dict__)


@router.post(
    "/wallets/{address}/proposals",
    response_model=ProposalPublic,
    status_code=status.HTTP_201_CREATED,
)
def create_proposal(
    address: str, body: ProposalCreate, session: SessionDep, w3: Web3Dep
) -> ProposalPublic:
    service = MultisigService(w3)
    proposal = service.propose(
        session=session,
        wallet=address,
        to=body.to,
        value=int(body.value),
        data=bytes(HexBytes(body.data)),
        operation=Operation(body.operation),
        nonce=body.nonce,
        description=body.description,
        proposer=body.proposer,
    )
    return ProposalPublic.of(service.view(session=session, proposal_id=proposal.id))


@router.get("/wallets/{address}/proposals", response_model=list[ProposalPublic])
def list_proposals(
    address: str,
    session: SessionDep,
    w3: Web3Dep,
    status: Literal["pending", "executed", "superseded"] | None = None,
) -> list[ProposalPublic]:
    service = MultisigService(w3)
    return [
        ProposalPublic.of(service.view(session=session, proposal_id=p.id))
        for p in service.list(session=session, wallet=address, status=status)
    ]


@router.get("/proposals/{proposal_id}", response_model=ProposalPublic)
def get_proposal(proposal_id: int, session: SessionDep, w3: Web3Dep) -> ProposalPublic:
    return ProposalPublic.of(MultisigService(w3).view(session=session, proposal_id=proposal_id))


@router.post("/proposals/{proposal_id}/signatures", response_model=ProposalPublic)
def add_signature(
    proposal_id: int, body: SignatureCreate, session: SessionDep, w3: Web3Dep
) -> ProposalPublic:
    service = MultisigService(w3)
    service.add_signature(
        session=session,
        proposal_id=proposal_id,
        signature=bytes(HexBytes(body.signature)),
        owner=body.owner,
    )
    return ProposalPublic.of(service.view(session=session, proposal_id=proposal_id))


@router.post("/proposals/{proposal_id}/execute", response_model=ProposalPublic)
def execute_proposal(
    proposal_id: int, session: SessionDep, w3: Web3Dep, settings: SettingsDep
) -> ProposalPublic:
    service = MultisigService(w3)
    service.execute(session=session, proposal_id=proposal_id, sender=executor_account(settings))
    return ProposalPublic.of(service.view(session=session, proposal_id=proposal_id))
