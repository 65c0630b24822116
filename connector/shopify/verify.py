"""Is this webhook from Shopify? Every required header, then the body's HMAC (via `shopify_app`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

from shopify_app.verify.app_proxy import verify_app_proxy_req
from shopify_app.verify.webhook import verify_webhook_req

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


class HeaderSource(Protocol):
    """Anything with a case-insensitive `get`, such as a web framework's request headers."""

    def get(self, key: str, /) -> str | None: ...


def verify_webhook(headers: HeaderSource | Mapping[str, str], body: bytes, secret: str,
                   previous_secret: str | None = None, url: str = "") -> WebhookCheck:
    """Check a webhook delivery; the previous secret is accepted while a rotation is under way."""
    if not secret:  # never check a signature against the empty key: anyone can make one
        return WebhookCheck(False, "invalid_hmac", "no secret to check the signature with")
    missing = [name for name in REQUIRED_HEADERS if not headers.get(name)]
    if missing:
        return WebhookCheck(False, "missing_headers", "missing header(s): " + ", ".join(missing))
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return WebhookCheck(False, "not_utf8", "the body must be UTF-8 JSON")
    result = verify_webhook_req(
        {"method": "POST", "headers": {name: headers.get(name) or "" for name in REQUIRED_HEADERS},
         "url": url, "body": text},
        {"client_id": "assay", "client_secret": secret, "old_client_secret": previous_secret},
    )
    if not result.ok:
        return WebhookCheck(False, "invalid_hmac", "the X-Shopify-Hmac-Sha256 signature does not match the body")
    return WebhookCheck(
        True, "verified", "",
        topic=headers.get("X-Shopify-Topic"),
        shop_domain=headers.get("X-Shopify-Shop-Domain"),
        webhook_id=headers.get("X-Shopify-Webhook-Id"),
    )


@dataclass(frozen=True, slots=True)
class ProxyCheck:
    """An app-proxy request's verdict: `reason` is `verified` or shopify_app's code (`invalid_signature`, …)."""

    ok: bool
    reason: str
    shop_domain: str | None = None
    customer_id: str | None = None


def verify_app_proxy(url: str, secret: str, previous_secret: str | None = None) -> ProxyCheck:
    """Check the query-string signature Shopify adds to app-proxy requests (and its 90-second timestamp)."""
    if not secret:
        return ProxyCheck(False, "invalid_signature")
    result = verify_app_proxy_req(
        {"method": "GET", "headers": {}, "url": url, "body": ""},
        {"client_id": "assay", "client_secret": secret, "old_client_secret": previous_secret},
    )
    if not result.ok:
        return ProxyCheck(False, result.log.code)
    shop = f"{result.shop}.myshopify.com" if result.shop else None
    return ProxyCheck(True, "verified", shop, result.logged_in_customer_id or None)
