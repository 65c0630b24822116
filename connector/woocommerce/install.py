"""WooCommerce's wc-auth install: the authorize URL, reading the key callback, and registering Assay's webhooks.

The merchant approves Assay at {site}/wc-auth/v1/authorize; WooCommerce then POSTs the new REST API key to
our callback_url. That POST carries no signature and no site URL, only the `user_id` we chose, so `user_id`
is a sealed ticket, "<nonce>.<expiry>.<site>[.<challenge>].<mac>": the site and the expiry MAC'd with the app's
secret (and, when the Assay plugin started the install, the digest of a verifier only the plugin holds), so
starting an install stores nothing (anyone may start one) and the callback alone, by proving the ticket and
spending its nonce once, creates the pending store.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode, urlsplit

from connector.woocommerce.client import WooCommerceApi
from connector.woocommerce.topics import HANDLED_TOPICS

APP_NAME = "Assay"
SCOPE = "read_write"
AUTHORIZE_PATH = "/wc-auth/v1/authorize"
# Plain http is only for a site on this machine (the tests' fake); a real site must use https.
LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
_TICKET = re.compile(r"(?P<nonce>[A-Za-z0-9_-]{32,128})\.(?P<expires>[0-9]{1,12})\.(?P<site>[A-Za-z0-9_-]{4,700})"
                     r"(?:\.(?P<challenge>[A-Za-z0-9_-]{43}))?\.(?P<mac>[0-9a-f]{64})")
# The plugin's challenge: base64url(SHA-256(verifier)) without padding, as PKCE's S256 has it.
CHALLENGE = re.compile(r"[A-Za-z0-9_-]{43}")
_MAX_KEY = 200
MAX_STORE_URL = 300  # the site's identity is stored in a 255-character column


class InstallRefused(ValueError):
    """An install request or key callback that can't be accepted; `reason` picks the HTTP status."""

    def __init__(self, reason: str, detail: str, fields: Mapping[str, str] | None = None) -> None:
        super().__init__(detail)
        self.reason, self.detail, self.fields = reason, detail, dict(fields or {})


@dataclass(frozen=True)
class InstallTicket:
    """What a user_id Assay sealed says: the site, the nonce and when it expires (seconds since the epoch)."""

    site: str
    nonce: str = field(repr=False)
    expires: int
    challenge: str | None = None  # the plugin's, when the Assay plugin started the install


@dataclass(frozen=True)
class GrantedKeys:
    """The key pair a site handed over for one install; repr=False keeps the pair out of logs."""

    ticket: InstallTicket
    consumer_key: str = field(repr=False)
    consumer_secret: str = field(repr=False)


def check_store_url(value: str | None) -> str:
    """The site's URL as https://host[:port][/path], without a trailing slash; refusals name `store_url`."""
    text = (value or "").strip()
    problem = _store_url_problem(text)
    if problem:
        raise InstallRefused("invalid_store_url", f"store_url {problem}", {"store_url": problem})
    parts = urlsplit(text)
    return f"{parts.scheme}://{parts.netloc.lower()}{parts.path.rstrip('/')}"


def _store_url_problem(text: str) -> str | None:
    if not text:
        return "is required, such as https://shop.example.com"
    if len(text) > MAX_STORE_URL or not text.isascii() or not text.isprintable():
        return f"must be a printable ASCII URL of at most {MAX_STORE_URL} characters"
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 - ValueError for a port that is out of range or not a number
    except ValueError:
        return f"must be an https:// URL with a valid host and port, got {text!r}"
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return f"must be an https:// URL such as https://shop.example.com, got {text!r}"
    if len(parts.hostname) > 253 or any(not 0 < len(label) <= 63 for label in parts.hostname.rstrip(".").split(".")):
        return f"must name a host whose every dot-separated part is 1 to 63 characters, got {text!r}"
    if parts.scheme == "http" and parts.hostname not in LOCAL_HOSTS:
        return f"must use https:// (plain http only for 127.0.0.1 or localhost), got {text!r}"
    if parts.username or parts.password or parts.query or parts.fragment:
        return f"must have no user name, password, query or fragment, got {text!r}"
    return None


def _mac(key: str, sealed: str) -> str:
    return hmac.new(key.encode(), sealed.encode(), hashlib.sha256).hexdigest()


