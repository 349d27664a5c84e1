"""earn: staking, launchpad and vesting events

Revision ID: 0007_earn
Revises: 0006_relayer
Create Date: 2026-11-21

Every event of ``StakingPools``, ``Launchpad`` and ``VestingVault``, one row per log (rolled back
on reorg like the events): ``staking_*``, ``launchpad_*``, ``vesting_*``. Pools, positions, sales
and schedules now are derived from these rows when read.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from tigerex.db import Uint256

revision: str = "0007_earn"
down_revision: str | None = "0006_relayer"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "launchpad_fee_changes",
        sa.Column("launchpad", sa.String(length=42), nullable=False),
        sa.Column("fee_bps", sa.Integer(), nullable=False),
        sa.Column("fee_recipient", sa.String(length=42), nullable=False),
        sa.Column("chain_id", sa.BigInteger(), nullable=False),
        sa.Column("tx_hash", sa.String(length=66), nullable=False),
        sa.Column("log_index", sa.Integer(), nullable=False),
        sa.Column("block_number", sa.BigInteger(), nullable=False),
        sa.Column("block_hash", sa.String(length=66), nullable=False),
        sa.PrimaryKeyConstraint(
            "chain_id", "tx_hash", "log_index", name=op.f("pk_launchpad_fee_changes")
        ),
    )
    op.create_index(
        "ix_launchpad_fee_changes_block", "launchpad_fee_changes", ["chain_id", "block_number"]
    )

    op.create_table(
        "launchpad_purchases",
        sa.Column("buyer", sa.String(length=42), nullable=False),
        sa.Column("amount", Uint256(), nullable=False),
        sa.Column("committed", Uint256(), nullable=False),
        sa.Column("guaranteed_cap", Uint256(), nullable=False),
        sa.Column("lottery_offset", Uint256(), nullable=False),
        sa.Column("launchpad", sa.String(length=42), nullable=False),
        sa.Column("sale_id", sa.BigInteger(), nullable=False),
        sa.Column("chain_id", sa.BigInteger(), nullable=False),
        sa.Column("tx_hash", sa.String(length=66), nullable=False),
        sa.Column("log_index", sa.Integer(), nullable=False),
        sa.Column("block_number", sa.BigInteger(), nullable=False),
        sa.Column("block_hash", sa.String(length=66), nullable=False),
        sa.PrimaryKeyConstraint(
            "chain_id", "tx_hash", "log_index", name=op.f("pk_launchpad_purchases")
        ),
    )
    op.create_index(
        "ix_launchpad_purchases_block", "launchpad_purchases", ["chain_id", "block_number"]
    )
    op.create_index("ix_launchpad_purchases_buyer", "launchpad_purchases", ["chain_id", "buyer"])
    op.create_index(
        "ix_launchpad_purchases_sale", "launchpad_purchases", ["chain_id", "launchpad", "sale_id"]
    )

    op.create_table(
        "launchpad_sale_steps",
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("account", sa.String(length=42), nullable=True),
        sa.Column("amount", Uint256(), nullable=True),
        sa.Column("total", Uint256(), nullable=True),
        sa.Column("seed_hash", sa.String(length=66), nullable=True),
        sa.Column("seed", sa.String(length=66), nullable=True),
        sa.Column("randomness", sa.String(length=66), nullable=True),
        sa.Column("lottery_start", Uint256(), nullable=True),
        sa.Column("outcome", sa.Integer(), nullable=True),
        sa.Column("raised", Uint256(), nullable=True),
        sa.Column("proceeds", Uint256(), nullable=True),
        sa.Column("fee", Uint256(), nullable=True),
        sa.Column("tokens_returned", Uint256(), nullable=True),
        sa.Column("lottery_drawn", sa.Boolean(), nullable=True),
        sa.Column("launchpad", sa.String(length=42), nullable=False),
        sa.Column("sale_id", sa.BigInteger(), nullable=False),
        sa.Column("chain_id", sa.BigInteger(), nullable=False),
        sa.Column("tx_hash", sa.String(length=66), nullable=False),
        sa.Column("log_index", sa.Integer(), nullable=False),
        sa.Column("block_number", sa.BigInteger(), nullable=False),
        sa.Column("block_hash", sa.String(length=66), nullable=False),
        sa.PrimaryKeyConstraint(
            "chain_id", "tx_hash", "log_index", name=op.f("pk_launchpad_sale_steps")
        ),
    )
    op.create_index(
        "ix_launchpad_sale_steps_block", "launchpad_sale_steps", ["chain_id", "block_number"]
    )
    op.create_index(
        "ix_launchpad_sale_steps_sale",
        "launchpad_sale_steps",
        ["chain_id", "launchpad", "sale_id", "kind"],
    )

    op.create_table(
        "launchpad_sales",
        sa.Column("sale_token", sa.String(length=42), nullable=False),
        sa.Column("payment_token", sa.String(length=42), nullable=False),
        sa.Column("treasury", sa.String(length=42), nullable=False),
        sa.Column("staking", sa.String(length=42), nullable=False),
        sa.Column("pool_id", Uint256(), nullable=False),
        sa.Column("snapshot_time", sa.BigInteger(), nullable=False),
        sa.Column("start_time", sa.BigInteger(), nullable=False),
        sa.Column("end_time", sa.BigInteger(), nullable=False),
        sa.Column("price", Uint256(), nullable=False),
        sa.Column("hard_cap", Uint256(), nullable=False),
        sa.Column("soft_cap", Uint256(), nullable=False),
        sa.Column("min_buy", Uint256(), nullable=False),
        sa.Column("max_buy", Uint256(), nullable=False),
        sa.Column("kyc_level", sa.Integer(), nullable=False),
        sa.Column("lottery", sa.Boolean(), nullable=False),
        sa.Column("tier_thresholds", sa.JSON(), nullable=False),
        sa.Column("tier_allocations", sa.JSON(), nullable=False),
        sa.Column("vesting_start", sa.BigInteger(), nullable=False),
        sa.Column("vesting_cliff", sa.BigInteger(), nullable=False),
        sa.Column("vesting_duration", sa.BigInteger(), nullable=False),
        sa.Column("vesting_tge_bps", sa.Integer(), nullable=False),
        sa.Column("fee_bps", sa.Integer(), nullable=False),
        sa.Column("launchpad", sa.String(length=42), nullable=False),
        sa.Column("sale_id", sa.BigInteger(), nullable=False),
        sa.Column("chain_id", sa.BigInteger(), nullable=False),
        sa.Column("tx_hash", sa.String(length=66), nullable=False),
        sa.Column("log_index", sa.Integer(), nullable=False),
        sa.Column("block_number", sa.BigInteger(), nullable=False),
        sa.Column("block_hash", sa.String(length=66), nullable=False),
        sa.PrimaryKeyConstraint(
            "chain_id", "tx_hash", "log_index", name=op.f("pk_launchpad_sales")
        ),
    )
    op.create_index("ix_launchpad_sales_block", "launchpad_sales", ["chain_id", "block_number"])
    op.create_index(
        "ix_launchpad_sales_sale", "launchpad_sales", ["chain_id", "launchpad", "sale_id"]
    )

    op.create_table(
        "launchpad_settlements",
        sa.Column("buyer", sa.String(length=42), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("paid", Uint256(), nullable=False),
        sa.Column("tokens", Uint256(), nullable=False),
        sa.Column("refund", Uint256(), nullable=False),
        sa.Column("schedule_id", Uint256(), nullable=True),
        sa.Column("launchpad", sa.String(length=42), nullable=False),
        sa.Column("sale_id", sa.BigInteger(), nullable=False),
        sa.Column("chain_id", sa.BigInteger(), nullable=False),
        sa.Column("tx_hash", sa.String(length=66), nullable=False),
        sa.Column("log_index", sa.Integer(), nullable=False),
        sa.Column("block_number", sa.BigInteger(), nullable=False),
        sa.Column("block_hash", sa.String(length=66), nullable=False),
        sa.PrimaryKeyConstraint(
            "chain_id", "tx_hash", "log_index", name=op.f("pk_launchpad_settlements")
        ),
    )
    op.create_index(
        "ix_launchpad_settlements_block", "launchpad_settlements", ["chain_id", "block_number"]
    )
    op.create_index(
        "ix_launchpad_settlements_buyer", "launchpad_settlements", ["chain_id", "buyer"]
    )
    op.create_index(
        "ix_launchpad_settlements_sale",
        "launchpad_settlements",
        ["chain_id", "launchpad", "sale_id"],
    )

    op.create_table(
        "staking_admin_actions",
        sa.Column("staking", sa.String(length=42), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("pool_id", sa.BigInteger(), nullable=True),
        sa.Column("token", sa.String(length=42), nullable=True),
        sa.Column("to", sa.String(length=42), nullable=True),
        sa.Column("amount", Uint256(), nullable=True),
        sa.Column("chain_id", sa.BigInteger(), nullable=False),
        sa.Column("tx_hash", sa.String(length=66), nullable=False),
        sa.Column("log_index", sa.Integer(), nullable=False),
        sa.Column("block_number", sa.BigInteger(), nullable=False),
        sa.Column("block_hash", sa.String(length=66), nullable=False),
        sa.PrimaryKeyConstraint(
            "chain_id", "tx_hash", "log_index", name=op.f("pk_staking_admin_actions")
        ),
    )
    op.create_index(
        "ix_staking_admin_actions_block", "staking_admin_actions", ["chain_id", "block_number"]
    )
    op.create_index(
        "ix_staking_admin_actions_staking", "staking_admin_actions", ["chain_id", "staking", "kind"]
    )

    op.create_table(
        "staking_pools",
        sa.Column("staking", sa.String(length=42), nullable=False),
        sa.Column("pool_id", sa.BigInteger(), nullable=False),
        sa.Column("staking_token", sa.String(length=42), nullable=False),
        sa.Column("lock_durations", sa.JSON(), nullable=False),
        sa.Column("boost_bps", sa.JSON(), nullable=False),
        sa.Column("exit_policy", sa.Integer(), nullable=False),
        sa.Column("penalty_bps", sa.Integer(), nullable=False),
        sa.Column("chain_id", sa.BigInteger(), nullable=False),
        sa.Column("tx_hash", sa.String(length=66), nullable=False),
        sa.Column("log_index", sa.Integer(), nullable=False),
        sa.Column("block_number", sa.BigInteger(), nullable=False),
        sa.Column("block_hash", sa.String(length=66), nullable=False),
        sa.PrimaryKeyConstraint("chain_id", "tx_hash", "log_index", name=op.f("pk_staking_pools")),
    )
    op.create_index("ix_staking_pools_block", "staking_pools", ["chain_id", "block_number"])
    op.create_index("ix_staking_pools_pool", "staking_pools", ["chain_id", "staking", "pool_id"])

    op.create_table(
        "staking_position_changes",
        sa.Column("staking", sa.String(length=42), nullable=False),
        sa.Column("pool_id", sa.BigInteger(), nullable=False),
        sa.Column("account", sa.String(length=42), nullable=False),
        sa.Column("lock_index", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("amount", Uint256(), nullable=False),
        sa.Column("penalty", Uint256(), nullable=False),
        sa.Column("position_amount", Uint256(), nullable=False),
        sa.Column("unlock_at", sa.BigInteger(), nullable=True),
        sa.Column("account_weight", Uint256(), nullable=False),
        sa.Column("total_weight", Uint256(), nullable=False),
        sa.Column("chain_id", sa.BigInteger(), nullable=False),
        sa.Column("tx_hash", sa.String(length=66), nullable=False),
        sa.Column("log_index", sa.Integer(), nullable=False),
        sa.Column("block_number", sa.BigInteger(), nullable=False),
        sa.Column("block_hash", sa.String(length=66), nullable=False),
        sa.PrimaryKeyConstraint(
            "chain_id", "tx_hash", "log_index", name=op.f("pk_staking_position_changes")
        ),
    )
    op.create_index(
        "ix_staking_position_changes_account",
        "staking_position_changes",
        ["chain_id", "account", "block_number"],
    )
    op.create_index(
        "ix_staking_position_changes_block",
        "staking_position_changes",
        ["chain_id", "block_number"],
    )
    op.create_index(
        "ix_staking_position_changes_pool",
        "staking_position_changes",
        ["chain_id", "staking", "pool_id", "block_number"],
    )

    op.create_table(
        "staking_reward_fundings",
        sa.Column("staking", sa.String(length=42), nullable=False),
        sa.Column("pool_id", sa.BigInteger(), nullable=False),
        sa.Column("reward_token", sa.String(length=42), nullable=False),
        sa.Column("received", Uint256(), nullable=False),
        sa.Column("carried_in_scaled", Uint256(), nullable=False),
        sa.Column("rate_scaled", Uint256(), nullable=False),
        sa.Column("period_finish", sa.BigInteger(), nullable=False),
        sa.Column("chain_id", sa.BigInteger(), nullable=False),
        sa.Column("tx_hash", sa.String(length=66), nullable=False),
        sa.Column("log_index", sa.Integer(), nullable=False),
        sa.Column("block_number", sa.BigInteger(), nullable=False),
        sa.Column("block_hash", sa.String(length=66), nullable=False),
        sa.PrimaryKeyConstraint(
            "chain_id", "tx_hash", "log_index", name=op.f("pk_staking_reward_fundings")
        ),
    )
    op.create_index(
        "ix_staking_reward_fundings_block", "staking_reward_fundings", ["chain_id", "block_number"]
    )
    op.create_index(
        "ix_staking_reward_fundings_pool",
        "staking_reward_fundings",
        ["chain_id", "staking", "pool_id"],
    )

    op.create_table(
        "staking_reward_payments",
        sa.Column("staking", sa.String(length=42), nullable=False),
        sa.Column("pool_id", sa.BigInteger(), nullable=False),
        sa.Column("account", sa.String(length=42), nullable=False),
        sa.Column("reward_token", sa.String(length=42), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("amount", Uint256(), nullable=False),
        sa.Column("chain_id", sa.BigInteger(), nullable=False),
        sa.Column("tx_hash", sa.String(length=66), nullable=False),
        sa.Column("log_index", sa.Integer(), nullable=False),
        sa.Column("block_number", sa.BigInteger(), nullable=False),
        sa.Column("block_hash", sa.String(length=66), nullable=False),
        sa.PrimaryKeyConstraint(
            "chain_id", "tx_hash", "log_index", name=op.f("pk_staking_reward_payments")
        ),
    )
    op.create_index(
        "ix_staking_reward_payments_account",
        "staking_reward_payments",
        ["chain_id", "account", "block_number"],
    )
    op.create_index(
        "ix_staking_reward_payments_block", "staking_reward_payments", ["chain_id", "block_number"]
    )

    op.create_table(
        "staking_reward_tokens",
        sa.Column("staking", sa.String(length=42), nullable=False),
        sa.Column("pool_id", sa.BigInteger(), nullable=False),
        sa.Column("reward_token", sa.String(length=42), nullable=False),
        sa.Column("chain_id", sa.BigInteger(), nullable=False),
        sa.Column("tx_hash", sa.String(length=66), nullable=False),
        sa.Column("log_index", sa.Integer(), nullable=False),
        sa.Column("block_number", sa.BigInteger(), nullable=False),
        sa.Column("block_hash", sa.String(length=66), nullable=False),
        sa.PrimaryKeyConstraint(
            "chain_id", "tx_hash", "log_index", name=op.f("pk_staking_reward_tokens")
        ),
    )
    op.create_index(
        "ix_staking_reward_tokens_block", "staking_reward_tokens", ["chain_id", "block_number"]
    )
    op.create_index(
        "ix_staking_reward_tokens_pool", "staking_reward_tokens", ["chain_id", "staking", "pool_id"]
    )

    op.create_table(
        "vesting_claims",
        sa.Column("amount", Uint256(), nullable=False),
        sa.Column("released", Uint256(), nullable=False),
        sa.Column("vault", sa.String(length=42), nullable=False),
        sa.Column("schedule_id", Uint256(), nullable=False),
        sa.Column("beneficiary", sa.String(length=42), nullable=False),
        sa.Column("chain_id", sa.BigInteger(), nullable=False),
        sa.Column("tx_hash", sa.String(length=66), nullable=False),
        sa.Column("log_index", sa.Integer(), nullable=False),
        sa.Column("block_number", sa.BigInteger(), nullable=False),
        sa.Column("block_hash", sa.String(length=66), nullable=False),
        sa.PrimaryKeyConstraint("chain_id", "tx_hash", "log_index", name=op.f("pk_vesting_claims")),
    )
    op.create_index("ix_vesting_claims_block", "vesting_claims", ["chain_id", "block_number"])
    op.create_index(
        "ix_vesting_claims_schedule", "vesting_claims", ["chain_id", "vault", "schedule_id"]
    )

    op.create_table(
        "vesting_revocations",
        sa.Column("vested_total", Uint256(), nullable=False),
        sa.Column("unvested", Uint256(), nullable=False),
        sa.Column("returned_to", sa.String(length=42), nullable=False),
        sa.Column("vault", sa.String(length=42), nullable=False),
        sa.Column("schedule_id", Uint256(), nullable=False),
        sa.Column("beneficiary", sa.String(length=42), nullable=False),
        sa.Column("chain_id", sa.BigInteger(), nullable=False),
        sa.Column("tx_hash", sa.String(length=66), nullable=False),
        sa.Column("log_index", sa.Integer(), nullable=False),
        sa.Column("block_number", sa.BigInteger(), nullable=False),
        sa.Column("block_hash", sa.String(length=66), nullable=False),
        sa.PrimaryKeyConstraint(
            "chain_id", "tx_hash", "log_index", name=op.f("pk_vesting_revocations")
        ),
    )
    op.create_index(
        "ix_vesting_revocations_block", "vesting_revocations", ["chain_id", "block_number"]
    )
    op.create_index(
        "ix_vesting_revocations_schedule",
        "vesting_revocations",
        ["chain_id", "vault", "schedule_id"],
    )

    op.create_table(
        "vesting_schedules",
        sa.Column("token", sa.String(length=42), nullable=False),
        sa.Column("total", Uint256(), nullable=False),
        sa.Column("start", sa.BigInteger(), nullable=False),
        sa.Column("cliff", sa.BigInteger(), nullable=False),
        sa.Column("duration", sa.BigInteger(), nullable=False),
        sa.Column("tge_bps", sa.Integer(), nullable=False),
        sa.Column("revocable", sa.Boolean(), nullable=False),
        sa.Column("creator", sa.String(length=42), nullable=False),
        sa.Column("vault", sa.String(length=42), nullable=False),
        sa.Column("schedule_id", Uint256(), nullable=False),
        sa.Column("beneficiary", sa.String(length=42), nullable=False),
        sa.Column("chain_id", sa.BigInteger(), nullable=False),
        sa.Column("tx_hash", sa.String(length=66), nullable=False),
        sa.Column("log_index", sa.Integer(), nullable=False),
        sa.Column("block_number", sa.BigInteger(), nullable=False),
        sa.Column("block_hash", sa.String(length=66), nullable=False),
        sa.PrimaryKeyConstraint(
            "chain_id", "tx_hash", "log_index", name=op.f("pk_vesting_schedules")
        ),
    )
    op.create_index(
        "ix_vesting_schedules_beneficiary", "vesting_schedules", ["chain_id", "beneficiary"]
    )
    op.create_index("ix_vesting_schedules_block", "vesting_schedules", ["chain_id", "block_number"])
    op.create_index(
        "ix_vesting_schedules_schedule", "vesting_schedules", ["chain_id", "vault", "schedule_id"]
    )


def downgrade() -> None:
    # Dropping a table drops its indexes.
    op.drop_table("vesting_schedules")
    op.drop_table("vesting_revocations")
    op.drop_table("vesting_claims")
    op.drop_table("staking_reward_tokens")
    op.drop_table("staking_reward_payments")
    op.drop_table("staking_reward_fundings")
    op.drop_table("staking_position_changes")
    op.drop_table("staking_pools")
    op.drop_table("staking_admin_actions")
    op.drop_table("launchpad_settlements")
    op.drop_table("launchpad_sales")
    op.drop_table("launchpad_sale_steps")
    op.drop_table("launchpad_purchases")
    op.drop_table("launchpad_fee_changes")
