"""Installing Assay on a WooCommerce site: wc-auth, webhook registration, the plugin's secret, and their routes."""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import re
import secrets
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode, urlsplit

from flask import Blueprint, Flask, Response, current_app, jsonify, redirect, request
from werkzeug.wrappers import Response as BaseResponse

from connector.guard import InputRefused, check_text, parse_json
from connector.ratelimit import RateLimiter
from connector.registry import runner_of
from connector.woocommerce.api import (
    WooCommerceAccessDenied,
    WooCommerceApi,
    WooCommerceRejected,
    WooCommerceUnavailable,
    woocommerce_api,
)
from connector.woocommerce.verify import (
    NONCE_HEADER,
    PLUGIN_SIGNATURE_HEADER,
    STORE_HEADER,
    TIMESTAMP_HEADER,
    WINDOW,
    SignatureRefused,
    check_signature,
    read_signed_headers,
)
from storage.columns import utc_now
from storage.db import storage_of
from storage.models import Platform, Store, StoreStatus
from storage.repositories import (
    NonceRefused,
    StoreCredentials,
    forget_shop,
    granted_keys,
    hold_granted_keys,
    set_store_credentials,
    spend_install_nonce,
    store_credentials,
    take_granted_keys,
)
from storage.repositories.admin_access import LINK_LIFETIME, issue_login_link
from storage.repositories.inbox import last_event_at
from storage.repositories.installs import NONCE_BYTES
from storage.repositories.plugin_links import (
    drop_plugin_link,
    mark_plugin_link_delivered,
    open_plugin_link,
    pending_plugin_link,
    plugin_secret,
    spend_request_nonce,
)
from storage.secret_key import Purpose, secret_keys_of
from storage.settings import Settings, settings_of

# The WooCommerce webhook topics Assay subscribes to and acts on.

HANDLED_TOPICS = frozenset({"order.created", "order.updated", "order.deleted", "order.restored"})


# WooCommerce's wc-auth install: the authorize URL, reading the key callback, and registering Assay's webhooks.
#
# The merchant approves Assay at {site}/wc-auth/v1/authorize; WooCommerce then POSTs the new REST API key to
# our callback_url. That POST carries no signature and no site URL, only the `user_id` we chose, so `user_id`
# is a sealed ticket, "<nonce>.<expiry>.<site>[.<challenge>].<mac>": the site and the expiry MAC'd with the app's
# secret (and, when the Assay plugin started the install, the digest of a verifier only the plugin holds), so
# starting an install stores nothing (anyone may start one) and the callback alone, by proving the ticket and
# spending its nonce once, creates the pending store.

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
    """One active webhook per handled topic to `delivery_url`, signed with `secret`; safe to run again: a topic
    that has one (any status) is updated, never duplicated, so a retry after a lost answer finds the POST's."""
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


# Installing Assay on a WooCommerce site: start the wc-auth flow, accept its keys, register the webhooks.

log = logging.getLogger("assay.jobs")
PUBLIC_URL_SETTING = "ASSAY_PUBLIC_URL"
CALLBACK_PATH = "/woocommerce/auth/callback"
RETURN_PATH = "/woocommerce/installed"
INTAKE_PATH = "/webhooks/woocommerce"
LIMITER = "assay.install_starts"


def public_url() -> str:
    """Where platforms reach Assay; installs can't start without it."""
    url = settings_of(current_app).public_url.rstrip("/")
    if not url:
        raise InstallRefused("not_configured", f"{PUBLIC_URL_SETTING} is not set: WooCommerce needs Assay's "
                                               "public https:// URL to send the store's keys to")
    return url


def init_app(app: Flask, settings: Settings) -> None:
    """The app's limit on install starts, per source address and per site, each an hour."""
    app.extensions[LIMITER] = RateLimiter(settings.install_starts_per_hour, 3600)


def _install_starts() -> RateLimiter:
    limiter: RateLimiter = current_app.extensions[LIMITER]
    return limiter


def _ticket_key() -> str:
    return secret_keys_of(current_app).key(Purpose.WOOCOMMERCE_INSTALL)


