"""What the Assay for WooCommerce plugin asks of Assay, server to server.

The plugin never asks for its secret: Assay delivers it to the site once the site has proven the install's keys
(plugin_delivery.py), so no request here can obtain one.

GET  /woocommerce/plugin/status      signed: connected, webhooks healthy, last event seen.
POST /woocommerce/plugin/login-link  signed, {person}: a single-use admin login link.
POST /woocommerce/plugin/disconnect  signed: Assay drops the store's keys and forgets the store.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request

from connector.guard import InputRefused, check_text, parse_json
from connector.woocommerce.access import woocommerce_api
from connector.woocommerce.errors import WooCommerceAccessDenied, WooCommerceRejected, WooCommerceUnavailable
from connector.woocommerce.installer import INTAKE_PATH, public_url
from connector.woocommerce.plugin_signing import (
    NONCE_HEADER,
    SIGNATURE_HEADER,
    STORE_HEADER,
    TIMESTAMP_HEADER,
    WINDOW,
    SignatureRefused,
    check_signature,
    read_signed_headers,
)
from connector.woocommerce.topics import HANDLED_TOPICS
from storage.columns import utc_now
from storage.db import storage_of
from storage.models import Platform, Store, StoreStatus
from storage.repositories import forget_shop, store_credentials
from storage.repositories.admin_access import LINK_LIFETIME, issue_login_link
from storage.repositories.inbox import last_event_at
from storage.repositories.plugin_links import plugin_secret, spend_request_nonce
from storage.settings import settings_of

bp = Blueprint("woocommerce_plugin", __name__)
log = logging.getLogger("assay.webhooks")
STATUS_FOR_REASON = {"unsigned": 400, "invalid_request": 400, "stale_request": 401, "invalid_signature": 401,
                     "replayed_request": 401, "unknown_store": 401, "not_connected": 409}


class PluginRefused(Exception):
    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason, self.detail = reason, detail


@bp.errorhandler(PluginRefused)
def _refused(refused: PluginRefused) -> tuple[Response, int]:
    log.warning("plugin.refused", extra={"reason": refused.reason})
    return jsonify(error=refused.reason, detail=refused.detail), STATUS_FOR_REASON[refused.reason]


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
                                       (STORE_HEADER, TIMESTAMP_HEADER, NONCE_HEADER, SIGNATURE_HEADER)})
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


@bp.get("/woocommerce/plugin/status")
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


@bp.post("/woocommerce/plugin/login-link")
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
    log.info("plugin.login_link", extra={"store_id": store.id})
    return jsonify(url=f"{public_url()}/admin/login/{secret}", expires_in=int(LINK_LIFETIME.total_seconds())), 200


@bp.post("/woocommerce/plugin/disconnect")
def disconnect() -> tuple[Response, int]:
    signed, _ = _signed_store()
    with storage_of(current_app).transaction() as session:
        store = session.get(Store, signed.id, with_for_update=True)
        if store is not None:  # its REST key, webhook secret and plugin secrets go with the row
            forget_shop(session, store)
    log.info("plugin.disconnected", extra={"store_id": signed.id})
    return jsonify(status="forgotten"), 200
