"""indexer domain tables: exchange, KYC, escrow, multisig

Revision ID: 0004_indexer_domain
Revises: 0003_custody
Create Date: 2026-11-21

Per-log domain tables the indexer's handlers fill (rolled back on reorg like the events).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from tigerex.db import Uint256

revision: str = "0004_indexer_domain"
down_revision: str | None = "0003_custody"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "escrow_transitions",
        sa.Column("escrow", sa.String(length=42), nullable=False),
        sa.Column("escrow_id", Uint256(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("by", sa.String(length=42), nullable=True),
        sa.Column("available_at", sa.BigInteger(), nullable=True),
        sa.Column("outcome", sa.Integer(), nullable=True),
        sa.Column("buyer_amount", Uint256(), nullable=True),
        sa.Column("seller_amount", Uint256(), nullable=True),
        sa.Column("fee", Uint256(), nullable=True),
        sa.Column("chain_id", sa.BigInteger(), nullable=False),
        sa.Column("tx_hash", sa.String(length=66), nullable=False),
        sa.Column("log_index", sa.Integer(), nullable=False),
        sa.Column("block_number", sa.BigInteger(), nullable=False),
        sa.Column("block_hash", sa.String(length=66), nullable=False),
        sa.PrimaryKeyConstraint(
            "chain_id", "tx_hash", "log_index", name=op.f("pk_escrow_transitions")
        ),
    )
    op.create_index(
        "ix_escrow_transitions_block", "escrow_transitions", ["chain_id", "block_number"]
    )
    op.create_index(
        "ix_escrow_transitions_escrow", "escrow_transitions", ["chain_id", "escrow", "escrow_id"]
    )

    op.create_table(
        "escrows_opened",
        sa.Column("escrow", sa.String(length=42), nullable=False),
        sa.Column("escrow_id", Uint256(), nullable=False),
        sa.Column("seller", sa.String(length=42), nullable=False),
        sa.Column("buyer", sa.String(length=42), nullable=False),
        sa.Column("token", sa.String(length=42), nullable=False),
        sa.Column("amount", Uint256(), nullable=False),
        sa.Column("terms_hash", sa.String(length=66), nullable=False),
        sa.Column("payment_deadline", sa.BigInteger(), nullable=False),
        sa.Column("fee_bps", sa.Integer(), nullable=False),
        sa.Column("kyc_level", sa.Integer(), nullable=False),
        sa.Column("arbiter", sa.String(length=42), nullable=False),
        sa.Column("chain_id", sa.BigInteger(), nullable=False),
        sa.Column("tx_hash", sa.String(length=66), nullable=False),
        sa.Column("log_index", sa.Integer(), nullable=False),
        sa.Column("block_number", sa.BigInteger(), nullable=False),
        sa.Column("block_hash", sa.String(length=66), nullable=False),
        sa.PrimaryKeyConstraint("chain_id", "tx_hash", "log_index", name=op.f("pk_escrows_opened")),
    )
    op.create_index("ix_escrows_opened_block", "escrows_opened", ["chain_id", "block_number"])
    op.create_index("ix_escrows_opened_buyer", "escrows_opened", ["chain_id", "buyer"])
    op.create_index(
        "ix_escrows_opened_escrow", "escrows_opened", ["chain_id", "escrow", "escrow_id"]
    )
    op.create_index("ix_escrows_opened_seller", "escrows_opened", ["chain_id", "seller"])

    op.create_table(
        "exchange_cancels",
        sa.Column("order_hash", sa.String(length=66), nullable=False),
        sa.Column("maker", sa.String(length=42), nullable=False),
        sa.Column("chain_id", sa.BigInteger(), nullable=False),
        sa.Column("tx_hash", sa.String(length=66), nullable=False),
        sa.Column("log_index", sa.Integer(), nullable=False),
        sa.Column("block_number", sa.BigInteger(), nullable=False),
        sa.Column("block_hash", sa.String(length=66), nullable=False),
        sa.Column("exchange", sa.String(length=42), nullable=False),
        sa.PrimaryKeyConstraint(
            "chain_id", "tx_hash", "log_index", name=op.f("pk_exchange_cancels")
        ),
    )
    op.create_index("ix_exchange_cancels_block", "exchange_cancels", ["chain_id", "block_number"])
    op.create_index(
        "ix_exchange_cancels_maker", "exchange_cancels", ["chain_id", "maker", "block_number"]
    )

    op.create_table(
        "exchange_deposits",
        sa.Column("token", sa.String(length=42), nullable=False),
        sa.Column("account", sa.String(length=42), nullable=False),
        sa.Column("amount", Uint256(), nullable=False),
        sa.Column("chain_id", sa.BigInteger(), nullable=False),
        sa.Column("tx_hash", sa.String(length=66), nullable=False),
        sa.Column("log_index", sa.Integer(), nullable=False),
        sa.Column("block_number", sa.BigInteger(), nullable=False),
        sa.Column("block_hash", sa.String(length=66), nullable=False),
        sa.Column("exchange", sa.String(length=42), nullable=False),
        sa.PrimaryKeyConstraint(
            "chain_id", "tx_hash", "log_index", name=op.f("pk_exchange_deposits")
        ),
    )
    op.create_index(
        "ix_exchange_deposits_account", "exchange_deposits", ["chain_id", "account", "block_number"]
    )
    op.create_index("ix_exchange_deposits_block", "exchange_deposits", ["chain_id", "block_number"])

    op.create_table(
        "exchange_trades",
        sa.Column("market_id", sa.BigInteger(), nullable=False),
        sa.Column("maker_order_hash", sa.String(length=66), nullable=False),
        sa.Column("taker_order_hash", sa.String(length=66), nullable=False),
        sa.Column("maker", sa.String(length=42), nullable=False),
        sa.Column("taker", sa.String(length=42), nullable=False),
        sa.Column("quantity_lots", Uint256(), nullable=False),
        sa.Column("price_ticks", Uint256(), nullable=False),
        sa.Column("base_amount", Uint256(), nullable=False),
        sa.Column("quote_amount", Uint256(), nullable=False),
        sa.Column("maker_fee", Uint256(), nullable=False),
        sa.Column("taker_fee", Uint256(), nullable=False),
        sa.Column("chain_id", sa.BigInteger(), nullable=False),
        sa.Column("tx_hash", sa.String(length=66), nullable=False),
        sa.Column("log_index", sa.Integer(), nullable=False),
        sa.Column("block_number", sa.BigInteger(), nullable=False),
        sa.Column("block_hash", sa.String(length=66), nullable=False),
        sa.Column("exchange", sa.String(length=42), nullable=False),
        sa.PrimaryKeyConstraint(
            "chain_id", "tx_hash", "log_index", name=op.f("pk_exchange_trades")
        ),
    )
    op.create_index("ix_exchange_trades_block", "exchange_trades", ["chain_id", "block_number"])
    op.create_index(
        "ix_exchange_trades_maker", "exchange_trades", ["chain_id", "maker", "block_number"]
    )
    op.create_index(
        "ix_exchange_trades_market", "exchange_trades", ["chain_id", "market_id", "block_number"]
    )
    op.create_index(
        "ix_exchange_trades_taker", "exchange_trades", ["chain_id", "taker", "block_number"]
    )

    op.create_table(
        "exchange_withdrawal_requests",
        sa.Column("token", sa.String(length=42), nullable=False),
        sa.Column("account", sa.String(length=42), nullable=False),
        sa.Column("amount", Uint256(), nullable=False),
        sa.Column("unlocks_at", sa.BigInteger(), nullable=False),
        sa.Column("chain_id", sa.BigInteger(), nullable=False),
        sa.Column("tx_hash", sa.String(length=66), nullable=False),
        sa.Column("log_index", sa.Integer(), nullable=False),
        sa.Column("block_number", sa.BigInteger(), nullable=False),
        sa.Column("block_hash", sa.String(length=66), nullable=False),
        sa.Column("exchange", sa.String(length=42), nullable=False),
        sa.PrimaryKeyConstraint(
            "chain_id", "tx_hash", "log_index", name=op.f("pk_exchange_withdrawal_requests")
        ),
    )
    op.create_index(
        "ix_exchange_withdrawal_requests_account",
        "exchange_withdrawal_requests",
        ["chain_id", "account", "block_number"],
    )
    op.create_index(
        "ix_exchange_withdrawal_requests_block",
        "exchange_withdrawal_requests",
        ["chain_id", "block_number"],
    )

    op.create_table(
        "exchange_withdrawals",
        sa.Column("token", sa.String(length=42), nullable=False),
        sa.Column("account", sa.String(length=42), nullable=False),
        sa.Column("amount", Uint256(), nullable=False),
        sa.Column("chain_id", sa.BigInteger(), nullable=False),
        sa.Column("tx_hash", sa.String(length=66), nullable=False),
        sa.Column("log_index", sa.Integer(), nullable=False),
        sa.Column("block_number", sa.BigInteger(), nullable=False),
        sa.Column("block_hash", sa.String(length=66), nullable=False),
        sa.Column("exchange", sa.String(length=42), nullable=False),
        sa.PrimaryKeyConstraint(
            "chain_id", "tx_hash", "log_index", name=op.f("pk_exchange_withdrawals")
        ),
    )
    op.create_index(
        "ix_exchange_withdrawals_account",
        "exchange_withdrawals",
        ["chain_id", "account", "block_number"],
    )
    op.create_index(
        "ix_exchange_withdrawals_block", "exchange_withdrawals", ["chain_id", "block_number"]
    )

    op.create_table(
        "kyc_attestations",
        sa.Column("kyc_registry", sa.String(length=42), nullable=False),
        sa.Column("subject", sa.String(length=42), nullable=False),
        sa.Column("attester", sa.String(length=42), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("expires_at", sa.BigInteger(), nullable=False),
        sa.Column("revoked", sa.Boolean(), nullable=False),
        sa.Column("chain_id", sa.BigInteger(), nullable=False),
        sa.Column("tx_hash", sa.String(length=66), nullable=False),
        sa.Column("log_index", sa.Integer(), nullable=False),
        sa.Column("block_number", sa.BigInteger(), nullable=False),
        sa.Column("block_hash", sa.String(length=66), nullable=False),
        sa.PrimaryKeyConstraint(
            "chain_id", "tx_hash", "log_index", name=op.f("pk_kyc_attestations")
        ),
    )
    op.create_index("ix_kyc_attestations_block", "kyc_attestations", ["chain_id", "block_number"])
    op.create_index(
        "ix_kyc_attestations_subject", "kyc_attestations", ["chain_id", "subject", "block_number"]
    )

    op.create_table(
        "multisig_wallets",
        sa.Column("factory", sa.String(length=42), nullable=False),
        sa.Column("wallet", sa.String(length=42), nullable=False),
        sa.Column("owners", sa.JSON(), nullable=False),
        sa.Column("threshold", sa.Integer(), nullable=False),
        sa.Column("chain_id", sa.BigInteger(), nullable=False),
        sa.Column("tx_hash", sa.String(length=66), nullable=False),
        sa.Column("log_index", sa.Integer(), nullable=False),
        sa.Column("block_number", sa.BigInteger(), nullable=False),
        sa.Column("block_hash", sa.String(length=66), nullable=False),
        sa.PrimaryKeyConstraint(
            "chain_id", "tx_hash", "log_index", name=op.f("pk_multisig_wallets")
        ),
    )
    op.create_index("ix_multisig_wallets_block", "multisig_wallets", ["chain_id", "block_number"])


def downgrade() -> None:
    op.drop_index("ix_multisig_wallets_block", table_name="multisig_wallets")

    op.drop_table("multisig_wallets")
    op.drop_index("ix_kyc_attestations_subject", table_name="kyc_attestations")
    op.drop_index("ix_kyc_attestations_block", table_name="kyc_attestations")

    op.drop_table("kyc_attestations")
    op.drop_index("ix_exchange_withdrawals_block", table_name="exchange_withdrawals")
    op.drop_index("ix_exchange_withdrawals_account", table_name="exchange_withdrawals")

    op.drop_table("exchange_withdrawals")
    op.drop_index(
        "ix_exchange_withdrawal_requests_block", table_name="exchange_withdrawal_requests"
    )
    op.drop_index(
        "ix_exchange_withdrawal_requests_account", table_name="exchange_withdrawal_requests"
    )

    op.drop_table("exchange_withdrawal_requests")
    op.drop_index("ix_exchange_trades_taker", table_name="exchange_trades")
    op.drop_index("ix_exchange_trades_market", table_name="exchange_trades")
    op.drop_index("ix_exchange_trades_maker", table_name="exchange_trades")
    op.drop_index("ix_exchange_trades_block", table_name="exchange_trades")

    op.drop_table("exchange_trades")
    op.drop_index("ix_exchange_deposits_block", table_name="exchange_deposits")
    op.drop_index("ix_exchange_deposits_account", table_name="exchange_deposits")

    op.drop_table("exchange_deposits")
    op.drop_index("ix_exchange_cancels_maker", table_name="exchange_cancels")
    op.drop_index("ix_exchange_cancels_block", table_name="exchange_cancels")

    op.drop_table("exchange_cancels")
    op.drop_index("ix_escrows_opened_seller", table_name="escrows_opened")
    op.drop_index("ix_escrows_opened_escrow", table_name="escrows_opened")
    op.drop_index("ix_escrows_opened_buyer", table_name="escrows_opened")
    op.drop_index("ix_escrows_opened_block", table_name="escrows_opened")

    op.drop_table("escrows_opened")
    op.drop_index("ix_escrow_transitions_escrow", table_name="escrow_transitions")
    op.drop_index("ix_escrow_transitions_block", table_name="escrow_transitions")

    op.drop_table("escrow_transitions")
