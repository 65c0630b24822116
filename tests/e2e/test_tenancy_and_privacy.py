"""A webhook acts only on the shop that signed it, and the privacy webhooks leave nothing of what they name."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from flask import Flask
from sqlalchemy import String, cast, func, or_, select
from support import shop_routes
from support.signing import sign

from connector.personal import pseudonym
from storage.db import storage_of
from storage.models import Base, CaseRecord, Event, OrderSnapshot, PrivacyExport, Store
from storage.repositories import add_shopify_store, privacy_exports, read_privacy_export, store_credentials
from storage.secret_key import Purpose, secret_keys_of

from .fakes.shopify import FakeShopify
from .shopify_app import ORDER, SECRET, ask_return, install, numeric, placed_order, post_webhook, run_worker

pytestmark = pytest.mark.integration

RIVAL = "rival.myshopify.com"
PERSON = {"email": "ada.lovelace@example.com", "first_name": "Ada", "last_name": "Lovelace",
          "phone": "+44 20 7946 0958", "address1": "12 Analytical Row"}


def deliver(base_url: str, domain: str, topic: str, body: bytes, delivery: str) -> httpx.Response:
    headers = {"X-Shopify-Hmac-Sha256": sign(SECRET, body), "X-Shopify-Topic": topic,
               "X-Shopify-Shop-Domain": domain, "X-Shopify-Webhook-Id": delivery, "Content-Type": "application/json"}
    return httpx.post(f"{base_url}/webhooks/shopify", content=body, headers=headers)


def add_rival(app: Flask) -> None:
    storage = storage_of(app)
    with storage.transaction() as session:
        shop_routes.route(RIVAL, "http://127.0.0.1:9")  # nothing listens there
        add_shopify_store(session, storage.cipher, domain=RIVAL, access_token="shpat_rival")


def rival(app: Flask) -> tuple[str, str | None, int]:
    """The rival shop's status, token and inbox rows."""
    storage = storage_of(app)
    with storage.sessions() as session:
        store = session.scalars(select(Store).where(Store.domain == RIVAL)).one()
        events = session.scalar(select(func.count()).select_from(Event).where(Event.shop_domain == RIVAL)) or 0
        return store.status, store_credentials(store, storage.cipher).access_token, events


def test_a_signed_body_replayed_under_another_shop_or_a_new_delivery_id_acts_on_no_one(
        app: Flask, base_url: str, fake_shopify: FakeShopify) -> None:
    install(app, fake_shopify, "pristine-crystals")
    add_rival(app)
    shop = fake_shopify.shop_domain
    uninstalled = json.dumps({"id": 1, "myshopify_domain": shop, "domain": "gems.example"}).encode()

    answer = deliver(base_url, RIVAL, "app/uninstalled", uninstalled, "u-replayed")
    assert (answer.status_code, answer.json()["error"]) == (401, "wrong_shop")
    assert rival(app) == ("active", "shpat_rival", 0)

    order = json.dumps({"id": 7001, "admin_graphql_api_id": "gid://shopify/Order/7001"}).encode()
    assert deliver(base_url, shop, "orders/updated", order, "o-1").json()["status"] == "accepted"
    for domain, delivery in ((RIVAL, "o-2"), (shop, "o-3")):  # another shop's header, then a new delivery id
        answer = deliver(base_url, domain, "orders/updated", order, delivery)
        assert (answer.status_code, answer.json()["status"]) == (200, "duplicate")
    assert rival(app) == ("active", "shpat_rival", 0)
    with storage_of(app).sessions() as session:
        assert list(session.scalars(select(Event.delivery_id))) == ["o-1"]

    assert deliver(base_url, shop, "app/uninstalled", uninstalled, "u-1").json()["status"] == "accepted"
    run_worker(app)
    assert rival(app) == ("active", "shpat_rival", 0)
    later = json.dumps({"id": 7002}).encode()
    assert deliver(base_url, shop, "orders/create", later, "o-4").json()["status"] == "dropped"  # uninstalled


def test_webhooks_from_a_shop_that_never_installed_assay_are_answered_and_not_kept(
        app: Flask, base_url: str) -> None:
    body = json.dumps({"id": 1, "email": PERSON["email"]}).encode()
    answer = deliver(base_url, "stranger.myshopify.com", "orders/create", body, "s-1")
    assert (answer.status_code, answer.json()["status"]) == (200, "dropped")
    assert rows_holding(app, PERSON["email"], "stranger") == []


