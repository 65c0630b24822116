"""POST /webhooks/shopify answers at once and records exactly what it should; bad deliveries get 400/401/413."""

from __future__ import annotations

import json

import httpx
from flask import Flask
from sqlalchemy import select
from support.signing import sign

from storage.db import storage_of
from storage.models import CaseRecord, Event

from .fakes.shopify import FakeShopify
from .shopify_app import (
    ORDER,
    SECRET,
    ask_return,
    install,
    mutations,
    numeric,
    placed_order,
    post_webhook,
    run_worker,
)


def events(app: Flask) -> list[tuple[str, str]]:
    with storage_of(app).sessions() as session:
        return [(e.topic, e.status) for e in session.scalars(select(Event).order_by(Event.id))]


def test_a_delivery_missing_headers_is_refused_naming_each_missing_header(app: Flask, base_url: str) -> None:
    body = b"{}"
    answer = httpx.post(f"{base_url}/webhooks/shopify", content=body,
                        headers={"X-Shopify-Hmac-Sha256": sign(SECRET, body)})
    assert answer.status_code == 400
    detail = answer.json()["detail"]
    assert all(name in detail for name in ("X-Shopify-Topic", "X-Shopify-Shop-Domain", "X-Shopify-Webhook-Id"))
    assert events(app) == []


def test_a_delivery_signed_with_another_secret_is_refused_and_not_recorded(
        app: Flask, base_url: str, fake_shopify: FakeShopify) -> None:
    body = json.dumps({"id": 1}).encode()
    headers = {"X-Shopify-Hmac-Sha256": sign("not-our-secret", body), "X-Shopify-Topic": "orders/create",
               "X-Shopify-Shop-Domain": fake_shopify.shop_domain, "X-Shopify-Webhook-Id": "w-1"}
    answer = httpx.post(f"{base_url}/webhooks/shopify", content=body, headers=headers)
    assert (answer.status_code, answer.json()["error"]) == (401, "invalid_hmac")
    assert events(app) == []


def test_a_body_over_the_size_limit_is_refused_before_anything_is_read(app: Flask, base_url: str) -> None:
    body = b"x" * (app.config["MAX_CONTENT_LENGTH"] + 1)
    answer = httpx.post(f"{base_url}/webhooks/shopify", content=body, headers={"X-Shopify-Topic": "orders/create"})
    assert answer.status_code == 413
    assert events(app) == []


def test_an_authentic_topic_assay_does_not_handle_is_acknowledged_and_recorded_as_ignored(
        app: Flask, base_url: str, fake_shopify: FakeShopify) -> None:
    install(app, fake_shopify, None)
    answer = post_webhook(base_url, fake_shopify, "products/update", {"id": 5}, "p-1")
    assert (answer.status_code, answer.json()["status"]) == (200, "ignored")
    assert events(app) == [("products/update", "ignored")]


def test_an_order_cancelled_elsewhere_closes_the_case_waiting_for_review(
        app: Flask, base_url: str, fake_shopify: FakeShopify) -> None:
    # Pandorana's returns go to review, so the case waits for a person.
    order = placed_order(app, base_url, fake_shopify, "pandorana", ORDER)
    ask_return(base_url, fake_shopify, order, "r-1")
    run_worker(app)
    post_webhook(base_url, fake_shopify, "orders/cancelled", {"id": numeric(order.gid)}, "c-1")
    run_worker(app)

    with storage_of(app).sessions() as session:
        assert [c.status for c in session.scalars(select(CaseRecord))] == ["closed"]


def test_a_return_for_an_order_assay_never_saw_fetches_the_order_and_records_the_fetch(
        app: Flask, base_url: str, fake_shopify: FakeShopify) -> None:
    install(app, fake_shopify, "pristine-crystals")
    order = fake_shopify.seed_order(ORDER)  # placed before Assay was installed: no orders/create arrived
    ask_return(base_url, fake_shopify, order, "r-early")
    run_worker(app)

    with storage_of(app).sessions() as session:
        case = session.scalars(select(CaseRecord)).one()
        assert case.document["platform"]["fetched"] == ["OrderForCase"]
        assert case.document["order"]["lines"][0]["unit_price"] == "49.00"
    assert mutations(fake_shopify) == ["ReturnApproveRequest", "ReturnProcess"]


def test_a_return_settled_by_staff_in_shopify_leaves_the_review_queue(
        app: Flask, base_url: str, fake_shopify: FakeShopify) -> None:
    order = placed_order(app, base_url, fake_shopify, "pandorana", ORDER)
    return_gid = ask_return(base_url, fake_shopify, order, "r-2")
    run_worker(app)
    post_webhook(base_url, fake_shopify, "returns/approve", {"admin_graphql_api_id": return_gid}, "a-2")
    run_worker(app)

    with storage_of(app).sessions() as session:
        assert [c.status for c in session.scalars(select(CaseRecord))] == ["closed"]
        assert events(app)[-1] == ("returns/approve", "processed")
