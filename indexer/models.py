"""The indexer's schema, on the kernel's ``Base`` (one Alembic history for the distribution).

- ``indexer_events``: every log of every followed contract, decoded (``args`` as JSON, integers
  as decimal strings so no precision is lost) or, when it cannot be decoded, raw (``topics``,
  ``data``). Keyed by ``(chain_id, tx_hash, log_index)``.
- ``indexer_event_accounts``: the indexed ``address`` arguments of each event, so "events of an
  account" is an index lookup, not a JSON scan.
- ``indexer_checkpoints`` / ``indexer_blocks``: per chain, the last indexed block and hash
  (committed in the same transaction as the rows it covers) and the recent block hashes a reorg
  is detected and located with.
- Domain tables kept by the handlers: ``token_transfers`` (keyed like the events) and
  ``token_balances`` (per chain, token and account; zero balances have no row).

Addresses and hashes are stored lower-case hex. Token amounts are ``Uint256``
(``NUMERIC(78,0)`` on PostgreSQL).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    DateTime,
    Float,
    Index,
    Integer,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column

from tigerex.db import Base, Uint256

HASH = 66  # 0x + 64 hex digits
ADDRESS = 42


class IndexedEvent(Base):
    """One log of a followed contract."""

    __tablename__ = "indexer_events"
    __table_args__ = (
        Index("ix_indexer_events_block", "chain_id", "block_number", "log_index"),
        Index("ix_indexer_events_contract_event", "chain_id", "contract", "event", "block_number"),
    )

    chain_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    tx_hash: Mapped[str] = mapped_column(String(HASH), primary_key=True)
    log_index: Mapped[int] = mapped_column(Integer, primary_key=True)
    block_number: Mapped[int] = mapped_column(BigInteger)
    block_hash: Mapped[str] = mapped_column(String(HASH))
    tx_index: Mapped[int] = mapped_column(Integer)
    address: Mapped[str] = mapped_column(String(ADDRESS))
    contract: Mapped[str | None] = mapped_column(String(64), nullable=True)
    event: Mapped[str | None] = mapped_column(String(128), nullable=True)
    args: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    # Raw form, kept only when the log could not be decoded (unknown event, malformed data).
    topics: Mapped[list[str] | None] = mapped_column(JSON, nullable=True)
    data: Mapped[str | None] = mapped_column(Text, nullable=True)


class IndexedEventAccount(Base):
    """An account (indexed address argument) an event is about."""

    __tablename__ = "indexer_event_accounts"
    __table_args__ = (Index("ix_indexer_event_accounts_block", "chain_id", "block_number"),)

    chain_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    account: Mapped[str] = mapped_column(String(ADDRESS), primary_key=True)
    block_number: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    log_index: Mapped[int] = mapped_column(Integer, primary_key=True)
    tx_hash: Mapped[str] = mapped_column(String(HASH))


class Checkpoint(Base):
    """Per chain: how far the index reaches, and live figures for the status API."""

    __tablename__ = "indexer_checkpoints"

    chain_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    network: Mapped[str] = mapped_column(String(64))
    fingerprint: Mapped[str] = mapped_column(String(32))
    start_block: Mapped[int] = mapped_column(BigInteger)
    block_number: Mapped[int] = mapped_column(BigInteger)
    block_hash: Mapped[str | None] = mapped_column(String(HASH), nullable=True)
    head_block: Mapped[int] = mapped_column(BigInteger, default=0)
    finalized_block: Mapped[int] = mapped_column(BigInteger, default=0)
    confirmations: Mapped[int] = mapped_column(Integer, default=0)
    events_total: Mapped[int] = mapped_column(BigInteger, default=0)
    unknown_total: Mapped[int] = mapped_column(BigInteger, default=0)
    reorgs_total: Mapped[int] = mapped_column(Integer, default=0)
    events_per_second: Mapped[float] = mapped_column(Float, default=0.0)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )


class IndexedBlock(Base):
    """A recent block's hash (blocks with indexed logs and every range end), for reorgs."""

    __tablename__ = "indexer_blocks"

    chain_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    number: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    hash: Mapped[str] = mapped_column(String(HASH))


