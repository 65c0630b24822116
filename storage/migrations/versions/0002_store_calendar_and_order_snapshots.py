"""The store's country and time zone; order snapshots taken when an order is placed.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-20
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
DOCUMENT = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("stores") as stores:
        stores.add_column(sa.Column("country", sa.String(2), nullable=True))
        stores.add_column(sa.Column("timezone", sa.String(64), nullable=True))
    op.create_table(
        "order_snapshots",
        sa.Column("id", ID, nullable=False),
        sa.Column("store_id", ID, nullable=False),
        sa.Column("order_id", sa.String(255), nullable=False),
        sa.Column("customer_id", sa.String(255), nullable=True),
        sa.Column("document", DOCUMENT, nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.ForeignKeyConstraint(["store_id"], ["stores.id"], name=op.f("fk_order_snapshots_store_id_stores"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_order_snapshots")),
        sa.UniqueConstraint("store_id", "order_id", name=op.f("uq_order_snapshots_store_id_order_id")),
    )


def downgrade() -> None:
    op.drop_table("order_snapshots")
    with op.batch_alter_table("stores") as stores:
        stores.drop_column("timezone")
        stores.drop_column("country")