def start_install(store_url: str | None, source: str, plugin_challenge: str | None = None) -> str:
    """The URL where the merchant approves Assay, with a sealed ticket for the site; nothing is stored.
    `plugin_challenge`, sealed in, lets only the plugin that started the install accept the secret delivered later."""
    site = check_store_url(store_url)
    if plugin_challenge is not None and not CHALLENGE.fullmatch(plugin_challenge):
        raise InstallRefused("invalid_store_url", "plugin_challenge must be 43 base64url characters",
                             {"plugin_challenge": "must be base64url(SHA-256(verifier)), 43 characters"})
    public = public_url()
    if not _install_starts().allow(f"source:{source}", f"site:{site}"):
        raise InstallRefused("too_many_installs", "too many installs were started from here or for this site; "
                                                  "try again in an hour")
    ttl = settings_of(current_app).install_ttl_seconds
    ticket = InstallTicket(site, secrets.token_urlsafe(NONCE_BYTES), int(time.time() + ttl), plugin_challenge)
    log.info("install.started", extra={"platform": Platform.WOOCOMMERCE.value})
    return authorize_url(site, user_id=user_id_for(ticket, _ticket_key()), return_url=f"{public}{RETURN_PATH}",
                         callback_url=f"{public}{CALLBACK_PATH}")


def accept_keys(document: object) -> tuple[int, int]:
    """Prove the ticket, spend its nonce and hold the key pair, encrypted, on the install; (store id, install id).
    The callback is unsigned, so the keys change nothing until the site accepts them (complete_woocommerce_install)."""
    granted = read_callback(document, _ticket_key(),
                            previous=secret_keys_of(current_app).previous(Purpose.WOOCOMMERCE_INSTALL))
    ticket = granted.ticket
    now = utc_now()
    if ticket.expires <= now.timestamp():
        raise InstallRefused("nonce_expired", "this install was started too long ago; start it again")
    storage = storage_of(current_app)
    with storage.transaction() as session:
        try:
            store_id, install_id = spend_install_nonce(session, ticket.site, ticket.nonce,
                                                       datetime.fromtimestamp(ticket.expires, UTC), now)
        except NonceRefused as refused:
            raise InstallRefused(refused.reason, "this install's keys were already received") from None
        hold_granted_keys(session, storage.cipher, install_id, granted.consumer_key, granted.consumer_secret,
                          ticket.challenge)
    log.info("install.keys_received", extra={"platform": Platform.WOOCOMMERCE.value,
                                             "store_id": store_id, "install_id": install_id})
    return store_id, install_id


def returned_ticket(user_id: str | None) -> InstallTicket | None:
    """The ticket in the user_id WooCommerce hands back on the merchant's return, if it is one Assay sealed."""
    try:
        return parse_user_id(user_id, _ticket_key(),
                             previous=secret_keys_of(current_app).previous(Purpose.WOOCOMMERCE_INSTALL))
    except InstallRefused:
        return None


def complete_woocommerce_install(store_id: int, install_id: int) -> None:
    """Job: prove the install's keys on the site, swap them in, register Assay's webhooks, then hand the plugin
    that started the install (if one did) its secret, on the site, with the keys just proven."""
    if swap_in_proven_keys(store_id, install_id):
        register_woocommerce_webhooks(store_id)
        deliver_plugin_secret(store_id)


def swap_in_proven_keys(store_id: int, install_id: int) -> bool:
    """True when the store now holds keys the site accepts (proof its admin approved the install, so only then is
    the plugin's secret opened); refused keys are dropped; WooCommerceUnavailable keeps them for a retry."""
    storage = storage_of(current_app)
    with storage.sessions() as session:
        store = session.get(Store, store_id)
        keys = granted_keys(session, storage.cipher, install_id)
        if store is None:
            return False
        if keys is None:  # an earlier run swapped them in (or dropped them)
            return store.status == StoreStatus.ACTIVE.value
        session.expunge(store)
    proposed = StoreCredentials(consumer_key=keys.consumer_key, consumer_secret=keys.consumer_secret)
    refused: WooCommerceRejected | None = None
    try:
        with woocommerce_api(store, proposed, settings_of(current_app)) as api:
            api.get("webhooks", {"per_page": 1})  # what registering needs: read access to the site's webhooks
    except WooCommerceRejected as error:
        refused = error
    with storage.transaction() as session:
        if not take_granted_keys(session, install_id):
            return False  # another run of this job got here first and did the swap
        if refused is not None:
            log.warning("install.keys_refused_by_site", extra={"store_id": store_id, "install_id": install_id,
                                                               "status": refused.status})
            return False
        store = session.get_one(Store, store_id, with_for_update=True)
        kept = store_credentials(store, storage.cipher)  # a reinstall keeps the webhook secret in use
        set_store_credentials(store, storage.cipher, replace(kept, consumer_key=proposed.consumer_key,
                                                             consumer_secret=proposed.consumer_secret))
        if keys.plugin_challenge:
            open_plugin_link(session, storage.cipher, store_id, challenge=keys.plugin_challenge, now=utc_now())
    log.info("install.keys_stored", extra={"store_id": store_id, "install_id": install_id})
    return True


