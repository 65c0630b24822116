"""POST /webhooks/woocommerce: the ping, every way a delivery is refused, and the inbox's handling of repeats."""

from __future__ import annotations

import json

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from support.signing import sign

from storage.db import storage_of
from storage.models import Event
from storage.repositories import add_woocommerce_store

from ..fakes.woocommerce import FakeWooCommerce
from .steps import install

pytestmark = pytest.mark.integration


@pytest.fixture
def client(app: Flask, fake_woocommerce: FakeWooCommerce) -> FlaskClient:
    install(app, fake_woocommerce)
    return app.test_client()


def events(app: Flask) -> list[tuple[str, str, str]]:
    with storage_of(app).sessions() as session:
        return [(e.topic, e.status, e.shop_domain) for e in session.scalars(select(Event).order_by(Event.id))]


def test_the_creation_ping_is_answered_exactly_200_and_recorded_nowhere(app: Flask, client: FlaskClient) -> None:
    response = client.post("/webhooks/woocommerce", data="webhook_id=7",
                           content_type="application/x-www-form-urlencoded")
    assert response.status_code == 200
    assert events(app) == []


def test_a_signed_delivery_is_recorded_for_the_store_its_source_names(
    app: Flask, client: FlaskClient, fake_woocommerce: FakeWooCommerce
) -> None:
    order = fake_woocommerce.state.add_order()
    body, headers = fake_woocommerce.delivery("order.created", order["id"])
    response = client.post("/webhooks/woocommerce", data=body, headers=headers)
    assert (response.status_code, response.json) == (200, {"status": "accepted"})
    domain = fake_woocommerce.url.removeprefix("https://")
    assert events(app) == [("order.created", "received", domain)]


def test_a_repeated_delivery_is_acknowledged_and_recorded_once(
    app: Flask, client: FlaskClient, fake_woocommerce: FakeWooCommerce
) -> None:
    order = fake_woocommerce.state.add_order()
    body, headers = fake_woocommerce.delivery("order.updated", order["id"])
    answers = [client.post("/webhooks/woocommerce", data=body, headers=headers).json for _ in range(2)]
    assert answers == [{"status": "accepted"}, {"status": "duplicate"}]
    assert len(events(app)) == 1


def test_two_deliveries_sharing_a_delivery_id_within_a_second_are_both_recorded(
    app: Flask, client: FlaskClient, fake_woocommerce: FakeWooCommerce
) -> None:
    first, second = fake_woocommerce.state.add_order(), fake_woocommerce.state.add_order()
    body_one, headers = fake_woocommerce.delivery("order.updated", first["id"])
    body_two, _ = fake_woocommerce.delivery("order.updated", second["id"])
    client.post("/webhooks/woocommerce", data=body_one, headers=headers)
    client.post("/webhooks/woocommerce", data=body_two,
                headers={**headers, "X-WC-Webhook-Signature": sign(fake_woocommerce.webhook_secret, body_two)})
    assert len(events(app)) == 2


def test_two_sites_deleting_their_own_order_101_are_both_recorded_and_a_replay_to_either_is_not(
    app: Flask, client: FlaskClient, fake_woocommerce: FakeWooCommerce
) -> None:
    """Issue 21, hole 7: the same body `{"id": 101}` (and, within one second, the same delivery id) from two
    sites is two deliveries; the replay check is each site's own."""
    storage = storage_of(app)
    with storage.transaction() as session:
        add_woocommerce_store(session, storage.cipher, url="https://other-site.example", consumer_key="ck_other",
                              consumer_secret="cs_other", webhook_secret="other-site-secret")
    body, ours = fake_woocommerce.delivery("order.deleted", 101)
    theirs = {**ours, "X-WC-Webhook-Source": "https://other-site.example/",
              "X-WC-Webhook-Signature": sign("other-site-secret", body)}
    answers = [client.post("/webhooks/woocommerce", data=body, headers=headers).json for headers in (ours, theirs)]
    assert answers == [{"status": "accepted"}, {"status": "accepted"}]
    resent = {**theirs, "X-WC-Webhook-Delivery-ID": "a-new-delivery-id"}  # the same body to the same site again
    assert client.post("/webhooks/woocommerce", data=body, headers=resent).json == {"status": "duplicate"}
    domain = fake_woocommerce.url.removeprefix("https://")
    assert sorted(events(app)) == [("order.deleted", "received", domain),
                                   ("order.deleted", "received", "other-site.example")]


