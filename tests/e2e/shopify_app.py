"""Driving the running app as Shopify would: install a store, send signed webhooks, run the RQ worker."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import urllib.parse
from collections import Counter
from datetime import UTC, datetime
from typing import Any

import httpx
from flask import Flask
from rq import SimpleWorker
from support.settings import change_settings
from support.signing import sign

from jobs.queue import RedisQueue, queue_of
from jobs.relay import relay
from policies.presets import preset_document
from storage.db import storage_of
from storage.repositories import add_shopify_store, set_policy

from .fakes.shopify import FakeShopify
from .fakes.shopify_seed import SeededOrder

SECRET = "shpss_e2e_secret"
# A necklace bought on 2 March, delivered on the 5th; the customer asks on the 10th (day 5 after receipt).
ORDER = {
    "placed_at": "2026-03-02T09:00:00Z", "fulfilled_at": "2026-03-03T08:00:00Z",
    "delivered_at": "2026-03-05T10:00:00Z", "country": "DE", "currency": "EUR", "shipping": {"amount": "6.90"},
    "lines": [{"title": "Rose quartz pendant", "unit_price": "49.00", "fulfilled_quantity": 1}],
    "customer_id": 777,
}
ASKED_AT = "2026-03-10T10:00:00Z"
MUTATIONS = ("OrderCancel", "ReturnApproveRequest", "ReturnProcess", "ReturnDeclineRequest", "TagsAdd",
             "OrderNoteUpdate")


def install(app: Flask, fake: FakeShopify, preset: str | None) -> None:
    """The fake shop as a store of Assay's, on `preset`'s policy (None: the merchant hasn't chosen one yet)."""
    storage = storage_of(app)
    with storage.transaction() as session:
        store = add_shopify_store(session, storage.cipher, domain=fake.shop_domain, access_token=fake.access_token)
        if preset is not None:
            set_policy(session, store.id, preset_document(preset) or {})


def run_worker(app: Flask, settle_seconds: float = 15.0) -> None:
    """A real RQ worker, in burst mode: it runs every queued job (and the jobs they queue), then stops.

    Work a job rescheduled (Shopify throttled it, say) is waited for until due and handed out again by the
    relay, as the clock would, so the test sees it finished; a burst worker runs no RQ scheduler."""
    queue = queue_of(app)
    assert isinstance(queue, RedisQueue)
    deadline = time.monotonic() + settle_seconds
    with app.app_context():
        while True:
            SimpleWorker(queue.listening(), connection=queue.connection).work(burst=True)
            waiting = _next_retry(app)
            if waiting is None or time.monotonic() > deadline:
                return
            time.sleep(max(0.0, min((waiting - datetime.now(UTC)).total_seconds(), 5.0)) + 0.05)
            change_settings(app, ASSAY_RELAY_GRACE_SECONDS=0)
            relay()


def _next_retry(app: Flask) -> datetime | None:
    """The earliest retry time of an event or action rescheduled and not yet done, if any."""
    from sqlalchemy import func, select

    from storage.models import Action, Event

    with storage_of(app).sessions() as session:
        times = [session.scalar(select(func.min(Event.next_attempt_at)).where(Event.status == "received")),
                 session.scalar(select(func.min(Action.next_attempt_at)).where(Action.state == "pending"))]
    found = [when for when in times if when is not None]
    return min(found) if found else None


def post_webhook(base_url: str, fake: FakeShopify, topic: str, payload: dict[str, Any], delivery: str,
                 triggered_at: str = ASKED_AT, timeout: float = 5.0) -> httpx.Response:
    body = json.dumps(payload).encode()
    headers = {"X-Shopify-Hmac-Sha256": sign(SECRET, body), "X-Shopify-Topic": topic,
               "X-Shopify-Shop-Domain": fake.shop_domain, "X-Shopify-Webhook-Id": delivery,
               "X-Shopify-Triggered-At": triggered_at, "Content-Type": "application/json"}
    return httpx.post(f"{base_url}/webhooks/shopify", content=body, headers=headers, timeout=timeout)


def numeric(gid: str) -> int:
    return int(gid.rsplit("/", 1)[1])


def order_created(base_url: str, fake: FakeShopify, order_gid: str) -> None:
    payload = {"id": numeric(order_gid), "admin_graphql_api_id": order_gid}
    assert post_webhook(base_url, fake, "orders/create", payload, f"create-{order_gid}").status_code == 200


def return_payload(fake: FakeShopify, return_gid: str, order_gid: str, reason: str) -> dict[str, Any]:
    line = fake.return_(return_gid)["returnLineItems"](None)["nodes"][0]
    fulfillment_line = line["fulfillmentLineItem"]
    return {
        "id": numeric(return_gid), "admin_graphql_api_id": return_gid, "status": "requested",
        "order": {"id": numeric(order_gid), "admin_graphql_api_id": order_gid},
        "return_line_items": [{
            "id": numeric(line["id"]), "admin_graphql_api_id": line["id"], "quantity": 1,
            "fulfillment_line_item": {"id": numeric(fulfillment_line["id"]),
                                      "line_item": {"id": numeric(fulfillment_line["lineItem"]["id"])}},
            "return_reason": reason, "return_reason_note": "", "customer_note": "",
        }],
    }


def mutations(fake: FakeShopify) -> list[str]:
    return [r.operation_name or "" for r in fake.operations() if r.operation_name in MUTATIONS]


def proxy_url(base_url: str, shop: str, customer_id: str | None) -> str:
    """An app-proxy request as Shopify forwards it: its query string signed with the app's secret."""
    params = {"shop": shop, "path_prefix": "/apps/assay", "timestamp": str(int(datetime.now(UTC).timestamp()))}
    if customer_id is not None:
        params["logged_in_customer_id"] = customer_id
    message = "".join(f"{key}={params[key]}" for key in sorted(params))
    params["signature"] = hmac.new(SECRET.encode(), message.encode(), hashlib.sha256).hexdigest()
    return f"{base_url}/proxy/shopify/cancel?{urllib.parse.urlencode(params)}"


def placed_order(app: Flask, base_url: str, fake: FakeShopify, preset: str | None,
                 spec: dict[str, Any]) -> SeededOrder:
    """A store on `preset`, and an order in it whose orders/create Assay has already processed."""
    install(app, fake, preset)
    order = fake.seed_order(spec)
    order_created(base_url, fake, order.gid)
    run_worker(app)
    return order


def ask_return(base_url: str, fake: FakeShopify, order: SeededOrder, delivery: str, asked_at: str = ASKED_AT) -> str:
    """The customer asks, at `asked_at`, to return the order's first line for a change of mind; the return's gid."""
    return_gid = fake.seed_return(order, [{"reason": "changed-my-mind"}])
    post_webhook(base_url, fake, "returns/request", return_payload(fake, return_gid, order.gid, "unwanted"), delivery,
                 triggered_at=asked_at)
    return return_gid


def approvals_and_refunds(fake: FakeShopify) -> tuple[Counter[str], Counter[str]]:
    """How often the fake shop approved each return, and refunded it: the exactly-once tests' measure."""
    approved = Counter(str(r.variables["id"]) for r in fake.operations("ReturnApproveRequest"))
    refunded = Counter(str(refund["returnId"]) for refund in fake.state.refunds if refund["returnId"])
    return approved, refunded
