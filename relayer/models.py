"""The relayer's journal: accepted orders, engine fills and the settlement transactions that
carry them to the exchange contract.

Write order is the durability contract: an order row is committed before the order is
acknowledged, a fill row before the fill is published, and a fill is put into a settlement
transaction only after the settlement row (with its operator nonce) is committed, so a restart
can always tell which fills are on chain, in flight, or still to send.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Integer,
    LargeBinary,
    SmallInteger,
    String,
    Text,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column

from tigerex.db import Base

# Order status (relayer_orders.status).
ORDER_OPEN = "open"  # resting or partially matched
# A conditional order (stop / take-profit / trailing) held by the relayer until its trigger
# fires; its funds are reserved like an open order's and its signature is not published.
ORDER_PENDING = "pending_trigger"
ORDER_FILLED = "filled"  # matched in full (settlement may still be in flight)
ORDER_CANCELLED = "cancelled"  # by the maker (signed cancel, on-chain cancel or epoch)
ORDER_EXPIRED = "expired"
ORDER_REJECTED = "rejected"  # a later on-chain check failed (funds left, skipped match)

# Fill status (relayer_fills.status).
FILL_PENDING = "pending"  # journaled, not yet in a transaction
FILL_SUBMITTED = "submitted"  # in a settlement transaction that is not final
FILL_SETTLED = "settled"  # OrderFilled seen at the confirmation depth
FILL_SKIPPED = "skipped"  # MatchSkipped seen; skip_reason holds IExchange.SkipReason

# Settlement status (relayer_settlements.status).
SETTLEMENT_SENT = "sent"  # broadcast, no receipt yet
SETTLEMENT_MINED = "mined"  # receipt seen, below the confirmation depth
SETTLEMENT_CONFIRMED = "confirmed"
SETTLEMENT_DROPPED = "dropped"  # reorged out or replaced: its fills go back to pending
# Added by the settlement worker (relayer/settlement.py):
SETTLEMENT_REPLACED = "replaced"  # a fee-bumped transaction with the same nonce superseded it
SETTLEMENT_REVERTED = "reverted"  # mined with status 0: nothing moved, its fills go back to pending


class RelayerOrder(Base):
    """A signed order the relayer accepted, with everything needed to re-verify and settle it."""

    __tablename__ = "relayer_orders"

    order_hash: Mapped[str] = mapped_column(String(66), primary_key=True)  # EIP-712 digest
    seq: Mapped[int] = mapped_column(BigInteger, unique=True)  # journal order, replayed on restart
    chain_id: Mapped[int] = mapped_column(BigInteger)
    exchange: Mapped[str] = mapped_column(String(42))
    # The signed fields, exactly as IExchange.Order.
    maker: Mapped[str] = mapped_column(String(42), index=True)
    market_id: Mapped[int] = mapped_column(BigInteger, index=True)
    is_buy: Mapped[bool] = mapped_column(Boolean)
    price_ticks: Mapped[int] = mapped_column(BigInteger)
    quantity_lots: Mapped[int] = mapped_column(BigInteger)
    expiry: Mapped[int] = mapped_column(BigInteger)
    salt: Mapped[int] = mapped_column(BigInteger)
    epoch: Mapped[int] = mapped_column(BigInteger)
    max_fee_bps: Mapped[int] = mapped_column(SmallInteger)
    signature: Mapped[str] = mapped_column(Text)  # 0x-hex (65-byte ECDSA or EIP-1271 bytes)
    # How the relayer handles it (the engine's order type / time in force).
    order_type: Mapped[str] = mapped_column(String(24), default="limit")
    time_in_force: Mapped[str] = mapped_column(String(16), default="gtc")
    # Conditional options (relayer/conditional.py), 0009_relayer_conditional. None when unused.
    trigger_price: Mapped[int | None] = mapped_column(BigInteger, nullable=True)  # ticks
    trailing_delta: Mapped[int | None] = mapped_column(BigInteger, nullable=True)  # ticks
    trailing_bps: Mapped[int | None] = mapped_column(Integer, nullable=True)
    display_lots: Mapped[int | None] = mapped_column(BigInteger, nullable=True)  # iceberg
    # OCO: the partner's hash on both legs (for display); the engine link (the partner's seq)
    # only on the leg that asked for it, which is the command replay repeats.
    oco_with: Mapped[str | None] = mapped_column(String(66), nullable=True)
    oco_link_seq: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    # When the trigger fired and at which last trade price (ticks).
    triggered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    trigger_last_price: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    status: Mapped[str] = mapped_column(String(16), default=ORDER_OPEN, index=True)
    matched_lots: Mapped[int] = mapped_column(BigInteger, default=0)  # by the engine
    settled_lots: Mapped[int] = mapped_column(BigInteger, default=0)  # confirmed on chain
    # Why the settlement worker moved the order to rejected/cancelled/expired (e.g.
    # "skip:20", "funds_uncovered", "cancelled_on_chain"); None while the relayer owns it.
    status_reason: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )


_ORDER_HASH = "relayer_orders.order_hash"


class RelayerFill(Base):
    """One engine match (maker order, taker order, lots at the maker's price), to be settled."""

    __tablename__ = "relayer_fills"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)  # journal order = settle order
    market_id: Mapped[int] = mapped_column(BigInteger, index=True)
    maker_order_hash: Mapped[str] = mapped_column(ForeignKey(_ORDER_HASH), index=True)
    taker_order_hash: Mapped[str] = mapped_column(ForeignKey(_ORDER_HASH), index=True)
    quantity_lots: Mapped[int] = mapped_column(BigInteger)
    price_ticks: Mapped[int] = mapped_column(BigInteger)  # the maker's price
    taker_is_buy: Mapped[bool] = mapped_column(Boolean)
    status: Mapped[str] = mapped_column(String(16), default=FILL_PENDING, index=True)
    settlement_id: Mapped[int | None] = mapped_column(
        ForeignKey("relayer_settlements.id"), nullable=True, index=True
    )
    skip_reason: Mapped[int | None] = mapped_column(SmallInteger, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class RelayerSettlement(Base):
    """A settle(Match[]) transaction sent by the operator, with its nonce and fate."""

    __tablename__ = "relayer_settlements"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    chain_id: Mapped[int] = mapped_column(BigInteger)
    operator: Mapped[str] = mapped_column(String(42))
    nonce: Mapped[int] = mapped_column(BigInteger)
    tx_hash: Mapped[str | None] = mapped_column(String(66), nullable=True, index=True)
    status: Mapped[str] = mapped_column(String(16), default=SETTLEMENT_SENT, index=True)
    block_number: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    block_hash: Mapped[str | None] = mapped_column(String(66), nullable=True)
    gas_used: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    # Added by the settlement worker: what is needed to resume after a crash without asking
    # anyone. ``fill_ids`` is the batch (JSON list of relayer_fills.id, in match order: the
    # receipt's OrderFilled/MatchSkipped logs come in the same order); ``raw_tx`` the signed
    # transaction (re-broadcast verbatim after a crash between commit and broadcast);
    # ``replaces_id`` the attempt with the same nonce it superseded (fee bump or reorg).
    fill_ids: Mapped[str] = mapped_column(Text, default="[]")
    raw_tx: Mapped[str | None] = mapped_column(Text, nullable=True)
    gas_limit: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    max_fee_per_gas: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    max_priority_fee_per_gas: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    replaces_id: Mapped[int | None] = mapped_column(
        ForeignKey("relayer_settlements.id"), nullable=True
    )
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)  # last broadcast error
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )


