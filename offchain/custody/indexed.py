"""Multisig wallets as the indexer sees them: owners, threshold and nonce now, executed and
pending transactions.

Everything here is derived when read from the indexer's per-log rows (``multisig_wallets``,
``multisig_owner_changes``, ``multisig_threshold_changes``, ``multisig_executions``) and the
flow's proposals; nothing is stored, so a reorg, which deletes rows past the fork point, leaves
no stale state behind. Changes made outside our API (an owner added by a transaction signed
elsewhere, an execution submitted by another tool) show as soon as they are indexed.

A proposal is *pending* while the index shows no execution of its digest and its nonce is not
used yet; this is the chain's view, so a proposal our API submitted stays pending until its
execution is indexed, and returns to pending if a reorg drops that execution.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from eth_utils import to_checksum_address
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from indexer.models import (
    Checkpoint,
    MultisigExecution,
    MultisigOwnerChange,
    MultisigThresholdChange,
    MultisigWalletCreated,
)
from offchain.custody.errors import CustodyError
from offchain.custody.models import MultisigProposal


class WalletNotIndexed(CustodyError):
    code = "wallet_not_indexed"
    http_status = 404


class ChainIdRequired(CustodyError):
    code = "chain_id_required"


@dataclass(frozen=True)
class IndexedWallet:
    """A factory wallet's state as of the indexed block.

    Attributes:
        chain_id / wallet: Where it is (address lower-case, as the indexer stores it).
        owners: The owners now, sorted by address (the order signatures are packed in).
        threshold: Signatures needed now.
        nonce: The next nonce (one per indexed execution).
        initial_owners / initial_threshold: As created by the factory.
        created_block / created_tx: The creation log.
        indexed_block: The block the index reaches on this chain.
    """

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


def _by_address(addresses: list[str]) -> list[str]:
    return sorted(addresses, key=lambda a: int(a, 16))


def indexed_wallets(
    *, session: Session, chain_id: int | None = None, wallet: str | None = None
) -> list[IndexedWallet]:
    """Factory wallets with their owners, threshold and nonce replayed from indexed events.

    Args:
        session: The database session.
        chain_id: Only this chain's wallets.
        wallet: Only this address (any case).

    Returns:
        The wallets, oldest first.
    """
    created = select(MultisigWalletCreated)
    if chain_id is not None:
        created = created.where(MultisigWalletCreated.chain_id == chain_id)
    if wallet is not None:
        created = created.where(MultisigWalletCreated.wallet == wallet.lower())
    rows = list(
        session.scalars(
            created.order_by(MultisigWalletCreated.block_number, MultisigWalletCreated.log_index)
        )
    )
    if not rows:
        return []
    chains = {r.chain_id for r in rows}
    addresses = {r.wallet for r in rows}

    owners: dict[tuple[int, str], dict[str, bool]] = defaultdict(dict)
    for change in session.scalars(
        select(MultisigOwnerChange)
        .where(MultisigOwnerChange.chain_id.in_(chains), MultisigOwnerChange.wallet.in_(addresses))
        .order_by(MultisigOwnerChange.block_number, MultisigOwnerChange.log_index)
    ):
        owners[(change.chain_id, change.wallet)][change.owner] = change.added
    thresholds: dict[tuple[int, str], int] = {}
    for step in session.scalars(
        select(MultisigThresholdChange)
        .where(
            MultisigThresholdChange.chain_id.in_(chains),
            MultisigThresholdChange.wallet.in_(addresses),
        )
        .order_by(MultisigThresholdChange.block_number, MultisigThresholdChange.log_index)
    ):
        thresholds[(step.chain_id, step.wallet)] = step.threshold
    # The nonce rises by exactly one per execution from 0, so the next nonce is their count
    # (and ``MAX`` over ``Uint256`` would compare text on SQLite).
    executions = MultisigExecution
    nonces: dict[tuple[int, str], int] = {
        (c, w): n
        for c, w, n in session.execute(
            select(executions.chain_id, executions.wallet, func.count())
            .where(executions.chain_id.in_(chains), executions.wallet.in_(addresses))
            .group_by(executions.chain_id, executions.wallet)
        )
    }
    indexed: dict[int, int] = {
        c: n
        for c, n in session.execute(
            select(Checkpoint.chain_id, Checkpoint.block_number).where(
                Checkpoint.chain_id.in_(chains)
            )
        )
    }
    found = []
    for row in rows:
        key = (row.chain_id, row.wallet)
        # The factory's own event is the fallback: a wallet created before its events were
        # followed (not possible for an index built by this version) still shows its owners.
        current = owners.get(key)
        found.append(
            IndexedWallet(
                chain_id=row.chain_id,
                wallet=row.wallet,
                owners=_by_address(
                    [o for o, added in current.items() if added] if current else list(row.owners)
                ),
                threshold=thresholds.get(key, row.threshold),
                nonce=nonces.get(key, 0),
                initial_owners=list(row.owners),
                initial_threshold=row.threshold,
                created_block=row.block_number,
                created_tx=row.tx_hash,
                indexed_block=int(indexed.get(row.chain_id, row.block_number)),
            )
        )
    return found


def indexed_wallet(*, session: Session, wallet: str, chain_id: int | None = None) -> IndexedWallet:
    """One factory wallet's indexed state.

    Args:
        session: The database session.
        wallet: The address (any case).
        chain_id: The chain; needed only when the address is indexed on several chains.

    Returns:
        The wallet.

    Raises:
        WalletNotIndexed: The factory created no such wallet in the indexed chain(s).
        ChainIdRequired: The address is a wallet on several indexed chains.
    """
    found = indexed_wallets(session=session, chain_id=chain_id, wallet=wallet)
    if not found:
        raise WalletNotIndexed(
            f"no factory wallet {wallet} in the index"
            + ("" if chain_id is None else f" of chain {chain_id}"),
            details={"wallet": wallet, "chain_id": chain_id},
        )
    chains = sorted({w.chain_id for w in found})
    if len(chains) > 1:
        raise ChainIdRequired(
            f"{wallet} is a wallet on chains {chains}: pass chain_id",
            details={"wallet": wallet, "chain_ids": chains},
        )
    return found[0]


@dataclass(frozen=True)
class ExecutedTransaction:
    """An indexed execution, with our proposal when it went through the propose/sign flow."""

    execution: MultisigExecution
    proposal: MultisigProposal | None


def executed_transactions(*, session: Session, wallet: IndexedWallet) -> list[ExecutedTransaction]:
    """Every indexed execution of ``wallet``, in chain (= nonce) order.

    Args:
        session: The database session.
        wallet: The wallet (from ``indexed_wallet``).

    Returns:
        The executions, each matched to the proposal with the same EIP-712 digest, if any.
    """
    executions = list(
        session.scalars(
            select(MultisigExecution)
            .where(
                MultisigExecution.chain_id == wallet.chain_id,
                MultisigExecution.wallet == wallet.wallet,
            )
            # Chain order is nonce order (one execution per nonce, ascending); ``Uint256`` is
            # text on SQLite, so ordering by the nonce column itself would be lexicographic.
            .order_by(MultisigExecution.block_number, MultisigExecution.log_index)
        )
    )
    digests = {e.safe_tx_hash for e in executions}
    proposals = {
        p.tx_hash.lower(): p
        for p in session.scalars(
            select(MultisigProposal).where(
                MultisigProposal.chain_id == wallet.chain_id,
                MultisigProposal.wallet == to_checksum_address(wallet.wallet),
                func.lower(MultisigProposal.tx_hash).in_(digests),
            )
        )
    }
    return [ExecutedTransaction(e, proposals.get(e.safe_tx_hash)) for e in executions]


def pending_proposals(*, session: Session, wallet: IndexedWallet) -> list[MultisigProposal]:
    """The flow's proposals the chain has not executed and whose nonce is still free.

    Args:
        session: The database session.
        wallet: The wallet (from ``indexed_wallet``).

    Returns:
        The proposals, by nonce then id.
    """
    executed = set(
        session.scalars(
            select(MultisigExecution.safe_tx_hash).where(
                MultisigExecution.chain_id == wallet.chain_id,
                MultisigExecution.wallet == wallet.wallet,
            )
        )
    )
    proposals = session.scalars(
        select(MultisigProposal)
        .where(
            MultisigProposal.chain_id == wallet.chain_id,
            MultisigProposal.wallet == to_checksum_address(wallet.wallet),
            MultisigProposal.nonce >= wallet.nonce,
        )
        .order_by(MultisigProposal.nonce, MultisigProposal.id)
    )
    return [p for p in proposals if p.tx_hash.lower() not in executed]