class TokenTransfer(Base):
    """An ERC-20 ``Transfer`` of any followed token (mints from and burns to 0x0 included)."""

    __tablename__ = "token_transfers"
    __table_args__ = (
        Index("ix_token_transfers_block", "chain_id", "block_number"),
        Index("ix_token_transfers_from", "chain_id", "from_address", "block_number"),
        Index("ix_token_transfers_to", "chain_id", "to_address", "block_number"),
    )

    chain_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    tx_hash: Mapped[str] = mapped_column(String(HASH), primary_key=True)
    log_index: Mapped[int] = mapped_column(Integer, primary_key=True)
    block_number: Mapped[int] = mapped_column(BigInteger)
    block_hash: Mapped[str] = mapped_column(String(HASH))
    token: Mapped[str] = mapped_column(String(ADDRESS))
    contract: Mapped[str] = mapped_column(String(64))
    from_address: Mapped[str] = mapped_column(String(ADDRESS))
    to_address: Mapped[str] = mapped_column(String(ADDRESS))
    amount: Mapped[int] = mapped_column(Uint256)


class TokenBalance(Base):
    """An account's balance of a followed token, from its transfers (0x0 is not tracked)."""

    __tablename__ = "token_balances"
    __table_args__ = (Index("ix_token_balances_account", "chain_id", "account"),)

    chain_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    token: Mapped[str] = mapped_column(String(ADDRESS), primary_key=True)
    account: Mapped[str] = mapped_column(String(ADDRESS), primary_key=True)
    contract: Mapped[str] = mapped_column(String(64))
    balance: Mapped[int] = mapped_column(Uint256)


class FactoryChild(Base):
    """A contract a factory created (``FactoryChildren`` in the config), followed from the block
    of its creation event: one row per creation log, rolled back with it on a reorg, read back
    when the indexer restarts."""

    __tablename__ = "indexer_children"
    __table_args__ = (
        Index("ix_indexer_children_block", "chain_id", "block_number"),
        Index("ix_indexer_children_address", "chain_id", "address"),
    )

    chain_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    tx_hash: Mapped[str] = mapped_column(String(HASH), primary_key=True)
    log_index: Mapped[int] = mapped_column(Integer, primary_key=True)
    block_number: Mapped[int] = mapped_column(BigInteger)
    block_hash: Mapped[str] = mapped_column(String(HASH))
    address: Mapped[str] = mapped_column(String(ADDRESS))
    contract_type: Mapped[str] = mapped_column(String(64))
    factory: Mapped[str] = mapped_column(String(ADDRESS))


# The tables as ``Table`` objects for Core statements (the engine writes with Core: faster, and
# the batches are lists of dicts anyway).
EVENTS: Table = IndexedEvent.__table__  # type: ignore[assignment]
EVENT_ACCOUNTS: Table = IndexedEventAccount.__table__  # type: ignore[assignment]
CHECKPOINTS: Table = Checkpoint.__table__  # type: ignore[assignment]
BLOCKS: Table = IndexedBlock.__table__  # type: ignore[assignment]
TRANSFERS: Table = TokenTransfer.__table__  # type: ignore[assignment]
BALANCES: Table = TokenBalance.__table__  # type: ignore[assignment]
CHILDREN: Table = FactoryChild.__table__  # type: ignore[assignment]


# ------------------------------------------------------------------------------------ exchange


class _ExchangeLogRow:
    """Columns every exchange event row starts with (keyed per log, rolled back on reorg)."""

    chain_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    tx_hash: Mapped[str] = mapped_column(String(HASH), primary_key=True)
    log_index: Mapped[int] = mapped_column(Integer, primary_key=True)
    block_number: Mapped[int] = mapped_column(BigInteger)
    block_hash: Mapped[str] = mapped_column(String(HASH))
    exchange: Mapped[str] = mapped_column(String(ADDRESS))


class ExchangeDeposit(_ExchangeLogRow, Base):
    """``Exchange:Deposited``: tokens credited to an account's exchange balance."""

    __tablename__ = "exchange_deposits"
    __table_args__ = (
        Index("ix_exchange_deposits_block", "chain_id", "block_number"),
        Index("ix_exchange_deposits_account", "chain_id", "account", "block_number"),
    )

    token: Mapped[str] = mapped_column(String(ADDRESS))
    account: Mapped[str] = mapped_column(String(ADDRESS))
    amount: Mapped[int] = mapped_column(Uint256)


