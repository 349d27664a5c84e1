"""A bridge validator: one process per key.

It reads each source bridge's ``Deposit``/``Burned`` logs straight from that chain's node over
JSON-RPC (``eth_getLogs``), only up to ``head - confirmations`` (never a block that a reorg of
that depth can still remove), signs each message for its destination bridge's current epoch and
publishes the signature to the shared store. The scan checkpoint is committed in the same
database transaction as the signatures of the range it covers, so a restart resumes exactly
where it stopped and catches up on everything final since.

Why the node and not the indexer's tables: a validator must see the chain with its own eyes. If
every validator read one shared indexer database, whoever could write to that database could
forge a deposit for all of them at once; reading each chain independently keeps the M-of-N
assumption meaningful (each validator should run its own node in production).
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from eth_account.signers.local import LocalAccount
from eth_utils import to_checksum_address
from sqlalchemy import Select, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker
from web3 import Web3
from web3.contract import Contract

from offchain.bridge.config import BridgeNetwork, ChainConfig
from offchain.bridge.contracts import (
    ObservedMessage,
    bridge_contract,
    decode_source_logs,
    source_topics,
)
from offchain.bridge.messages import BridgeMessage, MessageKind, message_typed_data
from offchain.bridge.models import (
    CLAIMED,
    BridgeMessageRow,
    BridgeSignatureRow,
    BridgeValidatorCheckpoint,
)
from tigerex.chain import connect
from tigerex.db import session_scope
from tigerex.eip712 import sign_typed_data, typed_data_digest

log = logging.getLogger(__name__)

#: Largest eth_getLogs range per query while catching up.
MAX_RANGE = 2_000


def row_message(row: BridgeMessageRow, epoch: int) -> BridgeMessage:
    """The message a stored row describes, under destination epoch ``epoch``."""
    return BridgeMessage(
        kind=MessageKind(row.kind),
        src_chain_id=row.src_chain_id,
        src_bridge=to_checksum_address(row.src_bridge),
        dst_chain_id=row.dst_chain_id,
        dst_bridge=to_checksum_address(row.dst_bridge),
        nonce=row.nonce,
        token=to_checksum_address(row.token),
        recipient=to_checksum_address(row.recipient),
        amount=row.amount,
        epoch=epoch,
    )


def digest_hex(message: BridgeMessage) -> str:
    return "0x" + typed_data_digest(message_typed_data(message)).hex()


class Validator:
    """Watches every chain of ``network`` as a source and signs for the others."""

    def __init__(
        self,
        network: BridgeNetwork,
        account: LocalAccount,
        sessions: sessionmaker[Session],
        *,
        confirmations: int | None = None,
    ) -> None:
        self.network = network
        self.account = account
        self.address = to_checksum_address(account.address)
        self.sessions = sessions
        self.confirmations = confirmations
        self.w3: dict[int, Web3] = {}
        self.bridges: dict[int, Contract] = {}
        for chain in network.chains:
            w3 = connect(chain.rpc_url, expected_chain_id=chain.chain_id)
            self.w3[chain.chain_id] = w3
            self.bridges[chain.chain_id] = bridge_contract(w3, chain.bridge)
        self.dst_bridges = {c.chain_id: c.bridge for c in network.chains}

    # ------------------------------------------------------------------ loop

    def run(self, stop: threading.Event, poll_interval: float = 0.5) -> None:
        """Scan and sign until ``stop`` is set; node or database errors are logged and retried."""
        while not stop.is_set():
            try:
                self.run_once()
            except Exception:  # a node or the database is down: try again next round
                log.exception("validator %s: round failed; retrying", self.address)
            stop.wait(poll_interval)

    def run_once(self) -> int:
        """One round: every source scanned to its final block, then re-signing for destination
        epochs that moved on. Returns the number of new signatures."""
        epochs = {cid: int(b.functions.epoch().call()) for cid, b in self.bridges.items()}
        signed = 0
        for chain in self.network.chains:
            signed += self._scan(chain, epochs)
        signed += self._resign_for_new_epochs(epochs)
        return signed

    # ------------------------------------------------------------------ scan

    def final_block(self, chain: ChainConfig) -> int:
        depth = chain.confirmations if self.confirmations is None else self.confirmations
        return int(self.w3[chain.chain_id].eth.block_number) - depth

    def _scan(self, chain: ChainConfig, epochs: dict[int, int]) -> int:
        final = self.final_block(chain)
        bridge = self.bridges[chain.chain_id]
        others = {cid: addr for cid, addr in self.dst_bridges.items() if cid != chain.chain_id}
        topics = source_topics(bridge)
        with session_scope(self.sessions) as session:
            start = self._checkpoint(session, chain) + 1
        signed = 0
        while start <= final:
            end = min(final, start + MAX_RANGE - 1)
            logs = self.w3[chain.chain_id].eth.get_logs(
                {"address": bridge.address, "fromBlock": start, "toBlock": end, "topics": [topics]}
            )
            observed = decode_source_logs(bridge, list(logs), dst_bridges=others, epochs=epochs)
            try:
                with session_scope(self.sessions) as session:
                    batch = sum(self._record_and_sign(session, item) for item in observed)
                    self._set_checkpoint(session, chain, end)
            except IntegrityError:
                log.info("validator %s: concurrent insert; range retried", self.address)
                return signed
            signed += batch
            start = end + 1
        return signed

    def _checkpoint(self, session: Session, chain: ChainConfig) -> int:
        row = session.scalar(self._checkpoint_query(chain))
        return row.block_number if row is not None else chain.deploy_block - 1

    def _checkpoint_query(self, chain: ChainConfig) -> Select[Any]:
        return select(BridgeValidatorCheckpoint).where(
            BridgeValidatorCheckpoint.validator == self.address,
            BridgeValidatorCheckpoint.src_chain_id == chain.chain_id,
            BridgeValidatorCheckpoint.src_bridge == chain.bridge,
        )

    def _set_checkpoint(self, session: Session, chain: ChainConfig, block: int) -> None:
        row = session.scalar(self._checkpoint_query(chain))
        if row is None:
            session.add(
                BridgeValidatorCheckpoint(
                    validator=self.address,
                    src_chain_id=chain.chain_id,
                    src_bridge=chain.bridge,
                    block_number=block,
                )
            )
        else:
            row.block_number = block

    def _record_and_sign(self, session: Session, item: ObservedMessage) -> int:
        message = item.message
        row = self._message_row(session, message)
        if row is None:
            row = BridgeMessageRow(
                message_id="0x" + message.message_id.hex(),
                kind=int(message.kind),
                src_chain_id=message.src_chain_id,
                src_bridge=message.src_bridge,
                dst_chain_id=message.dst_chain_id,
                dst_bridge=message.dst_bridge,
                nonce=message.nonce,
                token=message.token,
                recipient=message.recipient,
                amount=message.amount,
                src_tx_hash=item.tx_hash,
                src_block_number=item.block_number,
            )
            session.add(row)
            # Raises IntegrityError if another validator recorded it a moment ago: the whole
            # range rolls back (checkpoint included) and is retried next round.
            session.flush()
        if row_message(row, message.epoch) != message:
            # What is stored is not what this validator saw: never sign the stored version.
            log.error("stored message %s differs from the chain; not signing it", row.message_id)
            return 0
        return self._sign(session, row, message)

    @staticmethod
    def _message_row(session: Session, message: BridgeMessage) -> BridgeMessageRow | None:
        return session.scalar(
            select(BridgeMessageRow).where(
                BridgeMessageRow.src_chain_id == message.src_chain_id,
                BridgeMessageRow.src_bridge == message.src_bridge,
                BridgeMessageRow.nonce == message.nonce,
            )
        )

    def _sign(self, session: Session, row: BridgeMessageRow, message: BridgeMessage) -> int:
        exists = session.scalar(
            select(BridgeSignatureRow.id).where(
                BridgeSignatureRow.message_pk == row.id,
                BridgeSignatureRow.validator == self.address,
                BridgeSignatureRow.epoch == message.epoch,
            )
        )
        if exists is not None:
            return 0
        signature = sign_typed_data(message_typed_data(message), self.account.key)
        session.add(
            BridgeSignatureRow(
                message_pk=row.id,
                validator=self.address,
                epoch=message.epoch,
                digest=digest_hex(message),
                signature="0x" + signature.hex(),
            )
        )
        return 1

    # ------------------------------------------------------------------ rotation

    def _resign_for_new_epochs(self, epochs: dict[int, int]) -> int:
        """Unclaimed messages this validator signed under an older epoch of their destination
        are signed again for the current one, after checking the stored message is still the
        one it signed (the old digest must match)."""
        signed = 0
        with session_scope(self.sessions) as session:
            mine = session.scalars(
                select(BridgeSignatureRow)
                .join(BridgeMessageRow)
                .where(
                    BridgeSignatureRow.validator == self.address,
                    BridgeMessageRow.status != CLAIMED,
                )
            ).all()
            by_message: dict[int, list[BridgeSignatureRow]] = {}
            for sig in mine:
                by_message.setdefault(sig.message_pk, []).append(sig)
            for sigs in by_message.values():
                row = sigs[0].message
                current = epochs.get(row.dst_chain_id)
                if current is None or any(s.epoch == current for s in sigs):
                    continue
                latest = max(sigs, key=lambda s: s.epoch)
                if digest_hex(row_message(row, latest.epoch)) != latest.digest:
                    continue
                signed += self._sign(session, row, row_message(row, current))
        return signed
