"""Stores: added with validated, encrypted credentials; found by domain; re-keyed on rotation."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from storage.db import Storage
from storage.models import Store
from storage.repositories import (
    InvalidStore,
    StoreCredentials,
    add_shopify_store,
    add_woocommerce_store,
    find_store,
    find_stores_by_domain,
    list_stores,
    mark_store_uninstalled,
    rotate_store_secrets,
    set_store_credentials,
    store_credentials,
)
from storage.secrets import Cipher, SecretUnreadable, generate_key

pytestmark = pytest.mark.integration

WOO_KEY = "ck_" + "a" * 40
WOO_SECRET = "cs_" + "b" * 40


def add_woo(storage: Storage, url: str = "https://Kestia.example/shop/") -> Store:
    with storage.transaction() as session:
        return add_woocommerce_store(session, storage.cipher, url=url, consumer_key=WOO_KEY,
                                     consumer_secret=WOO_SECRET, webhook_secret="whsec")


def test_a_shopify_store_is_stored_with_a_normalized_domain_and_an_encrypted_token(storage: Storage) -> None:
    with storage.transaction() as session:
        store = add_shopify_store(session, storage.cipher, domain=" Pristine-Crystals.myshopify.com ",
                                  access_token="shpat_123")
    assert (store.platform, store.domain, store.status) == ("shopify", "pristine-crystals.myshopify.com", "active")
    assert store.api_base_url is None  # reached at its own domain
    with storage.transaction() as session:
        raw = session.scalars(select(Store.access_token_encrypted)).one()
        assert raw is not None and "shpat_123" not in raw
        found = find_store(session, "shopify", "pristine-crystals.myshopify.com")
        assert found is not None
        assert store_credentials(found, storage.cipher) == StoreCredentials(access_token="shpat_123")


def test_a_woocommerce_store_is_named_by_its_site_and_keeps_its_url(storage: Storage) -> None:
    store = add_woo(storage)
    assert (store.domain, store.api_base_url) == ("kestia.example/shop", "https://kestia.example/shop")
    with storage.transaction() as session:
        credentials = store_credentials(find_stores_by_domain(session, "https://kestia.example/shop")[0],
                                        storage.cipher)
    assert (credentials.consumer_key, credentials.consumer_secret, credentials.webhook_secret) == (
        WOO_KEY, WOO_SECRET, "whsec")
    assert WOO_SECRET not in repr(credentials)


@pytest.mark.parametrize(("arguments", "field", "rule"), [
    ({"domain": "pristine-crystals.com"}, "domain", "*.myshopify.com"),
    ({"access_token": "  "}, "access_token", "is required"),
    ({"access_token": "two words"}, "access_token", "one word"),
])
def test_a_bad_shopify_field_is_named_with_its_rule(storage: Storage, arguments: dict[str, str], field: str,
                                                    rule: str) -> None:
    given = {"domain": "shop.myshopify.com", "access_token": "shpat_1", **arguments}
    with storage.transaction() as session, pytest.raises(InvalidStore) as raised:
        add_shopify_store(session, storage.cipher, **given)
    assert (raised.value.field, rule in raised.value.rule) == (field, True)


@pytest.mark.parametrize(("arguments", "field"), [
    ({"url": "kestia.example"}, "url"),
    ({"url": "https://kestia.example/?p=1"}, "url"),
    ({"consumer_key": "abc"}, "consumer_key"),
    ({"consumer_secret": "ck_wrong"}, "consumer_secret"),
    ({"webhook_secret": ""}, "webhook_secret"),
])
def test_a_bad_woocommerce_field_is_named_and_never_echoes_a_secret(storage: Storage, arguments: dict[str, str],
                                                                     field: str) -> None:
    given = {"url": "https://kestia.example", "consumer_key": WOO_KEY, "consumer_secret": WOO_SECRET,
             "webhook_secret": "whsec", **arguments}
    with storage.transaction() as session, pytest.raises(InvalidStore) as raised:
        add_woocommerce_store(session, storage.cipher, **given)
    assert raised.value.field == field
    if field.startswith("consumer"):
        assert given[field] not in str(raised.value)


def test_a_store_cannot_be_added_twice(storage: Storage) -> None:
    add_woo(storage)
    with pytest.raises(InvalidStore, match="already exists"):
        add_woo(storage, "https://kestia.example/shop")


def test_stores_are_listed_by_platform_and_domain(storage: Storage) -> None:
    add_woo(storage)
    with storage.transaction() as session:
        add_shopify_store(session, storage.cipher, domain="b.myshopify.com", access_token="t")
        add_shopify_store(session, storage.cipher, domain="a.myshopify.com", access_token="t")
    with storage.transaction() as session:
        assert [s.domain for s in list_stores(session)] == ["a.myshopify.com", "b.myshopify.com",
                                                            "kestia.example/shop"]


def test_an_uninstalled_store_forgets_its_token_and_a_reinstall_brings_it_back(storage: Storage) -> None:
    with storage.transaction() as session:
        store = add_shopify_store(session, storage.cipher, domain="a.myshopify.com", access_token="old")
        mark_store_uninstalled(store)
    with storage.transaction() as session:
        store = session.get_one(Store, store.id)
        assert (store.status, store.access_token_encrypted) == ("uninstalled", None)
        assert [s.domain for s in list_stores(session, status="active")] == []
        set_store_credentials(store, storage.cipher, StoreCredentials(access_token="new"))
    with storage.transaction() as session:
        store = session.get_one(Store, store.id)
        assert store.status == "active"
        assert store_credentials(store, storage.cipher).access_token == "new"


def test_rotation_re_encrypts_every_secret_with_the_newest_key(storage: Storage, encryption_keys: str) -> None:
    old = storage.cipher
    add_woo(storage)
    new_key = generate_key()
    both = Cipher([new_key, encryption_keys])
    with storage.transaction() as session:
        assert rotate_store_secrets(session, both) == 1
    with storage.transaction() as session:
        store = session.scalars(select(Store)).one()
        assert store_credentials(store, Cipher([new_key])).consumer_secret == WOO_SECRET
        with pytest.raises(SecretUnreadable):
            store_credentials(store, old)
