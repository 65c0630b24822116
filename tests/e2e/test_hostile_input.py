"""Every route Assay registers, fuzzed with hostile requests: never a 5xx, never a half-written row.

Each class the issue found is a strategy of its own (wrong and missing headers, bad and replayed signatures,
huge and deep bodies, non-UTF-8, odd characters, wrong types, unknown shops), drawn against every route, and
at the end the database must hold only whole, expected rows.
"""

from __future__ import annotations

import copy
import hashlib
import hmac
import json
import random
import re
import time
import urllib.parse
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from support import shop_routes
from support.session_tokens import CLIENT_ID, session_token
from support.settings import change_settings
from support.signing import sign

from admin.sample_order import sample_order
from connector.personal import PREFIX
from connector.woocommerce.storefront import answer_token
from connector.woocommerce.verify import sign as plugin_sign
from policies.batch import decide_document
from policies.presets import preset_document
from storage.columns import utc_now
from storage.db import storage_of
from storage.models import (
    Action,
    ActionState,
    DeliveryDigest,
    Event,
    InstallNonce,
    PolicyVersion,
    PrivacyExport,
    Store,
)
from storage.repositories import (
    add_case,
    add_shopify_store,
    add_woocommerce_store,
    enqueue_action,
    save_decision,
    set_policy,
)
from storage.repositories.admin_access import issue_login_link
from storage.repositories.plugin_links import mark_plugin_link_delivered, open_plugin_link, pending_plugin_link
from storage.repositories.privacy import save_privacy_export

from .fakes.woocommerce import FakeWooCommerce
from .shopify_app import SECRET

pytestmark = pytest.mark.integration

SHOP, OTHER_SHOP, UNKNOWN_SHOP = "gems.myshopify.com", "rival.myshopify.com", "nobody.myshopify.com"
SITE, WOO_SECRET = "https://woo.example", "woo-webhook-secret"
EMAIL = "ada@example.com"
TOTAL = {"requests": 0, "statuses": {}}  # the hypothesis classes' requests, over the module


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
    change_settings(app, ASSAY_PUBLIC_URL="https://assay.example")
    storage = storage_of(app)
    with storage.transaction() as session:
        for domain in (SHOP, OTHER_SHOP):
            shop_routes.route(domain, "http://127.0.0.1:9")  # nothing listens there
            add_shopify_store(session, storage.cipher, domain=domain, access_token="shpat_x")
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


