"""Install nonces for WooCommerce's wc-auth flow; a store may be pending until its keys arrive.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-21
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TIMESTAMP = sa.DateTime(timezone=True)


def _store_statuses(statuses: str) -> None:
    with op.batch_alter_table("stores") as stores:
        stores.drop_constraint(op.f("ck_stores_status"), type_="check")
        stores.create_check_constraint(op.f("ck_stores_status"), f"status IN ({statuses})")


def upgrade() -> None:
    _store_statuses("'active', 'uninstalled', 'pending'")
    op.create_table(
        "install_nonces",
        sa.Column("id", ID, nullable=False),
        sa.Column("store_id", ID, nullable=False),
        sa.Column("nonce_hash", sa.String(64), nullable=False),
        sa.Column("expires_at", TIMESTAMP, nullable=False),
        sa.Column("used_at", TIMESTAMP, nullable=True),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.ForeignKeyConstraint(["store_id"], ["stores.id"], name=op.f("fk_install_nonces_store_id_stores"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_install_nonces")),
        sa.UniqueConstraint("nonce_hash", name=op.f("uq_install_nonces_nonce_hash")),
    )
    op.create_index(op.f("ix_install_nonces_expires_at"), "install_nonces", ["expires_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_install_nonces_expires_at"), table_name="install_nonces")
    op.drop_table("install_nonces")
    op.execute("DELETE FROM stores WHERE status = 'pending'")  # they have no keys: nothing of value is lost
    _store_statuses("'active', 'uninstalled'")
