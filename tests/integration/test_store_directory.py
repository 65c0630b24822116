"""The intake's store facts: read once and kept a moment, forgotten at once when this process changes a store,
and never kept for a shop that isn't one."""

from __future__ import annotations

import time

import psycopg
import pytest
from sqlalchemy import update

from storage.db import Storage
from storage.models import Store, StoreStatus
from storage.repositories import add_shopify_store, find_store, mark_store_uninstalled
from storage.store_directory import StoreDirectory, read_store_facts

pytestmark = pytest.mark.integration

SHOP = "pristine-crystals.myshopify.com"


def add_shop(storage: Storage, webhook_secret: str | None = "whsec_own") -> int:
    with storage.transaction() as session:
        return add_shopify_store(session, storage.cipher, domain=SHOP, access_token="shpat_1",
                                 webhook_secret=webhook_secret).id


def change_behind_the_orm(storage_url: str, status: str) -> None:
    """Another process's change: a statement of its own, which this process's ORM never hears of."""
    with psycopg.connect(storage_url.replace("postgresql+psycopg", "postgresql"), autocommit=True) as connection:
        connection.execute("UPDATE stores SET status = %s WHERE domain = %s", (status, SHOP))


def test_a_store_s_facts_carry_its_status_and_own_secret_but_never_show_the_secret(storage: Storage) -> None:
    store_id = add_shop(storage)
    facts = storage.store_facts("shopify", SHOP)
    assert facts is not None
    assert (facts.id, facts.status, facts.domain, facts.webhook_secret) == (store_id, "active", SHOP, "whsec_own")
    assert "whsec_own" not in repr(facts)


def test_an_unknown_shop_is_looked_up_each_time_so_an_install_counts_at_once(storage: Storage) -> None:
    assert storage.store_facts("shopify", SHOP) is None
    add_shop(storage)
    assert storage.store_facts("shopify", SHOP) is not None
    assert storage.store_facts("woocommerce", SHOP) is None  # a platform's stores are its own


def test_a_change_made_in_this_process_is_seen_at_once(storage: Storage) -> None:
    add_shop(storage)
    assert storage.store_facts("shopify", SHOP).status == "active"  # type: ignore[union-attr]
    with storage.transaction() as session:
        store = find_store(session, "shopify", SHOP)
        assert store is not None
        mark_store_uninstalled(store)
    assert storage.store_facts("shopify", SHOP).status == "uninstalled"  # type: ignore[union-attr]
    with storage.transaction() as session:  # a bulk statement too
        session.execute(update(Store).values(status=StoreStatus.ACTIVE.value))
    assert storage.store_facts("shopify", SHOP).status == "active"  # type: ignore[union-attr]


def test_another_process_s_change_is_seen_once_the_moment_has_passed(storage: Storage, storage_url: str) -> None:
    add_shop(storage)
    directory = StoreDirectory(lookup_seconds=0.3)
    with storage.reads() as session:
        def status() -> str:
            facts = directory.facts("shopify", SHOP, lambda: read_store_facts(session, storage.cipher, "shopify", SHOP))
            assert facts is not None
            return facts.status

        assert status() == "active"
        change_behind_the_orm(storage_url, "uninstalled")
        assert status() == "active"
        time.sleep(0.35)
        assert status() == "uninstalled"
