"""The multisig propose / sign / collect / execute flow.

Proposals and signatures live in SQL; every rule that matters is checked against the chain:
owners, threshold and nonce are read from the wallet, the digest is cross-checked with the
wallet's own ``getTransactionHash``, ECDSA signatures are recovered (high-s refused) and EIP-1271
owner contracts are asked ``isValidSignature``. Execution packs the signatures sorted by owner
and submits ``execTransaction``; anyone's key may pay the gas.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_keys.exceptions import BadSignature
from eth_typing import ChecksumAddress
from eth_utils import to_checksum_address
from hexbytes import HexBytes
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from web3 import Web3
from web3.contract import Contract
from web3.exceptions import ContractLogicError

from offchain.custody.errors import (
    ExecutionFailed,
    InvalidWallet,
    NonceNotNext,
    NotAnOwner,
    ProposalExists,
    ProposalNotFound,
    ProposalNotPending,
    SignatureExists,
    SignatureInvalid,
    ThresholdNotMet,
)
from offchain.custody.models import (
    EXECUTED,
    PENDING,
    SUPERSEDED,
    MultisigProposal,
    MultisigSignature,
)
from offchain.custody.multisig import (
    MultisigTransaction,
    Operation,
    OwnerSignature,
    contract_signature,
    ecdsa,
    pack_signatures,
    transaction_typed_data,
)
from tigerex.db import UINT256_MAX
from tigerex.deployments import BuildArtifacts
from tigerex.eip712 import is_low_s, typed_data_digest

ERC1271_MAGIC = bytes.fromhex("1626ba7e")
_ERC1271_ABI: list[dict[str, Any]] = [
    {
        "type": "function",
        "name": "isValidSignature",
        "stateMutability": "view",
        "inputs": [{"name": "hash", "type": "bytes32"}, {"name": "signature", "type": "bytes"}],
        "outputs": [{"name": "", "type": "bytes4"}],
    }
]


@dataclass(frozen=True)
class WalletState:
    address: str
    owners: list[str]
    threshold: int
    nonce: int


@dataclass(frozen=True)
class ProposalView:
    """A proposal with what an owner needs: the typed data to sign and who has signed."""

    proposal: MultisigProposal
    typed_data: dict[str, Any]
    signers: list[str]
    threshold: int
    wallet_nonce: int

    @property
    def ready(self) -> bool:
        return len(self.signers) >= self.threshold and self.proposal.nonce == self.wallet_nonce


class MultisigService:
    """Chain access for the flow, bound to one web3 connection."""

    def __init__(self, w3: Web3, artifacts: BuildArtifacts | None = None) -> None:
        self.w3 = w3
        self.abi = (artifacts or BuildArtifacts()).abi("MultisigWallet")

    def wallet(self, address: str) -> Contract:
        try:
            checksum = to_checksum_address(address)
        except ValueError:
            raise InvalidWallet(f"not an address: {address!r}") from None
        if not self.w3.eth.get_code(checksum):
            raise InvalidWallet(f"no contract at {checksum} on chain {self.w3.eth.chain_id}")
        return self.w3.eth.contract(address=checksum, abi=self.abi)

    def state(self, address: str) -> WalletState:
        wallet = self.wallet(address)
        try:
            owners = [str(to_checksum_address(o)) for o in wallet.functions.getOwners().call()]
            threshold = int(wallet.functions.threshold().call())
            nonce = int(wallet.functions.nonce().call())
        except (ContractLogicError, ValueError) as err:
            raise InvalidWallet(
                f"{wallet.address} is not a TigerEx multisig wallet: {err}"
            ) from err
        return WalletState(address=wallet.address, owners=owners, threshold=threshold, nonce=nonce)

    # ------------------------------------------------------------------------------ propose

    def propose(
        self,
        *,
        session: Session,
        wallet: str,
        to: str,
        value: int,
        data: bytes = b"",
        operation: Operation = Operation.CALL,
        nonce: int | None = None,
        description: str = "",
        proposer: str | None = None,
    ) -> MultisigProposal:
        """Record a proposal. The nonce defaults to the next free one after queued proposals.

        Raises:
            InvalidWallet: no multisig at ``wallet``.
            ProposalExists: the same transaction is already proposed.
            NonceNotNext: ``nonce`` is already used on chain.
        """
        state = self.state(wallet)
        if not 0 <= value <= UINT256_MAX:
            raise SignatureInvalid(f"value out of range: {value}")
        if nonce is None:
            queued = session.scalar(
                select(func.max(MultisigProposal.nonce)).where(
                    MultisigProposal.wallet == state.address, MultisigProposal.status == PENDING
                )
            )
            nonce = state.nonce if queued is None else max(state.nonce, queued + 1)
        elif nonce < state.nonce:
            raise NonceNotNext(
                f"nonce {nonce} is already used: the wallet is at nonce {state.nonce}",
                details={"nonce": nonce, "wallet_nonce": state.nonce},
            )
        tx = MultisigTransaction(
            wallet=to_checksum_address(state.address),
            chain_id=self.w3.eth.chain_id,
            to=to_checksum_address(to),
            value=value,
            data=data,
            operation=operation,
            nonce=nonce,
        )
        digest = typed_data_digest(transaction_typed_data(tx))
        on_chain = (
            self.wallet(state.address)
            .functions.getTransactionHash(tx.to, value, data, int(operation), nonce)
            .call()
        )
        # The domain and encoding must be exactly the wallet's, or no signature would ever verify.
        assert bytes(on_chain) == digest, "off-chain EIP-712 digest differs from the wallet's"
        tx_hash = "0x" + digest.hex()
        existing = session.scalar(
            select(MultisigProposal).where(
                MultisigProposal.chain_id == tx.chain_id,
                MultisigProposal.wallet == tx.wallet,
                MultisigProposal.tx_hash == tx_hash,
            )
        )
        if existing is not None:
            raise ProposalExists(
                f"this transaction is already proposal {existing.id}", details={"id": existing.id}
            )
        proposal = MultisigProposal(
            chain_id=tx.chain_id,
            wallet=tx.wallet,
            to=tx.to,
            value=value,
            data="0x" + data.hex(),
            operation=int(operation),
            nonce=nonce,
            tx_hash=tx_hash,
            status=PENDING,
            description=description,
            proposer=proposer,
        )
        session.add(proposal)
        session.flush()
        return proposal

    # --------------------------------------------------------------------------------- read

    def get(self, *, session: Session, proposal_id: int) -> MultisigProposal:
        proposal = session.get(MultisigProposal, proposal_id)
        if proposal is None:
            raise ProposalNotFound(f"no proposal {proposal_id}", details={"id": proposal_id})
        return proposal

    def view(self, *, session: Session, proposal_id: int) -> ProposalView:
        proposal = self.get(session=session, proposal_id=proposal_id)
        state = self.state(proposal.wallet)
        return ProposalView(
            proposal=proposal,
            typed_data=transaction_typed_data(self.transaction_of(proposal)),
            signers=[s.owner for s in proposal.signatures],
            threshold=state.threshold,
            wallet_nonce=state.nonce,
        )

    def list(
        self, *, session: Session, wallet: str, status: str | None = None
    ) -> list[MultisigProposal]:
        query = select(MultisigProposal).where(
            MultisigProposal.wallet == to_checksum_address(wallet)
        )
        if status:
            query = query.where(MultisigProposal.status == status)
        return list(session.scalars(query.order_by(MultisigProposal.nonce, MultisigProposal.id)))

    # --------------------------------------------------------------------------------- sign

    def add_signature(
        self, *, session: Session, proposal_id: int, signature: bytes, owner: str | None = None
    ) -> MultisigSignature:
        """Verify and store one owner's signature.

        ``owner`` is needed only for an EIP-1271 (contract) owner; an ECDSA signature names its
        signer by recovery.

        Raises:
            ProposalNotPending, SignatureInvalid, NotAnOwner, SignatureExists.
        """
        proposal = self.get(session=session, proposal_id=proposal_id)
        if proposal.status != PENDING:
            raise ProposalNotPending(f"proposal {proposal.id} is {proposal.status}")
        digest = bytes(HexBytes(proposal.tx_hash))
        state = self.state(proposal.wallet)
        if owner is not None and self.w3.eth.get_code(to_checksum_address(owner)):
            signer, kind = self._verify_contract(to_checksum_address(owner), digest, signature)
        else:
            signer, kind = self._recover(digest, signature), "ecdsa"
            if owner is not None and to_checksum_address(owner) != signer:
                raise SignatureInvalid(f"the signature is by {signer}, not {owner}")
        if signer not in state.owners:
            raise NotAnOwner(
                f"{signer} is not an owner of {state.address}", details={"signer": signer}
            )
        if any(s.owner == signer for s in proposal.signatures):
            raise SignatureExists(f"{signer} has already signed proposal {proposal.id}")
        record = MultisigSignature(owner=signer, kind=kind, signature="0x" + signature.hex())
        proposal.signatures.append(record)
        session.flush()
        return record

    def _recover(self, digest: bytes, signature: bytes) -> str:
        if len(signature) != 65:
            raise SignatureInvalid(f"an ECDSA signature is 65 bytes, got {len(signature)}")
        if not is_low_s(signature):
            raise SignatureInvalid("high-s (malleated) signature")
        try:
            return to_checksum_address(Account._recover_hash(digest, signature=signature))
        except (BadSignature, ValueError) as err:
            raise SignatureInvalid(f"unrecoverable signature: {err}") from err

    def _verify_contract(
        self, owner: ChecksumAddress, digest: bytes, signature: bytes
    ) -> tuple[str, str]:
        contract = self.w3.eth.contract(address=owner, abi=_ERC1271_ABI)
        try:
            magic = bytes(contract.functions.isValidSignature(digest, signature).call())
        except (ContractLogicError, ValueError):
            magic = b""
        if magic != ERC1271_MAGIC:
            raise SignatureInvalid(f"{owner} does not accept this signature (EIP-1271)")
        return owner, "contract"

    # ------------------------------------------------------------------------------ execute

    def execute(self, *, session: Session, proposal_id: int, sender: LocalAccount) -> str:
        """Submit the proposal with ``threshold`` signatures; returns the transaction hash.

        Raises:
            ProposalNotPending, NonceNotNext, ThresholdNotMet, ExecutionFailed.
        """
        view = self.view(session=session, proposal_id=proposal_id)
        proposal = view.proposal
        if proposal.status != PENDING:
            raise ProposalNotPending(f"proposal {proposal.id} is {proposal.status}")
        if proposal.nonce != view.wallet_nonce:
            raise NonceNotNext(
                f"proposal {proposal.id} is for nonce {proposal.nonce}; the wallet is at "
                f"{view.wallet_nonce}",
                details={"nonce": proposal.nonce, "wallet_nonce": view.wallet_nonce},
            )
        if len(view.signers) < view.threshold:
            raise ThresholdNotMet(
                f"{len(view.signers)} of {view.threshold} signatures",
                details={"signers": view.signers, "threshold": view.threshold},
            )
        chosen = sorted(proposal.signatures, key=lambda s: int(s.owner, 16))[: view.threshold]
        packed = pack_signatures([self._owner_signature(s) for s in chosen])
        wallet = self.wallet(proposal.wallet)
        call = wallet.functions.execTransaction(
            proposal.to,
            proposal.value,
            bytes(HexBytes(proposal.data)),
            proposal.operation,
            packed,
        )
        try:
            gas = call.estimate_gas({"from": sender.address})
        except ContractLogicError as err:
            raise ExecutionFailed(f"the wallet would revert: {err}") from err
        tx = call.build_transaction(
            {
                "from": sender.address,
                "nonce": self.w3.eth.get_transaction_count(sender.address, "pending"),
                "gas": gas + gas // 5,
                "chainId": self.w3.eth.chain_id,
            }
        )
        signed = sender.sign_transaction(dict(tx))  # type: ignore[arg-type]
        tx_hash = self.w3.eth.send_raw_transaction(signed.raw_transaction)
        receipt = self.w3.eth.wait_for_transaction_receipt(tx_hash, timeout=120)
        if receipt["status"] != 1:
            raise ExecutionFailed(f"execTransaction reverted in {tx_hash.hex()}")
        proposal.status = EXECUTED
        proposal.executed_tx = "0x" + bytes(tx_hash).hex()
        proposal.executed_at = datetime.now(UTC)
        for other in session.scalars(
            select(MultisigProposal).where(
                MultisigProposal.wallet == proposal.wallet,
                MultisigProposal.nonce == proposal.nonce,
                MultisigProposal.status == PENDING,
                MultisigProposal.id != proposal.id,
            )
        ):
            other.status = SUPERSEDED
        session.flush()
        return proposal.executed_tx

    @staticmethod
    def _owner_signature(record: MultisigSignature) -> OwnerSignature:
        raw = bytes(HexBytes(record.signature))
        return (
            ecdsa(record.owner, raw)
            if record.kind == "ecdsa"
            else contract_signature(record.owner, raw)
        )

    @staticmethod
    def transaction_of(proposal: MultisigProposal) -> MultisigTransaction:
        """The transaction a proposal stands for (what owners sign)."""
        return MultisigTransaction(
            wallet=to_checksum_address(proposal.wallet),
            chain_id=proposal.chain_id,
            to=to_checksum_address(proposal.to),
            value=proposal.value,
            data=bytes(HexBytes(proposal.data)),
            operation=Operation(proposal.operation),
            nonce=proposal.nonce,
        )
