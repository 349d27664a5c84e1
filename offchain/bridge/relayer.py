"""The bridge relayer: submits ``claim`` on the destination once a quorum of valid signatures
for the destination's current epoch is in the store.

Never double-submits: a claim transaction is signed, recorded (hash and raw bytes) and committed
before it is sent; after a restart a recorded transaction is only ever re-sent byte for byte
(same hash, same account nonce), never re-signed, unless it is known to have failed. Before
every submission the destination's ``isClaimed`` is read, so a claim made by anyone else is
recorded, not repeated; a pre-flight ``eth_estimateGas`` catches any other revert (cap, pause)
without spending gas. Every signature is verified (recovered signer, validator of the epoch,
digest of the stored message) before it is used: the store is not trusted for safety.
"""

from __future__ import annotations

import logging
import threading
from datetime import UTC, datetime
from typing import Any

from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_utils import to_checksum_address
from hexbytes import HexBytes
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from web3 import Web3
from web3.contract import Contract
from web3.exceptions import ContractLogicError, TransactionNotFound

from offchain.bridge.config import BridgeNetwork
from offchain.bridge.contracts import bridge_contract
from offchain.bridge.messages import pack_signatures
from offchain.bridge.models import CLAIMED, PENDING, SUBMITTED, BridgeMessageRow
from offchain.bridge.validator import digest_hex, row_message
from tigerex.chain import connect
from tigerex.db import session_scope

log = logging.getLogger(__name__)

RECEIPT_TIMEOUT = 60.0