def register_woocommerce_webhooks(store_id: int) -> RegisteredWebhooks | None:
    """Job: Assay's webhooks on the site, signed with the store's webhook secret (made here the first time); what
    it created and updated, or None for a store that is gone or not active."""
    storage = storage_of(current_app)
    delivery_url = f"{public_url()}{INTAKE_PATH}"
    with storage.transaction() as session:
        # FOR UPDATE: two jobs for one store agree on one secret instead of each saving its own.
        store = session.get(Store, store_id, with_for_update=True)
        if store is None or store.status != StoreStatus.ACTIVE.value:
            log.info("install.webhooks_skipped", extra={"store_id": store_id})
            return None
        credentials = store_credentials(store, storage.cipher)
        if not credentials.webhook_secret:
            # Saved before the site knows it: a delivery signed with it must never meet an older secret here.
            credentials = replace(credentials, webhook_secret=secrets.token_urlsafe(32))
            set_store_credentials(store, storage.cipher, credentials)
            session.flush()  # before expunge, which would drop the change
        session.expunge(store)
    assert credentials.webhook_secret is not None
    with woocommerce_api(store, credentials, settings_of(current_app)) as api:
        done = register_webhooks(api, delivery_url, credentials.webhook_secret)
    log.info("install.webhooks_registered", extra={"store_id": store_id, "webhooks_created": done.created,
                                                   "webhooks_updated": done.updated})
    return done


# Handing the Assay plugin its secret: only to the site, with the REST keys the site has just proven.
#
# The secret signs as the store (login links, disconnect), so it must come only from proof that the site itself took
# part. The merchant's browser carries nothing back (a stranger who started the install could read anything sent that
# way); instead Assay POSTs the secret to the plugin's own route on the site, over https, authenticated by the keys
# the site's admin approved. The plugin takes it only if the challenge is that of the verifier it kept when its own
# Connect started this install; it answers 409 otherwise, and 404 means no Assay plugin is there to take it.

CONNECTION_ROUTE = "connection"


def deliver_plugin_secret(store_id: int) -> bool:
    """Deliver the store's pending plugin secret, if any; True once the site's plugin holds it. Safe to run again;
    an unreachable site raises WooCommerceUnavailable and the secret stays pending until it expires."""
    storage = storage_of(current_app)
    with storage.sessions() as session:
        store = session.get(Store, store_id)
        link = pending_plugin_link(session, storage.cipher, store_id, utc_now()) if store is not None else None
        if store is None or link is None:
            return False
        credentials = store_credentials(store, storage.cipher)
        session.expunge(store)
    try:
        with woocommerce_api(store, credentials, settings_of(current_app)) as api:
            api.post_to_plugin(CONNECTION_ROUTE, {"store_id": store_id, "secret": link.secret,
                                                  "challenge": link.challenge})
    except WooCommerceRejected as refused:
        with storage.transaction() as session:
            drop_plugin_link(session, link)
        log.warning("plugin.secret_refused_by_site", extra={"store_id": store_id, "status": refused.status,
                                                            "code": refused.code})
        return False
    with storage.transaction() as session:
        mark_plugin_link_delivered(session, link, utc_now())
    log.info("plugin.secret_delivered", extra={"store_id": store_id})
    return True


# WooCommerce's wc-auth install: GET /woocommerce/install starts it, WooCommerce POSTs the keys to
# /woocommerce/auth/callback, and sends the merchant back to GET /woocommerce/installed.
#
# The callback answers exactly 200 when it keeps the keys (WooCommerce treats anything else as a failed
# install) and queues the rest rather than calling the site while it waits for us: a job proves the keys on
# the site, swaps them in and registers the webhooks.

install_bp = Blueprint("woocommerce_install", __name__)
routes_log = logging.getLogger("assay.webhooks")