def rows_holding(app: Flask, *needles: str) -> list[tuple[str, str]]:
    """(table, column) of every value in the database that contains any needle, case-insensitively."""
    found = []
    with storage_of(app).sessions() as session:
        for table in Base.metadata.sorted_tables:
            for column in table.columns:
                text = cast(column, String)
                hits = session.scalar(select(func.count()).select_from(table).where(
                    or_(*(text.ilike(f"%{needle}%") for needle in needles))))
                if hits:
                    found.append((table.name, column.name))
    return found


def the_customer(app: Flask) -> list[str]:
    """Everything that names the customer: the plain values and the pseudonyms the inbox keeps them as."""
    key = secret_keys_of(app).key(Purpose.PSEUDONYM)
    return [*PERSON.values(), *(pseudonym(value, key) for value in PERSON.values())]


def order_with_the_customer(order_gid: str, customer_id: int) -> dict[str, Any]:
    address = {"first_name": PERSON["first_name"], "last_name": PERSON["last_name"], "address1": PERSON["address1"],
               "phone": PERSON["phone"], "country_code": "DE"}
    return {"id": numeric(order_gid), "admin_graphql_api_id": order_gid, "email": PERSON["email"],
            "phone": PERSON["phone"], "customer": {"id": customer_id, "email": PERSON["email"], **address},
            "shipping_address": address, "billing_address": address}


def a_customer_with_a_case(app: Flask, base_url: str, fake: FakeShopify) -> tuple[int, int]:
    """An order of the customer's, its return request decided, and its webhooks in the inbox; (order, customer)."""
    order = placed_order(app, base_url, fake, "pandorana", ORDER)
    customer_id = 5150
    post_webhook(base_url, fake, "orders/updated", order_with_the_customer(order.gid, customer_id), "upd-1")
    ask_return(base_url, fake, order, "r-1")
    run_worker(app)
    return numeric(order.gid), customer_id


def privacy_request(fake: FakeShopify, order_id: int, customer_id: int, orders_field: str) -> dict[str, Any]:
    return {"shop_id": 1, "shop_domain": fake.shop_domain, orders_field: [order_id],
            "customer": {"id": customer_id, "email": PERSON["email"], "phone": PERSON["phone"]}}


def test_customers_redact_leaves_nothing_of_the_customer_in_any_table_and_data_request_exports_it(
        app: Flask, base_url: str, fake_shopify: FakeShopify) -> None:
    order_id, customer_id = a_customer_with_a_case(app, base_url, fake_shopify)
    with storage_of(app).sessions() as session:
        assert session.scalar(select(func.count()).select_from(CaseRecord)) == 1
    assert rows_holding(app, *PERSON.values()) == [], "contact fields are never kept in plain text"
    assert ("events", "payload") in rows_holding(app, *the_customer(app)), "the inbox holds them as pseudonyms"

    post_webhook(base_url, fake_shopify, "customers/data_request",
                 privacy_request(fake_shopify, order_id, customer_id, "orders_requested"), "dr-1")
    run_worker(app)
    storage = storage_of(app)
    with storage.sessions() as session:
        store_id = session.scalars(select(Store.id)).one()
        [export] = privacy_exports(session, store_id)
        document = read_privacy_export(session, storage.cipher, store_id, export.id)
    assert document is not None and document["customer_id"] == str(customer_id)
    assert [o["order_id"] for o in document["orders"]] == [str(order_id)]
    assert [c["kind"] for c in document["cases"]] == ["return"] and document["cases"][0]["decisions"]

    post_webhook(base_url, fake_shopify, "customers/redact",
                 privacy_request(fake_shopify, order_id, customer_id, "orders_to_redact"), "red-1")
    run_worker(app)

    assert rows_holding(app, *the_customer(app)) == []
    with storage_of(app).sessions() as session:
        for model in (CaseRecord, OrderSnapshot, PrivacyExport):
            assert session.scalar(select(func.count()).select_from(model)) == 0, model.__name__
        assert session.scalar(select(Event.status).where(Event.delivery_id == "red-1")) == "processed"


def test_shop_redact_leaves_nothing_of_the_shop_or_its_customers_in_any_table(
        app: Flask, base_url: str, fake_shopify: FakeShopify) -> None:
    a_customer_with_a_case(app, base_url, fake_shopify)
    add_rival(app)
    shop = fake_shopify.shop_domain
    post_webhook(base_url, fake_shopify, "app/uninstalled", {"id": 1, "myshopify_domain": shop}, "un-1")
    run_worker(app)
    post_webhook(base_url, fake_shopify, "shop/redact", {"shop_id": 1, "shop_domain": shop}, "sr-1")
    run_worker(app)

    assert rows_holding(app, shop, *the_customer(app)) == []
    assert rival(app) == ("active", "shpat_rival", 0)
    with storage_of(app).sessions() as session:
        assert session.scalar(select(Event.status).where(Event.delivery_id == "sr-1")) == "processed"
