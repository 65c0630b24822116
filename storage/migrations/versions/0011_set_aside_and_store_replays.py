"""Issue 21: a case no decision can be made of is set aside with its errors (no longer handed out forever); the
relay hands out first what it handed out least recently; an inbox row and a body's digest are one store's own.

Revision ID: 0011_set_aside_and_store_replays
Revises: 0010_admin_indexes
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0011_set_aside_and_store_replays"
down_revision = "0010_admin_indexes"
branch_labels = None
depends_on = None

TIMESTAMP = sa.DateTime(timezone=True)
DOCUMENT = sa.JSON().with_variant(JSONB(), "postgresql")
# storage.models.CaseStatus, written out: a migration keeps the shape it had when it was written.
CASE_STATUSES = "'open', 'decided', 'closed'"


def upgrade() -> None:
    with op.batch_alter_table("cases") as cases:
        cases.add_column(sa.Column("errors", DOCUMENT, nullable=True))
        cases.add_column(sa.Column("set_aside_at", TIMESTAMP, nullable=True))
        cases.add_column(sa.Column("relayed_at", TIMESTAMP, nullable=True))
        cases.drop_constraint(op.f("ck_cases_status"), type_="check")
        cases.create_check_constraint(op.f("ck_cases_status"), f"status IN ({CASE_STATUSES}, 'set_aside')")
    with op.batch_alter_table("events") as events:
        events.add_column(sa.Column("relayed_at", TIMESTAMP, nullable=True))
        events.drop_constraint(op.f("uq_events_platform_delivery_id"), type_="unique")
        events.create_unique_constraint(op.f("uq_events_platform_shop_domain_delivery_id"),
                                        ["platform", "shop_domain", "delivery_id"])
    with op.batch_alter_table("actions") as actions:
        actions.add_column(sa.Column("relayed_at", TIMESTAMP, nullable=True))
    with op.batch_alter_table("delivery_digests") as digests:
        # Every digest kept so far was claimed for all of its platform's stores alike: '' keeps it so.
        digests.add_column(sa.Column("signer", sa.String(255), nullable=False, server_default=""))
        digests.drop_constraint(op.f("uq_delivery_digests_platform_topic_digest"), type_="unique")
        digests.create_unique_constraint(op.f("uq_delivery_digests_platform_signer_topic_digest"),
                                         ["platform", "signer", "topic", "digest"])


def downgrade() -> None:
    """Back to one body and one delivery id per platform: a store's rows that now collide with another's must go
    first (the duplicates' digests are forgotten; colliding inbox rows stop the downgrade, to be looked at)."""
    op.execute("DELETE FROM delivery_digests WHERE signer <> ''")
    with op.batch_alter_table("delivery_digests") as digests:
        digests.drop_constraint(op.f("uq_delivery_digests_platform_signer_topic_digest"), type_="unique")
        digests.create_unique_constraint(op.f("uq_delivery_digests_platform_topic_digest"),
                                         ["platform", "topic", "digest"])
        digests.drop_column("signer")
    with op.batch_alter_table("actions") as actions:
        actions.drop_column("relayed_at")
    with op.batch_alter_table("events") as events:
        events.drop_constraint(op.f("uq_events_platform_shop_domain_delivery_id"), type_="unique")
        events.create_unique_constraint(op.f("uq_events_platform_delivery_id"), ["platform", "delivery_id"])
        events.drop_column("relayed_at")
    op.execute("UPDATE cases SET status = 'open' WHERE status = 'set_aside'")  # open, as the older code left them
    with op.batch_alter_table("cases") as cases:
        cases.drop_constraint(op.f("ck_cases_status"), type_="check")
        cases.create_check_constraint(op.f("ck_cases_status"), f"status IN ({CASE_STATUSES})")
        cases.drop_column("relayed_at")
        cases.drop_column("set_aside_at")
        cases.drop_column("errors")
