"""kernel: deployed contracts registry

Revision ID: 0001_kernel
Revises:
Create Date: 2026-11-21
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001_kernel"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "deployed_contracts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("chain_id", sa.BigInteger(), nullable=False),
        sa.Column("network", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("contract_type", sa.String(length=128), nullable=False),
        sa.Column("address", sa.String(length=42), nullable=False),
        sa.Column("tx_hash", sa.String(length=66), nullable=False),
        sa.Column("block_number", sa.BigInteger(), nullable=False),
        sa.Column("constructor_args", sa.JSON(), nullable=False),
        sa.Column(
            "synced_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deployed_contracts")),
        sa.UniqueConstraint("chain_id", "name", name=op.f("uq_deployed_contracts_chain_id")),
    )
    op.create_index(
        op.f("ix_deployed_contracts_address"), "deployed_contracts", ["address"], unique=False
    )
    op.create_index(
        op.f("ix_deployed_contracts_chain_id"), "deployed_contracts", ["chain_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_deployed_contracts_chain_id"), table_name="deployed_contracts")
    op.drop_index(op.f("ix_deployed_contracts_address"), table_name="deployed_contracts")
    op.drop_table("deployed_contracts")
