"""One test per way a Shopify webhook can fail verification, with real signatures."""

from __future__ import annotations

import pytest
from support.signing import sign

from connector.shopify.verify import REQUIRED_HEADERS, verify_webhook

SECRET, OLD_SECRET = "shpss_current", "shpss_previous"
BODY = b'{"id": 450789469, "name": "#1001"}'


def headers(body: bytes = BODY, secret: str = SECRET, **changes: str | None) -> dict[str, str]:
    made = {
        "X-Shopify-Hmac-Sha256": sign(secret, body),
        "X-Shopify-Topic": "orders/create",
        "X-Shopify-Shop-Domain": "gems.myshopify.com",
        "X-Shopify-Webhook-Id": "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043",
    }
    for name, value in changes.items():
        key = name.replace("_", "-")
        if value is None:
            made.pop(key)
        else:
            made[key] = value
    return made


def test_a_correctly_signed_delivery_is_verified_with_its_topic_shop_and_id() -> None:
    check = verify_webhook(headers(), BODY, SECRET)
    assert (check.ok, check.reason) == (True, "verified")
    assert (check.topic, check.shop_domain) == ("orders/create", "gems.myshopify.com")
    assert check.webhook_id == "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043"


def test_the_previous_secret_is_accepted_during_a_rotation() -> None:
    check = verify_webhook(headers(secret=OLD_SECRET), BODY, SECRET, previous_secret=OLD_SECRET)
    assert check.ok


def test_a_signature_from_an_unknown_secret_is_rejected() -> None:
    check = verify_webhook(headers(secret="someone-else"), BODY, SECRET, previous_secret=OLD_SECRET)
    assert (check.ok, check.reason) == (False, "invalid_hmac")


def test_a_body_changed_after_signing_is_rejected() -> None:
    check = verify_webhook(headers(), BODY.replace(b"1001", b"1002"), SECRET)
    assert (check.ok, check.reason) == (False, "invalid_hmac")


def test_a_signature_that_is_not_base64_is_rejected() -> None:
    check = verify_webhook(headers(X_Shopify_Hmac_Sha256="not base64 at all"), BODY, SECRET)
    assert (check.ok, check.reason) == (False, "invalid_hmac")


def test_every_missing_header_is_named_not_just_the_first() -> None:
    check = verify_webhook(headers(X_Shopify_Topic=None, X_Shopify_Webhook_Id=None), BODY, SECRET)
    assert (check.ok, check.reason) == (False, "missing_headers")
    assert "X-Shopify-Topic" in check.detail and "X-Shopify-Webhook-Id" in check.detail
    assert "X-Shopify-Shop-Domain" not in check.detail


@pytest.mark.parametrize("name", REQUIRED_HEADERS)
def test_each_required_header_is_required(name: str) -> None:
    check = verify_webhook(headers(**{name.replace("-", "_"): None}), BODY, SECRET)
    assert check.reason == "missing_headers" and name in check.detail


def test_a_body_that_is_not_utf8_is_rejected_before_any_signature_work() -> None:
    body = b"\xff\xfe{}"
    check = verify_webhook(headers(body=body), body, SECRET)
    assert (check.ok, check.reason) == (False, "not_utf8")
