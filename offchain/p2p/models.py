"""Escrow state as the indexer sees it: one row per ``EscrowOpened`` and one per later step.

Both are per-log tables (rolled back with a reorg); an escrow's current state and deadlines are
derived from its rows when read, so there is no mutable copy to keep consistent.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Index, Integer, SmallInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from tigerex.db import Base, Uint256

HASH = 66
ADDRESS = 42


class EscrowOpenedRow(Base):
    __tablename__ = "p2p_escrows"
    __table_args__ = (
        Index("ix_p2p_escrows_seller", "chain_id", "seller"),
        Index("ix_p2p_escrows_buyer", "chain_id", "buyer"),
        Index("ix_p2p_escrows_id", "chain_id", "contract_address", "escrow_id"),
    )

    chain_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    tx_hash: Mapped[str] = mapped_column(String(HASH), primary_key=True)
    log_index: Mapped[int] = mapped_column(Integer, primary_key=True)
    block_number: Mapped[int] = mapped_column(BigInteger)
    block_hash: Mapped[str] = mapped_column(String(HASH))
    contract_address: Mapped[str] = mapped_column(String(ADDRESS))
    escrow_id: Mapped[int] = mapped_column(Uint256)
    seller: Mapped[str] = mapped_column(String(ADDRESS))
    buyer: Mapped[str] = mapped_column(String(ADDRESS))
    token: Mapped[str] = mapped_column(String(ADDRESS))
    amount: Mapped[int] = mapped_column(Uint256)
    terms_hash: Mapped[str] = mapped_column(String(HASH))
    payment_deadline: Mapped[int] = mapped_column(BigInteger)
    fee_bps: Mapped[int] = mapped_column(SmallInteger)
    kyc_level: Mapped[int] = mapped_column(SmallInteger)
    arbiter: Mapped[str] = mapped_column(String(ADDRESS))


class EscrowStepRow(Base):
    """``paid`` (with when a dispute may open), ``disputed`` (with the arbitration deadline), or
    ``closed`` (with the outcome and the three payouts)."""

    __tablename__ = "p2p_escrow_steps"
    __table_args__ = (Index("ix_p2p_escrow_steps_id", "chain_id", "contract_address", "escrow_id"),)

    chain_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    tx_hash: Mapped[str] = mapped_column(String(HASH), primary_key=True)
    log_index: Mapped[int] = mapped_column(Integer, primary_key=True)
    block_number: Mapped[int] = mapped_column(BigInteger)
    block_hash: Mapped[str] = mapped_column(String(HASH))
    contract_address: Mapped[str] = mapped_column(String(ADDRESS))
    escrow_id: Mapped[int] = mapped_column(Uint256)
    step: Mapped[str] = mapped_column(String(16))
    at: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    by_address: Mapped[str | None] = mapped_column(String(ADDRESS), nullable=True)
    outcome: Mapped[int | None] = mapped_column(SmallInteger, nullable=True)
    buyer_amount: Mapped[int | None] = mapped_column(Uint256, nullable=True)
    seller_amount: Mapped[int | None] = mapped_column(Uint256, nullable=True)
    fee: Mapped[int | None] = mapped_column(Uint256, nullable=True)
