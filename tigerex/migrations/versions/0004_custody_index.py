"""index escrows and factory wallets

Revision ID: 0004_custody_index
Revises: 0003_custody
Create Date: 2026-11-21
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import tigerex.db

revision: str = "0004_custody_index"
down_revision: str | None = "0003_custody"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "multisig_wallets",
        sa.Column("chain_id", sa.BigInteger(), nullable=False),
        sa.Column("tx_hash", sa.String(length=66), nullable=False),
        sa.Column("log_index", sa.Integer(), nullable=False),
        sa.Column("block_number", sa.BigInteger(), nullable=False),
        sa.Column("block_hash", sa.String(length=66), nullable=False),
        sa.Column("wallet", sa.String(length=42), nullable=False),
        sa.Column("owners", sa.JSON(), nullable=False),
        sa.Column("threshold", sa.Integer(), nullable=False),
        sa.Column("salt_nonce", tigerex.db.Uint256(precision=78, scale=0), nullable=False),
        sa.PrimaryKeyConstraint(
            "chain_id", "tx_hash", "log_index", name=op.f("pk_multisig_wallets")
        ),
    )
    with op.batch_alter_table("multisig_wallets", schema=None) as batch_op:
        batch_op.create_index("ix_multisig_wallets_wallet", ["chain_id", "wallet"], unique=False)

    op.create_table(
        "p2p_escrow_steps",
        sa.Column("chain_id", sa.BigInteger(), nullable=False),
        sa.Column("tx_hash", sa.String(length=66), nullable=False),
        sa.Column("log_index", sa.Integer(), nullable=False),
        sa.Column("block_number", sa.BigInteger(), nullable=False),
        sa.Column("block_hash", sa.String(length=66), nullable=False),
        sa.Column("contract_address", sa.String(length=42), nullable=False),
        sa.Column("escrow_id", tigerex.db.Uint256(precision=78, scale=0), nullable=False),
        sa.Column("step", sa.String(length=16), nullable=False),
        sa.Column("at", sa.BigInteger(), nullable=True),
        sa.Column("by_address", sa.String(length=42), nullable=True),
        sa.Column("outcome", sa.SmallInteger(), nullable=True),
        sa.Column("buyer_amount", tigerex.db.Uint256(precision=78, scale=0), nullable=True),
        sa.Column("seller_amount", tigerex.db.Uint256(precision=78, scale=0), nullable=True),
        sa.Column("fee", tigerex.db.Uint256(precision=78, scale=0), nullable=True),
        sa.PrimaryKeyConstraint(
            "chain_id", "tx_hash", "log_index", name=op.f("pk_p2p_escrow_steps")
        ),
    )
    with op.batch_alter_table("p2p_escrow_steps", schema=None) as batch_op:
        batch_op.create_index(
            "ix_p2p_escrow_steps_id", ["chain_id", "contract_address", "escrow_id"], unique=False
        )

    op.create_table(
        "p2p_escrows",
        sa.Column("chain_id", sa.BigInteger(), nullable=False),
        sa.Column("tx_hash", sa.String(length=66), nullable=False),
        sa.Column("log_index", sa.Integer(), nullable=False),
        sa.Column("block_number", sa.BigInteger(), nullable=False),
        sa.Column("block_hash", sa.String(length=66), nullable=False),
        sa.Column("contract_address", sa.String(length=42), nullable=False),
        sa.Column("escrow_id", tigerex.db.Uint256(precision=78, scale=0), nullable=False),
        sa.Column("seller", sa.String(length=42), nullable=False),
        sa.Column("buyer", sa.String(length=42), nullable=False),
        sa.Column("token", sa.String(length=42), nullable=False),
        sa.Column("amount", tigerex.db.Uint256(precision=78, scale=0), nullable=False),
        sa.Column("terms_hash", sa.String(length=66), nullable=False),
        sa.Column("payment_deadline", sa.BigInteger(), nullable=False),
        sa.Column("fee_bps", sa.SmallInteger(), nullable=False),
        sa.Column("kyc_level", sa.SmallInteger(), nullable=False),
        sa.Column("arbiter", sa.String(length=42), nullable=False),
        sa.PrimaryKeyConstraint("chain_id", "tx_hash", "log_index", name=op.f("pk_p2p_escrows")),
    )
    with op.batch_alter_table("p2p_escrows", schema=None) as batch_op:
        batch_op.create_index("ix_p2p_escrows_buyer", ["chain_id", "buyer"], unique=False)
        batch_op.create_index(
            "ix_p2p_escrows_id", ["chain_id", "contract_address", "escrow_id"], unique=False
        )
        batch_op.create_index("ix_p2p_escrows_seller", ["chain_id", "seller"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("p2p_escrows", schema=None) as batch_op:
        batch_op.drop_index("ix_p2p_escrows_seller")
        batch_op.drop_index("ix_p2p_escrows_id")
        batch_op.drop_index("ix_p2p_escrows_buyer")

    op.drop_table("p2p_escrows")
    with op.batch_alter_table("p2p_escrow_steps", schema=None) as batch_op:
        batch_op.drop_index("ix_p2p_escrow_steps_id")

    op.drop_table("p2p_escrow_steps")
    with op.batch_alter_table("multisig_wallets", schema=None) as batch_op:
        batch_op.drop_index("ix_multisig_wallets_wallet")

    op.drop_table("multisig_wallets")
