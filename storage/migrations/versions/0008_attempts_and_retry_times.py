"""Work the database can hand out again: events count their attempts and wait for their next one, actions
wait for theirs, and a store's last poll failure is kept against that store.

Revision ID: 0008_attempts_and_retries
Revises: 0007_shopify_app_admin
Create Date: 2026-11-21
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_attempts_and_retries"
down_revision = "0007_shopify_app_admin"
branch_labels = None
depends_on = None

TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("events") as events:
        events.add_column(sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"))
        events.add_column(sa.Column("next_attempt_at", TIMESTAMP, nullable=True))
    with op.batch_alter_table("actions") as actions:
        actions.add_column(sa.Column("next_attempt_at", TIMESTAMP, nullable=True))
    with op.batch_alter_table("stores") as stores:
        stores.add_column(sa.Column("poll_error", sa.Text(), nullable=True))
    op.create_index("ix_cases_status_created_at", "cases", ["status", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_cases_status_created_at", "cases")
    with op.batch_alter_table("stores") as stores:
        stores.drop_column("poll_error")
    with op.batch_alter_table("actions") as actions:
        actions.drop_column("next_attempt_at")
    with op.batch_alter_table("events") as events:
        events.drop_column("next_attempt_at")
        events.drop_column("attempts")
