"""Issue 15: the Assay for WooCommerce plugin's links (code, verifier digest, secret) and signed requests' nonces.

Revision ID: 0009_woocommerce_plugin
Revises: 0008_attempts_and_retries
Create Date: 2026-12-08
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009_woocommerce_plugin"
down_revision = "0008_attempts_and_retries"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "plugin_links",
        sa.Column("id", ID, nullable=False),
        sa.Column("store_id", ID, nullable=False),
        sa.Column("code_hash", sa.String(64), nullable=False),
        sa.Column("challenge", sa.String(64), nullable=False),
        sa.Column("secret_encrypted", sa.Text(), nullable=False),
        sa.Column("expires_at", TIMESTAMP, nullable=False),
        sa.Column("claimed_at", TIMESTAMP, nullable=True),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.ForeignKeyConstraint(["store_id"], ["stores.id"], name=op.f("fk_plugin_links_store_id_stores"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plugin_links")),
        sa.UniqueConstraint("code_hash", name=op.f("uq_plugin_links_code_hash")),
    )
    op.create_index(op.f("ix_plugin_links_store_id"), "plugin_links", ["store_id"])
    op.create_table(
        "plugin_request_nonces",
        sa.Column("id", ID, nullable=False),
        sa.Column("store_id", ID, nullable=False),
        sa.Column("nonce", sa.String(64), nullable=False),
        sa.Column("seen_at", TIMESTAMP, nullable=False),
        sa.ForeignKeyConstraint(["store_id"], ["stores.id"], name=op.f("fk_plugin_request_nonces_store_id_stores"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plugin_request_nonces")),
        sa.UniqueConstraint("store_id", "nonce", name=op.f("uq_plugin_request_nonces_store_id_nonce")),
    )
    op.create_index(op.f("ix_plugin_request_nonces_seen_at"), "plugin_request_nonces", ["seen_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_plugin_request_nonces_seen_at"), table_name="plugin_request_nonces")
    op.drop_table("plugin_request_nonces")
    op.drop_index(op.f("ix_plugin_links_store_id"), table_name="plugin_links")
    op.drop_table("plugin_links")
