"""relayer: conditional orders (stop / take-profit / trailing, iceberg, OCO)

Revision ID: 0009_relayer_conditional
Revises: 0008_bridge
Create Date: 2026-11-22

The trigger parameters of relayer_orders (relayer/conditional.py), when a trigger fired and at
which last price; order_type widened to 24 characters for ``trailing_stop_market``.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009_relayer_conditional"
down_revision: str | None = "0008_bridge"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("relayer_orders", schema=None) as batch_op:
        batch_op.alter_column(
            "order_type",
            existing_type=sa.String(length=16),
            type_=sa.String(length=24),
            existing_nullable=False,
        )
        batch_op.add_column(sa.Column("trigger_price", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("trailing_delta", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("trailing_bps", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("display_lots", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("oco_with", sa.String(length=66), nullable=True))
        batch_op.add_column(sa.Column("oco_link_seq", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("triggered_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("trigger_last_price", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("relayer_orders", schema=None) as batch_op:
        batch_op.drop_column("trigger_last_price")
        batch_op.drop_column("triggered_at")
        batch_op.drop_column("oco_link_seq")
        batch_op.drop_column("oco_with")
        batch_op.drop_column("display_lots")
        batch_op.drop_column("trailing_bps")
        batch_op.drop_column("trailing_delta")
        batch_op.drop_column("trigger_price")
        batch_op.alter_column(
            "order_type",
            existing_type=sa.String(length=24),
            type_=sa.String(length=16),
            existing_nullable=False,
        )
