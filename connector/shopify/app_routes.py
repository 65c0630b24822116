"""The embedded app's own pages: the app home (the first document load, which installs) and App Bridge's bounce
page; and the sign-in the admin API uses for Shopify's session tokens."""

from __future__ import annotations

import html
import logging
from collections.abc import Mapping
from typing import cast

from flask import Blueprint, Flask, Response, current_app, jsonify, request
from flask.blueprints import BlueprintSetupState
from shopify_app.helpers.app_home_patch_id_token import app_home_patch_id_token

from connector.shopify.app_config import NOT_CONFIGURED, WHAT_TO_SET, shopify_app
from connector.shopify.install import installed_store
from connector.shopify.offline_tokens import TokenRefused, TokenUnavailable
from connector.shopify.session_tokens import PATCH_ID_TOKEN_PATH, verify_session
from connector.sign_in import Principal, Refusal, add_sign_in
from storage.db import Storage, storage_of
from storage.settings import Settings, settings_of

bp = Blueprint("shopify_app", __name__)
log = logging.getLogger("assay.shopify.app")


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


@bp.record_once
def _register_sign_in(state: BlueprintSetupState) -> None:
    add_sign_in(cast(Flask, state.app), SIGN_IN)


def _not_configured() -> tuple[Response, int]:
    return jsonify(error=NOT_CONFIGURED, detail=WHAT_TO_SET), 503


@bp.get("/shopify/app")
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


@bp.get(PATCH_ID_TOKEN_PATH)
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