# The route fuzz below sends ten thousand more, to every route; these go deep into the webhooks' shapes.
FUZZ = settings(max_examples=1000, deadline=None, derandomize=True, database=None,
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
    assert TOTAL["requests"] - before >= 1000


def test_the_hypothesis_classes_sent_3000_requests_and_met_every_kind_of_answer() -> None:
    # Runs after the three above (pytest keeps file order); the route fuzz below counts its own.
    if TOTAL["requests"] == 0:
        pytest.skip("the fuzz tests did not run in this session")
    assert TOTAL["requests"] >= 3000
    statuses: dict[int, int] = TOTAL["statuses"]  # type: ignore[assignment]
    assert all(status < 500 for status in statuses)
    assert {200, 400, 401} <= set(statuses), statuses  # accepted, refused as malformed, refused as unsigned


# --- Every route, with its real credentials ------------------------------------------------------
# Seeded random requests rather than hypothesis: ten thousand of them in seconds, the same ones every run.

ADMIN, PLUGIN, LOGIN_LINK, FORM_ANSWER, APP_PROXY, ID_TOKEN, WEBHOOK, NONE = (
    "admin session", "plugin signature", "login link", "form answer token", "app proxy signature",
    "Shopify id_token", "webhook signature", "none")
# How each route is signed in; every admin API route takes an admin session. A route added later is in
# neither, and the coverage test fails until it is given its credentials here.
CREDENTIALS = {
    "admin_page.home": NONE, "admin_page.page": ADMIN, "admin_page.static": NONE, "static": NONE,
    "health.health": NONE, "webhooks.receive": WEBHOOK, "admin_login.sign_in": LOGIN_LINK,
    "woocommerce_forms.ask": NONE, "woocommerce_form_answers.answer": FORM_ANSWER,
    "shopify_proxy.ask_to_cancel": APP_PROXY, "shopify_app.app_home": ID_TOKEN,
    "shopify_app.patch_id_token": ID_TOKEN, "woocommerce_install.install": NONE,
    "woocommerce_install.callback": NONE, "woocommerce_install.installed": NONE,
    "woocommerce_plugin.status": PLUGIN, "woocommerce_plugin.login_link": PLUGIN,
    "woocommerce_plugin.disconnect": PLUGIN,
}
# These end the credential they are sent with, so they go last.
ENDS_A_CREDENTIAL = {"admin_api.logout", "woocommerce_plugin.disconnect"}
PER_ROUTE = 260  # x 43 routes and methods: > 10,000 requests

INTEGERS = ["0", "-1", "1.5", "2147483647", "2147483648", "9223372036854775807", "9223372036854775808", "9" * 30,
            "0x10", "1e3", "١٢", ""]
TEXTS = ["", "a", "\x00", "a\x00b", "\ud800", "\udfff", "é", "𝔘", "a" * 5000, "<script>", "../../etc/passwd",
         "%00", "NaN", "null", "true", "[]", "wc_order_abc", "\x1b[2J", "\u202e", " "]
TIMES = ["9999-12-31T23:59:59-14:00", "0001-01-01T00:00:00+14:00", "2026-03-10T10:00:00Z", "2026-03-10",
         "2026-13-45T99:99:99Z", "99999-01-01T00:00:00Z", "1969-12-31T23:59:59+00:00"]
QUERY_NAMES = ["cursor", "from", "to", "limit", "order", "outcome", "kind", "status", "token", "store_url",
               "plugin_challenge", "success", "user_id", "shop", "signature", "timestamp", "id_token", "host",
               "embedded", "logged_in_customer_id", "order_id", "path_prefix", "note", "x"]
JSON_VALUES: list[Any] = [None, True, -1, 0, 2**31, 2**63, 10**30, 1.5, 1e308, "", "\x00", "\ud800", "a" * 3000,
                          [], {}, ["t"] * 300, {"x": {"y": [1]}}, "9999-12-31T23:59:59-14:00", "2147483648"]
REQUEST = {"kind": "return", "submitted_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"), "reason": "changed_mind",
           "lines": [{"line_id": "S1", "quantity": 1}]}


@dataclass
class World:
    """The stores, rows and live credentials the route fuzz signs its requests with."""

    shop_id: int
    form_site_id: int
    plugin_site_id: int
    case_id: int
    action_id: int
    export_id: int
    plugin_secret: str
    request_id: int
    answer_token: str
    cookie: str
    csrf: str
    login_links: list[str]
    policy: dict[str, Any]


def seeded_world(app: Flask, site: FakeWooCommerce) -> World:
    """A shop in review with a failed write-back, a site connected through its plugin (the fake, so the status
    route's call to it answers at once), a form request, an export and a signed-in admin session: what a real
    store has, so the fuzz reaches past every sign-in."""
    storage = storage_of(app)
    policy = {name: value for name, value in (preset_document("pandorana") or {}).items() if name != "version"}
    with storage.transaction() as session:
        shop = session.scalars(select(Store).where(Store.domain == SHOP)).one()
        form_site = session.scalars(select(Store).where(Store.domain == "woo.example")).one()
        plugin_site = add_woocommerce_store(session, storage.cipher, url=site.url, consumer_key=site.consumer_key,
                                            consumer_secret=site.consumer_secret, webhook_secret=site.webhook_secret)
        set_policy(session, shop.id, preset_document("pandorana") or {})
        document = {"store": {"country": "DE", "timezone": "Europe/Berlin"}, "order": sample_order("EUR"),
                    "request": REQUEST}
        case, _ = add_case(session, store_id=shop.id, order_id="sample", kind="return", request_key="fuzz",
                           document={**document, "platform": {"order_gid": "gid://shopify/Order/1"}})
        save_decision(session, case.id, {**decide_document({**document, "policy": {"version": 1, **policy}}),
                                         "policy_version": "1"})
        action, _ = enqueue_action(session, case_id=case.id, kind="shopify.order_note", payload={"note": "x"},
                                   idempotency_key="fuzz-note")
        action.state = ActionState.FAILED.value
        export = save_privacy_export(session, storage.cipher, shop.id, "5", {"orders": []})
        # The plugin's secret as a proven install leaves it, delivered to the site (connector/woocommerce/install.py).
        open_plugin_link(session, storage.cipher, plugin_site.id, challenge="c" * 43, now=utc_now())
        delivered = pending_plugin_link(session, storage.cipher, plugin_site.id, utc_now())
        assert delivered is not None
        mark_plugin_link_delivered(session, delivered, utc_now())
        links = [issue_login_link(session, shop.id, "fuzz@shop.example") for _ in range(40)]
        ids = (shop.id, form_site.id, plugin_site.id, case.id, action.id, export.id)
        assert session.get(Action, action.id) is not None
    client = app.test_client()
    form = client.post(f"/forms/woocommerce/{ids[1]}/request",
                       data={"order_number": "101", "email": EMAIL, "order_key": "wc_order_abc", "kind": "return"})
    assert form.status_code == 202, form.get_data(as_text=True)
    request_id = int(form.get_json()["request_id"])
    signed_in = client.get(f"/admin/login/{links.pop()}")
    assert signed_in.status_code == 303
    cookie = signed_in.headers["Set-Cookie"].split(";", 1)[0]
    csrf = client.get("/admin/api/session", headers={"Cookie": cookie}).get_json()["csrf_token"]
    with app.test_request_context():
        token = answer_token(ids[1], request_id)
    return World(*ids, delivered.secret, request_id, token, cookie, csrf, links, policy)


