"""A customer asks to cancel from the storefront, through Shopify's app proxy: checked, recorded, queued."""

from __future__ import annotations

import logging

from flask import Blueprint, Response, current_app, jsonify, request

from connector.guard import InputRefused, check_id
from connector.intake import CancelRequestRefused
from connector.registry import runner_of
from connector.shopify.app_config import NOT_CONFIGURED, WHAT_TO_SET, signing_secrets
from connector.shopify.cancellations import open_cancel_case
from connector.shopify.verify import verify_app_proxy
from storage.settings import settings_of

bp = Blueprint("shopify_proxy", __name__)
log = logging.getLogger("assay.webhooks")


@bp.post("/proxy/shopify/cancel")
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