class ExchangeWithdrawalRequest(_ExchangeLogRow, Base):
    """``Exchange:WithdrawalRequested``: payable from ``unlocks_at`` (a new one replaces it)."""

    __tablename__ = "exchange_withdrawal_requests"
    __table_args__ = (
        Index("ix_exchange_withdrawal_requests_block", "chain_id", "block_number"),
        Index("ix_exchange_withdrawal_requests_account", "chain_id", "account", "block_number"),
    )

    token: Mapped[str] = mapped_column(String(ADDRESS))
    account: Mapped[str] = mapped_column(String(ADDRESS))
    amount: Mapped[int] = mapped_column(Uint256)
    unlocks_at: Mapped[int] = mapped_column(BigInteger)


class ExchangeWithdrawal(_ExchangeLogRow, Base):
    """``Exchange:Withdrawn``: tokens paid out of the vault."""

    __tablename__ = "exchange_withdrawals"
    __table_args__ = (
        Index("ix_exchange_withdrawals_block", "chain_id", "block_number"),
        Index("ix_exchange_withdrawals_account", "chain_id", "account", "block_number"),
    )

    token: Mapped[str] = mapped_column(String(ADDRESS))
    account: Mapped[str] = mapped_column(String(ADDRESS))
    amount: Mapped[int] = mapped_column(Uint256)


class ExchangeTrade(_ExchangeLogRow, Base):
    """``Exchange:OrderFilled``: one fill, as a trade (taker order hash 0 for ``fillOrder``)."""

    __tablename__ = "exchange_trades"
    __table_args__ = (
        Index("ix_exchange_trades_block", "chain_id", "block_number"),
        Index("ix_exchange_trades_market", "chain_id", "market_id", "block_number"),
        Index("ix_exchange_trades_maker", "chain_id", "maker", "block_number"),
        Index("ix_exchange_trades_taker", "chain_id", "taker", "block_number"),
    )

    market_id: Mapped[int] = mapped_column(BigInteger)
    maker_order_hash: Mapped[str] = mapped_column(String(HASH))
    taker_order_hash: Mapped[str] = mapped_column(String(HASH))
    maker: Mapped[str] = mapped_column(String(ADDRESS))
    taker: Mapped[str] = mapped_column(String(ADDRESS))
    quantity_lots: Mapped[int] = mapped_column(Uint256)
    price_ticks: Mapped[int] = mapped_column(Uint256)
    base_amount: Mapped[int] = mapped_column(Uint256)
    quote_amount: Mapped[int] = mapped_column(Uint256)
    maker_fee: Mapped[int] = mapped_column(Uint256)
    taker_fee: Mapped[int] = mapped_column(Uint256)


class ExchangeCancel(_ExchangeLogRow, Base):
    """``Exchange:OrderCancelled``."""

    __tablename__ = "exchange_cancels"
    __table_args__ = (
        Index("ix_exchange_cancels_block", "chain_id", "block_number"),
        Index("ix_exchange_cancels_maker", "chain_id", "maker", "block_number"),
    )

    order_hash: Mapped[str] = mapped_column(String(HASH))
    maker: Mapped[str] = mapped_column(String(ADDRESS))


# ------------------------------------------------------------------------------------ custody


class _LogRow:
    """Columns every per-log domain row starts with (keyed per log, rolled back on reorg)."""

    chain_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    tx_hash: Mapped[str] = mapped_column(String(HASH), primary_key=True)
    log_index: Mapped[int] = mapped_column(Integer, primary_key=True)
    block_number: Mapped[int] = mapped_column(BigInteger)
    block_hash: Mapped[str] = mapped_column(String(HASH))


class KycAttestation(_LogRow, Base):
    """``KYCRegistry:Attested`` / ``Revoked`` (level 0, ``revoked``): a subject's current level
    is its latest row."""

    __tablename__ = "kyc_attestations"
    __table_args__ = (
        Index("ix_kyc_attestations_block", "chain_id", "block_number"),
        Index("ix_kyc_attestations_subject", "chain_id", "subject", "block_number"),
    )

    kyc_registry: Mapped[str] = mapped_column(String(ADDRESS))
    subject: Mapped[str] = mapped_column(String(ADDRESS))
    attester: Mapped[str] = mapped_column(String(ADDRESS))
    level: Mapped[int] = mapped_column(Integer)
    expires_at: Mapped[int] = mapped_column(BigInteger)
    revoked: Mapped[bool] = mapped_column(default=False)


