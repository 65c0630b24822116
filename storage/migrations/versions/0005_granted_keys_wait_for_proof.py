"""Keys a wc-auth callback brings wait on their install, encrypted, until the site has accepted them.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-20
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("install_nonces") as nonces:
        nonces.add_column(sa.Column("consumer_key_encrypted", sa.Text(), nullable=True))
        nonces.add_column(sa.Column("consumer_secret_encrypted", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("install_nonces") as nonces:
        nonces.drop_column("consumer_secret_encrypted")
        nonces.drop_column("consumer_key_encrypted")