# The one place a refused install becomes an HTTP status.
INSTALL_STATUS_FOR_REASON = {
    "invalid_store_url": 400, "not_json": 400, "invalid_callback": 400, "malformed_user_id": 400,
    "wrong_permissions": 400, "too_many_installs": 429, "unknown_install": 403, "nonce_expired": 403, "nonce_used": 403,
    "not_configured": 503,
}


def _install_refused(refused: InstallRefused) -> tuple[Response, int]:
    # Neither the user_id (it holds the nonce) nor the keys reach the log; the reason says enough.
    routes_log.warning("install.refused", extra={"platform": "woocommerce", "reason": refused.reason})
    body: dict[str, object] = {"error": refused.reason, "detail": refused.detail}
    if refused.fields:
        body["fields"] = refused.fields
    return jsonify(body), INSTALL_STATUS_FOR_REASON[refused.reason]


@install_bp.get("/woocommerce/install")
def install() -> BaseResponse | tuple[Response, int]:
    try:
        return redirect(start_install(request.args.get("store_url"), request.remote_addr or "unknown",
                                      request.args.get("plugin_challenge")), 302)
    except InstallRefused as refused:
        return _install_refused(refused)


def read_json_body() -> object:
    """The body as JSON (whatever its content type: a proxy may rewrite it), through the input guard."""
    try:
        return parse_json(request.get_data(cache=True))
    except InputRefused:
        raise InstallRefused("not_json", "the body must be a JSON object") from None


@install_bp.post("/woocommerce/auth/callback")
def callback() -> tuple[Response, int]:
    try:
        store_id, install_id = accept_keys(read_json_body())
    except InstallRefused as refused:
        return _install_refused(refused)
    runner_of(current_app).later(complete_woocommerce_install, store_id, install_id,
                                 job_id=f"woocommerce-install-{store_id}-{install_id}")
    return jsonify(status="installed"), 200


PLUGIN_PAGE = "/wp-admin/admin.php?page=assay"


@install_bp.get("/woocommerce/installed")
def installed() -> BaseResponse | tuple[str, int, dict[str, str]]:
    """Where WooCommerce sends the merchant back, with success=1 or 0; nothing from the query is echoed."""
    approved = request.args.get("success") == "1"
    ticket = returned_ticket(request.args.get("user_id"))
    # An install the plugin started goes on to the plugin's page on the ticket's own site (never one the query names),
    # saying only whether it was approved: anyone holding the ticket can call this, so nothing that signs as the store
    # travels this way (the plugin's secret is delivered to the site itself, deliver_plugin_secret).
    if ticket is not None and ticket.challenge:
        outcome = "assay_connecting=1" if approved else "assay_declined=1"
        return redirect(f"{ticket.site}{PLUGIN_PAGE}&{outcome}", 303)
    text = ("Assay is connected to your store. Its webhooks are being set up; you can close this page."
            if approved else "Assay was not connected: the request was declined. Nothing was saved.")
    return text, 200, {"Content-Type": "text/plain; charset=utf-8"}


# What the Assay for WooCommerce plugin asks of Assay, server to server.
#
# The plugin never asks for its secret: Assay delivers it to the site once the site has proven the install's keys
# (deliver_plugin_secret), so no request here can obtain one.
#
# GET  /woocommerce/plugin/status      signed: connected, webhooks healthy, last event seen.
# POST /woocommerce/plugin/login-link  signed, {person}: a single-use admin login link.
# POST /woocommerce/plugin/disconnect  signed: Assay drops the store's keys and forgets the store.

plugin_bp = Blueprint("woocommerce_plugin", __name__)
PLUGIN_STATUS_FOR_REASON = {"unsigned": 400, "invalid_request": 400, "stale_request": 401, "invalid_signature": 401,
                     "replayed_request": 401, "unknown_store": 401, "not_connected": 409}


class PluginRefused(Exception):
    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason, self.detail = reason, detail


@plugin_bp.errorhandler(PluginRefused)
def _plugin_refused(refused: PluginRefused) -> tuple[Response, int]:
    routes_log.warning("plugin.refused", extra={"reason": refused.reason})
    return jsonify(error=refused.reason, detail=refused.detail), PLUGIN_STATUS_FOR_REASON[refused.reason]