class EscrowOpening(_LogRow, Base):
    """``Escrow:EscrowOpened``: the escrow's parameters."""

    __tablename__ = "escrows_opened"
    __table_args__ = (
        Index("ix_escrows_opened_block", "chain_id", "block_number"),
        Index("ix_escrows_opened_escrow", "chain_id", "escrow", "escrow_id"),
        Index("ix_escrows_opened_seller", "chain_id", "seller"),
        Index("ix_escrows_opened_buyer", "chain_id", "buyer"),
    )

    escrow: Mapped[str] = mapped_column(String(ADDRESS))
    escrow_id: Mapped[int] = mapped_column(Uint256)
    seller: Mapped[str] = mapped_column(String(ADDRESS))
    buyer: Mapped[str] = mapped_column(String(ADDRESS))
    token: Mapped[str] = mapped_column(String(ADDRESS))
    amount: Mapped[int] = mapped_column(Uint256)
    terms_hash: Mapped[str] = mapped_column(String(HASH))
    payment_deadline: Mapped[int] = mapped_column(BigInteger)
    fee_bps: Mapped[int] = mapped_column(Integer)
    kyc_level: Mapped[int] = mapped_column(Integer)
    arbiter: Mapped[str] = mapped_column(String(ADDRESS))


class EscrowTransition(_LogRow, Base):
    """``Escrow:EscrowPaid`` / ``EscrowDisputed`` / ``EscrowClosed``: an escrow's status is its
    latest transition (``paid``, ``disputed``, ``closed`` with the outcome and the split)."""

    __tablename__ = "escrow_transitions"
    __table_args__ = (
        Index("ix_escrow_transitions_block", "chain_id", "block_number"),
        Index("ix_escrow_transitions_escrow", "chain_id", "escrow", "escrow_id"),
    )

    escrow: Mapped[str] = mapped_column(String(ADDRESS))
    escrow_id: Mapped[int] = mapped_column(Uint256)
    kind: Mapped[str] = mapped_column(String(16))
    by: Mapped[str | None] = mapped_column(String(ADDRESS), nullable=True)
    available_at: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    outcome: Mapped[int | None] = mapped_column(Integer, nullable=True)
    buyer_amount: Mapped[int | None] = mapped_column(Uint256, nullable=True)
    seller_amount: Mapped[int | None] = mapped_column(Uint256, nullable=True)
    fee: Mapped[int | None] = mapped_column(Uint256, nullable=True)


class MultisigWalletCreated(_LogRow, Base):
    """``MultisigFactory:WalletCreated``: a custody wallet and its owners."""

    __tablename__ = "multisig_wallets"
    __table_args__ = (Index("ix_multisig_wallets_block", "chain_id", "block_number"),)

    factory: Mapped[str] = mapped_column(String(ADDRESS))
    wallet: Mapped[str] = mapped_column(String(ADDRESS))
    owners: Mapped[list[str]] = mapped_column(JSON)
    threshold: Mapped[int] = mapped_column(Integer)


# -------------------------------------------------------------- multisig wallets (factory children)


class _WalletLogRow(_LogRow):
    wallet: Mapped[str] = mapped_column(String(ADDRESS))


class MultisigExecution(_WalletLogRow, Base):
    """``MultisigWallet:ExecutionSuccess``: a transaction the wallet executed, through our
    propose/sign flow or not. A failing call reverts the whole transaction (nonce included), so
    there is no failure event to index."""

    __tablename__ = "multisig_executions"
    __table_args__ = (
        Index("ix_multisig_executions_block", "chain_id", "block_number"),
        Index("ix_multisig_executions_wallet", "chain_id", "wallet", "nonce"),
        Index("ix_multisig_executions_safe_tx", "chain_id", "wallet", "safe_tx_hash"),
    )

    safe_tx_hash: Mapped[str] = mapped_column(String(HASH))  # the EIP-712 digest owners signed
    nonce: Mapped[int] = mapped_column(Uint256)
    to: Mapped[str] = mapped_column(String(ADDRESS))
    value: Mapped[int] = mapped_column(Uint256)


class MultisigOwnerChange(_WalletLogRow, Base):
    """An owner added (``Initialized``: one row per initial owner; ``OwnerAdded``) or removed
    (``OwnerRemoved``). The owners now are those whose latest row says ``added``."""

    __tablename__ = "multisig_owner_changes"
    __table_args__ = (
        # ``owner`` is part of the key: ``Initialized`` names several owners in one log.
        PrimaryKeyConstraint("chain_id", "tx_hash", "log_index", "owner"),
        Index("ix_multisig_owner_changes_block", "chain_id", "block_number"),
        Index("ix_multisig_owner_changes_wallet", "chain_id", "wallet", "block_number"),
        Index("ix_multisig_owner_changes_owner", "chain_id", "owner"),
    )

    owner: Mapped[str] = mapped_column(String(ADDRESS), primary_key=True)
    added: Mapped[bool] = mapped_column()


