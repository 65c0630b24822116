"""The admin JSON API: each store sees only itself, every change from a login session needs its CSRF token, and a
merchant's approve becomes exactly one platform write on each platform, even when sent twice at once."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import httpx
import pytest
from flask import Flask
from sqlalchemy import func, select

from storage.db import storage_of
from storage.models import Action, ActionState, CaseRecord, DecisionRecord, Event, Platform, PolicyVersion
from storage.repositories.admin_access import issue_login_link

from .admin_steps import Tenant, login_session, set_aside_one_case_each, two_stores_in_review, without_csrf
from .fakes.shopify import FakeShopify
from .fakes.woocommerce import FakeWooCommerce
from .shopify_app import mutations
from .test_platform_parity import DELIVERED, FULFILLED, PLACED, gmt
from .woocommerce import steps as woo

pytestmark = [pytest.mark.integration,
              # the e2e suite's Shopify secret is 16 bytes; real client secrets are longer
              pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")]

POLICY = {"key": "mine", "name": "Mine", "returns": {"accepted": True, "window":
                                                     {"length": 14, "unit": "days", "from": "delivery"}}}
REQUEST = {"kind": "return", "submitted_at": "2026-03-10T10:00:00Z", "reason": "changed_mind", "lines": []}

# Every admin API route, as (method, rule) -> how to call it as `me` with the other store's (`them`) ids.
Call = Callable[[Tenant, Tenant], tuple[str, dict[str, Any] | None]]
ROUTES: dict[tuple[str, str], Call] = {
    ("GET", "/admin/api/session"): lambda me, them: ("/admin/api/session", None),
    ("GET", "/admin/api/policy"): lambda me, them: ("/admin/api/policy", None),
    ("POST", "/admin/api/policy/validate"): lambda me, them: ("/admin/api/policy/validate", {"policy": POLICY}),
    ("PUT", "/admin/api/policy"): lambda me, them: ("/admin/api/policy", {"policy": POLICY}),
    ("GET", "/admin/api/presets"): lambda me, them: ("/admin/api/presets", None),
    ("POST", "/admin/api/policy/text"): lambda me, them: ("/admin/api/policy/text", {"policy": POLICY}),
    ("GET", "/admin/api/presets/<name>/text"): lambda me, them: ("/admin/api/presets/kestia/text", None),
    ("GET", "/admin/api/cases"): lambda me, them: (f"/admin/api/cases?order={them.order_id}", None),
    ("GET", "/admin/api/cases/<int:case_id>"): lambda me, them: (f"/admin/api/cases/{them.case_id}", None),
    ("GET", "/admin/api/reviews"): lambda me, them: ("/admin/api/reviews", None),
    ("POST", "/admin/api/reviews/<int:case_id>/<any(approve, decline):answer>"):
        lambda me, them: (f"/admin/api/reviews/{them.case_id}/approve", {"note": "ok"}),
    ("GET", "/admin/api/write-backs/failed"): lambda me, them: ("/admin/api/write-backs/failed", None),
    ("POST", "/admin/api/write-backs/<int:action_id>/retry"):
        lambda me, them: (f"/admin/api/write-backs/{them.action_id}/retry", None),
    ("GET", "/admin/api/summary"): lambda me, them: ("/admin/api/summary", None),
    ("POST", "/admin/api/try"): lambda me, them: ("/admin/api/try", {"policy": POLICY, "order_id": them.order_id,
                                                                    "request": REQUEST}),
    ("GET", "/admin/api/policy/versions"): lambda me, them: ("/admin/api/policy/versions", None),
    ("GET", "/admin/api/policy/versions/<int(bits=32):version>"):
        lambda me, them: ("/admin/api/policy/versions/1", None),
    ("GET", "/admin/api/orders"): lambda me, them: ("/admin/api/orders", None),
    ("GET", "/admin/api/events/failed"): lambda me, them: ("/admin/api/events/failed", None),
    ("GET", "/admin/api/cases/set-aside"): lambda me, them: ("/admin/api/cases/set-aside", None),
    ("GET", "/admin/api/privacy/exports"): lambda me, them: ("/admin/api/privacy/exports", None),
    ("GET", "/admin/api/privacy/exports/<int:export_id>"): lambda me, them: ("/admin/api/privacy/exports/1", None),
    ("POST", "/admin/api/logout"): lambda me, them: ("/admin/api/logout", None),
}
# A policy version is numbered within its store (each has a version 1): asked by number, it is always one's own.
NAMES_AN_ID = ({rule for _, rule in ROUTES if "<int" in rule} | {"/admin/api/try"}) - {
    "/admin/api/policy/versions/<int(bits=32):version>"}


def admin_routes(app: Flask) -> set[tuple[str, str]]:
    return {(method, rule.rule) for rule in app.url_map.iter_rules() if rule.rule.startswith("/admin/api")
            for method in (rule.methods or set()) - {"HEAD", "OPTIONS"}}


@pytest.fixture
def stores(app: Flask, base_url: str, fake_shopify: FakeShopify, fake_woocommerce: FakeWooCommerce
           ) -> tuple[Tenant, Tenant]:
    shop, site = two_stores_in_review(app, base_url, fake_shopify, fake_woocommerce)
    with storage_of(app).transaction() as session:  # one failed write-back each, to retry
        for tenant in (shop, site):
            action = session.get_one(Action, tenant.action_id)
            action.state, action.last_error = ActionState.FAILED.value, "refused by the platform"
    return shop, site


def _call(base_url: str, method: str, path: str, body: dict[str, Any] | None, headers: dict[str, str]
          ) -> httpx.Response:
    return httpx.request(method, base_url + path, json=body, headers=headers, timeout=10)


def _state_of(app: Flask, them: Tenant) -> tuple[int, int, str]:
    with storage_of(app).sessions() as session:
        policies = session.scalar(select(func.count()).select_from(PolicyVersion)
                                  .where(PolicyVersion.store_id == them.store_id)) or 0
        decisions = session.scalar(select(func.count()).select_from(DecisionRecord)
                                   .where(DecisionRecord.case_id == them.case_id)) or 0
        return policies, decisions, session.get_one(Action, them.action_id).state


@pytest.mark.parametrize("signed_in_as", ["shopify", "woocommerce"])
def test_every_admin_route_with_one_stores_sign_in_never_reaches_the_other_store(
    app: Flask, base_url: str, stores: tuple[Tenant, Tenant], signed_in_as: str,
) -> None:
    assert admin_routes(app) == set(ROUTES), "a route was added: say here how it is walked"
    me, them = stores if signed_in_as == "shopify" else stores[::-1]
    before = _state_of(app, them)
    for (method, rule), call in sorted(ROUTES.items(), key=lambda item: item[0][1].endswith("logout")):
        path, body = call(me, them)
        answer = _call(base_url, method, path, body, me.headers)
        if rule in NAMES_AN_ID:
            assert answer.status_code == 404, (method, path, answer.status_code, answer.text)
            assert answer.json()["error"] == "not_found"
        else:
            assert answer.status_code in (200, 201), (method, path, answer.status_code, answer.text)
        assert them.domain not in answer.text and f'"order_id":"{them.order_id}"' not in answer.text, (path,)
        if rule == "/admin/api/cases" or rule == "/admin/api/reviews":
            listed = answer.json().get("cases") or answer.json().get("reviews")
            assert them.case_id not in [row["id"] for row in listed or []]
    assert _state_of(app, them) == before  # nothing of the other store's was changed


def test_every_change_from_a_login_session_without_its_csrf_token_is_refused(
    app: Flask, base_url: str, stores: tuple[Tenant, Tenant],
) -> None:
    _, site = stores
    before = _state_of(app, site)
    changes = [(method, rule) for method, rule in ROUTES if method not in ("GET", "HEAD")]
    assert len(changes) == 7
    for method, rule in changes:
        path, body = ROUTES[(method, rule)](site, site)
        for headers in (without_csrf(site.headers), {**site.headers, "X-CSRF-Token": "forged"}):
            answer = _call(base_url, method, path, body, headers)
            assert answer.status_code == 403 and answer.json()["error"] == "csrf_token_missing", (method, path)
    assert _state_of(app, site) == before
    assert _call(base_url, "GET", "/admin/api/session", None, site.headers).status_code == 200  # still signed in


def _approve_twice_at_once(base_url: str, tenant: Tenant) -> list[int]:
    statuses: list[int] = []
    start = threading.Barrier(2)

    def approve() -> None:
        start.wait()
        answer = _call(base_url, "POST", f"/admin/api/reviews/{tenant.case_id}/approve",
                       {"note": "Customer is a regular; happy to take it back."}, tenant.headers)
        statuses.append(answer.status_code)

    threads = [threading.Thread(target=approve) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(15)
    return sorted(statuses)


def test_a_merchants_approve_sent_twice_at_once_is_one_person_decision_and_one_write_on_each_platform(
    app: Flask, base_url: str, stores: tuple[Tenant, Tenant], fake_shopify: FakeShopify,
    fake_woocommerce: FakeWooCommerce,
) -> None:
    shop, site = stores
    queue = [row["id"] for row in _call(base_url, "GET", "/admin/api/reviews", None, shop.headers).json()["reviews"]]
    assert queue == [shop.case_id]
    shopify_before, woo_before = mutations(fake_shopify), fake_woocommerce.writes()

    assert _approve_twice_at_once(base_url, shop) == [200, 201]
    assert _approve_twice_at_once(base_url, site) == [200, 201]
    woo.run_worker(app)
    woo.run_worker(app)  # a second run finds nothing left to write

    assert mutations(fake_shopify)[len(shopify_before):] == ["ReturnApproveRequest", "ReturnProcess"]
    refunds = [w for w in fake_woocommerce.writes()[len(woo_before):] if w[1].endswith("/refunds")]
    assert len(refunds) == 1
    for tenant, person in ((shop, "shopify-user:42"), (site, "anna@shop.example")):
        one = _call(base_url, "GET", f"/admin/api/cases/{tenant.case_id}", None, tenant.headers).json()
        decided = one["decision"]
        assert (decided["outcome"], decided["by_person"], decided["decided_by"]) == ("approve", True, person)
        assert decided["note"] == "Customer is a regular; happy to take it back." and decided["decided_at"]
        assert decided["refund"]["total"] == "49.00"
        assert [d["outcome"] for d in one["history"]] == ["review", "approve"]
        assert any(a["state"] == "done" for a in one["actions"])
        assert _call(base_url, "GET", "/admin/api/reviews", None, tenant.headers).json()["reviews"] == []


def test_approving_a_review_refunds_only_the_line_the_policy_allowed_and_keeps_the_engraved_ring_declined(
    app: Flask, base_url: str, fake_woocommerce: FakeWooCommerce,
) -> None:
    """Kestia: a pendant (49.00) and an engraved ring (235.00) sent back together; the ring is excluded, so a
    person decides. Their approve refunds the pendant only, once, and the customer is told the ring stays declined."""
    woo.install(app, fake_woocommerce, "kestia")
    fake_woocommerce.state.add_product(11, categories=["Necklace"], regular_price="49.00")
    fake_woocommerce.state.add_product(12, categories=["Ring"], regular_price="235.00")
    order = fake_woocommerce.state.add_order(
        created=gmt(PLACED), country="GB", currency="EUR", shipping="6.90",
        lines=[{"product_id": 11, "name": "Rose quartz pendant", "sku": "RQ-1", "price": "49.00"},
               {"product_id": 12, "name": "Engraved ring", "sku": "ER-1", "price": "235.00",
                "meta": {"Engraving": "A+B", "_reduced_stock": "1"}}])
    assert woo.deliver(base_url, fake_woocommerce, "order.created", order["id"]) == [200]
    for status, at in (("completed", FULFILLED), ("delivered", DELIVERED),
                       ("return-requested", DELIVERED + timedelta(days=5))):
        fake_woocommerce.state.set_status(order["id"], status, gmt(at))
        assert woo.deliver(base_url, fake_woocommerce, "order.updated", order["id"]) == [200]
    woo.run_worker(app)
    with storage_of(app).sessions() as session:
        case_id = session.scalars(select(CaseRecord.id)).one()
    headers = login_session(app, base_url, Platform.WOOCOMMERCE)
    review = _call(base_url, "GET", f"/admin/api/cases/{case_id}", None, headers).json()["decision"]
    assert review["outcome"] == "review" and [line["outcome"] for line in review["lines"]] == ["approve", "decline"]

    for _ in range(2):  # a second click finds the first answer
        answer = _call(base_url, "POST", f"/admin/api/reviews/{case_id}/approve", {"note": "Thanks!"}, headers)
        assert answer.status_code in (200, 201), answer.text
    woo.run_worker(app)
    woo.run_worker(app)

    refunds = fake_woocommerce.state.refunds.get(order["id"], [])
    assert [refund["amount"] for refund in refunds] == ["49.00"]  # not 284.00: the ring is not refunded
    assert [item["name"] for item in refunds[0]["line_items"]] == ["Rose quartz pendant"]
    decided = _call(base_url, "GET", f"/admin/api/cases/{case_id}", None, headers).json()["decision"]
    assert (decided["outcome"], decided["by_person"], decided["note"]) == ("approve", True, "Thanks!")
    assert [line["outcome"] for line in decided["lines"]] == ["approve", "decline"]
    assert decided["refund"]["total"] == "49.00"
    # The customer reads the decision in the refund's reason (WooCommerce's refund email), with no second note.
    assert not [note for note in fake_woocommerce.state.notes[order["id"]] if note["customer_note"]]
    told = refunds[0]["reason"]
    assert "Approved: Rose quartz pendant." in told and "Still declined (Engraved ring): Engraved items" in told


def test_declining_after_an_approve_is_refused_and_changes_nothing(
    base_url: str, stores: tuple[Tenant, Tenant],
) -> None:
    shop, _ = stores
    assert _call(base_url, "POST", f"/admin/api/reviews/{shop.case_id}/approve", {}, shop.headers).status_code == 201
    answer = _call(base_url, "POST", f"/admin/api/reviews/{shop.case_id}/decline", {"note": "no"}, shop.headers)
    assert answer.status_code == 409 and answer.json()["error"] == "already_decided"


def test_the_policy_is_validated_with_every_error_in_merchant_words_and_saved_as_a_new_version(
    base_url: str, stores: tuple[Tenant, Tenant],
) -> None:
    shop, _ = stores
    bad = {"key": "mine", "name": "", "returns": {"accepted": True, "window": {"length": -1, "unit": "days",
                                                                              "from": "delivery"}},
           "refunds": {"original_shipping": "sometimes"}}
    checked = _call(base_url, "POST", "/admin/api/policy/validate", {"policy": bad}, shop.headers).json()
    assert checked["valid"] is False
    assert checked["errors"] == {  # every error at once, keyed by field, in the settings page's words
        "name": "Policy name: must be 1 to 200 characters long, got ''",
        "returns.window.length": "Returns › time limit › how long: must be between 0 and 3650 days, got -1",
        "refunds.original_shipping": "Refunds › original shipping refunded: must be one of always, if_faulty, never, "
                                     "got 'sometimes'"}
    refused = _call(base_url, "PUT", "/admin/api/policy", {"policy": bad}, shop.headers)
    assert refused.status_code == 422 and set(refused.json()["errors"]) == set(checked["errors"])
    saved = _call(base_url, "PUT", "/admin/api/policy", {"policy": POLICY}, shop.headers)
    assert saved.status_code == 201 and saved.json()["label"] == "mine@2"
    assert _call(base_url, "GET", "/admin/api/policy", None, shop.headers).json()["version"] == 2


def test_cases_are_filtered_and_paged_by_cursor(base_url: str, stores: tuple[Tenant, Tenant]) -> None:
    shop, _ = stores

    def ids(query: str) -> tuple[list[int], Any]:
        found = _call(base_url, "GET", f"/admin/api/cases?{query}", None, shop.headers).json()
        return [row["id"] for row in found["cases"]], found["next_cursor"]

    assert ids("outcome=review&kind=return&status=decided") == ([shop.case_id], None)
    assert ids("outcome=approve") == ([], None)
    assert ids(f"order={shop.order_id}") == ([shop.case_id], None)
    assert ids("from=2000-01-01T00:00:00Z&to=2000-01-02T00:00:00Z") == ([], None)
    assert ids(f"cursor={shop.case_id}") == ([], None)
    bad = _call(base_url, "GET", "/admin/api/cases?outcome=maybe&limit=0", None, shop.headers)
    assert bad.status_code == 422 and set(bad.json()["errors"]) == {"outcome", "limit"}


def test_try_it_decides_an_unsaved_policy_against_a_real_order_and_stores_nothing(
    app: Flask, base_url: str, stores: tuple[Tenant, Tenant],
) -> None:
    shop, _ = stores
    with storage_of(app).sessions() as session:
        counts = (session.scalar(select(func.count()).select_from(DecisionRecord)),
                  session.scalar(select(func.count()).select_from(Event)))
    order = _call(base_url, "GET", f"/admin/api/cases/{shop.case_id}", None, shop.headers).json()["order"]
    request = {**REQUEST, "lines": [{"line_id": order["lines"][0]["id"], "quantity": 1, "condition": "unused"}]}
    answer = _call(base_url, "POST", "/admin/api/try", {"policy": POLICY, "order_id": shop.order_id,
                                                        "request": request}, shop.headers)
    assert answer.status_code == 200, answer.text
    assert answer.json()["stored"] is False
    assert answer.json()["decision"]["outcome"] == "approve"  # 5 days after receipt, inside 14
    with storage_of(app).sessions() as session:
        assert counts == (session.scalar(select(func.count()).select_from(DecisionRecord)),
                          session.scalar(select(func.count()).select_from(Event)))


def test_the_summary_counts_twelve_weeks_of_outcomes(base_url: str, stores: tuple[Tenant, Tenant]) -> None:
    shop, _ = stores
    weeks = _call(base_url, "GET", "/admin/api/summary", None, shop.headers).json()["weeks"]
    assert len(weeks) == 12
    assert sum(week["review"] for week in weeks) == 1  # the one review, decided this week


def test_a_failed_write_back_is_listed_and_retried_once(
    app: Flask, base_url: str, stores: tuple[Tenant, Tenant],
) -> None:
    shop, _ = stores
    listed = _call(base_url, "GET", "/admin/api/write-backs/failed", None, shop.headers).json()["write_backs"]
    assert [(row["id"], row["last_error"]) for row in listed] == [(shop.action_id, "refused by the platform")]
    assert _call(base_url, "POST", f"/admin/api/write-backs/{shop.action_id}/retry", None,
                 shop.headers).status_code == 202
    woo.run_worker(app)
    assert _call(base_url, "GET", "/admin/api/write-backs/failed", None, shop.headers).json()["write_backs"] == []
    again = _call(base_url, "POST", f"/admin/api/write-backs/{shop.action_id}/retry", None, shop.headers)
    assert again.status_code == 409


def test_a_case_set_aside_is_listed_under_needs_attention_for_its_store_only(
    app: Flask, base_url: str, stores: tuple[Tenant, Tenant],
) -> None:
    shop, site = stores
    set_aside_one_case_each(app, shop, site)
    for me in (shop, site):
        listed = _call(base_url, "GET", "/admin/api/cases/set-aside", None, me.headers).json()["cases"]
        assert [(row["order_id"], row["kind"], row["errors"]) for row in listed] == [
            (f"aside-{me.store_id}", "return", [f"order: is required ({me.domain})"])]
        assert listed[0]["set_aside_at"] is not None


def test_a_login_link_is_single_use_and_a_session_ends_at_logout(
    app: Flask, base_url: str, stores: tuple[Tenant, Tenant],
) -> None:
    with storage_of(app).transaction() as session:
        secret = issue_login_link(session, stores[1].store_id, "bob")
    assert httpx.get(f"{base_url}/admin/login/{secret}").status_code == 303
    spent = httpx.get(f"{base_url}/admin/login/{secret}")
    assert spent.status_code == 401 and spent.json()["error"] == "invalid_login_link"
    headers = login_session(app, base_url, Platform.WOOCOMMERCE)
    assert _call(base_url, "POST", "/admin/api/logout", None, headers).status_code == 200
    ended = _call(base_url, "GET", "/admin/api/session", None, headers)
    assert ended.status_code == 401 and ended.json()["error"] == "session_expired"