class Relayer:
    """Claims every message whose destination is a chain of ``network``."""

    def __init__(
        self, network: BridgeNetwork, account: LocalAccount, sessions: sessionmaker[Session]
    ) -> None:
        self.network = network
        self.account = account
        self.sessions = sessions
        self.w3: dict[int, Web3] = {}
        self.bridges: dict[int, Contract] = {}
        for chain in network.chains:
            w3 = connect(chain.rpc_url, expected_chain_id=chain.chain_id)
            self.w3[chain.chain_id] = w3
            self.bridges[chain.chain_id] = bridge_contract(w3, chain.bridge)

    def run(self, stop: threading.Event, poll_interval: float = 0.5) -> None:
        while not stop.is_set():
            try:
                self.run_once()
            except Exception:  # a node or the database is down: try again next round
                log.exception("relayer: round failed; retrying")
            stop.wait(poll_interval)

    def run_once(self) -> list[str]:
        """One round: settle what was submitted before, then claim every message with a quorum.
        Returns the message ids claimed by this relayer in this round."""
        self._reconcile_submitted()
        claimed: list[str] = []
        for chain_id, bridge in self.bridges.items():
            epoch = int(bridge.functions.epoch().call())
            threshold = int(bridge.functions.threshold().call())
            members = {
                str(to_checksum_address(a)) for a in bridge.functions.validators(epoch).call()
            }
            with session_scope(self.sessions) as session:
                pending_ids = session.scalars(
                    select(BridgeMessageRow.id).where(
                        BridgeMessageRow.dst_chain_id == chain_id,
                        BridgeMessageRow.dst_bridge == bridge.address,
                        BridgeMessageRow.status == PENDING,
                    )
                ).all()
            for pk in pending_ids:
                if self._try_claim(pk, bridge, epoch, threshold, members):
                    claimed.append(str(pk))
        return claimed

    # ------------------------------------------------------------------ claiming

    def _quorum(
        self, row: BridgeMessageRow, epoch: int, threshold: int, members: set[str]
    ) -> bytes | None:
        message = row_message(row, epoch)
        digest = digest_hex(message)
        valid: dict[str, bytes] = {}
        for sig in row.signatures:
            if sig.epoch != epoch or sig.digest != digest:
                continue
            signature = bytes(HexBytes(sig.signature))
            signer = Account._recover_hash(HexBytes(digest), signature=signature)
            if signer != sig.validator or signer not in members:
                log.warning(
                    "message %s: invalid signature from %s ignored", row.message_id, sig.validator
                )
                continue
            valid[signer] = signature
        if len(valid) < threshold:
            return None
        chosen = sorted(valid, key=lambda a: int(a, 16))[:threshold]
        return pack_signatures({a: valid[a] for a in chosen})

    def _try_claim(
        self, pk: int, bridge: Contract, epoch: int, threshold: int, members: set[str]
    ) -> bool:
        w3 = bridge.w3
        with session_scope(self.sessions) as session:
            row = session.get(BridgeMessageRow, pk)
            if row is None or row.status != PENDING:
                return False
            if bridge.functions.isClaimed(row.src_chain_id, row.src_bridge, row.nonce).call():
                self._mark_claimed(row, None)
                return False
            signatures = self._quorum(row, epoch, threshold, members)
            if signatures is None:
                return False
            message = row_message(row, epoch)
            call = bridge.functions.claim(message.as_tuple(), signatures)
            try:
                tx = call.build_transaction(
                    {
                        "from": self.account.address,
                        "nonce": w3.eth.get_transaction_count(self.account.address, "pending"),
                        "chainId": int(w3.eth.chain_id),
                    }
                )
            except ContractLogicError as err:  # cap reached, paused...: nothing sent, retried later
                row.last_error = str(err)
                return False
            signed = self.account.sign_transaction(dict(tx))  # type: ignore[arg-type]
            row.status = SUBMITTED
            row.claim_tx_hash = "0x" + bytes(signed.hash).hex()
            row.claim_raw_tx = "0x" + bytes(signed.raw_transaction).hex()
            row.last_error = None
        # Recorded and committed: only now is it sent.
        self._broadcast(w3, bytes(signed.raw_transaction))
        return self._settle(pk, bridge)

    def _broadcast(self, w3: Web3, raw_transaction: bytes) -> None:
        w3.eth.send_raw_transaction(raw_transaction)

    def _settle(self, pk: int, bridge: Contract) -> bool:
        """Wait for the recorded transaction's receipt and record the outcome."""
        w3 = bridge.w3
        with session_scope(self.sessions) as session:
            row = session.get(BridgeMessageRow, pk)
            assert row is not None and row.claim_tx_hash is not None
            receipt = w3.eth.wait_for_transaction_receipt(
                HexBytes(row.claim_tx_hash), timeout=RECEIPT_TIMEOUT
            )
            if receipt["status"] == 1:
                self._mark_claimed(row, row.claim_tx_hash)
                return True
            self._after_failure(row, bridge, "claim transaction reverted")
            return False

    def _reconcile_submitted(self) -> None:
        """After a restart (or a timeout): every recorded submission is settled or re-sent."""
        with session_scope(self.sessions) as session:
            rows = session.scalars(
                select(BridgeMessageRow).where(BridgeMessageRow.status == SUBMITTED)
            ).all()
            for row in rows:
                bridge = self.bridges.get(row.dst_chain_id)
                if bridge is None:
                    continue
                w3 = bridge.w3
                if bridge.functions.isClaimed(row.src_chain_id, row.src_bridge, row.nonce).call():
                    receipt = self._receipt(w3, row.claim_tx_hash)
                    ours = receipt is not None and receipt["status"] == 1
                    self._mark_claimed(row, row.claim_tx_hash if ours else None)
                    continue
                receipt = self._receipt(w3, row.claim_tx_hash)
                if receipt is not None:
                    self._after_failure(row, bridge, "claim transaction reverted")
                    continue
                try:  # never mined: the same bytes again (same hash, same account nonce)
                    w3.eth.send_raw_transaction(HexBytes(row.claim_raw_tx or "0x"))
                except ValueError as err:
                    # "nonce too low": the nonce went to another transaction; ours can never be
                    # mined, so the message is pending again. "already known": still in flight.
                    if "nonce too low" in str(err).lower():
                        self._after_failure(row, bridge, str(err))

    @staticmethod
    def _receipt(w3: Web3, tx_hash: str | None) -> Any:
        if tx_hash is None:
            return None
        try:
            return w3.eth.get_transaction_receipt(HexBytes(tx_hash))
        except TransactionNotFound:
            return None

    def _after_failure(self, row: BridgeMessageRow, bridge: Contract, reason: str) -> None:
        if bridge.functions.isClaimed(row.src_chain_id, row.src_bridge, row.nonce).call():
            self._mark_claimed(row, None)  # someone else's claim won the race
            return
        row.status = PENDING
        row.last_error = reason
        row.claim_tx_hash = None
        row.claim_raw_tx = None

    @staticmethod
    def _mark_claimed(row: BridgeMessageRow, tx_hash: str | None) -> None:
        row.status = CLAIMED
        row.claim_tx_hash = tx_hash
        row.claimed_at = datetime.now(UTC)
