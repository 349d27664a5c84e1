"""relayer journal: orders, fills, settlements, engine snapshots, cancels

Revision ID: 0006_relayer
Revises: 0005_custody_wallets
Create Date: 2026-11-21

The tables of relayer/models.py: the relayer writes orders, fills, cancels and snapshots; the
settlement worker writes settlements (with what it needs to resume: batch fill ids, the signed
transaction, fees, the attempt it replaces) and moves fills and orders through their statuses.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_relayer"
down_revision: str | None = "0005_custody_wallets"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "relayer_engine_snapshots",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("market_id", sa.BigInteger(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("blob", sa.LargeBinary(), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_relayer_engine_snapshots")),
    )
    with op.batch_alter_table("relayer_engine_snapshots", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_relayer_engine_snapshots_market_id"), ["market_id"], unique=False
        )

    op.create_table(
        "relayer_orders",
        sa.Column("order_hash", sa.String(length=66), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("chain_id", sa.BigInteger(), nullable=False),
        sa.Column("exchange", sa.String(length=42), nullable=False),
        sa.Column("maker", sa.String(length=42), nullable=False),
        sa.Column("market_id", sa.BigInteger(), nullable=False),
        sa.Column("is_buy", sa.Boolean(), nullable=False),
        sa.Column("price_ticks", sa.BigInteger(), nullable=False),
        sa.Column("quantity_lots", sa.BigInteger(), nullable=False),
        sa.Column("expiry", sa.BigInteger(), nullable=False),
        sa.Column("salt", sa.BigInteger(), nullable=False),
        sa.Column("epoch", sa.BigInteger(), nullable=False),
        sa.Column("max_fee_bps", sa.SmallInteger(), nullable=False),
        sa.Column("signature", sa.Text(), nullable=False),
        sa.Column("order_type", sa.String(length=16), nullable=False),
        sa.Column("time_in_force", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("matched_lots", sa.BigInteger(), nullable=False),
        sa.Column("settled_lots", sa.BigInteger(), nullable=False),
        sa.Column("status_reason", sa.String(length=64), nullable=True),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.PrimaryKeyConstraint("order_hash", name=op.f("pk_relayer_orders")),
        sa.UniqueConstraint("seq", name=op.f("uq_relayer_orders_seq")),
    )
    with op.batch_alter_table("relayer_orders", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_relayer_orders_maker"), ["maker"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_relayer_orders_market_id"), ["market_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_relayer_orders_status"), ["status"], unique=False)

    op.create_table(
        "relayer_settlements",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("chain_id", sa.BigInteger(), nullable=False),
        sa.Column("operator", sa.String(length=42), nullable=False),
        sa.Column("nonce", sa.BigInteger(), nullable=False),
        sa.Column("tx_hash", sa.String(length=66), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("block_number", sa.BigInteger(), nullable=True),
        sa.Column("block_hash", sa.String(length=66), nullable=True),
        sa.Column("gas_used", sa.BigInteger(), nullable=True),
        sa.Column("fill_ids", sa.Text(), nullable=False),
        sa.Column("raw_tx", sa.Text(), nullable=True),
        sa.Column("gas_limit", sa.BigInteger(), nullable=True),
        sa.Column("max_fee_per_gas", sa.BigInteger(), nullable=True),
        sa.Column("max_priority_fee_per_gas", sa.BigInteger(), nullable=True),
        sa.Column("replaces_id", sa.Integer(), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["replaces_id"],
            ["relayer_settlements.id"],
            name=op.f("fk_relayer_settlements_replaces_id_relayer_settlements"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_relayer_settlements")),
    )
    with op.batch_alter_table("relayer_settlements", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_relayer_settlements_status"), ["status"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_relayer_settlements_tx_hash"), ["tx_hash"], unique=False
        )

    op.create_table(
        "relayer_cancels",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("order_hash", sa.String(length=66), nullable=False),
        sa.Column("market_id", sa.BigInteger(), nullable=False),
        sa.Column("reason", sa.String(length=16), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["order_hash"],
            ["relayer_orders.order_hash"],
            name=op.f("fk_relayer_cancels_order_hash_relayer_orders"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_relayer_cancels")),
        sa.UniqueConstraint("seq", name=op.f("uq_relayer_cancels_seq")),
    )
    with op.batch_alter_table("relayer_cancels", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_relayer_cancels_market_id"), ["market_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_relayer_cancels_order_hash"), ["order_hash"], unique=False
        )

    op.create_table(
        "relayer_fills",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("market_id", sa.BigInteger(), nullable=False),
        sa.Column("maker_order_hash", sa.String(length=66), nullable=False),
        sa.Column("taker_order_hash", sa.String(length=66), nullable=False),
        sa.Column("quantity_lots", sa.BigInteger(), nullable=False),
        sa.Column("price_ticks", sa.BigInteger(), nullable=False),
        sa.Column("taker_is_buy", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("settlement_id", sa.Integer(), nullable=True),
        sa.Column("skip_reason", sa.SmallInteger(), nullable=True),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["maker_order_hash"],
            ["relayer_orders.order_hash"],
            name=op.f("fk_relayer_fills_maker_order_hash_relayer_orders"),
        ),
        sa.ForeignKeyConstraint(
            ["settlement_id"],
            ["relayer_settlements.id"],
            name=op.f("fk_relayer_fills_settlement_id_relayer_settlements"),
        ),
        sa.ForeignKeyConstraint(
            ["taker_order_hash"],
            ["relayer_orders.order_hash"],
            name=op.f("fk_relayer_fills_taker_order_hash_relayer_orders"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_relayer_fills")),
    )
    with op.batch_alter_table("relayer_fills", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_relayer_fills_maker_order_hash"), ["maker_order_hash"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_relayer_fills_market_id"), ["market_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_relayer_fills_settlement_id"), ["settlement_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_relayer_fills_status"), ["status"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_relayer_fills_taker_order_hash"), ["taker_order_hash"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("relayer_fills", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_relayer_fills_taker_order_hash"))
        batch_op.drop_index(batch_op.f("ix_relayer_fills_status"))
        batch_op.drop_index(batch_op.f("ix_relayer_fills_settlement_id"))
        batch_op.drop_index(batch_op.f("ix_relayer_fills_market_id"))
        batch_op.drop_index(batch_op.f("ix_relayer_fills_maker_order_hash"))

    op.drop_table("relayer_fills")
    with op.batch_alter_table("relayer_cancels", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_relayer_cancels_order_hash"))
        batch_op.drop_index(batch_op.f("ix_relayer_cancels_market_id"))

    op.drop_table("relayer_cancels")
    with op.batch_alter_table("relayer_settlements", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_relayer_settlements_tx_hash"))
        batch_op.drop_index(batch_op.f("ix_relayer_settlements_status"))

    op.drop_table("relayer_settlements")
    with op.batch_alter_table("relayer_orders", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_relayer_orders_status"))
        batch_op.drop_index(batch_op.f("ix_relayer_orders_market_id"))
        batch_op.drop_index(batch_op.f("ix_relayer_orders_maker"))

    op.drop_table("relayer_orders")
    with op.batch_alter_table("relayer_engine_snapshots", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_relayer_engine_snapshots_market_id"))

    op.drop_table("relayer_engine_snapshots")
