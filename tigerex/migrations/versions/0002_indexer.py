"""indexer: events, checkpoints, token transfers and balances

Revision ID: 0002_indexer
Revises: 0001_kernel
Create Date: 2026-11-21

Every table carries chain_id first: several chains share one database.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from tigerex.db import Uint256

revision: str = "0002_indexer"
down_revision: str | None = "0001_kernel"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "indexer_blocks",
        sa.Column("chain_id", sa.BigInteger(), nullable=False),
        sa.Column("number", sa.BigInteger(), nullable=False),
        sa.Column("hash", sa.String(length=66), nullable=False),
        sa.PrimaryKeyConstraint("chain_id", "number", name=op.f("pk_indexer_blocks")),
    )
    op.create_table(
        "indexer_checkpoints",
        sa.Column("chain_id", sa.BigInteger(), nullable=False),
        sa.Column("network", sa.String(length=64), nullable=False),
        sa.Column("fingerprint", sa.String(length=32), nullable=False),
        sa.Column("start_block", sa.BigInteger(), nullable=False),
        sa.Column("block_number", sa.BigInteger(), nullable=False),
        sa.Column("block_hash", sa.String(length=66), nullable=True),
        sa.Column("head_block", sa.BigInteger(), nullable=False),
        sa.Column("finalized_block", sa.BigInteger(), nullable=False),
        sa.Column("confirmations", sa.Integer(), nullable=False),
        sa.Column("events_total", sa.BigInteger(), nullable=False),
        sa.Column("unknown_total", sa.BigInteger(), nullable=False),
        sa.Column("reorgs_total", sa.Integer(), nullable=False),
        sa.Column("events_per_second", sa.Float(), nullable=False),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.PrimaryKeyConstraint("chain_id", name=op.f("pk_indexer_checkpoints")),
    )
    op.create_table(
        "indexer_event_accounts",
        sa.Column("chain_id", sa.BigInteger(), nullable=False),
        sa.Column("account", sa.String(length=42), nullable=False),
        sa.Column("block_number", sa.BigInteger(), nullable=False),
        sa.Column("log_index", sa.Integer(), nullable=False),
        sa.Column("tx_hash", sa.String(length=66), nullable=False),
        sa.PrimaryKeyConstraint(
            "chain_id",
            "account",
            "block_number",
            "log_index",
            name=op.f("pk_indexer_event_accounts"),
        ),
    )
    op.create_index(
        "ix_indexer_event_accounts_block", "indexer_event_accounts", ["chain_id", "block_number"]
    )

    op.create_table(
        "indexer_events",
        sa.Column("chain_id", sa.BigInteger(), nullable=False),
        sa.Column("tx_hash", sa.String(length=66), nullable=False),
        sa.Column("log_index", sa.Integer(), nullable=False),
        sa.Column("block_number", sa.BigInteger(), nullable=False),
        sa.Column("block_hash", sa.String(length=66), nullable=False),
        sa.Column("tx_index", sa.Integer(), nullable=False),
        sa.Column("address", sa.String(length=42), nullable=False),
        sa.Column("contract", sa.String(length=64), nullable=True),
        sa.Column("event", sa.String(length=128), nullable=True),
        sa.Column("args", sa.JSON(), nullable=True),
        sa.Column("topics", sa.JSON(), nullable=True),
        sa.Column("data", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("chain_id", "tx_hash", "log_index", name=op.f("pk_indexer_events")),
    )
    op.create_index(
        "ix_indexer_events_block", "indexer_events", ["chain_id", "block_number", "log_index"]
    )
    op.create_index(
        "ix_indexer_events_contract_event",
        "indexer_events",
        ["chain_id", "contract", "event", "block_number"],
    )

    op.create_table(
        "token_balances",
        sa.Column("chain_id", sa.BigInteger(), nullable=False),
        sa.Column("token", sa.String(length=42), nullable=False),
        sa.Column("account", sa.String(length=42), nullable=False),
        sa.Column("contract", sa.String(length=64), nullable=False),
        sa.Column("balance", Uint256(), nullable=False),
        sa.PrimaryKeyConstraint("chain_id", "token", "account", name=op.f("pk_token_balances")),
    )
    op.create_index("ix_token_balances_account", "token_balances", ["chain_id", "account"])

    op.create_table(
        "token_transfers",
        sa.Column("chain_id", sa.BigInteger(), nullable=False),
        sa.Column("tx_hash", sa.String(length=66), nullable=False),
        sa.Column("log_index", sa.Integer(), nullable=False),
        sa.Column("block_number", sa.BigInteger(), nullable=False),
        sa.Column("block_hash", sa.String(length=66), nullable=False),
        sa.Column("token", sa.String(length=42), nullable=False),
        sa.Column("contract", sa.String(length=64), nullable=False),
        sa.Column("from_address", sa.String(length=42), nullable=False),
        sa.Column("to_address", sa.String(length=42), nullable=False),
        sa.Column("amount", Uint256(), nullable=False),
        sa.PrimaryKeyConstraint(
            "chain_id", "tx_hash", "log_index", name=op.f("pk_token_transfers")
        ),
    )
    op.create_index("ix_token_transfers_block", "token_transfers", ["chain_id", "block_number"])
    op.create_index(
        "ix_token_transfers_from", "token_transfers", ["chain_id", "from_address", "block_number"]
    )
    op.create_index(
        "ix_token_transfers_to", "token_transfers", ["chain_id", "to_address", "block_number"]
    )


def downgrade() -> None:
    op.drop_index("ix_token_transfers_to", table_name="token_transfers")
    op.drop_index("ix_token_transfers_from", table_name="token_transfers")
    op.drop_index("ix_token_transfers_block", table_name="token_transfers")

    op.drop_table("token_transfers")
    op.drop_index("ix_token_balances_account", table_name="token_balances")

    op.drop_table("token_balances")
    op.drop_index("ix_indexer_events_contract_event", table_name="indexer_events")
    op.drop_index("ix_indexer_events_block", table_name="indexer_events")

    op.drop_table("indexer_events")
    op.drop_index("ix_indexer_event_accounts_block", table_name="indexer_event_accounts")

    op.drop_table("indexer_event_accounts")
    op.drop_table("indexer_checkpoints")
    op.drop_table("indexer_blocks")
