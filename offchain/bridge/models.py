"""The validator network's shared store: messages seen on a source chain, validator signatures,
each validator's scan checkpoint, and the relayer's claim records.

Every validator reads the chain itself (nothing here is trusted for what to sign); the store only
carries signatures to the relayer, which verifies each one before using it.
"""

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

PENDING = "pending"  # final on the source, not claimed yet
SUBMITTED = "submitted"  # our claim transaction is signed, recorded and sent
CLAIMED = "claimed"  # claimed on the destination (by us or by anyone else)


class BridgeMessageRow(Base):
    """A final Deposit/Burned event of a source bridge, as first recorded by a validator."""

    __tablename__ = "bridge_messages"
    __table_args__ = (UniqueConstraint("src_chain_id", "src_bridge", "nonce"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    message_id: Mapped[str] = mapped_column(String(66), index=True)
    kind: Mapped[int] = mapped_column(SmallInteger)  # MessageKind
    src_chain_id: Mapped[int] = mapped_column(BigInteger)
    src_bridge: Mapped[str] = mapped_column(String(42))
    dst_chain_id: Mapped[int] = mapped_column(BigInteger, index=True)
    dst_bridge: Mapped[str] = mapped_column(String(42))
    nonce: Mapped[int] = mapped_column(Uint256)
    token: Mapped[str] = mapped_column(String(42))
    recipient: Mapped[str] = mapped_column(String(42))
    amount: Mapped[int] = mapped_column(Uint256)
    src_tx_hash: Mapped[str] = mapped_column(String(66))
    src_block_number: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(16), default=PENDING, index=True)
    claim_tx_hash: Mapped[str | None] = mapped_column(String(66), nullable=True)
    claim_raw_tx: Mapped[str | None] = mapped_column(
        Text, nullable=True
    )  # re-sent, never re-signed
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    claimed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)

    signatures: Mapped[list[BridgeSignatureRow]] = relationship(
        back_populates="message", order_by="BridgeSignatureRow.id", cascade="all, delete-orphan"
    )


class BridgeSignatureRow(Base):
    """One validator's signature of a message under one destination epoch, with the digest it
    signed (the relayer uses it only if it equals the digest of the stored message)."""

    __tablename__ = "bridge_signatures"
    __table_args__ = (UniqueConstraint("message_pk", "validator", "epoch"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    message_pk: Mapped[int] = mapped_column(ForeignKey("bridge_messages.id"), index=True)
    validator: Mapped[str] = mapped_column(String(42))
    epoch: Mapped[int] = mapped_column(BigInteger)
    digest: Mapped[str] = mapped_column(String(66))
    signature: Mapped[str] = mapped_column(String(132))  # 0x + 65 bytes
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    message: Mapped[BridgeMessageRow] = relationship(back_populates="signatures")


class BridgeValidatorCheckpoint(Base):
    """The last FINAL block of a source bridge a validator has scanned and signed up to."""

    __tablename__ = "bridge_validator_checkpoints"
    __table_args__ = (UniqueConstraint("validator", "src_chain_id", "src_bridge"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    validator: Mapped[str] = mapped_column(String(42))
    src_chain_id: Mapped[int] = mapped_column(BigInteger)
    src_bridge: Mapped[str] = mapped_column(String(42))
    block_number: Mapped[int] = mapped_column(BigInteger)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )
