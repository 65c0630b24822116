"""The Alembic migrations build exactly the schema the models describe, and can be run again safely."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text

from storage.db import make_engine
from storage.migrate import alembic_config, head_revision, upgrade
from storage.models import Base

pytestmark = pytest.mark.integration


def schema_differences(url: str) -> list[object]:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            return list(compare_metadata(context, Base.metadata))
    finally:
        engine.dispose()


def test_the_migrated_schema_matches_the_models(storage_url: str) -> None:
    assert schema_differences(storage_url) == []


def test_upgrading_an_up_to_date_database_changes_nothing(storage_url: str) -> None:
    assert upgrade(storage_url) == head_revision() == "0012_plugin_secret_delivered"
    assert schema_differences(storage_url) == []


def test_downgrade_removes_every_table_and_upgrade_restores_them(fresh_schema: Callable[[], str]) -> None:
    url = fresh_schema()
    upgrade(url)
    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            command.downgrade(alembic_config(connection), "base")
        assert set(inspect(engine).get_table_names()) == {"alembic_version"}
    finally:
        engine.dispose()
    upgrade(url)
    assert schema_differences(url) == []


def test_0010_copies_each_cases_decision_in_force_onto_it(fresh_schema: Callable[[], str]) -> None:
    url = fresh_schema()
    upgrade(url, "0009_woocommerce_plugin")
    review = {"outcome": "review", "respond_by": "2026-12-03T10:00:00+01:00"}
    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            connection.execute(text("INSERT INTO stores (id, platform, domain, status, created_at, updated_at) "
                                    "VALUES (1, 'shopify', 's.myshopify.com', 'active', now(), now())"))
            for case_id, status in ((1, "decided"), (2, "decided"), (3, "open")):
                connection.execute(text(
                    "INSERT INTO cases (id, store_id, order_id, kind, request_key, document, status, created_at) "
                    "VALUES (:id, 1, '1001', 'return', :key, '{}', :status, now())"),
                    {"id": case_id, "key": f"r{case_id}", "status": status})
            for decision_id, case_id, outcome, document, at in (
                    (1, 1, "review", review, "2026-12-01T09:00:00Z"), (2, 1, "approve", {}, "2026-12-02T09:00:00Z"),
                    (3, 2, "review", review, "2026-12-01T12:00:00Z")):
                connection.execute(text(
                    "INSERT INTO decisions (id, case_id, outcome, policy_version, document, decided_at) "
                    "VALUES (:id, :case_id, :outcome, 'kestia@1', CAST(:document AS jsonb), :at)"),
                    {"id": decision_id, "case_id": case_id, "outcome": outcome, "document": json.dumps(document),
                     "at": at})
        upgrade(url)
        with engine.connect() as connection:
            rows = connection.execute(text("SELECT id, outcome, decided_at, respond_by FROM cases ORDER BY id"))
            assert [tuple(row) for row in rows] == [
                (1, "approve", datetime(2026, 12, 2, 9, tzinfo=UTC), None),
                (2, "review", datetime(2026, 12, 1, 12, tzinfo=UTC), datetime(2026, 12, 3, 9, tzinfo=UTC)),
                (3, None, None, None)]
    finally:
        engine.dispose()


def test_0012_keeps_each_delivered_plugin_secret_and_drops_links_still_waiting_on_a_code(
    fresh_schema: Callable[[], str]
) -> None:
    url = fresh_schema()
    upgrade(url, "0011_set_aside_and_store_replays")
    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            connection.execute(text("INSERT INTO stores (id, platform, domain, status, created_at, updated_at) "
                                    "VALUES (1, 'woocommerce', 'shop.example', 'active', now(), now())"))
            for link_id, claimed in ((1, "2026-12-01T09:00:00Z"), (2, None)):
                connection.execute(text(
                    "INSERT INTO plugin_links (id, store_id, code_hash, challenge, secret_encrypted, expires_at, "
                    "claimed_at, created_at) VALUES (:id, 1, :code, 'c', 'token', now(), :claimed, now())"),
                    {"id": link_id, "code": f"code-{link_id}", "claimed": claimed})
        upgrade(url)
        with engine.connect() as connection:
            rows = connection.execute(text("SELECT id, delivered_at FROM plugin_links ORDER BY id"))
            assert [tuple(row) for row in rows] == [(1, datetime(2026, 12, 1, 9, tzinfo=UTC))]
    finally:
        engine.dispose()
