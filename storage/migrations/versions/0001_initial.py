"""Stores, policy versions, the inbox (events), cases, decisions and the outbox (actions).

Revision ID: 0001
Revises:
Create Date: 2026-11-20
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

# The column types spelled out here, not imported from storage.columns: a migration must not change when
# the models do.
ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
DOCUMENT = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
TIMESTAMP = sa.DateTime(timezone=True)


def _id() -> sa.Column[int]:
    return sa.Column("id", ID, nullable=False)


def upgrade() -> None:
    op.create_table(
        "stores",
        _id(),
        sa.Column("platform", sa.String(16), nullable=False),
        sa.Column("domain", sa.String(255), nullable=False),
        sa.Column("api_base_url", sa.String(500), nullable=True),
        sa.Column("access_token_encrypted", sa.Text(), nullable=True),
        sa.Column("consumer_key_encrypted", sa.Text(), nullable=True),
        sa.Column("consumer_secret_encrypted", sa.Text(), nullable=True),
        sa.Column("webhook_secret_encrypted", sa.Text(), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.CheckConstraint("platform IN ('shopify', 'woocommerce')", name=op.f("ck_stores_platform")),
        sa.CheckConstraint("status IN ('active', 'uninstalled')", name=op.f("ck_stores_status")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stores")),
        sa.UniqueConstraint("platform", "domain", name=op.f("uq_stores_platform_domain")),
    )
    op.create_table(
        "policy_versions",
        _id(),
        sa.Column("store_id", ID, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("document", DOCUMENT, nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.ForeignKeyConstraint(["store_id"], ["stores.id"], name=op.f("fk_policy_versions_store_id_stores"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_policy_versions")),
        sa.UniqueConstraint("store_id", "version", name=op.f("uq_policy_versions_store_id_version")),
    )
    op.create_table(
        "events",
        _id(),
        sa.Column("platform", sa.String(16), nullable=False),
        sa.Column("delivery_id", sa.String(255), nullable=False),
        sa.Column("topic", sa.String(255), nullable=False),
        sa.Column("shop_domain", sa.String(255), nullable=False),
        sa.Column("payload", DOCUMENT, nullable=False),
        sa.Column("headers", DOCUMENT, nullable=False),
        sa.Column("received_at", TIMESTAMP, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("processed_at", TIMESTAMP, nullable=True),
        sa.CheckConstraint("platform IN ('shopify', 'woocommerce')", name=op.f("ck_events_platform")),
        sa.CheckConstraint("status IN ('received', 'processed', 'ignored', 'failed')", name=op.f("ck_events_status")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_events")),
        sa.UniqueConstraint("platform", "delivery_id", name=op.f("uq_events_platform_delivery_id")),
    )
    op.create_index(op.f("ix_events_status_received_at"), "events", ["status", "received_at"])
    op.create_table(
        "cases",
        _id(),
        sa.Column("store_id", ID, nullable=False),
        sa.Column("order_id", sa.String(255), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("request_key", sa.String(255), nullable=False),
        sa.Column("document", DOCUMENT, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.CheckConstraint("status IN ('open', 'decided', 'closed')", name=op.f("ck_cases_status")),
        sa.ForeignKeyConstraint(["store_id"], ["stores.id"], name=op.f("fk_cases_store_id_stores"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cases")),
        sa.UniqueConstraint("store_id", "request_key", name=op.f("uq_cases_store_id_request_key")),
    )
    op.create_index(op.f("ix_cases_store_id_order_id"), "cases", ["store_id", "order_id"])
    op.create_table(
        "decisions",
        _id(),
        sa.Column("case_id", ID, nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("policy_version", sa.String(100), nullable=False),
        sa.Column("document", DOCUMENT, nullable=False),
        sa.Column("decided_at", TIMESTAMP, nullable=False),
        sa.CheckConstraint("outcome IN ('approve', 'decline', 'review')", name=op.f("ck_decisions_outcome")),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_decisions_case_id_cases"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_decisions")),
    )
    op.create_index(op.f("ix_decisions_case_id"), "decisions", ["case_id"])
    op.create_table(
        "actions",
        _id(),
        sa.Column("case_id", ID, nullable=False),
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("payload", DOCUMENT, nullable=False),
        sa.Column("idempotency_key", sa.String(255), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("result", DOCUMENT, nullable=True),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("claimed_at", TIMESTAMP, nullable=True),
        sa.Column("done_at", TIMESTAMP, nullable=True),
        sa.CheckConstraint("state IN ('pending', 'running', 'done', 'failed')", name=op.f("ck_actions_state")),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_actions_case_id_cases"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_actions")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_actions_idempotency_key")),
    )
    op.create_index(op.f("ix_actions_case_id"), "actions", ["case_id"])
    op.create_index(op.f("ix_actions_state_id"), "actions", ["state", "id"])


def downgrade() -> None:
    for table in ("actions", "decisions", "cases", "events", "policy_versions", "stores"):
        op.drop_table(table)  # dropping a table drops its indexes too
