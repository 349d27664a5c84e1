"""custody: multisig proposals and signatures

Revision ID: 0003_custody
Revises: 0002_indexer
Create Date: 2026-11-21
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import tigerex.db

revision: str = "0003_custody"
down_revision: str | None = "0002_indexer"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "multisig_proposals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("chain_id", sa.BigInteger(), nullable=False),
        sa.Column("wallet", sa.String(length=42), nullable=False),
        sa.Column("to", sa.String(length=42), nullable=False),
        sa.Column("value", tigerex.db.Uint256(), nullable=False),
        sa.Column("data", sa.Text(), nullable=False),
        sa.Column("operation", sa.SmallInteger(), nullable=False),
        sa.Column("nonce", sa.BigInteger(), nullable=False),
        sa.Column("tx_hash", sa.String(length=66), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("proposer", sa.String(length=42), nullable=True),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column("executed_tx", sa.String(length=66), nullable=True),
        sa.Column("executed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_multisig_proposals")),
        sa.UniqueConstraint(
            "chain_id", "wallet", "tx_hash", name=op.f("uq_multisig_proposals_chain_id")
        ),
    )
    op.create_index(
        op.f("ix_multisig_proposals_wallet"), "multisig_proposals", ["wallet"], unique=False
    )
    op.create_index(
        op.f("ix_multisig_proposals_status"), "multisig_proposals", ["status"], unique=False
    )
    op.create_table(
        "multisig_signatures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("proposal_id", sa.Integer(), nullable=False),
        sa.Column("owner", sa.String(length=42), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("signature", sa.Text(), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["proposal_id"],
            ["multisig_proposals.id"],
            name=op.f("fk_multisig_signatures_proposal_id_multisig_proposals"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_multisig_signatures")),
        sa.UniqueConstraint(
            "proposal_id", "owner", name=op.f("uq_multisig_signatures_proposal_id")
        ),
    )
    op.create_index(
        op.f("ix_multisig_signatures_proposal_id"),
        "multisig_signatures",
        ["proposal_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_multisig_signatures_proposal_id"), table_name="multisig_signatures")
    op.drop_table("multisig_signatures")
    op.drop_index(op.f("ix_multisig_proposals_status"), table_name="multisig_proposals")
    op.drop_index(op.f("ix_multisig_proposals_wallet"), table_name="multisig_proposals")
    op.drop_table("multisig_proposals")
