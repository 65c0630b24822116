"""Is this request from the WooCommerce site or its Assay plugin, and for which store: every signature check."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from connector.adapter import HeaderSource, WebhookVerdict
from connector.guard import MAX_ID, InputRefused, check_text
from storage.db import Storage
from storage.models import Platform
from storage.repositories import stored_domain
from storage.repositories.store_input import site_domain

# Is this webhook from the WooCommerce site? Its creation ping, every required header, then the body's HMAC.
#
# WooCommerce signs the raw body: base64(HMAC-SHA256(body, the webhook's secret)) in X-WC-Webhook-Signature.
# When a webhook is created it first POSTs an unsigned ping, the form body `webhook_id=<id>`, and keeps the
# webhook only if the answer is exactly 200.

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


def verify_delivery(headers: HeaderSource, body: bytes, storage: Storage) -> WebhookVerdict:
    """The creation ping passes unsigned; anything else is checked with the secret of the site it names."""
    delivery = read_delivery(headers, body)
    if delivery.reason == "ping":  # sent once when the webhook is created; WooCommerce keeps it only on a 200
        return WebhookVerdict(True, "ping", ping=True, webhook_id=delivery.webhook_id)
    if delivery.reason != "headers_present":
        return WebhookVerdict(False, delivery.reason, delivery.detail)
    assert delivery.source is not None
    store = storage.store_facts(Platform.WOOCOMMERCE.value, stored_domain(delivery.source))
    secret = store.webhook_secret if store is not None else None
    domain = store.domain if store is not None else None
    if domain is None or not secret:
        return WebhookVerdict(False, "unknown_store", f"no WooCommerce store is set up for {delivery.source}")
    check = verify_webhook(headers, body, secret)
    if not check.ok:
        return WebhookVerdict(False, check.reason, check.detail)
    assert check.topic and check.delivery_id  # verified: the headers are present
    # WooCommerce makes delivery ids from the webhook's id and the current second, so two deliveries within a second
    # can share one: the topic and a digest of the body tell them apart, while a repeat has the same ones too.
    inbox_key = f"{check.delivery_id}:{check.topic}:{hashlib.sha256(body).hexdigest()[:16]}"
    return WebhookVerdict(True, check.reason, topic=check.topic, shop_domain=domain, delivery_key=inbox_key,
                          signer=domain)  # each site signs with its own secret


def read_delivery(headers: HeaderSource, body: bytes) -> WebhookCheck:
    """What the delivery says it is before any secret is known: a ping, or a delivery with every header (its
    X-WC-Webhook-Source names the site whose secret checks the signature)."""
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


def verify_webhook(headers: HeaderSource, body: bytes, secret: str) -> WebhookCheck:
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


# The Assay for WooCommerce plugin's requests to Assay: signed with the store's plugin secret.
#
# X-Assay-Signature is hex(HMAC-SHA256(secret, "METHOD\nPATH\nTIMESTAMP\nNONCE\nhex(SHA-256(body))")), with the
# store, the timestamp (Unix seconds) and a nonce of the plugin's choosing in their own headers. A timestamp more
# than WINDOW away from Assay's clock is refused, and within it each nonce is accepted once (the route spends it),
# so a captured request can neither be replayed nor kept for later. The plugin's PHP makes the same string.

STORE_HEADER = "X-Assay-Store"
TIMESTAMP_HEADER = "X-Assay-Timestamp"
NONCE_HEADER = "X-Assay-Nonce"
PLUGIN_SIGNATURE_HEADER = "X-Assay-Signature"
WINDOW = timedelta(minutes=5)
_PLUGIN_DIGITS = re.compile(r"[0-9]{1,19}")
_NONCE = re.compile(r"[A-Za-z0-9_-]{16,64}")
_HEX = re.compile(r"[0-9a-f]{64}")


class SignatureRefused(ValueError):
    """A plugin request Assay can't accept; `reason` picks the status (401, or 400 for a missing header)."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason, self.detail = reason, detail


