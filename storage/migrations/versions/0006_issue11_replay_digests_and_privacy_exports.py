"""Issue 11: delivery digests (a signed body resent under a new delivery id is a duplicate) and privacy exports
(what Assay holds on a customer, written for a data request, encrypted).

Revision ID: 0006_issue11
Revises: 0005
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_issue11"
down_revision = "0005"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "delivery_digests",
        sa.Column("id", ID, nullable=False),
        sa.Column("platform", sa.String(16), nullable=False),
        sa.Column("topic", sa.String(255), nullable=False),
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("event_id", ID, nullable=True),
        sa.ForeignKeyConstraint(["event_id"], ["events.id"], name=op.f("fk_delivery_digests_event_id_events"),
                                ondelete="SET NULL"),
        sa.Column("seen_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_delivery_digests")),
        sa.UniqueConstraint("platform", "topic", "digest", name=op.f("uq_delivery_digests_platform_topic_digest")),
    )
    op.create_index(op.f("ix_delivery_digests_seen_at"), "delivery_digests", ["seen_at"])
    op.create_table(
        "privacy_exports",
        sa.Column("id", ID, nullable=False),
        sa.Column("store_id", ID, nullable=False),
        sa.ForeignKeyConstraint(["store_id"], ["stores.id"], name=op.f("fk_privacy_exports_store_id_stores"),
                                ondelete="CASCADE"),
        sa.Column("customer_id", sa.String(255), nullable=True),
        sa.Column("document_encrypted", sa.Text(), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_privacy_exports")),
    )
    op.create_index(op.f("ix_privacy_exports_store_id_created_at"), "privacy_exports", ["store_id", "created_at"])


def downgrade() -> None:
    op.drop_table("privacy_exports")
    op.drop_table("delivery_digests")
