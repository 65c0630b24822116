"""Issue 12: Shopify's expiring offline tokens on stores, a person's decision, admin login links and sessions.

Revision ID: 0007_shopify_app_admin
Revises: 0006_issue11
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_shopify_app_admin"
down_revision = "0006_issue11"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("stores") as stores:
        stores.add_column(sa.Column("access_token_expires_at", TIMESTAMP, nullable=True))
        stores.add_column(sa.Column("refresh_token_encrypted", sa.Text(), nullable=True))
        stores.add_column(sa.Column("refresh_token_expires_at", TIMESTAMP, nullable=True))
        stores.add_column(sa.Column("currency", sa.String(3), nullable=True))
    with op.batch_alter_table("decisions") as decisions:
        decisions.add_column(sa.Column("decided_by", sa.String(255), nullable=True))
        decisions.add_column(sa.Column("note", sa.Text(), nullable=True))
    op.create_table(
        "login_links",
        sa.Column("id", ID, nullable=False),
        sa.Column("store_id", ID, nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("person", sa.String(255), nullable=False),
        sa.Column("expires_at", TIMESTAMP, nullable=False),
        sa.Column("used_at", TIMESTAMP, nullable=True),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.ForeignKeyConstraint(["store_id"], ["stores.id"], name=op.f("fk_login_links_store_id_stores"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_links")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_login_links_token_hash")),
    )
    op.create_table(
        "admin_sessions",
        sa.Column("id", ID, nullable=False),
        sa.Column("store_id", ID, nullable=False),
        sa.Column("session_hash", sa.String(64), nullable=False),
        sa.Column("csrf_hash", sa.String(64), nullable=False),
        sa.Column("person", sa.String(255), nullable=False),
        sa.Column("expires_at", TIMESTAMP, nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.ForeignKeyConstraint(["store_id"], ["stores.id"], name=op.f("fk_admin_sessions_store_id_stores"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_admin_sessions")),
        sa.UniqueConstraint("session_hash", name=op.f("uq_admin_sessions_session_hash")),
    )
    op.create_index(op.f("ix_admin_sessions_expires_at"), "admin_sessions", ["expires_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_admin_sessions_expires_at"), table_name="admin_sessions")
    op.drop_table("admin_sessions")
    op.drop_table("login_links")
    with op.batch_alter_table("decisions") as decisions:
        decisions.drop_column("note")
        decisions.drop_column("decided_by")
    with op.batch_alter_table("stores") as stores:
        stores.drop_column("currency")
        stores.drop_column("refresh_token_expires_at")
        stores.drop_column("refresh_token_encrypted")
        stores.drop_column("access_token_expires_at")
