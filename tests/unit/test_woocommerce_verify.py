"""One test per way a WooCommerce webhook can fail verification, with real signatures; and the creation ping."""

from __future__ import annotations

import pytest
from support.signing import sign

from connector.woocommerce.verify import REQUIRED_HEADERS, read_delivery, verify_webhook

SECRET = "wc webhook secret: it may have spaces & symbols"
BODY = b'{"id":101,"status":"processing"}'


def headers(body: bytes = BODY, secret: str = SECRET, **changes: str | None) -> dict[str, str]:
    made = {
        "X-WC-Webhook-Signature": sign(secret, body),
        "X-WC-Webhook-Source": "https://jewels.example/",
        "X-WC-Webhook-Topic": "order.updated",
        "X-WC-Webhook-Delivery-ID": "d41d8cd98f00b204e9800998ecf8427e",
        "X-WC-Webhook-ID": "7",
    }
    for name, value in changes.items():
        key = name.replace("_", "-")
        if value is None:
            made.pop(key)
        else:
            made[key] = value
    return made


def test_a_correctly_signed_delivery_is_verified_with_its_topic_site_and_ids() -> None:
    check = verify_webhook(headers(), BODY, SECRET)
    assert (check.ok, check.reason) == (True, "verified")
    assert (check.topic, check.source) == ("order.updated", "https://jewels.example/")
    assert (check.delivery_id, check.webhook_id) == ("d41d8cd98f00b204e9800998ecf8427e", "7")


def test_the_creation_ping_passes_without_any_signature() -> None:
    check = verify_webhook({"Content-Type": "application/x-www-form-urlencoded"}, b"webhook_id=15", SECRET)
    assert (check.ok, check.reason, check.webhook_id) == (True, "ping", "15")


def test_a_ping_body_with_a_signature_is_checked_like_any_delivery() -> None:
    body = b"webhook_id=15"
    check = verify_webhook(headers(body, secret="forged"), body, SECRET)
    assert (check.ok, check.reason) == (False, "invalid_signature")


@pytest.mark.parametrize("body", [b"webhook_id=", b"webhook_id=15&x=1", b"webhook_id=abc", b""])
def test_a_body_that_only_looks_like_a_ping_needs_every_header(body: bytes) -> None:
    assert read_delivery({}, body).reason == "missing_headers"


def test_a_signature_from_another_secret_is_rejected() -> None:
    check = verify_webhook(headers(secret="someone-else"), BODY, SECRET)
    assert (check.ok, check.reason) == (False, "invalid_signature")


def test_a_body_changed_after_signing_is_rejected() -> None:
    check = verify_webhook(headers(), BODY.replace(b"101", b"102"), SECRET)
    assert (check.ok, check.reason) == (False, "invalid_signature")


@pytest.mark.parametrize("signature", ["not base64 at all", "", "ünïcode"])
def test_a_malformed_signature_is_rejected(signature: str) -> None:
    check = verify_webhook(headers(X_WC_Webhook_Signature=signature), BODY, SECRET)
    assert not check.ok and check.reason in ("invalid_signature", "missing_headers")


def test_an_empty_secret_verifies_nothing() -> None:
    check = verify_webhook(headers(secret=""), BODY, "")
    assert (check.ok, check.reason) == (False, "invalid_signature")


def test_every_missing_header_is_named_not_just_the_first() -> None:
    check = verify_webhook(headers(X_WC_Webhook_Topic=None, X_WC_Webhook_Delivery_ID=None), BODY, SECRET)
    assert (check.ok, check.reason) == (False, "missing_headers")
    assert check.detail == "missing header(s): X-WC-Webhook-Topic, X-WC-Webhook-Delivery-ID"


@pytest.mark.parametrize("missing", REQUIRED_HEADERS)
def test_each_required_header_is_required(missing: str) -> None:
    check = verify_webhook(headers(**{missing.replace("-", "_"): None}), BODY, SECRET)
    assert check.reason == "missing_headers" and missing in check.detail


def test_the_signature_is_checked_on_the_raw_bytes_not_reencoded_json() -> None:
    spaced = b'{"id": 101,  "status": "processing"}'
    assert verify_webhook(headers(spaced), spaced, SECRET).ok
    assert not verify_webhook(headers(spaced), BODY, SECRET).ok
