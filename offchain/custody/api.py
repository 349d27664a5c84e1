"""HTTP API of the multisig flow: wallets, proposals, signatures, execution.

Amounts (``value``, wei) travel as decimal strings: a uint256 does not fit a JSON number that
every client parses exactly.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from eth_account import Account
from eth_account.signers.local import LocalAccount
from fastapi import APIRouter, Path, Query, status
from hexbytes import HexBytes
from pydantic import BaseModel, Field
from sqlalchemy import select

from indexer.models import Checkpoint
from offchain.custody.indexed import (
    ExecutedTransaction,
    IndexedWallet,
    executed_transactions,
    indexed_wallet,
    indexed_wallets,
    pending_proposals,
)
from offchain.custody.models import MultisigProposal
from offchain.custody.multisig import Operation, transaction_typed_data
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
    """A factory wallet as indexed: owners, threshold and next nonce as of ``indexed_block``."""

    chain_id: int
    wallet: str
    owners: list[str]
    threshold: int
    nonce: int
    initial_owners: list[str]
    initial_threshold: int
    created_block: int
    created_tx: str
    indexed_block: int

    @classmethod
    def of(cls, wallet: IndexedWallet) -> IndexedWalletPublic:
        return cls(**wallet.__dict__)


class ExecutedTransactionPublic(BaseModel):
    """An execution the indexer saw (``ExecutionSuccess``), whoever submitted it; the proposal
    fields are set when it went through our propose/sign flow."""

    chain_id: int
    wallet: str
    nonce: int
    safe_tx_hash: str
    to: str
    value: str
    block_number: int
    tx_hash: str
    log_index: int
    final: bool
    proposal_id: int | None
    description: str | None
    data: str | None
    operation: int | None

    @classmethod
    def of(cls, item: ExecutedTransaction, finalized_block: int) -> ExecutedTransactionPublic:
        e, p = item.execution, item.proposal
        return cls(
            chain_id=e.chain_id,
            wallet=e.wallet,
            nonce=int(e.nonce),
            safe_tx_hash=e.safe_tx_hash,
            to=e.to,
            value=str(e.value),
            block_number=e.block_number,
            tx_hash=e.tx_hash,
            log_index=e.log_index,
            final=e.block_number <= finalized_block,
            proposal_id=None if p is None else p.id,
            description=None if p is None else p.description,
            data=None if p is None else p.data,
            operation=None if p is None else p.operation,
        )


class PendingTransactionPublic(ProposalPublic):
    """A proposal not executed on chain (as indexed). ``signers`` are the signers who are owners
    now and ``threshold`` / ``wallet_nonce`` the indexed ones, so ``ready`` holds exactly when
    ``execute`` can succeed; signers no longer owners are in ``stale_signers``."""

    stale_signers: list[str]


_WalletPath = Path(pattern=_ADDRESS, description="the wallet's address")


@router.get("/wallets", response_model=list[IndexedWalletPublic])
def list_wallets(
    session: SessionDep,
    owner: str | None = Query(default=None, pattern=_ADDRESS),
    chain_id: int | None = None,
) -> list[IndexedWalletPublic]:
    """Wallets the factory created (indexed), optionally those ``owner`` is an owner of now
    (owner changes are indexed from the wallets' events, whoever made them). Live chain reads:
    ``GET /custody/wallets/{address}``."""
    wanted = owner.lower() if owner else None
    return [
        IndexedWalletPublic.of(w)
        for w in indexed_wallets(session=session, chain_id=chain_id)
        if wanted is None or wanted in w.owners
    ]


@router.get("/wallets/{address}/owners", response_model=IndexedWalletPublic)
def get_indexed_wallet(
    session: SessionDep, address: str = _WalletPath, chain_id: int | None = None
) -> IndexedWalletPublic:
    """Owners, threshold and next nonce of a factory wallet, from its indexed events.

    Errors: ``wallet_not_indexed`` (404), ``chain_id_required`` when the address is a wallet on
    several indexed chains."""
    return IndexedWalletPublic.of(
        indexed_wallet(session=session, wallet=address, chain_id=chain_id)
    )


@router.get(
    "/wallets/{address}/transactions/executed", response_model=list[ExecutedTransactionPublic]
)
def list_executed_transactions(
    session: SessionDep, address: str = _WalletPath, chain_id: int | None = None
) -> list[ExecutedTransactionPublic]:
    """Every execution of the wallet the indexer saw, by nonce, including those that did not go
    through our propose/sign flow (their ``proposal_id`` is null)."""
    wallet = indexed_wallet(session=session, wallet=address, chain_id=chain_id)
    finalized = session.scalar(
        select(Checkpoint.finalized_block).where(Checkpoint.chain_id == wallet.chain_id)
    )
    return [
        ExecutedTransactionPublic.of(item, -1 if finalized is None else finalized)
        for item in executed_transactions(session=session, wallet=wallet)
    ]


@router.get(
    "/wallets/{address}/transactions/pending", response_model=list[PendingTransactionPublic]
)
def list_pending_transactions(
    session: SessionDep, address: str = _WalletPath, chain_id: int | None = None
) -> list[PendingTransactionPublic]:
    """Proposals of the flow that the chain has not executed (as indexed) and whose nonce is
    still free, by nonce. Read from the database only (no node needed)."""
    wallet = indexed_wallet(session=session, wallet=address, chain_id=chain_id)
    owners = set(wallet.owners)
    found = []
    for proposal in pending_proposals(session=session, wallet=wallet):
        signed = [s.owner for s in proposal.signatures]
        view = ProposalView(
            proposal=proposal,
            typed_data=transaction_typed_data(MultisigService.transaction_of(proposal)),
            signers=[s for s in signed if s.lower() in owners],
            threshold=wallet.threshold,
            wallet_nonce=wallet.nonce,
        )
        found.append(
            PendingTransactionPublic(
                **ProposalPublic.of(view).model_dump(),
                stale_signers=[s for s in signed if s.lower() not in owners],
            )
        )
    return found


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