class MultisigThresholdChange(_WalletLogRow, Base):
    """``ThresholdChanged`` (and the threshold of ``Initialized``): the latest row is current."""

    __tablename__ = "multisig_threshold_changes"
    __table_args__ = (
        Index("ix_multisig_threshold_changes_block", "chain_id", "block_number"),
        Index("ix_multisig_threshold_changes_wallet", "chain_id", "wallet", "block_number"),
    )

    threshold: Mapped[int] = mapped_column(Integer)


class MultisigHashApproval(_WalletLogRow, Base):
    """``HashApproved``: an owner approved a digest on chain (counts as its signature)."""

    __tablename__ = "multisig_hash_approvals"
    __table_args__ = (
        Index("ix_multisig_hash_approvals_block", "chain_id", "block_number"),
        Index("ix_multisig_hash_approvals_wallet", "chain_id", "wallet", "hash"),
    )

    hash: Mapped[str] = mapped_column(String(HASH))
    owner: Mapped[str] = mapped_column(String(ADDRESS))


class MultisigDelegatecallChange(_WalletLogRow, Base):
    """``DelegatecallAllowed``: a target put on or taken off the wallet's delegatecall list."""

    __tablename__ = "multisig_delegatecall_changes"
    __table_args__ = (
        Index("ix_multisig_delegatecall_changes_block", "chain_id", "block_number"),
        Index("ix_multisig_delegatecall_changes_wallet", "chain_id", "wallet", "block_number"),
    )

    target: Mapped[str] = mapped_column(String(ADDRESS))
    allowed: Mapped[bool] = mapped_column()


class MultisigReceipt(_WalletLogRow, Base):
    """``Received``: plain ETH sent to the wallet."""

    __tablename__ = "multisig_receipts"
    __table_args__ = (
        Index("ix_multisig_receipts_block", "chain_id", "block_number"),
        Index("ix_multisig_receipts_wallet", "chain_id", "wallet", "block_number"),
    )

    sender: Mapped[str] = mapped_column(String(ADDRESS))
    value: Mapped[int] = mapped_column(Uint256)


# ------------------------------------------------------------ earn: staking, launchpad, vesting
#
# One row per log, like the custody tables: pools, positions, sales and schedules *now* are
# derived from these rows when read (``offchain/earn/indexed.py``), so a reorg, which deletes the
# rows past the fork point, leaves nothing stale. Each table carries the emitting contract's
# address, so several deployments of a contract on one chain stay apart.


class StakingPoolCreated(_LogRow, Base):
    """``StakingPools:PoolCreated``: lock option ``i`` is ``(lock_durations[i], boost_bps[i])``;
    option 0 is the flexible one (duration 0, 1x)."""

    __tablename__ = "staking_pools"
    __table_args__ = (
        Index("ix_staking_pools_block", "chain_id", "block_number"),
        Index("ix_staking_pools_pool", "chain_id", "staking", "pool_id"),
    )

    staking: Mapped[str] = mapped_column(String(ADDRESS))
    pool_id: Mapped[int] = mapped_column(BigInteger)
    staking_token: Mapped[str] = mapped_column(String(ADDRESS))
    lock_durations: Mapped[list[int]] = mapped_column(JSON)
    boost_bps: Mapped[list[int]] = mapped_column(JSON)
    exit_policy: Mapped[int] = mapped_column(Integer)
    penalty_bps: Mapped[int] = mapped_column(Integer)


class StakingRewardTokenAdded(_LogRow, Base):
    """``StakingPools:RewardTokenAdded``: a pool's reward tokens, in the order they were added."""

    __tablename__ = "staking_reward_tokens"
    __table_args__ = (
        Index("ix_staking_reward_tokens_block", "chain_id", "block_number"),
        Index("ix_staking_reward_tokens_pool", "chain_id", "staking", "pool_id"),
    )

    staking: Mapped[str] = mapped_column(String(ADDRESS))
    pool_id: Mapped[int] = mapped_column(BigInteger)
    reward_token: Mapped[str] = mapped_column(String(ADDRESS))


