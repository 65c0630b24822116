"""The admin's lists read the indexes migration 0010 made for them (PostgreSQL's own plans, no timings): on 20,000
cases over 20 stores, after ANALYZE, a small store's review queue reads its partial index and its decision log
and weekly summary the store's own index, never the whole table. bench/admin_queries.py measures them at
1,000,000 cases."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import event, text
from sqlalchemy.orm import Session

from storage.db import Storage
from storage.repositories.admin_queries import CaseFilter, cases_page, review_queue, weekly_outcomes

pytestmark = pytest.mark.integration

STORES, TOTAL = 20, 20_000
SMALL = 1  # one case in 100 is this store's; the others share the rest


@pytest.fixture
def many_cases(storage: Storage) -> Storage:
    """The stores' cases, decided (one in 7 waiting for review), ids rising with time across stores."""
    with storage.engine.begin() as connection:
        connection.execute(text("""
            INSERT INTO stores (id, platform, domain, status, created_at, updated_at)
            SELECT n, 'shopify', 'plan-' || n || '.myshopify.com', 'active', now(), now()
            FROM generate_series(1, :stores) AS n"""), {"stores": STORES})
        connection.execute(text("""
            INSERT INTO cases (store_id, order_id, kind, request_key, document, status, created_at, outcome,
                               decided_at, respond_by)
            SELECT CASE WHEN n % 100 = 0 THEN :small ELSE 2 + n % (:stores - 1) END, '#' || n, 'return',
                   'r' || n, '{"request": {"reason": "other"}}', 'decided',
                   now() - (:total - n) * interval '20 minutes',
                   CASE WHEN n % 7 = 0 THEN 'review' ELSE 'approve' END,
                   now() - (:total - n) * interval '20 minutes',
                   CASE WHEN n % 7 = 0 THEN now() + n * interval '1 minute' END
            FROM generate_series(1, :total) AS n ORDER BY n"""), {"stores": STORES, "total": TOTAL, "small": SMALL})
        connection.execute(text("""
            INSERT INTO decisions (case_id, outcome, policy_version, document, decided_at)
            SELECT id, outcome, 'kestia@1', '{"reasons": []}', decided_at FROM cases ORDER BY id"""))
        connection.execute(text("ANALYZE stores, cases, decisions"))
    return storage


def scans(storage: Storage, read: Callable[[Session], object]) -> str:
    """EXPLAIN of every SELECT the repository function sends, joined into one text."""
    sent: list[tuple[str, Any]] = []

    def keep(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool) -> None:
        sent.append((statement, parameters))

    event.listen(storage.engine, "before_cursor_execute", keep)
    try:
        with storage.sessions() as session:
            read(session)
    finally:
        event.remove(storage.engine, "before_cursor_execute", keep)
    with storage.engine.connect() as connection:
        return "\n".join(line for statement, parameters in sent if statement.lstrip().upper().startswith("SELECT")
                         for line in connection.exec_driver_sql("EXPLAIN " + statement, parameters).scalars())


def test_the_review_queue_reads_only_its_partial_index(many_cases: Storage) -> None:
    plan = scans(many_cases, lambda session: review_queue(session, SMALL))
    assert "ix_cases_review_queue" in plan
    assert "Seq Scan on cases" not in plan


def test_the_decision_log_pages_newest_first_on_the_stores_index(many_cases: Storage) -> None:
    first = scans(many_cases, lambda session: cases_page(session, SMALL, CaseFilter(), before_id=None, limit=25))
    with many_cases.engine.connect() as connection:  # the store's 100th newest case: ids go on from earlier tests
        cursor = connection.scalar(text("SELECT id FROM cases WHERE store_id = :s ORDER BY id DESC OFFSET 99 LIMIT 1"),
                                   {"s": SMALL})
    deep = scans(many_cases, lambda session: cases_page(session, SMALL, CaseFilter(), before_id=cursor, limit=25))
    for plan in (first, deep):
        assert "Index Scan Backward using ix_cases_store_id_id on cases" in plan
        assert "Sort" not in plan and "Seq Scan on cases" not in plan


def test_the_weekly_summary_is_counted_from_its_index_alone(many_cases: Storage) -> None:
    plan = scans(many_cases, lambda session: weekly_outcomes(session, SMALL))
    assert "ix_cases_store_id_decided_at_outcome" in plan
    assert "Seq Scan on cases" not in plan
