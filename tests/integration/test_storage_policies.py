"""Policies are versioned per store: each save validates the document and becomes the next version."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from policies.presets import preset_document
from storage.db import Storage
from storage.models import Store
from storage.repositories import (
    InvalidPolicy,
    add_shopify_store,
    current_policy_version,
    find_policy_version,
    load_current_policy,
    policy_history,
    set_policy,
)

pytestmark = pytest.mark.integration


def add_store(storage: Storage, domain: str = "shop.myshopify.com") -> Store:
    with storage.transaction() as session:
        return add_shopify_store(session, storage.cipher, domain=domain, access_token="shpat_x")


def kestia() -> dict[str, object]:
    document = preset_document("kestia")
    assert document is not None
    return document


def test_each_save_is_the_next_version_and_its_label_counts_per_store(storage: Storage) -> None:
    first, second = add_store(storage), add_store(storage, "other.myshopify.com")
    with storage.transaction() as session:
        labels = [set_policy(session, first.id, kestia()).label, set_policy(session, first.id, kestia()).label,
                  set_policy(session, second.id, kestia()).label]
    assert labels == ["kestia@1", "kestia@2", "kestia@1"]


def test_the_current_policy_is_the_highest_version_with_that_version_in_its_document(storage: Storage) -> None:
    store = add_store(storage)
    with storage.transaction() as session:
        set_policy(session, store.id, kestia())
        set_policy(session, store.id, {**kestia(), "name": "Kestia, revised", "version": 99})
    with storage.transaction() as session:
        current = current_policy_version(session, store.id)
        assert current is not None
        assert (current.version, current.document["version"], current.document["name"]) == (2, 2,
                                                                                          "Kestia, revised")
        policy = load_current_policy(session, store.id)
        assert policy is not None and policy.version_label == "kestia@2"
        assert [row.version for row in policy_history(session, store.id)] == [2, 1]
        older = find_policy_version(session, store.id, 1)
        assert older is not None and older.document["name"] == "Kestia"


def test_a_store_without_a_policy_has_none(storage: Storage) -> None:
    store = add_store(storage)
    with storage.transaction() as session:
        assert current_policy_version(session, store.id) is None
        assert load_current_policy(session, store.id) is None


def test_an_invalid_document_reports_every_error_and_saves_nothing(storage: Storage) -> None:
    store = add_store(storage)
    broken = {**kestia(), "name": "", "returns": {"accepted": "sometimes"}, "colour": "gold"}
    with storage.transaction() as session, pytest.raises(InvalidPolicy) as raised:
        set_policy(session, store.id, broken)
    # The wording belongs to policies/; what storage promises is one line per broken field, all at once.
    assert sorted(line.split(":")[0] for line in raised.value.errors) == ["colour", "name", "returns.accepted"]
    with storage.transaction() as session:
        assert current_policy_version(session, store.id) is None


def test_two_saves_at_once_get_different_versions(storage: Storage) -> None:
    store = add_store(storage)

    def save() -> int:
        with storage.transaction() as session:
            return set_policy(session, store.id, kestia()).version

    with ThreadPoolExecutor(max_workers=4) as pool:
        versions = sorted(pool.map(lambda _: save(), range(4)))
    assert versions == [1, 2, 3, 4]
