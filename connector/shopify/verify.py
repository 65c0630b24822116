"""Is this webhook from Shopify? Every required header, then the body's HMAC (via `shopify_app`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from shopify_app import verify_webhook_req

REQUIRED_HEADERS = ("X-Shopify-Hmac-Sha256", "X-Shopify-Topic", "X-Shopify-Shop-Domain", "X-Shopify-Webhook-Id")


@dataclass(frozen=True, slots=True)
class WebhookCheck:
    """The verdict on one delivery: `reason` is `verified`, `missing_headers`, `not_utf8` or `invalid_hmac`."""

    ok: bool
    reason: str
    detail: str
    topic: str | None = None
    shop_domain: str | None = None
    webhook_id: str | None = None


def verify_webhook(headers: Mapping[str, str], body: bytes, secret: str, previous_secret: str | None = None,
                   url: str = "") -> WebhookCheck:
    """Check a webhook delivery; the previous secret is accepted while a rotation is under way."""
    missing = [name for name in REQUIRED_HEADERS if not headers.get(name)]
    if missing:
        return WebhookCheck(False, "missing_headers", "missing header(s): " + ", ".join(missing))
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return WebhookCheck(False, "not_utf8", "the body must be UTF-8 JSON")
    result = verify_webhook_req(
        {"method": "POST", "headers": dict(headers), "url": url, "body": text},
        {"client_id": "assay", "client_secret": secret, "old_client_secret": previous_secret},
    )
    if not result.ok:
        return WebhookCheck(False, "invalid_hmac", "the X-Shopify-Hmac-Sha256 signature does not match the body")
    return WebhookCheck(
        True, "verified", "",
        topic=headers["X-Shopify-Topic"],
        shop_domain=headers["X-Shopify-Shop-Domain"],
        webhook_id=headers["X-Shopify-Webhook-Id"],
    )