class RouteFuzz:
    """Builds one request for a route: its arguments, query, body and headers drawn from a seeded random, each
    usually valid with one or two hostile parts, and signed with the route's real credential most of the time."""

    def __init__(self, world: World, rng: random.Random) -> None:
        self.world, self.rng = world, rng

    def pick(self, *choices: Any) -> Any:
        return self.rng.choice(choices)

    def argument(self, rule: str, name: str) -> str:
        real = {"case_id": self.world.case_id, "action_id": self.world.action_id, "export_id": self.world.export_id,
                "version": 1, "store_id": self.world.form_site_id, "request_id": self.world.request_id}
        if name in real:
            return str(real[name]) if self.rng.random() < 0.5 else self.rng.choice(INTEGERS)
        if "any(approve, decline)" in rule and name == "answer":
            return self.pick("approve", "decline")
        known = {"platform": ["shopify", "woocommerce", "nowhere"], "name": ["kestia", "pandorana", "nope"],
                 "filename": ["app.js", "app.css", "../secret", "x"],
                 "secret": self.world.login_links[-1:] or ["used"]}
        if name == "secret" and self.rng.random() < 0.3 and self.world.login_links:
            return self.world.login_links.pop()
        return self.pick(*known.get(name, ["x"])) if self.rng.random() < 0.6 else self.pick(*TEXTS)

    def path(self, rule: str) -> str:
        """The rule with each <converter:argument> filled in, percent-encoded as a browser would."""
        return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", lambda match: urllib.parse.quote(
            self.argument(rule, match.group(1)), safe="", errors="surrogatepass"), rule)

    def query(self) -> dict[str, str]:
        names = self.rng.sample(QUERY_NAMES, self.rng.randint(0, 4))
        return {name: self.pick(*INTEGERS, *TEXTS, *TIMES) for name in names}

    def mutated(self, document: Any) -> Any:
        document = json.loads(json.dumps(document))
        for _ in range(self.rng.randint(1, 3)):
            places: list[tuple[Any, Any]] = []
            stack = [document]
            while stack:
                value = stack.pop()
                if not isinstance(value, dict | list):
                    continue
                for key, child in value.items() if isinstance(value, dict) else enumerate(value):
                    places.append((value, key))
                    stack.append(child)
            if not places or self.rng.random() < 0.15:
                if isinstance(document, dict):
                    name = self.pick("x", "\x00", "policy", "note", "unknown")
                    document[name] = copy.deepcopy(self.pick(*JSON_VALUES))
                continue
            container, key = self.rng.choice(places)
            container[key] = copy.deepcopy(self.pick(*JSON_VALUES))
        return document

    def body(self, endpoint: str) -> tuple[bytes, str]:
        example: dict[str, Any] = {
            "admin_api.save_policy": {"policy": self.world.policy},
            "admin_api.validate_policy": {"policy": self.world.policy},
            "admin_api.policy_text_of": {"policy": self.world.policy},
            "admin_api.try_it": {"policy": self.world.policy, "order_id": "sample", "request": REQUEST},
            "admin_api.answer": {"note": "checked the photos"},
            "woocommerce_plugin.login_link": {"person": "anna@shop.example"},
            "woocommerce_install.callback": {"key_id": 1, "user_id": "1:x", "consumer_key": "ck_" + "a" * 40,
                                             "consumer_secret": "cs_" + "b" * 40, "key_permissions": "read_write"},
            "woocommerce_forms.ask": {"order_number": "101", "email": EMAIL, "order_key": "wc_order_abc",
                                      "kind": "return", "note": "it broke"},
            "webhooks.receive": {"id": 101, "status": "processing", "email": EMAIL, "order_key": "wc_order_abc",
                                 "note": "leave at the door", "line_items": []},
        }.get(endpoint, {})
        roll = self.rng.random()
        if roll < 0.55:
            return json.dumps(self.mutated(example) if example else {}).encode(), "application/json"
        if roll < 0.65:
            return json.dumps(example).encode(), "application/json"
        if roll < 0.72:
            depth = self.pick(1100, 2200, 5000)
            return b"[" * depth + b"]" * depth, "application/json"
        if roll < 0.80:
            fields = {name: self.pick(*TEXTS, *INTEGERS) for name in (example or {"x": 1})}
            text = "&".join(f"{name}={value}" for name, value in fields.items())
            return text.encode("utf-8", "surrogatepass"), "application/x-www-form-urlencoded"
        if roll < 0.85 and endpoint == "admin_api.save_policy":  # the issue's 100,000 tags and 900 KB message
            exclusion = {"kind": "listed", "tags": ["t"] * 100_000} if self.rng.random() < 0.5 else \
                {"kind": "listed", "words": ["x"], "message": "m" * 900_000}
            return json.dumps({"policy": {**self.world.policy, "exclusions": [exclusion]}}).encode(), \
                "application/json"
        return bytes(self.rng.getrandbits(8) for _ in range(self.rng.randint(0, 64))), \
            self.pick("application/json", "text/plain", "multipart/form-data; boundary=x", "")

    def credentials(self, kind: str, method: str, path: str, body: bytes, query: dict[str, str]
                    ) -> dict[str, str]:
        honest = self.rng.random() < 0.85
        if kind == ADMIN:
            if self.rng.random() < 0.5:
                token = session_token(SECRET, SHOP) if honest else self.pick("x.y.z", "Bearer", "\x7f")
                return {"Authorization": f"Bearer {token}"}
            return {"Cookie": self.world.cookie if honest else "assay_admin=" + self.pick("x", "%00", "a" * 300),
                    "X-CSRF-Token": self.world.csrf if honest else self.pick("", "x")}
        if kind == PLUGIN:
            stamp, nonce = int(time.time()), f"nonce{self.rng.getrandbits(64):020d}"
            headers = {"X-Assay-Store": str(self.world.plugin_site_id), "X-Assay-Timestamp": str(stamp),
                       "X-Assay-Nonce": nonce,
                       "X-Assay-Signature": plugin_sign(self.world.plugin_secret, method, path, stamp, nonce, body)}
            if not honest:
                headers[self.pick(*headers)] = self.pick("9999999999999999999", "9223372036854775808", "0",
                                                         "-1", "x" * 70, "")
            return headers
        if kind == FORM_ANSWER and honest:
            query["token"] = self.world.answer_token
        if kind == ID_TOKEN and honest:
            query.update(id_token=session_token(SECRET, SHOP), shop=SHOP, host="YWRtaW4uc2hvcGlmeS5jb20vc3RvcmUvZ2Vtcw")
        if kind == APP_PROXY and honest:
            query.update(shop=SHOP, path_prefix="/apps/assay", timestamp=str(int(time.time())),
                         logged_in_customer_id=self.pick("5", "9" * 30, ""))
            query.pop("signature", None)
            message = "".join(f"{name}={query[name]}" for name in sorted(query))
            query["signature"] = hmac.new(SECRET.encode(), message.encode("utf-8", "surrogatepass"),
                                          hashlib.sha256).hexdigest()
        if kind == WEBHOOK:
            if "woocommerce" in path:
                return {"X-WC-Webhook-Signature": sign(WOO_SECRET, body) if honest else "x",
                        "X-WC-Webhook-Source": f"{SITE}/", "X-WC-Webhook-Topic": "order.updated",
                        "X-WC-Webhook-Delivery-ID": str(self.rng.getrandbits(32)), "X-WC-Webhook-ID": "1"}
            return {"X-Shopify-Hmac-Sha256": sign(SECRET, body) if honest else "x",
                    "X-Shopify-Topic": self.pick("orders/updated", "returns/request", "customers/data_request"),
                    "X-Shopify-Shop-Domain": SHOP, "X-Shopify-Webhook-Id": str(self.rng.getrandbits(64))}
        return {}

    def hostile_headers(self) -> dict[str, str]:
        if self.rng.random() < 0.7:
            return {}
        return {self.pick("X-Assay-Store", "X-Forwarded-For", "Accept", "Origin", "X-Shopify-Topic",
                          "Content-Length-X", "X-CSRF-Token"): self.pick("9999999999999999999", "\x7f", "é",
                                                                         "a" * 9000, "", "1, 2, 3")}


