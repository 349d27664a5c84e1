"""bridge: messages, validator signatures, validator checkpoints

Revision ID: 0008_bridge
Revises: 0007_earn
Create Date: 2026-11-21
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import tigerex.db

revision: str = "0008_bridge"
down_revision: str | None = "0007_earn"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "bridge_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.String(length=66), nullable=False),
        sa.Column("kind", sa.SmallInteger(), nullable=False),
        sa.Column("src_chain_id", sa.BigInteger(), nullable=False),
        sa.Column("src_bridge", sa.String(length=42), nullable=False),
        sa.Column("dst_chain_id", sa.BigInteger(), nullable=False),
        sa.Column("dst_bridge", sa.String(length=42), nullable=False),
        sa.Column("nonce", tigerex.db.Uint256(), nullable=False),
        sa.Column("token", sa.String(length=42), nullable=False),
        sa.Column("recipient", sa.String(length=42), nullable=False),
        sa.Column("amount", tigerex.db.Uint256(), nullable=False),
        sa.Column("src_tx_hash", sa.String(length=66), nullable=False),
        sa.Column("src_block_number", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("claim_tx_hash", sa.String(length=66), nullable=True),
        sa.Column("claim_raw_tx", sa.Text(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bridge_messages")),
        sa.UniqueConstraint(
            "src_chain_id", "src_bridge", "nonce", name=op.f("uq_bridge_messages_src_chain_id")
        ),
    )
    op.create_index(
        op.f("ix_bridge_messages_message_id"), "bridge_messages", ["message_id"], unique=False
    )
    op.create_index(
        op.f("ix_bridge_messages_dst_chain_id"), "bridge_messages", ["dst_chain_id"], unique=False
    )
    op.create_index(op.f("ix_bridge_messages_status"), "bridge_messages", ["status"], unique=False)
    op.create_table(
        "bridge_signatures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("message_pk", sa.Integer(), nullable=False),
        sa.Column("validator", sa.String(length=42), nullable=False),
        sa.Column("epoch", sa.BigInteger(), nullable=False),
        sa.Column("digest", sa.String(length=66), nullable=False),
        sa.Column("signature", sa.String(length=132), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["message_pk"],
            ["bridge_messages.id"],
            name=op.f("fk_bridge_signatures_message_pk_bridge_messages"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bridge_signatures")),
        sa.UniqueConstraint(
            "message_pk", "validator", "epoch", name=op.f("uq_bridge_signatures_message_pk")
        ),
    )
    op.create_index(
        op.f("ix_bridge_signatures_message_pk"), "bridge_signatures", ["message_pk"], unique=False
    )
    op.create_table(
        "bridge_validator_checkpoints",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("validator", sa.String(length=42), nullable=False),
        sa.Column("src_chain_id", sa.BigInteger(), nullable=False),
        sa.Column("src_bridge", sa.String(length=42), nullable=False),
        sa.Column("block_number", sa.BigInteger(), nullable=False),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bridge_validator_checkpoints")),
        sa.UniqueConstraint(
            "validator",
            "src_chain_id",
            "src_bridge",
            name=op.f("uq_bridge_validator_checkpoints_validator"),
        ),
    )


def downgrade() -> None:
    op.drop_table("bridge_validator_checkpoints")
    op.drop_index(op.f("ix_bridge_signatures_message_pk"), table_name="bridge_signatures")
    op.drop_table("bridge_signatures")
    op.drop_index(op.f("ix_bridge_messages_status"), table_name="bridge_messages")
    op.drop_index(op.f("ix_bridge_messages_dst_chain_id"), table_name="bridge_messages")
    op.drop_index(op.f("ix_bridge_messages_message_id"), table_name="bridge_messages")
    op.drop_table("bridge_messages")
