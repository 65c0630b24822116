"""The app's routes: the embedded app's home and its sign-in, and a customer's cancel request through the app
proxy."""

from __future__ import annotations

import html
import logging
from collections.abc import Mapping
from typing import cast

from flask import Blueprint, Flask, Response, current_app, jsonify, request
from flask.blueprints import BlueprintSetupState
from shopify_app.helpers.app_home_patch_id_token import app_home_patch_id_token

from connector.case_opening import CancelRequestRefused
from connector.guard import InputRefused, check_id
from connector.registry import runner_of
from connector.shopify.api import TokenRefused, TokenUnavailable
from connector.shopify.cancellations import open_cancel_case
from connector.shopify.install import installed_store
from connector.shopify.verify import (
    NOT_CONFIGURED,
    PATCH_ID_TOKEN_PATH,
    WHAT_TO_SET,
    shopify_app,
    signing_secrets,
    verify_app_proxy,
    verify_session,
)
from connector.sign_in import Principal, Refusal, add_sign_in
from storage.db import Storage, storage_of
from storage.settings import Settings, settings_of

# --- The embedded app -----------------------------------------------------------------------------

app_bp = Blueprint("shopify_app", __name__)


class ShopifySignIn:
    """A request with `Authorization: Bearer <session token>`, or a document with `id_token`, is Shopify's."""

    def authenticate(self, *, url: str, headers: Mapping[str, str], settings: Settings,
                     storage: Storage) -> Principal | Refusal | None:
        bearer = any(k.lower() == "authorization" and v.startswith("Bearer ") for k, v in headers.items())
        if not bearer and "id_token=" not in url:
            return None
        app = shopify_app(settings)
        if app is None:
            return Refusal(503, NOT_CONFIGURED, WHAT_TO_SET)
        check = verify_session(app, url=url, headers=headers)
        if not check.ok:
            return Refusal(check.status, check.reason, "the session token was refused", check.headers)
        try:
            store_id = installed_store(storage, app, check)
        except TokenUnavailable:
            return Refusal(503, "shopify_unavailable", "Shopify's token endpoint could not be reached; try again")
        except TokenRefused:
            return Refusal(401, "token_exchange_refused", "Shopify refused to exchange the session token")
        person = f"shopify-user:{check.user_id}" if check.user_id else f"shopify:{check.shop_domain}"
        return Principal(store_id, person, "session_token", headers=check.headers)


SIGN_IN = ShopifySignIn()


@app_bp.record_once
def _register_sign_in(state: BlueprintSetupState) -> None:
    add_sign_in(cast(Flask, state.app), SIGN_IN)


def _not_configured() -> tuple[Response, int]:
    return jsonify(error=NOT_CONFIGURED, detail=WHAT_TO_SET), 503


@app_bp.get("/shopify/app")
def app_home() -> Response | tuple[Response, int]:
    """The embedded app's document: signed in by its `id_token`, or bounced to get one; framed only by the shop."""
    app = shopify_app(settings_of(current_app))
    if app is None:
        return _not_configured()
    found = SIGN_IN.authenticate(url=request.url, headers=dict(request.headers), settings=settings_of(current_app),
                                 storage=storage_of(current_app))
    if found is None:  # no token at all: shopify_app's answer is the bounce to the patch page
        check = verify_session(app, url=request.url, headers={})
        found = Refusal(check.status, check.reason, headers=check.headers)
    if isinstance(found, Refusal):
        answer = jsonify(error=found.reason, detail=found.detail) if found.status != 302 else Response("", 302)
        answer.status_code = found.status
        answer.headers.update(dict(found.headers))
        return answer
    render = current_app.extensions.get("assay.app_home")  # the settings page (admin/page.py), when registered
    page = render(app.client_id) if render else (f"<!doctype html><html><head><meta charset=utf-8><title>Assay</title>"
            f'<script data-api-key="{html.escape(app.client_id)}" '
            f'src="https://cdn.shopify.com/shopifycloud/app-bridge.js"></script></head>'
            f"<body><div id=assay-admin data-api=/admin/api></div></body></html>")
    answer = Response(page, 200, mimetype="text/html")
    answer.headers.update(dict(found.headers))  # Content-Security-Policy: frame-ancestors https://<shop> …
    return answer


@app_bp.get(PATCH_ID_TOKEN_PATH)
def patch_id_token() -> Response | tuple[Response, int]:
    """App Bridge's bounce page: it gets a fresh session token and reloads the document it came from."""
    app = shopify_app(settings_of(current_app))
    if app is None:
        return _not_configured()
    result = app_home_patch_id_token({"method": "GET", "headers": {}, "url": request.url, "body": ""},
                                     app.sdk_config())
    answer = Response(result.response.body, result.response.status)
    answer.headers.update(dict(result.response.headers))
    return answer


# --- The app proxy --------------------------------------------------------------------------------

proxy_bp = Blueprint("shopify_proxy", __name__)
log = logging.getLogger("assay.webhooks")


@proxy_bp.post("/proxy/shopify/cancel")
def ask_to_cancel() -> tuple[Response, int]:
    secrets = signing_secrets(settings_of(current_app))
    if secrets is None:  # fail closed: nothing signed with an empty key is accepted
        return jsonify(error=NOT_CONFIGURED, detail=WHAT_TO_SET), 503
    check = verify_app_proxy(request.url, *secrets)
    if not check.ok or check.shop_domain is None:
        log.warning("proxy.rejected", extra={"reason": check.reason})
        return jsonify(error=check.reason), 401
    if check.customer_id is None:
        return jsonify(error="login_required", detail="log in to your account to cancel an order"), 401
    try:
        order_id = str(check_id("order_id", (request.form.get("order_id") or request.args.get("order_id") or "")))
    except InputRefused as refused:
        return jsonify(error="invalid_order_id", field="order_id", detail=str(refused)), 400
    note = (request.form.get("note") or "")[:1000]
    try:
        opened = open_cancel_case(check.shop_domain, check.customer_id, order_id, note)
    except CancelRequestRefused as refused:
        return jsonify(error=refused.reason, detail=str(refused)), refused.status
    if opened.created:
        runner_of(current_app).decide(opened.case_id, job_id=f"case-{opened.case_id}")
    return jsonify(status="received", case_id=opened.case_id), 202
