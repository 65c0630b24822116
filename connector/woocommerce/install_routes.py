"""WooCommerce's wc-auth install: GET /woocommerce/install starts it, WooCommerce POSTs the keys to
/woocommerce/auth/callback, and sends the merchant back to GET /woocommerce/installed.

The callback answers exactly 200 when it keeps the keys (WooCommerce treats anything else as a failed
install) and queues the rest rather than calling the site while it waits for us: a job proves the keys on
the site, swaps them in and registers the webhooks.
"""

from __future__ import annotations

import logging

from flask import Blueprint, Response, current_app, jsonify, redirect, request
from werkzeug.wrappers import Response as BaseResponse

from connector.guard import InputRefused, parse_json
from connector.registry import runner_of
from connector.woocommerce.install import InstallRefused
from connector.woocommerce.installer import (
    accept_keys,
    complete_woocommerce_install,
    returned_ticket,
    start_install,
)

bp = Blueprint("woocommerce_install", __name__)
log = logging.getLogger("assay.webhooks")

# The one place a refused install becomes an HTTP status.
STATUS_FOR_REASON = {
    "invalid_store_url": 400, "not_json": 400, "invalid_callback": 400, "malformed_user_id": 400,
    "wrong_permissions": 400, "too_many_installs": 429, "unknown_install": 403, "nonce_expired": 403, "nonce_used": 403,
    "not_configured": 503,
}


def _refused(refused: InstallRefused) -> tuple[Response, int]:
    # Neither the user_id (it holds the nonce) nor the keys reach the log; the reason says enough.
    log.warning("install.refused", extra={"platform": "woocommerce", "reason": refused.reason})
    body: dict[str, object] = {"error": refused.reason, "detail": refused.detail}
    if refused.fields:
        body["fields"] = refused.fields
    return jsonify(body), STATUS_FOR_REASON[refused.reason]


@bp.get("/woocommerce/install")
def install() -> BaseResponse | tuple[Response, int]:
    try:
        return redirect(start_install(request.args.get("store_url"), request.remote_addr or "unknown",
                                      request.args.get("plugin_challenge")), 302)
    except InstallRefused as refused:
        return _refused(refused)


def read_json_body() -> object:
    """The body as JSON (whatever its content type: a proxy may rewrite it), through the input guard."""
    try:
        return parse_json(request.get_data(cache=True))
    except InputRefused:
        raise InstallRefused("not_json", "the body must be a JSON object") from None


@bp.post("/woocommerce/auth/callback")
def callback() -> tuple[Response, int]:
    try:
        store_id, install_id = accept_keys(read_json_body())
    except InstallRefused as refused:
        return _refused(refused)
    runner_of(current_app).later(complete_woocommerce_install, store_id, install_id,
                                 job_id=f"woocommerce-install-{store_id}-{install_id}")
    return jsonify(status="installed"), 200


PLUGIN_PAGE = "/wp-admin/admin.php?page=assay"


@bp.get("/woocommerce/installed")
def installed() -> BaseResponse | tuple[str, int, dict[str, str]]:
    """Where WooCommerce sends the merchant back, with success=1 or 0; nothing from the query is echoed.

    An install the plugin started goes on to the plugin's page on the ticket's own site (never a site the query
    names), saying only whether it was approved: anyone holding the ticket can call this, so nothing that signs as
    the store travels this way (the plugin's secret is delivered to the site itself, plugin_delivery.py).
    """
    approved = request.args.get("success") == "1"
    ticket = returned_ticket(request.args.get("user_id"))
    if ticket is not None and ticket.challenge:
        outcome = "assay_connecting=1" if approved else "assay_declined=1"
        return redirect(f"{ticket.site}{PLUGIN_PAGE}&{outcome}", 303)
    text = ("Assay is connected to your store. Its webhooks are being set up; you can close this page."
            if approved else "Assay was not connected: the request was declined. Nothing was saved.")
    return text, 200, {"Content-Type": "text/plain; charset=utf-8"}