@dataclass(frozen=True)
class SignedHeaders:
    """A plugin request's signing headers, each in the shape it must have."""

    store_id: int
    timestamp: int
    nonce: str
    signature: str


def canonical(method: str, path: str, timestamp: int, nonce: str, body: bytes) -> bytes:
    return f"{method.upper()}\n{path}\n{timestamp}\n{nonce}\n{hashlib.sha256(body).hexdigest()}".encode()


def sign(secret: str, method: str, path: str, timestamp: int, nonce: str, body: bytes) -> str:
    return hmac.new(secret.encode(), canonical(method, path, timestamp, nonce, body), hashlib.sha256).hexdigest()


def read_signed_headers(get: dict[str, str | None]) -> SignedHeaders:
    """The four headers, or SignatureRefused naming every one that is missing or malformed."""
    shapes = ((STORE_HEADER, _PLUGIN_DIGITS, "the store id Assay gave at connect"),
              (TIMESTAMP_HEADER, _PLUGIN_DIGITS, "Unix seconds"),
              (NONCE_HEADER, _NONCE, "16 to 64 letters, digits, '-' or '_'"),
              (PLUGIN_SIGNATURE_HEADER, _HEX, "64 lower-case hex digits"))
    problems = [f"{name} must be {shape}" for name, pattern, shape in shapes
                if not pattern.fullmatch((get.get(name) or "").strip())]
    store = (get.get(STORE_HEADER) or "").strip()
    if _PLUGIN_DIGITS.fullmatch(store) and not 1 <= int(store) <= MAX_ID:  # 19 digits can overflow the stores' bigint
        problems.append(f"{STORE_HEADER} must be from 1 to {MAX_ID}, got {store}")
    if problems:
        raise SignatureRefused("unsigned", "; ".join(problems))
    return SignedHeaders(int(str(get[STORE_HEADER]).strip()), int(str(get[TIMESTAMP_HEADER]).strip()),
                         str(get[NONCE_HEADER]).strip(), str(get[PLUGIN_SIGNATURE_HEADER]).strip())


def check_signature(headers: SignedHeaders, secret: str, method: str, path: str, body: bytes, now: float) -> None:
    """SignatureRefused unless the request is fresh and signed with `secret` over exactly this method, path and body."""
    if abs(now - headers.timestamp) > WINDOW.total_seconds():
        raise SignatureRefused("stale_request", f"{TIMESTAMP_HEADER} must be within {int(WINDOW.total_seconds())} "
                                                "seconds of Assay's clock")
    expected = sign(secret, method, path, headers.timestamp, headers.nonce, body)
    if not hmac.compare_digest(expected, headers.signature):
        raise SignatureRefused("invalid_signature", f"{PLUGIN_SIGNATURE_HEADER} does not match this request")


# Which site a WooCommerce delivery belongs to: the site's own webhook secret signs it, and an order's
# `_links` name the site it came from, which must be the store's.

def links_elsewhere(payload: Mapping[str, Any], domain: str) -> str | None:
    """Why the payload is another site's (a `_links` URL on another host or path), or None."""
    links = payload.get("_links")
    if not isinstance(links, dict):
        return None
    for relation in ("self", "collection"):
        for link in links.get(relation) or []:
            href = link.get("href") if isinstance(link, dict) else None
            if isinstance(href, str) and not _on_site(href, domain):
                return f"the payload's _links.{relation} is not on the site in X-WC-Webhook-Source"
    return None


def _on_site(href: str, domain: str) -> bool:
    try:
        parts = urlsplit(href)
        parts.port  # noqa: B018 - ValueError for a port out of range
    except ValueError:
        return False
    here = site_domain(href)
    # The REST URL is the site's URL followed by its API path (/wp-json/... or ?rest_route=...).
    return bool(parts.hostname) and (here == domain or here.startswith(domain + "/"))