def user_id_for(ticket: InstallTicket, key: str) -> str:
    """The ticket sealed with the app's secret, as the user_id wc-auth hands back to the callback."""
    site = base64.urlsafe_b64encode(ticket.site.encode()).decode().rstrip("=")
    sealed = f"{ticket.nonce}.{ticket.expires}.{site}" + (f".{ticket.challenge}" if ticket.challenge else "")
    return f"{sealed}.{_mac(key, sealed)}"


def parse_user_id(value: object, key: str, previous: Sequence[str] = ()) -> InstallTicket:
    """The ticket in a user_id Assay sealed with `key` (or a `previous` key, during a rotation);
    malformed_user_id for another shape, unknown_install for a forgery."""
    matched = _TICKET.fullmatch(value) if isinstance(value, str) else None
    if matched is None:
        raise InstallRefused("malformed_user_id", "user_id must be the one Assay sent",
                             {"user_id": "is not one Assay sent"})
    sealed = value[: matched.start("mac") - 1] if isinstance(value, str) else ""
    if not any(hmac.compare_digest(_mac(one, sealed), matched.group("mac")) for one in (key, *previous)):
        raise InstallRefused("unknown_install", "user_id names no install Assay started")
    encoded = matched.group("site")
    site = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)).decode("utf-8", "replace")
    return InstallTicket(site, matched.group("nonce"), int(matched.group("expires")), matched.group("challenge"))


def authorize_url(store_url: str, *, user_id: str, return_url: str, callback_url: str) -> str:
    """Where the merchant approves Assay's read/write REST API key on their site."""
    query = urlencode({"app_name": APP_NAME, "scope": SCOPE, "user_id": user_id, "return_url": return_url,
                       "callback_url": callback_url})
    return f"{store_url}{AUTHORIZE_PATH}?{query}"


def read_callback(document: Any, key: str, previous: Sequence[str] = ()) -> GrantedKeys:
    """The callback's JSON {key_id, user_id, consumer_key, consumer_secret, key_permissions}, checked whole;
    `key` (or a `previous` key) is the one the user_id was sealed with."""
    if not isinstance(document, dict):
        raise InstallRefused("not_json", "the body must be a JSON object")
    problems: dict[str, str] = {}
    for name, prefix in (("consumer_key", "ck_"), ("consumer_secret", "cs_")):
        value = document.get(name)
        if not isinstance(value, str) or not value:
            problems[name] = "is required"
        elif not value.startswith(prefix) or len(value) > _MAX_KEY or any(c.isspace() for c in value):
            problems[name] = f"must be one word starting {prefix!r}, as WooCommerce's keys do"
    permissions = document.get("key_permissions")
    if permissions != SCOPE:
        problems["key_permissions"] = f"must be {SCOPE!r}, got {permissions!r}"
    if "user_id" not in document:
        problems["user_id"] = "is required"
    if problems:
        reason = "wrong_permissions" if list(problems) == ["key_permissions"] else "invalid_callback"
        raise InstallRefused(reason, "; ".join(f"{name} {rule}" for name, rule in problems.items()), problems)
    return GrantedKeys(parse_user_id(document["user_id"], key, previous), document["consumer_key"],
                       document["consumer_secret"])


@dataclass
class RegisteredWebhooks:
    created: list[int] = field(default_factory=list)
    updated: list[int] = field(default_factory=list)


def register_webhooks(api: WooCommerceApi, delivery_url: str, secret: str) -> RegisteredWebhooks:
    """One active webhook per handled topic to `delivery_url`, signed with `secret`; safe to run again.

    Existing webhooks are listed first and a topic that already has one (any status) is updated, never
    duplicated: a POST is not resent, so a retry after a lost answer finds the webhook the POST made.
    """
    wanted = delivery_url.rstrip("/")
    existing = api.get_all("webhooks")
    done = RegisteredWebhooks()
    for topic in sorted(HANDLED_TOPICS):
        ours = [hook for hook in existing if hook.get("topic") == topic
                and str(hook.get("delivery_url") or "").rstrip("/") == wanted]
        for hook in ours:  # a duplicate made by hand must verify too, or its deliveries would be refused
            api.put(f"webhooks/{hook['id']}", {"secret": secret, "status": "active"})
            done.updated.append(int(hook["id"]))
        if not ours:
            created = api.post("webhooks", {"name": f"{APP_NAME} {topic}", "topic": topic, "delivery_url": wanted,
                                            "secret": secret, "status": "active"})
            done.created.append(int(created["id"]))
    return done
