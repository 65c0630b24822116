"""The wc-auth install's pure parts: the site URL, the authorize URL, user_id and the key callback."""

from __future__ import annotations

import secrets
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from connector.woocommerce.install import (
    InstallRefused,
    InstallTicket,
    authorize_url,
    check_store_url,
    parse_user_id,
    read_callback,
    user_id_for,
)

NONCE = secrets.token_urlsafe(32)
KEY = "the-app-secret"
TICKET = InstallTicket("https://shop.example.com", NONCE, 1_900_000_000)
USER_ID = user_id_for(TICKET, KEY)


def callback(**change: Any) -> dict[str, Any]:
    body = {"key_id": 7, "user_id": USER_ID, "consumer_key": "ck_" + "a" * 40,
            "consumer_secret": "cs_" + "b" * 40, "key_permissions": "read_write"}
    body.update(change)
    return {name: value for name, value in body.items() if value is not None}


def test_a_user_id_made_for_a_site_parses_back_to_its_ticket() -> None:
    assert parse_user_id(USER_ID, KEY) == TICKET
    assert NONCE not in repr(TICKET)


@pytest.mark.parametrize("value", [
    None, 12, "", "12", "12:" + NONCE, USER_ID + "!", " " + USER_ID, USER_ID + ".3", USER_ID.replace(".", ":"),
    "a" * 129 + USER_ID[43:], USER_ID[:-1],
], ids=["none", "a-number", "empty", "no-nonce", "no-signature", "a-bang", "a-space", "a-third-part", "colons",
        "too-long", "cut-short"])  # stable ids: the nonce is random per process, and xdist's workers must agree
def test_a_user_id_assay_did_not_make_is_malformed(value: object) -> None:
    with pytest.raises(InstallRefused) as refused:
        parse_user_id(value, KEY)
    assert refused.value.reason == "malformed_user_id"


@pytest.mark.parametrize("forged", [
    USER_ID, user_id_for(InstallTicket("https://other.example", NONCE, 1_900_000_000), "another-secret"),
    USER_ID.replace(".1900000000.", ".1900000001."),
])
def test_a_user_id_sealed_with_another_secret_or_changed_names_no_install(forged: str) -> None:
    with pytest.raises(InstallRefused) as refused:
        parse_user_id(forged, "another-secret" if forged == USER_ID else KEY)
    assert refused.value.reason == "unknown_install"


def test_a_callback_with_a_read_write_key_is_read_with_its_ticket() -> None:
    granted = read_callback(callback(), KEY)
    assert granted.ticket == TICKET
    assert granted.consumer_key.startswith("ck_") and granted.consumer_secret.startswith("cs_")
    assert "ck_" not in repr(granted) and NONCE not in repr(granted)


@pytest.mark.parametrize("permissions", ["read", "write", None, "READ_WRITE"])
def test_a_key_that_is_not_read_write_is_refused(permissions: str | None) -> None:
    with pytest.raises(InstallRefused) as refused:
        read_callback(callback(key_permissions=permissions), KEY)
    assert refused.value.reason == "wrong_permissions"
    assert list(refused.value.fields) == ["key_permissions"]


def test_every_missing_or_wrong_field_of_a_callback_is_named_at_once() -> None:
    with pytest.raises(InstallRefused) as refused:
        read_callback({"consumer_key": "key with spaces", "key_permissions": "read"}, KEY)
    assert refused.value.reason == "invalid_callback"
    assert set(refused.value.fields) == {"consumer_key", "consumer_secret", "key_permissions", "user_id"}
    assert "key with spaces" not in str(refused.value)  # a key, even a bad one, is never repeated


@pytest.mark.parametrize("document", [None, [], "text", 3])
def test_a_callback_that_is_not_a_json_object_is_refused(document: object) -> None:
    with pytest.raises(InstallRefused) as refused:
        read_callback(document, KEY)
    assert refused.value.reason == "not_json"


@pytest.mark.parametrize(("given", "expected"), [
    ("https://Shop.Example.com/", "https://shop.example.com"),
    ("https://example.com/shop/", "https://example.com/shop"),
    (" https://shop.example.com:8443 ", "https://shop.example.com:8443"),
    ("http://127.0.0.1:8080", "http://127.0.0.1:8080"),  # plain http for a site on this machine (tests)
    ("http://localhost/shop", "http://localhost/shop"),
])
def test_a_store_url_is_normalised(given: str, expected: str) -> None:
    assert check_store_url(given) == expected


@pytest.mark.parametrize("given", [
    None, "", "shop.example.com", "ftp://shop.example.com", "http://shop.example.com", "https://",
    "https://user:pass@shop.example.com", "https://shop.example.com/?a=1", "https://shop.example.com/#top",
    "https://shop.example.com:99999", "http://[::1", "https://" + "a" * 300 + ".example", "https://shöp.example",
])
def test_a_store_url_that_is_not_https_or_is_odd_is_refused_naming_the_field(given: str | None) -> None:
    with pytest.raises(InstallRefused) as refused:
        check_store_url(given)
    assert refused.value.reason == "invalid_store_url"
    assert list(refused.value.fields) == ["store_url"]
    assert str(refused.value).startswith("store_url ")


def test_the_authorize_url_asks_the_site_for_a_read_write_key_for_assay() -> None:
    url = authorize_url("https://shop.example.com/wp", user_id="12:abc", return_url="https://assay.test/back",
                        callback_url="https://assay.test/woocommerce/auth/callback")
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == "https://shop.example.com/wp/wc-auth/v1/authorize"
    assert {name: values for name, values in parse_qs(parts.query).items()} == {
        "app_name": ["Assay"], "scope": ["read_write"], "user_id": ["12:abc"],
        "return_url": ["https://assay.test/back"], "callback_url": ["https://assay.test/woocommerce/auth/callback"]}
