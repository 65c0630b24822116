"""Issue 14: the admin's screens at a million cases — the decision in force copied onto its case (outcome, when,
`respond_by`), and the indexes the decision log, the weekly summary and the review queue read.

Revision ID: 0010_admin_indexes
Revises: 0009_woocommerce_plugin
Create Date: 2026-12-02
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0010_admin_indexes"
down_revision = "0009_woocommerce_plugin"
branch_labels = None
depends_on = None

TIMESTAMP = sa.DateTime(timezone=True)
# storage.models.REVIEW_QUEUE, written out: a migration keeps the shape it had when it was written.
REVIEW_QUEUE = "status = 'decided' AND outcome = 'review'"
IN_FORCE = "(SELECT d.{column} FROM decisions d WHERE d.case_id = cases.id ORDER BY d.id DESC LIMIT 1)"


def upgrade() -> None:
    op.add_column("cases", sa.Column("outcome", sa.String(16), nullable=True))
    op.add_column("cases", sa.Column("decided_at", TIMESTAMP, nullable=True))
    op.add_column("cases", sa.Column("respond_by", TIMESTAMP, nullable=True))
    _copy_decisions_in_force()
    op.create_index(op.f("ix_cases_store_id_id"), "cases", ["store_id", "id"])
    op.create_index(op.f("ix_cases_store_id_outcome_id"), "cases", ["store_id", "outcome", "id"])
    op.create_index(op.f("ix_cases_store_id_decided_at_outcome"), "cases", ["store_id", "decided_at", "outcome"])
    op.create_index("ix_cases_review_queue", "cases", ["store_id", "respond_by", "id"],
                    postgresql_where=sa.text(REVIEW_QUEUE), sqlite_where=sa.text(REVIEW_QUEUE))


def _copy_decisions_in_force() -> None:
    """Every decided case gets its newest decision's outcome and time; a review its promised answer time."""
    bind = op.get_bind()
    bind.execute(sa.text(f"UPDATE cases SET outcome = {IN_FORCE.format(column='outcome')}, "
                         f"decided_at = {IN_FORCE.format(column='decided_at')} "
                         "WHERE EXISTS (SELECT 1 FROM decisions d WHERE d.case_id = cases.id)"))
    decisions = sa.table("decisions", sa.column("id", sa.Integer), sa.column("case_id", sa.Integer),
                         sa.column("document", sa.JSON))
    cases = sa.table("cases", sa.column("id", sa.Integer), sa.column("outcome", sa.String),
                     sa.column("respond_by", TIMESTAMP))
    newest = (sa.select(sa.func.max(decisions.c.id)).where(decisions.c.case_id == cases.c.id)
              .correlate(cases).scalar_subquery())
    waiting = bind.execute(sa.select(cases.c.id, decisions.c.document)
                           .join(decisions, decisions.c.id == newest).where(cases.c.outcome == "review"))
    for case_id, document in list(waiting):  # reviews are few beside the cases; SQLite keeps UTC without offset
        respond_by = (document or {}).get("respond_by")
        if respond_by:
            bind.execute(sa.update(cases).where(cases.c.id == case_id)
                         .values(respond_by=datetime.fromisoformat(respond_by).astimezone(UTC)))


def downgrade() -> None:
    op.drop_index("ix_cases_review_queue", table_name="cases")
    op.drop_index(op.f("ix_cases_store_id_decided_at_outcome"), table_name="cases")
    op.drop_index(op.f("ix_cases_store_id_outcome_id"), table_name="cases")
    op.drop_index(op.f("ix_cases_store_id_id"), table_name="cases")
    with op.batch_alter_table("cases") as batch:
        batch.drop_column("respond_by")
        batch.drop_column("decided_at")
        batch.drop_column("outcome")