def routes_of(app: Flask) -> list[tuple[str, str, str]]:
    """Every (endpoint, method, rule) the app serves, those that end a credential last."""
    found = sorted((rule.endpoint, method, rule.rule) for rule in app.url_map.iter_rules()
                   for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}))
    return sorted(found, key=lambda route: route[0] in ENDS_A_CREDENTIAL)


def credential_of(endpoint: str) -> str | None:
    return ADMIN if endpoint.startswith("admin_api") else CREDENTIALS.get(endpoint)


@pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")
def test_every_route_with_its_real_credentials_never_answers_a_5xx(
        fuzz_app: Flask, fake_woocommerce: FakeWooCommerce) -> None:
    change_settings(fuzz_app, SHOPIFY_API_KEY=CLIENT_ID)
    world = seeded_world(fuzz_app, fake_woocommerce)
    routes = routes_of(fuzz_app)
    unknown = [endpoint for endpoint, _, _ in routes if credential_of(endpoint) is None]
    assert not unknown, f"routes the fuzz doesn't know how to sign in to (add them to CREDENTIALS): {unknown}"
    client, fuzz = fuzz_app.test_client(), RouteFuzz(world, random.Random(21))
    answered: dict[tuple[str, str], Counter[int]] = {}
    started = time.monotonic()
    for endpoint, method, rule in routes:
        kind = credential_of(endpoint) or NONE
        statuses = answered.setdefault((method, rule), Counter())
        for _ in range(PER_ROUTE):
            path = fuzz.path(rule)
            query = fuzz.query()
            body, content_type = fuzz.body(endpoint) if method != "GET" else (b"", "")
            headers = {**fuzz.hostile_headers(), **fuzz.credentials(kind, method, urllib.parse.unquote(path), body,
                                                                   query)}
            if content_type:
                headers["Content-Type"] = content_type
            encoded = urllib.parse.urlencode({name: value.encode("utf-8", "surrogatepass")
                                              for name, value in query.items()})
            response = client.open(path, method=method, headers=headers, data=body, query_string=encoded)
            statuses[response.status_code] += 1
            assert response.status_code < 500, (
                f"{method} {path}?{encoded[:300]} -> {response.status_code}: {response.get_data(as_text=True)[:300]}")
    total = sum(sum(statuses.values()) for statuses in answered.values())
    print(f"\nroute fuzz: {total} requests, {len(answered)} routes and methods, {time.monotonic() - started:.1f} s")
    assert total >= 10_000
    signed = [route for (endpoint, *route) in routes if credential_of(endpoint) not in (NONE, None)]
    beyond_sign_in = {tuple(route) for route in signed if set(answered[(route[0], route[1])]) - {401, 403}}
    assert beyond_sign_in == {tuple(route) for route in signed}, "a route's real credentials never got past its sign-in"
    check_whole_rows(fuzz_app)