class StakingRewardFunding(_LogRow, Base):
    """``StakingPools:RewardFunded``: a (re)funding of a reward stream; the latest row of a
    (pool, token) holds its rate and period end (a stakers' penalty may raise the rate later
    without an event: the contract's views are the truth for "now")."""

    __tablename__ = "staking_reward_fundings"
    __table_args__ = (
        Index("ix_staking_reward_fundings_block", "chain_id", "block_number"),
        Index("ix_staking_reward_fundings_pool", "chain_id", "staking", "pool_id"),
    )

    staking: Mapped[str] = mapped_column(String(ADDRESS))
    pool_id: Mapped[int] = mapped_column(BigInteger)
    reward_token: Mapped[str] = mapped_column(String(ADDRESS))
    received: Mapped[int] = mapped_column(Uint256)
    carried_in_scaled: Mapped[int] = mapped_column(Uint256)
    rate_scaled: Mapped[int] = mapped_column(Uint256)
    period_finish: Mapped[int] = mapped_column(BigInteger)


class StakingPositionChange(_LogRow, Base):
    """``Staked`` / ``Withdrawn`` / ``Compounded`` / ``EmergencyWithdrawn`` (``kind``): a
    position's amount, unlock time and the weights after the change. A position (pool, account,
    lock index) now is its latest row; an emergency withdrawal empties it (amount 0)."""

    __tablename__ = "staking_position_changes"
    __table_args__ = (
        Index("ix_staking_position_changes_block", "chain_id", "block_number"),
        Index("ix_staking_position_changes_account", "chain_id", "account", "block_number"),
        Index("ix_staking_position_changes_pool", "chain_id", "staking", "pool_id", "block_number"),
    )

    staking: Mapped[str] = mapped_column(String(ADDRESS))
    pool_id: Mapped[int] = mapped_column(BigInteger)
    account: Mapped[str] = mapped_column(String(ADDRESS))
    lock_index: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(16))  # staked | withdrawn | compounded | emergency
    amount: Mapped[int] = mapped_column(Uint256)  # what moved in (staked, compounded) or out
    penalty: Mapped[int] = mapped_column(Uint256)  # early-exit penalty (withdrawn), else 0
    position_amount: Mapped[int] = mapped_column(Uint256)
    unlock_at: Mapped[int | None] = mapped_column(BigInteger, nullable=True)  # staked, compounded
    account_weight: Mapped[int] = mapped_column(Uint256)
    total_weight: Mapped[int] = mapped_column(Uint256)


class StakingRewardPayment(_LogRow, Base):
    """``RewardPaid`` (``kind`` paid) / ``RewardForfeited`` (forfeited, by an emergency exit)."""

    __tablename__ = "staking_reward_payments"
    __table_args__ = (
        Index("ix_staking_reward_payments_block", "chain_id", "block_number"),
        Index("ix_staking_reward_payments_account", "chain_id", "account", "block_number"),
    )

    staking: Mapped[str] = mapped_column(String(ADDRESS))
    pool_id: Mapped[int] = mapped_column(BigInteger)
    account: Mapped[str] = mapped_column(String(ADDRESS))
    reward_token: Mapped[str] = mapped_column(String(ADDRESS))
    kind: Mapped[str] = mapped_column(String(16))
    amount: Mapped[int] = mapped_column(Uint256)


class StakingAdminAction(_LogRow, Base):
    """The admin's side: ``CarriedRewardsRecovered`` (``carry_recovered``), ``ExcessSwept``
    (``excess_swept``), ``TreasuryChanged`` (``treasury_changed``), ``Paused`` / ``Unpaused``
    (``paused`` / ``unpaused``, ``to`` = who), ``SnapshotScheduled`` (``snapshot_scheduled``,
    ``amount`` = the snapshot's time in unix seconds). The latest pause row says whether staking
    is paused."""

    __tablename__ = "staking_admin_actions"
    __table_args__ = (
        Index("ix_staking_admin_actions_block", "chain_id", "block_number"),
        Index("ix_staking_admin_actions_staking", "chain_id", "staking", "kind"),
    )

    staking: Mapped[str] = mapped_column(String(ADDRESS))
    kind: Mapped[str] = mapped_column(String(24))
    pool_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    token: Mapped[str | None] = mapped_column(String(ADDRESS), nullable=True)
    to: Mapped[str | None] = mapped_column(String(ADDRESS), nullable=True)
    amount: Mapped[int | None] = mapped_column(Uint256, nullable=True)


class _SaleLogRow(_LogRow):
    launchpad: Mapped[str] = mapped_column(String(ADDRESS))
    sale_id: Mapped[int] = mapped_column(BigInteger)


