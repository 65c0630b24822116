"""Every route Assay registers, fuzzed with hostile requests: never a 5xx, never a half-written row.

Each class the issue found is a strategy of its own (wrong and missing headers, bad and replayed signatures,
huge and deep bodies, non-UTF-8, odd characters, wrong types, unknown shops), drawn against every route, and
at the end the database must hold only whole, expected rows.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from support.signing import sign

from connector.personal import PREFIX
from storage.db import storage_of
from storage.models import DeliveryDigest, Event, InstallNonce, PrivacyExport, Store
from storage.repositories import add_shopify_store, add_woocommerce_store

from .shopify_app import SECRET

pytestmark = pytest.mark.integration

SHOP, OTHER_SHOP, UNKNOWN_SHOP = "gems.myshopify.com", "rival.myshopify.com", "nobody.myshopify.com"
SITE, WOO_SECRET = "https://woo.example", "woo-webhook-secret"
EMAIL = "ada@example.com"
TOTAL = {"requests": 0, "statuses": {}}  # over the module: the issue asks for >= 5,000 requests in all


@dataclass
class Sent:
    method: str
    path: str
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    query: dict[str, str] = field(default_factory=dict)


@pytest.fixture
def fuzz_app(app: Flask) -> Iterator[Flask]:
    """The app with two Shopify shops and a WooCommerce site installed, an install URL, and a low install limit."""
    app.config["ASSAY_PUBLIC_URL"] = "https://assay.example"
    storage = storage_of(app)
    with storage.transaction() as session:
        for domain in (SHOP, OTHER_SHOP):
            add_shopify_store(session, storage.cipher, domain=domain, access_token="shpat_x",
                              api_base_url="http://127.0.0.1:9")
        add_woocommerce_store(session, storage.cipher, url=SITE, consumer_key="ck_x", consumer_secret="cs_x",
                              webhook_secret=WOO_SECRET)
    yield app


# --- What a hostile sender varies ----------------------------------------------------------------

odd_text = st.one_of(
    st.text(max_size=40),
    st.sampled_from(["", " ", "\x00", "\ud800", "é", "𝔘", "NaN", "-1", "0", "9" * 19, "9" * 40, "a" * 300,
                     "http://[::1", "https://shop.example:99999", "https://" + "x" * 400 + ".example",
                     "../../etc/passwd", "<script>", "%00", "wc_order_abc", "ck_" + "a" * 40]),
)
header_text = odd_text.map(lambda text: text.encode("latin-1", "replace").decode("latin-1")
                           .replace("\n", " ").replace("\r", " "))
json_scalars = st.none() | st.booleans() | st.integers(-2**70, 2**70) | st.floats(allow_nan=False) | odd_text
json_values = st.recursive(json_scalars, lambda inner: st.lists(inner, max_size=4)
                           | st.dictionaries(odd_text, inner, max_size=4), max_leaves=12)


def hostile_bodies() -> st.SearchStrategy[bytes]:
    deep = st.integers(100, 200_000).map(lambda n: b"[" * n + b"]" * n)
    open_only = st.integers(1000, 200_000).map(lambda n: b"[" * n)
    escapes = st.sampled_from([b'{"note": "\\u0000"}', b'{"note": "\\ud800"}', b'{"a": NaN}', b'{"a": Infinity}',
                               b'{"a": 1e999}', b'{"\\u0000": 1}', b'"\\udc00\\ud800"',
                               b'{"id": 99999999999999999999}'])
    return st.one_of(st.binary(max_size=200), deep, open_only, escapes,
                     json_values.map(lambda value: json.dumps(value).encode()),
                     st.just(b"\xff\xfe{}"), st.just(b"webhook_id=12"))


def shop_payloads() -> st.SearchStrategy[dict[str, Any]]:
    """Signed payloads of the shapes Assay reads, with hostile values in them."""
    customer = st.fixed_dictionaries({"id": st.integers(1, 10**6) | odd_text, "email": st.just(EMAIL) | odd_text,
                                      "phone": odd_text})
    return st.one_of(
        st.fixed_dictionaries({"id": st.integers(-5, 2**64) | odd_text, "admin_graphql_api_id": odd_text,
                               "email": st.just(EMAIL), "customer": customer | json_values,
                               "note": odd_text}),
        st.fixed_dictionaries({"shop_domain": st.sampled_from([SHOP, OTHER_SHOP, UNKNOWN_SHOP]) | odd_text,
                               "customer": customer, "orders_to_redact": st.lists(json_scalars, max_size=3)}),
        st.fixed_dictionaries({"myshopify_domain": st.sampled_from([SHOP, OTHER_SHOP]) | odd_text,
                               "id": json_scalars}),
        st.dictionaries(odd_text, json_values, max_size=5),
    )


SHOPIFY_TOPICS = st.sampled_from(["orders/create", "orders/updated", "returns/request", "app/uninstalled",
                                  "customers/redact", "shop/redact", "customers/data_request", "products/update"])


@st.composite
def shopify_deliveries(draw: st.DrawFn) -> Sent:
    signed = draw(st.booleans())
    payload = draw(shop_payloads())
    body = json.dumps(payload).encode() if draw(st.booleans()) else draw(hostile_bodies())
    if signed and draw(st.integers(0, 4)) == 0:  # a NUL or lone surrogate inside a signed JSON body
        body = body.replace(b'"', b'"\\u0000', 1) if draw(st.booleans()) else body.replace(b'"', b'"\\ud800', 1)
    headers = {
        "X-Shopify-Hmac-Sha256": sign(SECRET, body) if signed else draw(header_text),
        "X-Shopify-Topic": draw(SHOPIFY_TOPICS | header_text),
        "X-Shopify-Shop-Domain": draw(st.sampled_from([SHOP, OTHER_SHOP, UNKNOWN_SHOP]) | header_text),
        "X-Shopify-Webhook-Id": draw(st.uuids().map(str) | header_text),
        "Content-Type": "application/json",
    }
    for name in draw(st.sets(st.sampled_from(list(headers)), max_size=2)):
        del headers[name]
    return Sent("POST", draw(st.sampled_from(["/webhooks/shopify", "/webhooks/nowhere"])), headers, body)


@st.composite
def woocommerce_deliveries(draw: st.DrawFn) -> Sent:
    order = {"id": draw(st.integers(1, 10**6) | odd_text), "status": draw(st.sampled_from(["processing", "x"])),
             "customer_note": draw(odd_text), "billing": {"email": EMAIL, "phone": draw(odd_text)},
             "order_key": "wc_order_abc", "line_items": draw(json_values)}
    if draw(st.booleans()):
        order["_links"] = {"self": [{"href": draw(st.sampled_from([f"{SITE}/wp-json/wc/v3/orders/1",
                                                                   "https://other.example/wp-json/x"]))}]}
    body = json.dumps(order).encode() if draw(st.booleans()) else draw(hostile_bodies())
    if draw(st.integers(0, 3)) == 0:
        body = body.replace(b'"', b'"\\u0000', 1)
    headers = {
        "X-WC-Webhook-Signature": sign(WOO_SECRET, body) if draw(st.booleans()) else draw(header_text),
        "X-WC-Webhook-Source": draw(st.sampled_from([f"{SITE}/", "https://unknown.example/", "http://[::1",
                                                     "https://woo.example:99999/"]) | header_text),
        "X-WC-Webhook-Topic": draw(st.sampled_from(["order.created", "order.updated", "order.deleted"])
                                   | header_text),
        "X-WC-Webhook-Delivery-ID": draw(st.uuids().map(str) | header_text),
        "X-WC-Webhook-ID": draw(st.sampled_from(["1", "x", "9" * 30]) | header_text),
        "Content-Type": draw(st.sampled_from(["application/json", "application/x-www-form-urlencoded"])),
    }
    for name in draw(st.sets(st.sampled_from(list(headers)), max_size=2)):
        del headers[name]
    return Sent("POST", "/webhooks/woocommerce", headers, body)


@st.composite
def unauthenticated_requests(draw: st.DrawFn) -> Sent:
    """The routes that need no secret: install, its callback, the forms, the app proxy, health."""
    kind = draw(st.sampled_from(["install", "callback", "form", "proxy", "installed", "health", "unknown"]))
    if kind == "install":
        return Sent("GET", "/woocommerce/install", query={"store_url": draw(odd_text | st.sampled_from([
            "https://shop.example", "https://shop.example:99999", "https://" + "a" * 250 + ".example"]))})
    if kind == "callback":
        document = {"key_id": 1, "user_id": draw(odd_text | st.sampled_from(["1" * 19 + ":" + "a" * 43])),
                    "consumer_key": draw(odd_text | st.just("ck_" + "a" * 40)),
                    "consumer_secret": "cs_" + "b" * 40, "key_permissions": draw(st.sampled_from(["read_write",
                                                                                                  "read"]))}
        body = json.dumps(document).encode() if draw(st.booleans()) else draw(hostile_bodies())
        return Sent("POST", "/woocommerce/auth/callback", {"Content-Type": "application/json"}, body)
    if kind == "form":
        store_id = draw(st.sampled_from(["1", "3", "0", "9" * 19, "9" * 30, "x"]))
        fields = {"order_number": draw(odd_text), "email": draw(odd_text | st.just(EMAIL)),
                  "order_key": draw(odd_text), "kind": draw(st.sampled_from(["cancel", "return"]) | odd_text),
                  "note": draw(odd_text)}
        if draw(st.booleans()):
            body = json.dumps(fields).encode() if draw(st.booleans()) else draw(hostile_bodies())
            return Sent("POST", f"/forms/woocommerce/{store_id}/request", {"Content-Type": "application/json"}, body)
        encoded = "&".join(f"{k}={v}" for k, v in fields.items()).encode("utf-8", "surrogatepass")
        return Sent("POST", f"/forms/woocommerce/{store_id}/request",
                    {"Content-Type": "application/x-www-form-urlencoded"}, encoded)
    if kind == "proxy":
        query = {"shop": draw(st.sampled_from([SHOP, UNKNOWN_SHOP]) | header_text),
                 "signature": draw(header_text | st.just("a" * 64)), "timestamp": draw(header_text),
                 "logged_in_customer_id": draw(header_text), "order_id": draw(odd_text)}
        return Sent("POST", "/proxy/shopify/cancel", query=query, body=b"note=" + draw(st.binary(max_size=50)),
                    headers={"Content-Type": "application/x-www-form-urlencoded"})
    if kind == "installed":
        return Sent("GET", "/woocommerce/installed", query={"success": draw(odd_text)})
    if kind == "health":
        return Sent(draw(st.sampled_from(["GET", "POST"])), "/health")
    return Sent(draw(st.sampled_from(["GET", "POST", "PUT"])), "/" + draw(st.text(max_size=30)).replace("?", ""))


def send(client: FlaskClient, sent: Sent) -> int:
    query = {name: value.replace("\x00", "").encode("utf-8", "surrogatepass").decode("utf-8", "replace")
             for name, value in sent.query.items()}
    path = sent.path.encode("utf-8", "surrogatepass").decode("utf-8", "replace").replace("\x00", "")
    response = client.open(path, method=sent.method, headers=sent.headers, data=sent.body, query_string=query)
    TOTAL["requests"] += 1
    statuses: dict[int, int] = TOTAL["statuses"]  # type: ignore[assignment]
    statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
    return response.status_code


FUZZ = settings(max_examples=1800, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                       HealthCheck.data_too_large])


def check_whole_rows(app: Flask) -> None:
    """Nothing half-written: every body digest points at its event, every event is an installed shop's and whole,
    no install was stored by an unproven start, and no contact field is kept in plain text."""
    with storage_of(app).sessions() as session:
        assert session.scalar(select(func.count()).select_from(DeliveryDigest)
                              .where(DeliveryDigest.event_id.is_(None))) == 0
        domains = set(session.scalars(select(Store.domain)))
        assert domains <= {SHOP, OTHER_SHOP, "woo.example"}  # a shop redacted by the fuzz is gone, not replaced
        assert session.scalar(select(func.count()).select_from(InstallNonce)) == 0
        assert set(session.scalars(select(Store.status))) <= {"active", "uninstalled"}
        for event in session.scalars(select(Event)):
            assert event.shop_domain in {SHOP, OTHER_SHOP, "woo.example", "(redacted)"}
            assert isinstance(event.payload, dict) and isinstance(event.headers, dict)
            billing = event.payload.get("billing")
            contact = [event.payload.get("email"), event.payload.get("order_key"),
                       billing.get("email") if isinstance(billing, dict) else None]
            assert all(value.startswith(PREFIX) for value in contact if isinstance(value, str) and value), \
                "contact fields are kept only as pseudonyms"
            assert "\\u0000" not in json.dumps(event.payload)
        assert session.scalar(select(func.count()).select_from(PrivacyExport)) is not None


@pytest.mark.parametrize("requests", [shopify_deliveries(), woocommerce_deliveries(), unauthenticated_requests()],
                         ids=["shopify-webhooks", "woocommerce-webhooks", "unauthenticated"])
def test_no_hostile_request_gets_a_5xx_or_leaves_a_half_written_row(
        fuzz_app: Flask, requests: st.SearchStrategy[Sent]) -> None:
    client = fuzz_app.test_client()
    before = TOTAL["requests"]

    @FUZZ
    @given(sent=requests)
    def hostile(sent: Sent) -> None:
        status = send(client, sent)
        assert status < 500, f"{sent.method} {sent.path} answered {status}"

    hostile()
    check_whole_rows(fuzz_app)
    assert TOTAL["requests"] - before >= 1800


def test_the_fuzz_sent_at_least_5000_requests_across_every_class() -> None:
    # Runs after the three above (pytest keeps file order): the issue's bar is 5,000 requests in all.
    if TOTAL["requests"] == 0:
        pytest.skip("the fuzz tests did not run in this session")
    assert TOTAL["requests"] >= 5000
    statuses: dict[int, int] = TOTAL["statuses"]  # type: ignore[assignment]
    assert all(status < 500 for status in statuses)
    assert {200, 400, 401} <= set(statuses), statuses  # accepted, refused as malformed, refused as unsigned