# --- The issue's eight 500s, one by one -----------------------------------------------------------

def nested(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


def exclusion(**fields: Any) -> dict[str, Any]:
    return {"kind": "listed", "words": ["x"], **fields}


@pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")
@pytest.mark.parametrize(("method", "path", "body", "status", "field"), [
    ("PUT", "/admin/api/policy", nested(1100), 400, "body"),  # 2.2 KB of nested arrays: a RecursionError
    ("POST", "/admin/api/try", nested(1100), 400, "body"),
    ("PUT", "/admin/api/policy", {"name": "Mine\x00"}, 422, "policy.name"),
    ("PUT", "/admin/api/policy", {"name": "Mine\ud800"}, 422, "policy.name"),
    ("PUT", "/admin/api/policy", {"exclusions": [exclusion(tags=["sale\x00"])]}, 422, "policy.exclusions.0.tags.0"),
    ("PUT", "/admin/api/policy", {"exclusions": [exclusion(message="\udc00")]}, 422, "policy.exclusions.0.message"),
    ("POST", "/admin/api/reviews/{case}/approve", {"note": "ok\x00"}, 422, "note"),
    ("POST", "/admin/api/reviews/{case}/decline", {"note": "\ud83d"}, 422, "note"),
    ("GET", "/admin/api/cases?cursor=9223372036854775808", None, 422, "cursor"),
    ("GET", "/admin/api/cases?from=9999-12-31T23:59:59-14:00", None, 422, "from"),
    ("GET", "/admin/api/cases?to=0001-01-01T00:00:00%2B14:00", None, 422, "to"),
    ("GET", "/admin/api/policy/versions/2147483648", None, 400, "version"),
    ("GET", "/admin/api/cases/9223372036854775808", None, 400, "case_id"),
    # The policy's lists and texts: 100,000 tags and a 900 KB message saved fine.
    ("PUT", "/admin/api/policy", {"exclusions": [exclusion(tags=["t"] * 100_000)]}, 422, "exclusions.0.tags"),
    ("PUT", "/admin/api/policy", {"exclusions": [exclusion(message="m" * 900_000)]}, 422, "exclusions.0.message"),
])
def test_each_input_that_was_a_500_is_refused_naming_the_field_and_the_rule(
        fuzz_app: Flask, fake_woocommerce: FakeWooCommerce, method: str, path: str, body: Any, status: int,
        field: str) -> None:
    change_settings(fuzz_app, SHOPIFY_API_KEY=CLIENT_ID)
    world = seeded_world(fuzz_app, fake_woocommerce)
    if isinstance(body, dict) and "note" not in body:
        body = {"policy": {**world.policy, **body}}
    sent = body if isinstance(body, bytes) else json.dumps(body).encode() if body is not None else b""
    response = fuzz_app.test_client().open(
        path.format(case=world.case_id), method=method, data=sent,
        headers={"Authorization": f"Bearer {session_token(SECRET, SHOP)}", "Content-Type": "application/json"})
    answer = response.get_json()
    assert response.status_code == status, answer
    named = answer.get("field") or next(iter(answer.get("errors") or {}), None)
    assert named == field, answer
    assert field in json.dumps(answer) and ("must" in json.dumps(answer)), answer
    with storage_of(fuzz_app).sessions() as session:  # nothing was saved
        assert session.scalar(select(func.count()).select_from(PolicyVersion)) == 1


@pytest.mark.parametrize("store", ["9999999999999999999", "9223372036854775808", "0"])
def test_a_plugin_request_naming_a_store_past_the_bigint_is_refused_without_credentials(
        fuzz_app: Flask, store: str) -> None:
    for method, path in (("GET", "/woocommerce/plugin/status"), ("POST", "/woocommerce/plugin/login-link"),
                         ("POST", "/woocommerce/plugin/disconnect")):
        response = fuzz_app.test_client().open(path, method=method, headers={
            "X-Assay-Store": store, "X-Assay-Timestamp": str(int(time.time())), "X-Assay-Nonce": "n" * 20,
            "X-Assay-Signature": "a" * 64})
        assert response.status_code == 400, response.get_data(as_text=True)
        assert "X-Assay-Store must be" in response.get_json()["detail"]