class EngineSnapshot(Base):
    """A matching-engine snapshot of one market, taken after journal entry ``seq``."""

    __tablename__ = "relayer_engine_snapshots"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    market_id: Mapped[int] = mapped_column(BigInteger, index=True)
    seq: Mapped[int] = mapped_column(BigInteger)
    blob: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


# Why an order left the book (relayer_cancels.reason).
CANCEL_MAKER = "maker"  # a signed gasless cancel
CANCEL_EXPIRED = "expired"  # its expiry passed
CANCEL_CHAIN = "chain"  # cancelled on chain, or voided by an epoch
CANCEL_FUNDS = "funds"  # the maker's funds no longer cover it
CANCEL_SETTLEMENT = "settlement"  # the settlement worker gave up on it (status set in SQL)
# Its OCO partner filled, triggered or left the book. The engine cancels the partner by itself
# while executing the command that journaled before this row, so replay skips these rows.
CANCEL_OCO = "oco"


class RelayerCancel(Base):
    """An order taken off the book, journaled in the same sequence as the orders.

    A restart replays orders and cancels after the latest engine snapshot in ``seq`` order, so
    the rebuilt book is exactly the one that was running.
    """

    __tablename__ = "relayer_cancels"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, unique=True)
    order_hash: Mapped[str] = mapped_column(ForeignKey(_ORDER_HASH), index=True)
    market_id: Mapped[int] = mapped_column(BigInteger, index=True)
    reason: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
