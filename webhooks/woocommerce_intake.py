"""POST /webhooks/woocommerce: verify, record in the inbox, enqueue one job, answer — never decide inline.

The site is named by X-WC-Webhook-Source and its webhook secret checks the signature. The inbox key is the
delivery id with the topic and a digest of the body: WooCommerce makes delivery ids from the webhook's id
and the current second, so two different deliveries within a second can share an id, while a repeat of
the same delivery has the same topic and body too.
"""

from __future__ import annotations

import hashlib
import json
import logging

from flask import Blueprint, Response, current_app, jsonify, request

from connector.woocommerce.topics import HANDLED_TOPICS
from connector.woocommerce.verify import read_delivery, verify_webhook
from jobs.events import process_event
from jobs.queue import queue_of
from storage.db import storage_of
from storage.models import EventStatus, Platform
from storage.repositories import find_stores_by_domain, mark_event, record_event, safe_headers, store_credentials

bp = Blueprint("woocommerce_webhooks", __name__)
log = logging.getLogger("assay.webhooks")
WOOCOMMERCE = Platform.WOOCOMMERCE.value

# The one place a rejected delivery becomes an HTTP status.
STATUS_FOR_REASON = {"missing_headers": 400, "not_json": 400, "unknown_store": 401, "invalid_signature": 401}


def _rejected(reason: str, detail: str) -> tuple[Response, int]:
    log.warning("webhook.rejected", extra={"platform": WOOCOMMERCE, "reason": reason})
    return jsonify(error=reason, detail=detail), STATUS_FOR_REASON[reason]


@bp.post("/webhooks/woocommerce")
def receive() -> tuple[Response, int]:
    body = request.get_data(cache=False)
    delivery = read_delivery(request.headers, body)
    if delivery.reason == "ping":  # sent once when the webhook is created; WooCommerce keeps it only on a 200
        log.info("webhook.ping", extra={"platform": WOOCOMMERCE, "webhook_id": delivery.webhook_id})
        return jsonify(status="ping"), 200
    if delivery.reason != "headers_present":
        return _rejected(delivery.reason, delivery.detail)
    assert delivery.source is not None
    storage = storage_of(current_app)
    with storage.transaction() as session:
        store = next((s for s in find_stores_by_domain(session, delivery.source) if s.platform == WOOCOMMERCE), None)
        secret = store_credentials(store, storage.cipher).webhook_secret if store is not None else None
        domain = store.domain if store is not None else None
    if domain is None or not secret:
        return _rejected("unknown_store", f"no WooCommerce store is set up for {delivery.source}")
    check = verify_webhook(request.headers, body, secret)
    if not check.ok:
        return _rejected(check.reason, check.detail)
    try:
        payload = json.loads(body)
    except ValueError:
        return _rejected("not_json", "the body must be a JSON document")
    assert check.topic and check.delivery_id  # verified: the headers are present
    inbox_key = f"{check.delivery_id}:{check.topic}:{hashlib.sha256(body).hexdigest()[:16]}"
    with storage.transaction() as session:
        event, created = record_event(
            session, platform=WOOCOMMERCE, delivery_id=inbox_key, topic=check.topic, shop_domain=domain,
            payload=payload if isinstance(payload, dict) else {"body": payload},
            headers=safe_headers(request.headers.items()),
        )
        handled = check.topic in HANDLED_TOPICS
        if created and not handled:
            mark_event(session, event.id, EventStatus.IGNORED)
        event_id = event.id
    if not created:
        log.info("webhook.duplicate", extra={"platform": WOOCOMMERCE, "event_id": event_id})
        return jsonify(status="duplicate"), 200
    if not handled:
        log.info("webhook.ignored", extra={"platform": WOOCOMMERCE, "topic": check.topic, "event_id": event_id})
        return jsonify(status="ignored"), 200
    queue_of(current_app).enqueue(process_event, event_id, job_id=f"event-{event_id}")
    log.info("webhook.accepted", extra={"platform": WOOCOMMERCE, "topic": check.topic, "event_id": event_id})
    return jsonify(status="accepted"), 200
