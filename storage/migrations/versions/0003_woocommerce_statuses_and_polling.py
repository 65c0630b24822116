"""WooCommerce: a store's status mapping and last poll; an order snapshot's platform status as last seen.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-21
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

DOCUMENT = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("stores") as stores:
        stores.add_column(sa.Column("status_mapping", DOCUMENT, nullable=True))
        stores.add_column(sa.Column("polled_at", TIMESTAMP, nullable=True))
    with op.batch_alter_table("order_snapshots") as snapshots:
        snapshots.add_column(sa.Column("platform_status", sa.String(64), nullable=True))
        snapshots.add_column(sa.Column("platform_modified_at", TIMESTAMP, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("order_snapshots") as snapshots:
        snapshots.drop_column("platform_modified_at")
        snapshots.drop_column("platform_status")
    with op.batch_alter_table("stores") as stores:
        stores.drop_column("polled_at")
        stores.drop_column("status_mapping")
