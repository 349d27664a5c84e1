"""custody wallets: factory children and multisig wallet events

Revision ID: 0005_custody_wallets
Revises: 0004_indexer_domain
Create Date: 2026-11-21

``indexer_children``: contracts created by followed factories (the indexer's factory pattern),
one row per creation log. The ``multisig_*`` tables: every event of the wallets
``MultisigFactory`` creates, one row per log (rolled back on reorg like the events).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from tigerex.db import Uint256

revision: str = "0005_custody_wallets"
down_revision: str | None = "0004_indexer_domain"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "indexer_children",
        sa.Column("chain_id", sa.BigInteger(), nullable=False),
        sa.Column("tx_hash", sa.String(length=66), nullable=False),
        sa.Column("log_index", sa.Integer(), nullable=False),
        sa.Column("block_number", sa.BigInteger(), nullable=False),
        sa.Column("block_hash", sa.String(length=66), nullable=False),
        sa.Column("address", sa.String(length=42), nullable=False),
        sa.Column("contract_type", sa.String(length=64), nullable=False),
        sa.Column("factory", sa.String(length=42), nullable=False),
        sa.PrimaryKeyConstraint(
            "chain_id", "tx_hash", "log_index", name=op.f("pk_indexer_children")
        ),
    )
    op.create_index("ix_indexer_children_address", "indexer_children", ["chain_id", "address"])
    op.create_index("ix_indexer_children_block", "indexer_children", ["chain_id", "block_number"])

    op.create_table(
        "multisig_delegatecall_changes",
        sa.Column("target", sa.String(length=42), nullable=False),
        sa.Column("allowed", sa.Boolean(), nullable=False),
        sa.Column("wallet", sa.String(length=42), nullable=False),
        sa.Column("chain_id", sa.BigInteger(), nullable=False),
        sa.Column("tx_hash", sa.String(length=66), nullable=False),
        sa.Column("log_index", sa.Integer(), nullable=False),
        sa.Column("block_number", sa.BigInteger(), nullable=False),
        sa.Column("block_hash", sa.String(length=66), nullable=False),
        sa.PrimaryKeyConstraint(
            "chain_id", "tx_hash", "log_index", name=op.f("pk_multisig_delegatecall_changes")
        ),
    )
    op.create_index(
        "ix_multisig_delegatecall_changes_block",
        "multisig_delegatecall_changes",
        ["chain_id", "block_number"],
    )
    op.create_index(
        "ix_multisig_delegatecall_changes_wallet",
        "multisig_delegatecall_changes",
        ["chain_id", "wallet", "block_number"],
    )

    op.create_table(
        "multisig_executions",
        sa.Column("safe_tx_hash", sa.String(length=66), nullable=False),
        sa.Column("nonce", Uint256(), nullable=False),
        sa.Column("to", sa.String(length=42), nullable=False),
        sa.Column("value", Uint256(), nullable=False),
        sa.Column("wallet", sa.String(length=42), nullable=False),
        sa.Column("chain_id", sa.BigInteger(), nullable=False),
        sa.Column("tx_hash", sa.String(length=66), nullable=False),
        sa.Column("log_index", sa.Integer(), nullable=False),
        sa.Column("block_number", sa.BigInteger(), nullable=False),
        sa.Column("block_hash", sa.String(length=66), nullable=False),
        sa.PrimaryKeyConstraint(
            "chain_id", "tx_hash", "log_index", name=op.f("pk_multisig_executions")
        ),
    )
    op.create_index(
        "ix_multisig_executions_block", "multisig_executions", ["chain_id", "block_number"]
    )
    op.create_index(
        "ix_multisig_executions_safe_tx",
        "multisig_executions",
        ["chain_id", "wallet", "safe_tx_hash"],
    )
    op.create_index(
        "ix_multisig_executions_wallet", "multisig_executions", ["chain_id", "wallet", "nonce"]
    )

    op.create_table(
        "multisig_hash_approvals",
        sa.Column("hash", sa.String(length=66), nullable=False),
        sa.Column("owner", sa.String(length=42), nullable=False),
        sa.Column("wallet", sa.String(length=42), nullable=False),
        sa.Column("chain_id", sa.BigInteger(), nullable=False),
        sa.Column("tx_hash", sa.String(length=66), nullable=False),
        sa.Column("log_index", sa.Integer(), nullable=False),
        sa.Column("block_number", sa.BigInteger(), nullable=False),
        sa.Column("block_hash", sa.String(length=66), nullable=False),
        sa.PrimaryKeyConstraint(
            "chain_id", "tx_hash", "log_index", name=op.f("pk_multisig_hash_approvals")
        ),
    )
    op.create_index(
        "ix_multisig_hash_approvals_block", "multisig_hash_approvals", ["chain_id", "block_number"]
    )
    op.create_index(
        "ix_multisig_hash_approvals_wallet",
        "multisig_hash_approvals",
        ["chain_id", "wallet", "hash"],
    )

    op.create_table(
        "multisig_owner_changes",
        sa.Column("owner", sa.String(length=42), nullable=False),
        sa.Column("added", sa.Boolean(), nullable=False),
        sa.Column("wallet", sa.String(length=42), nullable=False),
        sa.Column("chain_id", sa.BigInteger(), nullable=False),
        sa.Column("tx_hash", sa.String(length=66), nullable=False),
        sa.Column("log_index", sa.Integer(), nullable=False),
        sa.Column("block_number", sa.BigInteger(), nullable=False),
        sa.Column("block_hash", sa.String(length=66), nullable=False),
        sa.PrimaryKeyConstraint(
            "chain_id", "tx_hash", "log_index", "owner", name=op.f("pk_multisig_owner_changes")
        ),
    )
    op.create_index(
        "ix_multisig_owner_changes_block", "multisig_owner_changes", ["chain_id", "block_number"]
    )
    op.create_index(
        "ix_multisig_owner_changes_owner", "multisig_owner_changes", ["chain_id", "owner"]
    )
    op.create_index(
        "ix_multisig_owner_changes_wallet",
        "multisig_owner_changes",
        ["chain_id", "wallet", "block_number"],
    )

    op.create_table(
        "multisig_receipts",
        sa.Column("sender", sa.String(length=42), nullable=False),
        sa.Column("value", Uint256(), nullable=False),
        sa.Column("wallet", sa.String(length=42), nullable=False),
        sa.Column("chain_id", sa.BigInteger(), nullable=False),
        sa.Column("tx_hash", sa.String(length=66), nullable=False),
        sa.Column("log_index", sa.Integer(), nullable=False),
        sa.Column("block_number", sa.BigInteger(), nullable=False),
        sa.Column("block_hash", sa.String(length=66), nullable=False),
        sa.PrimaryKeyConstraint(
            "chain_id", "tx_hash", "log_index", name=op.f("pk_multisig_receipts")
        ),
    )
    op.create_index("ix_multisig_receipts_block", "multisig_receipts", ["chain_id", "block_number"])
    op.create_index(
        "ix_multisig_receipts_wallet", "multisig_receipts", ["chain_id", "wallet", "block_number"]
    )

    op.create_table(
        "multisig_threshold_changes",
        sa.Column("threshold", sa.Integer(), nullable=False),
        sa.Column("wallet", sa.String(length=42), nullable=False),
        sa.Column("chain_id", sa.BigInteger(), nullable=False),
        sa.Column("tx_hash", sa.String(length=66), nullable=False),
        sa.Column("log_index", sa.Integer(), nullable=False),
        sa.Column("block_number", sa.BigInteger(), nullable=False),
        sa.Column("block_hash", sa.String(length=66), nullable=False),
        sa.PrimaryKeyConstraint(
            "chain_id", "tx_hash", "log_index", name=op.f("pk_multisig_threshold_changes")
        ),
    )
    op.create_index(
        "ix_multisig_threshold_changes_block",
        "multisig_threshold_changes",
        ["chain_id", "block_number"],
    )
    op.create_index(
        "ix_multisig_threshold_changes_wallet",
        "multisig_threshold_changes",
        ["chain_id", "wallet", "block_number"],
    )


def downgrade() -> None:
    # Dropping a table drops its indexes.
    op.drop_table("multisig_threshold_changes")
    op.drop_table("multisig_receipts")
    op.drop_table("multisig_owner_changes")
    op.drop_table("multisig_hash_approvals")
    op.drop_table("multisig_executions")
    op.drop_table("multisig_delegatecall_changes")
    op.drop_table("indexer_children")