def test_every_missing_header_is_named_in_a_400(client: FlaskClient, fake_woocommerce: FakeWooCommerce) -> None:
    body, headers = fake_woocommerce.delivery("order.created", fake_woocommerce.state.add_order()["id"])
    del headers["X-WC-Webhook-Topic"], headers["X-WC-Webhook-Delivery-ID"]
    response = client.post("/webhooks/woocommerce", data=body, headers=headers)
    assert response.status_code == 400
    assert response.json == {"error": "missing_headers",
                             "detail": "missing header(s): X-WC-Webhook-Topic, X-WC-Webhook-Delivery-ID"}


@pytest.mark.parametrize(("change", "error"), [
    ({"X-WC-Webhook-Signature": "c2lnbmVkIGJ5IHNvbWVvbmUgZWxzZQ=="}, "invalid_signature"),
    ({"X-WC-Webhook-Source": "https://another-shop.example/"}, "unknown_store"),
])
def test_a_delivery_from_an_unknown_site_or_with_a_bad_signature_is_401(
    app: Flask, client: FlaskClient, fake_woocommerce: FakeWooCommerce, change: dict[str, str], error: str
) -> None:
    body, headers = fake_woocommerce.delivery("order.created", fake_woocommerce.state.add_order()["id"])
    response = client.post("/webhooks/woocommerce", data=body, headers={**headers, **change})
    assert (response.status_code, response.json["error"]) == (401, error)
    assert events(app) == []


def test_the_source_url_is_matched_however_it_is_written(
    app: Flask, client: FlaskClient, fake_woocommerce: FakeWooCommerce
) -> None:
    body, headers = fake_woocommerce.delivery("order.created", fake_woocommerce.state.add_order()["id"])
    headers["X-WC-Webhook-Source"] = fake_woocommerce.url.upper().replace("HTTPS", "https") + "/"
    assert client.post("/webhooks/woocommerce", data=body, headers=headers).status_code == 200


def test_a_signed_body_that_is_not_json_is_400(client: FlaskClient, fake_woocommerce: FakeWooCommerce) -> None:
    _, headers = fake_woocommerce.delivery("order.created", fake_woocommerce.state.add_order()["id"])
    body = b"<html>not json</html>"
    headers["X-WC-Webhook-Signature"] = sign(fake_woocommerce.webhook_secret, body)
    response = client.post("/webhooks/woocommerce", data=body, headers=headers)
    assert (response.status_code, response.json["error"]) == (400, "not_json")


def test_a_topic_assay_does_not_handle_is_acknowledged_and_ignored(
    app: Flask, client: FlaskClient, fake_woocommerce: FakeWooCommerce
) -> None:
    body = json.dumps({"id": 11, "name": "Ring"}).encode()
    _, headers = fake_woocommerce.delivery("order.created", fake_woocommerce.state.add_order()["id"])
    headers.update({"X-WC-Webhook-Topic": "product.updated",
                    "X-WC-Webhook-Signature": sign(fake_woocommerce.webhook_secret, body)})
    response = client.post("/webhooks/woocommerce", data=body, headers=headers)
    assert (response.status_code, response.json) == (200, {"status": "ignored"})
    assert [status for _, status, _ in events(app)] == ["ignored"]


def test_signatures_never_reach_the_inbox(app: Flask, client: FlaskClient, fake_woocommerce: FakeWooCommerce) -> None:
    body, headers = fake_woocommerce.delivery("order.created", fake_woocommerce.state.add_order()["id"])
    client.post("/webhooks/woocommerce", data=body, headers=headers)
    with storage_of(app).sessions() as session:
        [event] = session.scalars(select(Event)).all()
        assert "X-Wc-Webhook-Signature" not in event.headers and "X-WC-Webhook-Signature" not in event.headers
        assert event.headers["X-Wc-Webhook-Delivery-Id"] == headers["X-WC-Webhook-Delivery-ID"]
