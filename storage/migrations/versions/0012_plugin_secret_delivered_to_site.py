"""Issue 21: the plugin's secret goes only to the site. An install remembers the challenge of the plugin that started
it, and a plugin link is opened once the site has proven the install's keys, then delivered to the site over its
REST API with those keys: there is no connect code any more, so its column and the links still waiting on one go.

Revision ID: 0012_plugin_secret_delivered
Revises: 0011_set_aside_and_store_replays
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012_plugin_secret_delivered"
down_revision = "0011_set_aside_and_store_replays"
branch_labels = None
depends_on = None

TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.add_column("install_nonces", sa.Column("plugin_challenge", sa.String(64), nullable=True))
    # A code handed to whoever held the install's ticket proves nothing: unclaimed links are dropped.
    op.execute("DELETE FROM plugin_links WHERE claimed_at IS NULL")
    with op.batch_alter_table("plugin_links") as links:
        links.drop_constraint("uq_plugin_links_code_hash", type_="unique")
        links.drop_column("code_hash")
        links.alter_column("claimed_at", new_column_name="delivered_at", existing_type=TIMESTAMP,
                           existing_nullable=True)


def downgrade() -> None:
    op.execute("DELETE FROM plugin_links WHERE delivered_at IS NULL")
    with op.batch_alter_table("plugin_links") as links:
        links.alter_column("delivered_at", new_column_name="claimed_at", existing_type=TIMESTAMP,
                           existing_nullable=True)
        links.add_column(sa.Column("code_hash", sa.String(64), nullable=True))
    op.execute("UPDATE plugin_links SET code_hash = 'delivered-' || id")
    with op.batch_alter_table("plugin_links") as links:
        links.alter_column("code_hash", existing_type=sa.String(64), nullable=False)
        links.create_unique_constraint("uq_plugin_links_code_hash", ["code_hash"])
    op.drop_column("install_nonces", "plugin_challenge")
