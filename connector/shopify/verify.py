"""Is a request from Shopify, and for which shop? Webhook HMACs, app-proxy signatures and session tokens,
checked with the app's own secrets (read from configuration, or None: every check fails closed)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import parse_qs, urlsplit

from shopify_app.types import AppConfig, IdTokenDetails
from shopify_app.verify.app_home_req import verify_app_home_req
from shopify_app.verify.app_proxy import verify_app_proxy_req

from connector.guard import InputRefused, check_text
from storage.db import Storage
from storage.models import Platform
from storage.settings import Settings

# --- The app's identity ---------------------------------------------------------------------------

NOT_CONFIGURED = "not_configured"
WHAT_TO_SET = "set SHOPIFY_API_KEY (the app's client id) and SHOPIFY_API_SECRET (its client secret)"


@dataclass(frozen=True)
class ShopifyApp:
    client_id: str
    secret: str = field(repr=False)
    previous_secret: str | None = field(default=None, repr=False)
    timeout_seconds: float = 10.0

    def sdk_config(self) -> AppConfig:
        return {"client_id": self.client_id, "client_secret": self.secret, "old_client_secret": self.previous_secret}


def shopify_app(settings: Settings) -> ShopifyApp | None:
    """The configured app, or None when the secret or the client id is missing (the caller answers 503)."""
    if not settings.shopify_api_secret or not settings.shopify_api_key:
        return None
    return ShopifyApp(settings.shopify_api_key, settings.shopify_api_secret, settings.shopify_api_secret_previous,
                      settings.shopify_timeout_seconds)


def signing_secrets(settings: Settings) -> tuple[str, str | None] | None:
    """The secret webhooks and app-proxy requests are checked with (and the previous one), or None if unset:
    an empty key would accept anything anyone signed with it."""
    if not settings.shopify_api_secret:
        return None
    return settings.shopify_api_secret, settings.shopify_api_secret_previous


# --- Webhooks and the app proxy -------------------------------------------------------------------

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
    """Check a webhook delivery; the previous secret is accepted while a rotation is under way."""
    # The HMAC is compared on the raw bytes here rather than by shopify_app, which parses the body as JSON (recursively)
    # before it checks the signature: nothing is done with an unsigned body but hash it.
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


# --- Which shop a delivery belongs to -------------------------------------------------------------

# Where each topic's payload names its shop: the domain field, then the numeric id field.
_SHOP_FIELDS = {
    "app/uninstalled": ("myshopify_domain", "id"),
    "shop/redact": ("shop_domain", "shop_id"),
    "customers/redact": ("shop_domain", "shop_id"),
    "customers/data_request": ("shop_domain", "shop_id"),
}


def shop_named_elsewhere(topic: str, payload: Mapping[str, Any], domain: str) -> str | None:
    """Why the payload is not this shop's, or None: its own shop field must be present and equal the domain."""
    fields = _SHOP_FIELDS.get(topic)
    if fields is None:
        return None
    named = payload.get(fields[0])
    if not isinstance(named, str) or named.strip().lower() != domain:
        return f"the {topic} payload's {fields[0]} is not the shop in X-Shopify-Shop-Domain"
    return None


def own_webhook_secret(storage: Storage, domain: str | None) -> str | None:
    """The shop's own webhook secret, if it has one; None for a domain of the wrong shape or an unknown shop."""
    try:
        check_text("X-Shopify-Shop-Domain", domain, max_length=255)
    except InputRefused:
        return None
    store = storage.store_facts(Platform.SHOPIFY.value, str(domain).lower())
    return None if store is None else store.webhook_secret


# --- Session tokens (the embedded app's admin requests) -------------------------------------------

# App Bridge's bounce page, which fetches a fresh session token and reloads the document with it.
PATCH_ID_TOKEN_PATH = "/shopify/patch-id-token"
_SHOP = re.compile(r"[a-z0-9][a-z0-9-]*\.myshopify\.com")


@dataclass(frozen=True)
class SessionCheck:
    """`ok`: the shop, the staff member (`user_id`, the token's `sub`) and the token to exchange. Not `ok`: the
    reason (shopify_app's code) and the answer: a 401 for a fetch, a 302 to the patch page for a document."""

    ok: bool
    reason: str
    status: int
    headers: dict[str, str]
    shop_domain: str | None = None
    user_id: str | None = None
    id_token: IdTokenDetails | None = field(default=None, repr=False)


def verify_session(app: ShopifyApp, *, url: str, headers: Mapping[str, str]) -> SessionCheck:
    wanted = {name: value for name, value in headers.items() if name.lower() == "authorization"}
    result = verify_app_home_req({"method": "GET", "headers": wanted, "url": url, "body": ""},
                                 app.sdk_config(), PATCH_ID_TOKEN_PATH)
    response_headers = dict(result.response.headers)
    if not result.ok or result.id_token is None:
        return SessionCheck(False, result.log.code, result.response.status, response_headers)
    claims: dict[str, Any] = dict(result.id_token.claims)
    shop = _shop_of(claims.get("dest"))
    if "exp" not in claims:
        return _refused("missing_exp", bool(wanted))
    if shop is None:
        return _refused("invalid_dest", bool(wanted))
    if _shop_of(claims.get("iss", "").removesuffix("/admin") if isinstance(claims.get("iss"), str) else None) != shop:
        return _refused("iss_not_dest", bool(wanted))  # issued by one shop's admin for another shop
    named = parse_qs(urlsplit(url).query).get("shop", [None])[0]
    if named is not None and named.lower() != shop:
        return _refused("other_shop", bool(wanted))  # a token of one shop on a page of another
    return SessionCheck(True, "verified", 200, response_headers, shop,
                        str(claims["sub"]) if claims.get("sub") is not None else None, result.id_token)


def _shop_of(dest: object) -> str | None:
    if not isinstance(dest, str):
        return None
    host = (urlsplit(dest).hostname if "://" in dest else dest) or ""
    return host.lower() if _SHOP.fullmatch(host.lower()) else None


def _refused(reason: str, fetch: bool) -> SessionCheck:
    return SessionCheck(False, reason, 401, {"X-Shopify-Retry-Invalid-Session-Request": "1"} if fetch else {})