def _json_object() -> dict[str, Any]:
    try:
        body = request.get_data(cache=True)
        found = parse_json(body) if body.strip() else {}
    except InputRefused as refused:
        raise PluginRefused("invalid_request", str(refused)) from None
    if not isinstance(found, dict):
        raise PluginRefused("invalid_request", "the body must be a JSON object")
    return found


def _signed_store() -> tuple[Store, dict[str, Any]]:
    """The store whose plugin signed this request, and the JSON body; PluginRefused otherwise."""
    try:
        headers = read_signed_headers({name: request.headers.get(name) for name in
                                       (STORE_HEADER, TIMESTAMP_HEADER, NONCE_HEADER, PLUGIN_SIGNATURE_HEADER)})
    except SignatureRefused as refused:
        raise PluginRefused(refused.reason, refused.detail) from None
    storage = storage_of(current_app)
    with storage.transaction() as session:
        store = session.get(Store, headers.store_id)
        secret = plugin_secret(session, storage.cipher, headers.store_id) if store is not None else None
        if store is None or store.platform != Platform.WOOCOMMERCE.value or secret is None:
            raise PluginRefused("unknown_store", f"{STORE_HEADER} names no store connected through the plugin")
        try:
            check_signature(headers, secret, request.method, request.path, request.get_data(cache=True), time.time())
        except SignatureRefused as refused:
            raise PluginRefused(refused.reason, refused.detail) from None
        # Twice the window: a timestamp may be up to WINDOW ahead of our clock and still be accepted WINDOW later.
        if not spend_request_nonce(session, store.id, headers.nonce, utc_now(), 2 * WINDOW):
            raise PluginRefused("replayed_request", f"this {NONCE_HEADER} was already used")
        session.expunge(store)
    return store, _json_object()


@plugin_bp.get("/woocommerce/plugin/status")
def status() -> tuple[Response, int]:
    store, _ = _signed_store()
    with storage_of(current_app).sessions() as session:
        last = last_event_at(session, Platform.WOOCOMMERCE.value, store.domain)
    connected = store.status == StoreStatus.ACTIVE.value
    return jsonify(store_id=store.id, site=store.domain, connected=connected, store_status=store.status,
                   webhooks=_webhook_health(store) if connected else {"healthy": False, "missing": []},
                   last_event_at=last.isoformat() if last else None), 200


def _webhook_health(store: Store) -> dict[str, Any]:
    """Healthy when every topic Assay handles has an active webhook to Assay on the site, as the site says now."""
    delivery_url = f"{public_url()}{INTAKE_PATH}"
    try:
        credentials = store_credentials(store, storage_of(current_app).cipher)
        with woocommerce_api(store, credentials, settings_of(current_app)) as api:
            hooks = api.get_all("webhooks")
    except (WooCommerceUnavailable, WooCommerceAccessDenied, WooCommerceRejected, PermissionError):
        return {"healthy": None, "missing": [], "detail": "the site's webhooks could not be read just now"}
    active = {hook.get("topic") for hook in hooks if hook.get("status") == "active"
              and str(hook.get("delivery_url") or "").rstrip("/") == delivery_url}
    missing = sorted(HANDLED_TOPICS - active)
    return {"healthy": not missing, "missing": missing}


@plugin_bp.post("/woocommerce/plugin/login-link")
def login_link() -> tuple[Response, int]:
    store, sent = _signed_store()
    try:
        person = check_text("person", sent.get("person") or "the store's WordPress admin", max_length=255)
    except InputRefused as refused:
        raise PluginRefused("invalid_request", str(refused)) from None
    if store.status != StoreStatus.ACTIVE.value:
        raise PluginRefused("not_connected", "this store's install has not finished; try again in a minute")
    with storage_of(current_app).transaction() as session:
        secret = issue_login_link(session, store.id, person)
    routes_log.info("plugin.login_link", extra={"store_id": store.id})
    return jsonify(url=f"{public_url()}/admin/login/{secret}", expires_in=int(LINK_LIFETIME.total_seconds())), 200


@plugin_bp.post("/woocommerce/plugin/disconnect")
def disconnect() -> tuple[Response, int]:
    signed, _ = _signed_store()
    with storage_of(current_app).transaction() as session:
        store = session.get(Store, signed.id, with_for_update=True)
        if store is not None:  # its REST key, webhook secret and plugin secrets go with the row
            forget_shop(session, store)
    routes_log.info("plugin.disconnected", extra={"store_id": signed.id})
    return jsonify(status="forgotten"), 200
