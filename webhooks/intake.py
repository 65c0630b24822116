"""POST /webhooks/<platform>: the adapter verifies and names the delivery, the inbox records it, one job is queued,
200 — never decided inline. Recorded is what counts: 503 when the row could not be committed, so it comes again."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from flask import Blueprint, Response, abort, current_app, jsonify, request
from sqlalchemy.exc import DBAPIError

from connector.adapter import WebhookVerdict
from connector.admission import Admission, admit, open_delivery
from connector.registry import platforms_of
from jobs.events import process_event
from jobs.queue import queue_of
from storage.columns import utc_now
from storage.db import Storage, storage_of
from storage.models import EventStatus
from storage.repositories import Delivery, NotAtOnce, record_delivery_at_once, record_delivery_once
from storage.secret_key import secret_keys_of
from storage.settings import settings_of

bp = Blueprint("webhooks", __name__)
log = logging.getLogger("assay.webhooks")

# The one place a verification failure becomes an HTTP status, whichever platform's it is.
STATUS_FOR_REASON = {"missing_headers": 400, "invalid_headers": 400, "not_utf8": 400, "not_json": 400,
                     "invalid_hmac": 401, "unknown_store": 401, "invalid_signature": 401, "wrong_shop": 401,
                     "not_configured": 503}


def _rejected(platform: str, reason: str, detail: str) -> tuple[Response, int]:
    log.warning("webhook.rejected", extra={"platform": platform, "reason": reason})
    return jsonify(error=reason, detail=detail), STATUS_FOR_REASON[reason]


@bp.post("/webhooks/<platform>")
def receive(platform: str) -> tuple[Response, int]:
    adapter = platforms_of(current_app).get(platform)
    if adapter is None:
        abort(404)
    body = request.get_data(cache=False)
    storage = storage_of(current_app)
    check = adapter.verify_webhook(request.headers, body, url=request.url, settings=settings_of(current_app),
                                   storage=storage)
    if check.ping:
        log.info("webhook.ping", extra={"platform": platform, "webhook_id": check.webhook_id})
        return jsonify(status="ping"), 200
    if not check.ok:
        return _rejected(platform, check.reason, check.detail)
    assert check.topic and check.shop_domain and check.delivery_key  # verified: the adapter named the delivery
    opened = open_delivery(platform, check, body, storage)
    mismatch = adapter.tenant_mismatch(check.topic, opened.payload, opened.store.domain) if opened.store else None
    admitted = admit(opened, check, body, secret_keys_of(current_app), mismatch=mismatch,
                     privacy_topic=check.topic in adapter.privacy_topics)
    if admitted.refused:
        return _rejected(platform, *admitted.refused)
    if admitted.dropped:  # answered, so the platform stops sending it, and not kept: it is no shop of ours
        log.info("webhook.dropped", extra={"platform": platform, "topic": check.topic, "reason": admitted.dropped})
        return jsonify(status="dropped"), 200
    handled = check.topic in adapter.topics
    delivery = _record(storage, platform, check, admitted, handled=handled, replay_horizon=adapter.replay_horizon)
    if delivery is None:  # the same body signed by the same secret again, whatever its delivery id says
        log.info("webhook.replayed", extra={"platform": platform, "topic": check.topic})
        return jsonify(status="duplicate"), 200
    created, event_id, waiting = delivery.created, delivery.event_id, delivery.status == EventStatus.RECEIVED.value
    context = {"platform": platform, "topic": check.topic, "store": check.shop_domain, "event_id": event_id}
    queue, shop = queue_of(current_app), f"{platform}:{check.shop_domain}"
    if not created:
        if waiting:  # a resend of what is still to do: its first job may be the one that was lost
            queue.enqueue(process_event, event_id, job_id=f"event-{event_id}", fair_key=shop)
        log.info("webhook.duplicate", extra=context)
        return jsonify(status="duplicate"), 200
    if not handled:
        log.info("webhook.ignored", extra=context)
        return jsonify(status="ignored"), 200
    if not queue.enqueue(process_event, event_id, job_id=f"event-{event_id}", fair_key=shop, first=True):
        log.warning("webhook.accepted_not_queued", extra=context)  # recorded: the relay queues it
    log.info("webhook.accepted", extra=context)
    return jsonify(status="accepted"), 200


def _record(storage: Storage, platform: str, check: WebhookVerdict, admitted: Admission, *, handled: bool,
            replay_horizon: timedelta) -> Delivery | None:
    """The inbox row and the body's digest, wholly or not at all (nothing, for a replay), in one round trip where it
    can; a connection the server dropped is retried once on a fresh one before the 503."""
    assert check.topic and check.shop_domain and check.delivery_key
    facts: dict[str, Any] = {
        "platform": platform, "delivery_id": check.delivery_key, "topic": check.topic,
        "shop_domain": check.shop_domain, "payload": admitted.payload, "headers": dict(request.headers.items()),
        "digest": admitted.digest, "signer": check.signer, "now": utc_now(), "horizon": replay_horizon,
        "handled": handled}
    for attempt in (1, 2):
        try:
            if storage.is_postgresql:
                try:
                    with storage.single_statements() as connection:
                        return record_delivery_at_once(connection, **facts)
                except NotAtOnce:
                    pass
            return _record_in_transaction(storage, facts)
        except DBAPIError as error:
            if attempt == 2 or not error.connection_invalidated:
                raise
            log.warning("webhook.reconnected", extra={"platform": platform, "error": type(error).__name__})
    raise AssertionError("unreachable")


class _Replayed(Exception):
    """Leaves the intake's transaction so it rolls back."""


def _record_in_transaction(storage: Storage, facts: dict[str, Any]) -> Delivery | None:
    try:
        with storage.transaction() as session:
            delivery = record_delivery_once(session, **facts)
            if delivery is None:
                raise _Replayed  # rolled back: a replay keeps nothing, not even the inbox row it would have had
            return delivery
    except _Replayed:
        return None
