"""Is this webhook from the WooCommerce site? Its creation ping, every required header, then the body's HMAC.

WooCommerce signs the raw body: base64(HMAC-SHA256(body, the webhook's secret)) in X-WC-Webhook-Signature.
When a webhook is created it first POSTs an unsigned ping, the form body `webhook_id=<id>`, and keeps the
webhook only if the answer is exactly 200.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import urlsplit

from connector.guard import InputRefused, check_text
from storage.repositories.store_input import site_domain

SIGNATURE_HEADER = "X-WC-Webhook-Signature"
REQUIRED_HEADERS = (SIGNATURE_HEADER, "X-WC-Webhook-Source", "X-WC-Webhook-Topic", "X-WC-Webhook-Delivery-ID")
_PING_BODY = re.compile(rb"webhook_id=(\d{1,20})")
_DIGITS = re.compile(r"[0-9]{1,20}")
# What each header must look like before the store is looked up (each is stored, 255 at most).
_HEADER_SHAPES = (
    ("X-WC-Webhook-Topic", re.compile(r"[a-z_]{1,64}\.[a-z_]{1,64}"), "a topic such as order.updated"),
    ("X-WC-Webhook-Delivery-ID", re.compile(r"[\x21-\x7e]{1,200}"), "a delivery id of printable ASCII, no spaces"),
    ("X-WC-Webhook-Source", re.compile(r"https?://[\x21-\x7e]{1,240}"), "the site's http(s) URL"),
)


def site_of(url: str) -> str:
    """The site's identity (host, port, path) from its URL; InputRefused for one that can't be a site."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port out of range or not a number
        host = parts.hostname
    except ValueError:
        host = None
    if not host:
        raise InputRefused("X-WC-Webhook-Source", "must be the site's URL, such as https://shop.example/")
    return site_domain(url)


class Headers(Protocol):
    """Request headers looked up by name, case-insensitively (HTTP/2 and proxies lower-case them)."""

    def get(self, key: str, /) -> str | None: ...

    def __getitem__(self, key: str, /) -> str: ...


@dataclass(frozen=True, slots=True)
class WebhookCheck:
    """A delivery's verdict: `verified`, `ping`, `headers_present`, `missing_headers` or `invalid_signature`."""

    ok: bool
    reason: str
    detail: str
    topic: str | None = None
    source: str | None = None  # the site's home URL, such as "https://shop.example/"
    delivery_id: str | None = None
    webhook_id: str | None = None


def read_delivery(headers: Headers, body: bytes) -> WebhookCheck:
    """What the delivery says it is, before any secret is known: a ping, or a delivery with every header.

    The intake needs the site (X-WC-Webhook-Source) to find the secret the signature is checked with.
    """
    ping = _PING_BODY.fullmatch(body.strip())
    if ping and not headers.get(SIGNATURE_HEADER):
        return WebhookCheck(True, "ping", "", webhook_id=ping.group(1).decode())
    missing = [name for name in REQUIRED_HEADERS if not headers.get(name)]
    if missing:
        return WebhookCheck(False, "missing_headers", "missing header(s): " + ", ".join(missing))
    try:
        for name, pattern, shape in _HEADER_SHAPES:
            check_text(name, headers.get(name), max_length=255, pattern=pattern, shape=shape)
        check_text("X-WC-Webhook-ID", headers.get("X-WC-Webhook-ID"), max_length=20, pattern=_DIGITS,
                   shape="the webhook's number", required=False)
        site_of(headers["X-WC-Webhook-Source"])
    except InputRefused as refused:
        return WebhookCheck(False, "invalid_headers", str(refused))
    return WebhookCheck(
        False, "headers_present", "the signature is not checked yet",
        topic=headers["X-WC-Webhook-Topic"], source=headers["X-WC-Webhook-Source"],
        delivery_id=headers["X-WC-Webhook-Delivery-ID"], webhook_id=headers.get("X-WC-Webhook-ID") or None,
    )


def verify_webhook(headers: Headers, body: bytes, secret: str) -> WebhookCheck:
    """Check a delivery against the site's webhook secret; a creation ping passes without one."""
    delivery = read_delivery(headers, body)
    if delivery.reason != "headers_present":
        return delivery
    given = headers[SIGNATURE_HEADER].strip()
    if not secret or not given.isascii() or not hmac.compare_digest(signature(secret, body).encode(), given.encode()):
        return WebhookCheck(False, "invalid_signature", f"the {SIGNATURE_HEADER} signature does not match the body",
                            topic=delivery.topic, source=delivery.source)
    return WebhookCheck(True, "verified", "", topic=delivery.topic, source=delivery.source,
                        delivery_id=delivery.delivery_id, webhook_id=delivery.webhook_id)


def signature(secret: str, body: bytes) -> str:
    """What WooCommerce puts in X-WC-Webhook-Signature for this body."""
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()
