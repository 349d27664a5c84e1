"""Tables of the multisig propose/sign/collect/execute flow."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    DateTime,
    ForeignKey,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tigerex.db import Base, Uint256

PENDING = "pending"
EXECUTED = "executed"
SUPERSEDED = "superseded"  # another proposal at the same nonce was executed


class MultisigProposal(Base):
    """A transaction proposed for a wallet at a nonce, and the EIP-712 digest owners sign."""

    __tablename__ = "multisig_proposals"
    __table_args__ = (UniqueConstraint("chain_id", "wallet", "tx_hash"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    chain_id: Mapped[int] = mapped_column(BigInteger)
    wallet: Mapped[str] = mapped_column(String(42), index=True)
    to: Mapped[str] = mapped_column(String(42))
    value: Mapped[int] = mapped_column(Uint256)
    data: Mapped[str] = mapped_column(Text)  # 0x-hex
    operation: Mapped[int] = mapped_column(SmallInteger)
    nonce: Mapped[int] = mapped_column(BigInteger)
    tx_hash: Mapped[str] = mapped_column(String(66))  # EIP-712 digest, 0x-hex
    status: Mapped[str] = mapped_column(String(16), default=PENDING, index=True)
    description: Mapped[str] = mapped_column(Text, default="")
    proposer: Mapped[str | None] = mapped_column(String(42), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    executed_tx: Mapped[str | None] = mapped_column(String(66), nullable=True)
    executed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)

    signatures: Mapped[list[MultisigSignature]] = relationship(
        back_populates="proposal", order_by="MultisigSignature.id", cascade="all, delete-orphan"
    )


class MultisigSignature(Base):
    """One owner's signature of a proposal (ECDSA, or EIP-1271 bytes of an owner contract)."""

    __tablename__ = "multisig_signatures"
    __table_args__ = (UniqueConstraint("proposal_id", "owner"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("multisig_proposals.id"), index=True)
    owner: Mapped[str] = mapped_column(String(42))
    kind: Mapped[str] = mapped_column(String(16))  # "ecdsa" | "contract"
    signature: Mapped[str] = mapped_column(Text)  # 0x-hex
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    proposal: Mapped[MultisigProposal] = relationship(back_populates="signatures")