class LaunchpadSaleCreated(_SaleLogRow, Base):
    """``Launchpad:SaleCreated``: a sale's parameters (tiers as decimal strings) and its fee."""

    __tablename__ = "launchpad_sales"
    __table_args__ = (
        Index("ix_launchpad_sales_block", "chain_id", "block_number"),
        Index("ix_launchpad_sales_sale", "chain_id", "launchpad", "sale_id"),
    )

    sale_token: Mapped[str] = mapped_column(String(ADDRESS))
    payment_token: Mapped[str] = mapped_column(String(ADDRESS))
    treasury: Mapped[str] = mapped_column(String(ADDRESS))
    staking: Mapped[str] = mapped_column(String(ADDRESS))
    pool_id: Mapped[int] = mapped_column(Uint256)
    snapshot_time: Mapped[int] = mapped_column(BigInteger)
    start_time: Mapped[int] = mapped_column(BigInteger)
    end_time: Mapped[int] = mapped_column(BigInteger)
    price: Mapped[int] = mapped_column(Uint256)
    hard_cap: Mapped[int] = mapped_column(Uint256)
    soft_cap: Mapped[int] = mapped_column(Uint256)
    min_buy: Mapped[int] = mapped_column(Uint256)
    max_buy: Mapped[int] = mapped_column(Uint256)
    kyc_level: Mapped[int] = mapped_column(Integer)
    lottery: Mapped[bool] = mapped_column()
    tier_thresholds: Mapped[list[str]] = mapped_column(JSON)
    tier_allocations: Mapped[list[str]] = mapped_column(JSON)
    vesting_start: Mapped[int] = mapped_column(BigInteger)
    vesting_cliff: Mapped[int] = mapped_column(BigInteger)
    vesting_duration: Mapped[int] = mapped_column(BigInteger)
    vesting_tge_bps: Mapped[int] = mapped_column(Integer)
    fee_bps: Mapped[int] = mapped_column(Integer)


class LaunchpadSaleStep(_SaleLogRow, Base):
    """A sale's own steps, by ``kind``: ``tokens_deposited`` (``account`` = from, ``amount``,
    ``total`` = deposited so far), ``seed_committed`` (``seed_hash``), ``seed_revealed`` (``seed``,
    ``randomness``, ``lottery_start``), ``finalized`` (``outcome`` 2 succeeded / 3 failed,
    ``raised``, ``proceeds``, ``fee``, ``tokens_returned``, ``lottery_drawn``), ``cancelled``
    (``tokens_returned``), ``remainder_swept`` (``amount`` = payment, ``tokens_returned`` = sale
    tokens)."""

    __tablename__ = "launchpad_sale_steps"
    __table_args__ = (
        Index("ix_launchpad_sale_steps_block", "chain_id", "block_number"),
        Index("ix_launchpad_sale_steps_sale", "chain_id", "launchpad", "sale_id", "kind"),
    )

    kind: Mapped[str] = mapped_column(String(24))
    account: Mapped[str | None] = mapped_column(String(ADDRESS), nullable=True)
    amount: Mapped[int | None] = mapped_column(Uint256, nullable=True)
    total: Mapped[int | None] = mapped_column(Uint256, nullable=True)
    seed_hash: Mapped[str | None] = mapped_column(String(HASH), nullable=True)
    seed: Mapped[str | None] = mapped_column(String(HASH), nullable=True)
    randomness: Mapped[str | None] = mapped_column(String(HASH), nullable=True)
    lottery_start: Mapped[int | None] = mapped_column(Uint256, nullable=True)
    outcome: Mapped[int | None] = mapped_column(Integer, nullable=True)
    raised: Mapped[int | None] = mapped_column(Uint256, nullable=True)
    proceeds: Mapped[int | None] = mapped_column(Uint256, nullable=True)
    fee: Mapped[int | None] = mapped_column(Uint256, nullable=True)
    tokens_returned: Mapped[int | None] = mapped_column(Uint256, nullable=True)
    lottery_drawn: Mapped[bool | None] = mapped_column(nullable=True)


