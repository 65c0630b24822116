"""POST /webhooks/shopify: verify, record in the inbox, enqueue one job, answer — never decide inline."""

from __future__ import annotations

import json
import logging

from flask import Blueprint, Response, current_app, jsonify, request

from connector.shopify.topics import HANDLED_TOPICS
from connector.shopify.verify import verify_webhook
from jobs.events import process_event
from jobs.queue import queue_of
from storage.db import storage_of
from storage.models import EventStatus, Platform
from storage.repositories import mark_event, record_event, safe_headers

bp = Blueprint("shopify_webhooks", __name__)
log = logging.getLogger("assay.webhooks")

# The one place a verification failure becomes an HTTP status.
STATUS_FOR_REASON = {"missing_headers": 400, "not_utf8": 400, "not_json": 400, "invalid_hmac": 401}


def _rejected(reason: str, detail: str) -> tuple[Response, int]:
    log.warning("webhook.rejected", extra={"platform": "shopify", "reason": reason})
    return jsonify(error=reason, detail=detail), STATUS_FOR_REASON[reason]


@bp.post("/webhooks/shopify")
def receive() -> tuple[Response, int]:
    body = request.get_data(cache=False)
    config = current_app.config
    check = verify_webhook(request.headers, body, config["SHOPIFY_API_SECRET"],
                           config.get("SHOPIFY_API_SECRET_PREVIOUS"), url=request.url)
    if not check.ok:
        return _rejected(check.reason, check.detail)
    try:
        payload = json.loads(body)
    except ValueError:
        return _rejected("not_json", "the body must be a JSON document")
    assert check.topic and check.shop_domain and check.webhook_id  # verified: all three headers are present
    with storage_of(current_app).transaction() as session:
        event, created = record_event(
            session, platform=Platform.SHOPIFY.value, delivery_id=check.webhook_id, topic=check.topic,
            shop_domain=check.shop_domain, payload=payload if isinstance(payload, dict) else {"body": payload},
            headers=safe_headers(request.headers.items()),
        )
        handled = check.topic in HANDLED_TOPICS
        if created and not handled:
            mark_event(session, event.id, EventStatus.IGNORED)
        event_id = event.id
    if not created:
        log.info("webhook.duplicate", extra={"platform": "shopify", "event_id": event_id})
        return jsonify(status="duplicate"), 200
    if not handled:
        log.info("webhook.ignored", extra={"platform": "shopify", "topic": check.topic, "event_id": event_id})
        return jsonify(status="ignored"), 200
    queue_of(current_app).enqueue(process_event, event_id, job_id=f"event-{event_id}")
    log.info("webhook.accepted", extra={"platform": "shopify", "topic": check.topic, "event_id": event_id})
    return jsonify(status="accepted"), 200
