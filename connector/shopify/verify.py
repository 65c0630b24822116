"""Is this webhook from Shopify? Every required header, then the body's HMAC (via `shopify_app`)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import parse_qs, urlsplit

from shopify_app.verify.app_proxy import verify_app_proxy_req

from connector.guard import InputRefused, check_text

REQUIRED_HEADERS = ("X-Shopify-Hmac-Sha256", "X-Shopify-Topic", "X-Shopify-Shop-Domain", "X-Shopify-Webhook-Id")
# What each header must look like before anything is done with the delivery (each is stored, 255 at most).
_HEADER_SHAPES = (
    ("X-Shopify-Topic", re.compile(r"[a-z0-9_]{1,64}(/[a-z0-9_]{1,64}){0,3}"), "a topic such as orders/create"),
    ("X-Shopify-Shop-Domain", re.compile(r"[A-Za-z0-9][A-Za-z0-9-]{0,99}\.myshopify\.com"),
     "a shop's *.myshopify.com domain"),
    ("X-Shopify-Webhook-Id", re.compile(r"[\x21-\x7e]{1,255}"), "a webhook id of printable ASCII, no spaces"),
)
_BASE64 = re.compile(r"[A-Za-z0-9+/]{43}=")  # a SHA-256 digest, base64
_HEX_SIGNATURE = re.compile(r"[0-9a-fA-F]{64}")


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
    """Check a webhook delivery; the previous secret is accepted while a rotation is under way.

    The HMAC is compared on the raw bytes here rather than by shopify_app, which parses the body as JSON
    (recursively) before it checks the signature: nothing is done with an unsigned body but hash it.
    """
    if not secret:  # never check a signature against the empty key: anyone can make one
        return WebhookCheck(False, "invalid_hmac", "no secret to check the signature with")
    missing = [name for name in REQUIRED_HEADERS if not headers.get(name)]
    if missing:
        return WebhookCheck(False, "missing_headers", "missing header(s): " + ", ".join(missing))
    try:
        for name, pattern, shape in _HEADER_SHAPES:
            check_text(name, headers.get(name), max_length=255, pattern=pattern, shape=shape)
    except InputRefused as refused:
        return WebhookCheck(False, "invalid_headers", str(refused))
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return WebhookCheck(False, "not_utf8", "the body must be UTF-8 JSON")
    given = str(headers.get("X-Shopify-Hmac-Sha256") or "").strip()
    if not _BASE64.fullmatch(given) or not any(
            hmac.compare_digest(_signature(key, body), given.encode()) for key in (secret, previous_secret) if key):
        return WebhookCheck(False, "invalid_hmac", "the X-Shopify-Hmac-Sha256 signature does not match the body")
    return WebhookCheck(
        True, "verified", "",
        topic=headers.get("X-Shopify-Topic"),
        shop_domain=str(headers.get("X-Shopify-Shop-Domain")).lower(),
        webhook_id=headers.get("X-Shopify-Webhook-Id"),
    )


def _signature(secret: str, body: bytes) -> bytes:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest())


@dataclass(frozen=True, slots=True)
class ProxyCheck:
    """An app-proxy request's verdict: `reason` is `verified` or shopify_app's code (`invalid_signature`, …)."""

    ok: bool
    reason: str
    shop_domain: str | None = None
    customer_id: str | None = None


def verify_app_proxy(url: str, secret: str, previous_secret: str | None = None) -> ProxyCheck:
    """Check the query-string signature Shopify adds to app-proxy requests (and its 90-second timestamp)."""
    signatures = parse_qs(urlsplit(url).query).get("signature") or []
    if not secret or len(signatures) != 1 or not _HEX_SIGNATURE.fullmatch(signatures[0]):
        # an empty key accepts anything anyone signed; shopify_app assumes an ASCII hex signature
        return ProxyCheck(False, "invalid_signature")
    result = verify_app_proxy_req(
        {"method": "GET", "headers": {}, "url": url, "body": ""},
        {"client_id": "assay", "client_secret": secret, "old_client_secret": previous_secret},
    )
    if not result.ok:
        return ProxyCheck(False, result.log.code)
    shop = f"{result.shop}.myshopify.com" if result.shop else None
    return ProxyCheck(True, "verified", shop, result.logged_in_customer_id or None)
