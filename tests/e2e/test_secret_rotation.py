"""Rotating SECRET_KEY (the old one moved to SECRET_KEY_PREVIOUS) strands nothing: answer tokens, install tickets
and sessions made before still verify, and a redaction still finds contact data pseudonymized under the old key.
A token made with the secret undivided, or with a secret Assay doesn't hold, verifies nowhere."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable, Iterator
from typing import Any, TypeVar
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask
from sqlalchemy import select
from support import shop_routes
from support.signing import sign

from connector.woocommerce.install import returned_ticket, start_install
from connector.woocommerce.storefront import FORM_TOPIC, answer_token
from storage.db import Storage, storage_of
from storage.models import Event
from storage.repositories import add_shopify_store, record_event
from webhooks.app import create_app

from .shopify_app import SECRET, run_worker

pytestmark = pytest.mark.integration

OLD = "old-9Hc2Lq7Vx4Rt1Mz8Kp3Wd6Ny0Bf5Gs"
NEW = "new-3Jk8Pw1Qz6Xc9Vb2Nm5Lh7Gf0Ds4Ta"
SHOP = "gems.myshopify.com"
EMAIL = "ada.lovelace@example.com"

MakeApp = Callable[..., Flask]
T = TypeVar("T")


@pytest.fixture
def app_under(storage: Storage, storage_url: str, encryption_keys: str, redis_url: str, queue_name: str
              ) -> Iterator[MakeApp]:
    """Apps on one database and queue that differ only in their secrets, as one deployment before and after."""
    made: list[Flask] = []

    def build(secret: str, previous: str | None = None) -> Flask:
        app = create_app({"DATABASE_URL": storage_url, "ASSAY_ENCRYPTION_KEYS": encryption_keys, "REDIS_URL": redis_url,
                      "RQ_QUEUE": queue_name, "SHOPIFY_API_SECRET": SECRET, "ASSAY_PUBLIC_URL": "https://assay.example",
                      "SECRET_KEY": secret, "SECRET_KEY_PREVIOUS": previous, "TESTING": True})
        made.append(app)
        return app

    yield build
    for app in made:
        storage_of(app).dispose()


def a_form_request(app: Flask) -> int:
    with storage_of(app).transaction() as session:
        event, _ = record_event(session, platform="woocommerce", delivery_id="form-1", topic=FORM_TOPIC,
                                shop_domain="https://shop.example", payload={"store_id": 7})
        return event.id


def answered(app: Flask, request_id: int, token: str) -> int:
    return app.test_client().get(f"/forms/woocommerce/7/request/{request_id}?token={token}").status_code


def made_by(app: Flask, make: Callable[[], T]) -> T:
    with app.test_request_context():
        return make()


def test_an_answer_token_made_before_a_rotation_still_verifies_and_a_strangers_does_not(app_under: MakeApp) -> None:
    before = app_under(OLD)
    request_id = a_form_request(before)
    token = made_by(before, lambda: answer_token(7, request_id))
    assert answered(before, request_id, token) == 200

    assert answered(app_under(NEW, OLD), request_id, token) == 200
    assert answered(app_under(NEW), request_id, token) == 404, "once the old secret is retired, so are its tokens"
    undivided = hmac.new(OLD.encode(), f"assay-form-answer:7:{request_id}".encode(), hashlib.sha256).hexdigest()
    assert answered(before, request_id, undivided) == 404, "the secret itself keys nothing"


def test_an_install_ticket_sealed_before_a_rotation_still_opens(app_under: MakeApp) -> None:
    before = app_under(OLD)
    authorize = made_by(before, lambda: start_install("https://shop.example", "203.0.113.9"))
    [user_id] = parse_qs(urlsplit(authorize).query)["user_id"]
    for app, opens in ((before, True), (app_under(NEW, OLD), True), (app_under(NEW), False)):
        ticket = made_by(app, lambda: returned_ticket(user_id))  # noqa: B023 - called at once
        assert (ticket is not None) == opens
        assert ticket is None or ticket.site == "https://shop.example"


def test_a_session_cookie_signed_before_a_rotation_is_still_read(app_under: MakeApp) -> None:
    before, after, stranger = app_under(OLD), app_under(NEW, OLD), app_under(NEW)
    cookie = before.session_interface.get_signing_serializer(before).dumps({"signed": "before"})  # type: ignore[attr-defined]
    assert after.session_interface.get_signing_serializer(after).loads(cookie) == {"signed": "before"}  # type: ignore[attr-defined]
    with pytest.raises(Exception, match="[Ss]ignature"):
        stranger.session_interface.get_signing_serializer(stranger).loads(cookie)  # type: ignore[attr-defined]


def deliver(app: Flask, topic: str, payload: dict[str, Any], delivery: str) -> str:
    body = json.dumps(payload).encode()
    answer = app.test_client().post("/webhooks/shopify", data=body, headers={
        "X-Shopify-Hmac-Sha256": sign(SECRET, body), "X-Shopify-Topic": topic, "X-Shopify-Shop-Domain": SHOP,
        "X-Shopify-Webhook-Id": delivery, "Content-Type": "application/json"})
    assert answer.status_code == 200, answer.get_data(as_text=True)
    return str(answer.get_json()["status"])


@pytest.mark.parametrize("previous", [OLD, None])
def test_a_redaction_after_a_rotation_finds_contact_data_pseudonymized_under_the_old_key(
        app_under: MakeApp, previous: str | None) -> None:
    before = app_under(OLD)
    storage = storage_of(before)
    with storage.transaction() as session:
        shop_routes.route(SHOP, "http://127.0.0.1:9")  # nothing listens there
        add_shopify_store(session, storage.cipher, domain=SHOP, access_token="shpat_1")
    # Kept by the inbox (a topic Assay doesn't act on), naming the customer by email alone.
    assert deliver(before, "customers/update", {"id": 424242, "email": EMAIL}, "held-1") == "ignored"

    after = app_under(NEW, previous)
    redact = {"shop_id": 1, "shop_domain": SHOP, "orders_to_redact": [1], "customer": {"id": 5150, "email": EMAIL}}
    assert deliver(after, "customers/redact", redact, "red-1") == "accepted"
    run_worker(after)

    with storage.sessions() as session:
        held = session.scalars(select(Event.payload).where(Event.delivery_id == "held-1")).one()
        status = session.scalars(select(Event.status).where(Event.delivery_id == "red-1")).one()
    assert status == "processed"
    if previous:
        assert held == {}, "found by its old pseudonym and emptied"
    else:
        assert held["email"].startswith("pii:"), "without the old secret its pseudonyms can't be recognised"
