"""The catch-up for webhooks WooCommerce failed to deliver (it never retries them): each store's changed orders
recorded as `order.updated` events, handled by the webhooks' own handlers, and its disabled webhooks turned back on.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass, field
from datetime import datetime

from flask import current_app

from connector.catch_up import CatchUpReport, failed_catch_up, store_to_catch_up
from connector.personal import pseudonymize
from connector.registry import runner_of
from connector.woocommerce.api import WooCommerceApi, WooCommerceError, woocommerce_api
from connector.woocommerce.install import INTAKE_PATH
from storage.columns import utc_now
from storage.db import storage_of
from storage.models import Platform, Store, StoreStatus
from storage.repositories import list_stores, record_event
from storage.secret_key import Purpose, secret_keys_of
from storage.settings import settings_of

log = logging.getLogger("assay.jobs")
WOOCOMMERCE = Platform.WOOCOMMERCE.value


@dataclass
class PollReport(CatchUpReport):
    """What one store's poll found and did, and which of Assay's webhooks it turned back on."""

    webhooks_reenabled: list[int] = field(default_factory=list)


def poll_woocommerce() -> list[PollReport]:
    """Poll every active WooCommerce store; one store's failure doesn't keep the others from their turn."""
    with storage_of(current_app).transaction() as session:
        store_ids = [store.id for store in list_stores(session, status=StoreStatus.ACTIVE.value, platform=WOOCOMMERCE)]
    reports = []
    for store_id in store_ids:
        try:
            report = poll_store(store_id)
        except Exception as error:  # its site, its data or its key: recorded against it, the next store still polled
            message = str(error) if isinstance(error, WooCommerceError) else f"{type(error).__name__}: {error}"
            reports.append(failed_catch_up(PollReport, store_id, message, "poll.failed"))
            continue
        reports.append(report)
    return reports


# The poll overlaps the last one (clock skew, orders saved mid-poll): the inbox drops a state it has seen and the
# handlers ignore one they have acted on, so an overlap, or a poll beside a webhook, changes nothing twice.
def poll_store(store_id: int, now: datetime | None = None) -> PollReport:
    """Re-enable disabled webhooks and record the store's changed orders as events; enqueue the new ones."""
    storage = storage_of(current_app)
    started = now or utc_now()
    store, credentials, since = store_to_catch_up(store_id, started)
    report = PollReport(store_id, store.domain)
    with woocommerce_api(store, credentials, settings_of(current_app)) as api:
        report.webhooks_reenabled = reenable_webhooks(api)
        # modified_after (WooCommerce 5.8+) in UTC; the handlers put late and repeated states in order themselves.
        orders = api.get_all("orders", {"modified_after": since.strftime("%Y-%m-%dT%H:%M:%S"), "dates_are_gmt": "true"})
    report.orders_seen = len(orders)
    pseudonym_key = secret_keys_of(current_app).key(Purpose.PSEUDONYM)
    with storage.transaction() as session:
        for payload in orders:
            # WooCommerce's modification times have whole seconds: the digest tells apart two states in one second.
            digest = hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:16]
            delivery_id = f"poll:{payload.get('id')}:{payload.get('date_modified_gmt')}:{digest}"
            event, created = record_event(session, platform=WOOCOMMERCE, delivery_id=delivery_id, topic="order.updated",
                                          shop_domain=store.domain, headers={"X-Assay-Source": "poll"},
                                          payload=pseudonymize(payload, pseudonym_key))
            if created:
                report.events_recorded.append(event.id)
        polled = session.get_one(Store, store_id)
        polled.polled_at, polled.poll_error = started, None
    runner = runner_of(current_app)
    for event_id in report.events_recorded:
        runner.process_event(event_id, job_id=f"event-{event_id}")
    log.info("poll.done", extra={"store_id": store_id, "orders": report.orders_seen,
                                 "events": len(report.events_recorded), "webhooks": report.webhooks_reenabled})
    return report


def reenable_webhooks(api: WooCommerceApi) -> list[int]:
    """Assay's webhooks that WooCommerce disabled after failed deliveries, active again; paused ones stay paused."""
    reenabled = []
    for webhook in api.get_all("webhooks", {"status": "disabled"}):
        if webhook.get("status") != "disabled" or INTAKE_PATH not in str(webhook.get("delivery_url") or ""):
            continue
        api.put(f"webhooks/{webhook['id']}", {"status": "active"})
        reenabled.append(int(webhook["id"]))
    return reenabled
