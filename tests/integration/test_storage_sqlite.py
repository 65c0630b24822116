"""The embedded default: SQLite in the instance folder, migrated by `assay db upgrade`, with its own key file."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from flask import Flask
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError

from cli.main import cli
from storage.db import Storage, storage_of
from storage.models import Action, Base
from storage.repositories import (
    add_case,
    add_shopify_store,
    claim_action,
    claim_next_action,
    complete_action,
    enqueue_action,
    find_stores_by_domain,
    load_current_policy,
    record_event,
    store_credentials,
)
from webhooks.app import create_app


@pytest.fixture
def embedded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Flask]:
    """The app exactly as `make run` builds it with nothing configured, its instance folder moved to tmp_path."""
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("ASSAY_ENCRYPTION_KEYS", raising=False)
    monkeypatch.setattr(Flask, "auto_find_instance_path", lambda self: str(tmp_path / "instance"))
    app = create_app()
    yield app
    storage_of(app).dispose()


@pytest.fixture
def storage(embedded: Flask) -> Storage:
    result = embedded.test_cli_runner().invoke(cli, ["db", "upgrade"])
    assert result.exit_code == 0, result.output
    return storage_of(embedded)


def test_the_embedded_default_migrates_to_the_models_schema(embedded: Flask, storage: Storage) -> None:
    assert storage.url == "sqlite:///" + os.path.join(embedded.instance_path, "assay.sqlite3")
    with storage.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert list(compare_metadata(context, Base.metadata)) == []


def test_the_embedded_default_stores_a_shop_and_its_policy_with_a_private_key_file(embedded: Flask,
                                                                                   storage: Storage) -> None:
    run = embedded.test_cli_runner()
    assert run.invoke(cli, ["stores", "add", "--platform", "shopify", "--domain", "a.myshopify.com",
                            "--token", "shpat_1"]).exit_code == 0
    assert run.invoke(cli, ["policy", "set", "--domain", "a.myshopify.com", "--preset", "kestia"]).output == (
        "kestia@1\n")
    key_file = Path(embedded.instance_path) / "encryption.key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    with storage.transaction() as session:
        store = find_stores_by_domain(session, "a.myshopify.com")[0]
        assert store_credentials(store, storage.cipher).access_token == "shpat_1"
        policy = load_current_policy(session, store.id)
        assert policy is not None and policy.version_label == "kestia@1"
        assert store.created_at.tzinfo is not None


def test_the_embedded_default_records_events_once_and_claims_actions_once(storage: Storage) -> None:
    with storage.transaction() as session:
        first = record_event(session, platform="shopify", delivery_id="d", topic="t", shop_domain="s", payload={})
        again = record_event(session, platform="shopify", delivery_id="d", topic="t", shop_domain="s", payload={})
        assert (first[1], again[1], again[0].id) == (True, False, first[0].id)
    with storage.transaction() as session:
        store = add_shopify_store(session, storage.cipher, domain="b.myshopify.com", access_token="t")
        case, _ = add_case(session, store_id=store.id, order_id="1", kind="cancel", request_key="event:1",
                           document={})
        for key in ("a", "b"):
            enqueue_action(session, case_id=case.id, kind="shopify.order_cancel", payload={}, idempotency_key=key)
    with storage.transaction() as session:
        claimed = claim_next_action(session)
        assert claimed is not None and (claimed.idempotency_key, claimed.attempts) == ("a", 1)
        assert claim_action(session, "a") is None
        complete_action(session, "a")
        claimed = claim_action(session, "b")
        assert claimed is not None and claimed.state == "running"
        session.execute(update(Action).where(Action.id == claimed.id).values(
            claimed_at=claimed.claimed_at - timedelta(hours=1)))  # type: ignore[operator]
        assert claim_next_action(session) is not None  # its lease ran out


def test_the_embedded_default_enforces_foreign_keys(storage: Storage) -> None:
    with pytest.raises(IntegrityError), storage.transaction() as session:
        add_case(session, store_id=42, order_id="1", kind="cancel", request_key="k", document={})