class LaunchpadPurchase(_SaleLogRow, Base):
    """``Launchpad:Purchased``: ``amount`` arrived; ``committed`` is the buyer's new total."""

    __tablename__ = "launchpad_purchases"
    __table_args__ = (
        Index("ix_launchpad_purchases_block", "chain_id", "block_number"),
        Index("ix_launchpad_purchases_sale", "chain_id", "launchpad", "sale_id"),
        Index("ix_launchpad_purchases_buyer", "chain_id", "buyer"),
    )

    buyer: Mapped[str] = mapped_column(String(ADDRESS))
    amount: Mapped[int] = mapped_column(Uint256)
    committed: Mapped[int] = mapped_column(Uint256)
    guaranteed_cap: Mapped[int] = mapped_column(Uint256)
    lottery_offset: Mapped[int] = mapped_column(Uint256)


class LaunchpadSettlement(_SaleLogRow, Base):
    """``Settled`` (``kind`` settled: paid for the tokens, vested in ``schedule_id``, refund) or
    ``Refunded`` (refunded: the whole commitment back as ``refund``)."""

    __tablename__ = "launchpad_settlements"
    __table_args__ = (
        Index("ix_launchpad_settlements_block", "chain_id", "block_number"),
        Index("ix_launchpad_settlements_sale", "chain_id", "launchpad", "sale_id"),
        Index("ix_launchpad_settlements_buyer", "chain_id", "buyer"),
    )

    buyer: Mapped[str] = mapped_column(String(ADDRESS))
    kind: Mapped[str] = mapped_column(String(16))
    paid: Mapped[int] = mapped_column(Uint256)
    tokens: Mapped[int] = mapped_column(Uint256)
    refund: Mapped[int] = mapped_column(Uint256)
    schedule_id: Mapped[int | None] = mapped_column(Uint256, nullable=True)


class LaunchpadFeeChange(_LogRow, Base):
    """``Launchpad:FeeChanged``: the platform fee for sales created afterwards."""

    __tablename__ = "launchpad_fee_changes"
    __table_args__ = (Index("ix_launchpad_fee_changes_block", "chain_id", "block_number"),)

    launchpad: Mapped[str] = mapped_column(String(ADDRESS))
    fee_bps: Mapped[int] = mapped_column(Integer)
    fee_recipient: Mapped[str] = mapped_column(String(ADDRESS))


class _ScheduleLogRow(_LogRow):
    vault: Mapped[str] = mapped_column(String(ADDRESS))
    schedule_id: Mapped[int] = mapped_column(Uint256)
    beneficiary: Mapped[str] = mapped_column(String(ADDRESS))


class VestingScheduleCreated(_ScheduleLogRow, Base):
    """``VestingVault:ScheduleCreated``: the schedule's total (what arrived) and terms."""

    __tablename__ = "vesting_schedules"
    __table_args__ = (
        Index("ix_vesting_schedules_block", "chain_id", "block_number"),
        Index("ix_vesting_schedules_beneficiary", "chain_id", "beneficiary"),
        Index("ix_vesting_schedules_schedule", "chain_id", "vault", "schedule_id"),
    )

    token: Mapped[str] = mapped_column(String(ADDRESS))
    total: Mapped[int] = mapped_column(Uint256)
    start: Mapped[int] = mapped_column(BigInteger)
    cliff: Mapped[int] = mapped_column(BigInteger)
    duration: Mapped[int] = mapped_column(BigInteger)
    tge_bps: Mapped[int] = mapped_column(Integer)
    revocable: Mapped[bool] = mapped_column()
    creator: Mapped[str] = mapped_column(String(ADDRESS))


class VestingClaim(_ScheduleLogRow, Base):
    """``VestingVault:TokensClaimed``: ``released`` is the schedule's running total after it."""

    __tablename__ = "vesting_claims"
    __table_args__ = (
        Index("ix_vesting_claims_block", "chain_id", "block_number"),
        Index("ix_vesting_claims_schedule", "chain_id", "vault", "schedule_id"),
    )

    amount: Mapped[int] = mapped_column(Uint256)
    released: Mapped[int] = mapped_column(Uint256)


class VestingRevocation(_ScheduleLogRow, Base):
    """``VestingVault:ScheduleRevoked``: ``vested_total`` stays claimable, ``unvested`` left."""

    __tablename__ = "vesting_revocations"
    __table_args__ = (
        Index("ix_vesting_revocations_block", "chain_id", "block_number"),
        Index("ix_vesting_revocations_schedule", "chain_id", "vault", "schedule_id"),
    )

    vested_total: Mapped[int] = mapped_column(Uint256)
    unvested: Mapped[int] = mapped_column(Uint256)
    returned_to: Mapped[str] = mapped_column(String(ADDRESS))
