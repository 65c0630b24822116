"""The settings page in Chromium, as a merchant uses it: with Shopify's CDN unreachable throughout, every screen
accessible (axe-core: nothing serious or critical), and each screen's screenshot written to tests/e2e/screenshots/."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import pytest
from flask import Flask
from playwright.sync_api import Browser, Page, Request, Route, expect
from sqlalchemy import func, select
from support.session_tokens import session_token
from support.settings import change_settings

from cli.demo_seed import seed_demo
from storage.db import storage_of
from storage.models import Action, ActionState, Platform, PolicyVersion, Store
from storage.repositories.admin_access import issue_login_link

from .admin_steps import Tenant, set_aside_one_case_each, two_stores_in_review
from .browser import screenshot, serious_violations
from .fakes.shopify import FakeShopify
from .fakes.woocommerce import FakeWooCommerce
from .shopify_app import SECRET
from .woocommerce import steps as woo

pytestmark = [pytest.mark.integration, pytest.mark.browser,
              pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")]
SCREENS = ("policy", "try", "decisions", "reviews", "attention")
# What each screen shows once its data has arrived: the screenshot and the accessibility check wait for it.
LOADED = {"policy": "#policy-text h4", "try": "#try-order option", "decisions": "#cases tr",
          "reviews": "#reviews li", "attention": "#failed-writes tr"}


def sign_in(page: Page, app: Flask, base_url: str, store_id: int) -> None:
    """The merchant follows a login link (`assay stores login-link`): the session cookie, then the page."""
    with storage_of(app).transaction() as session:
        secret = issue_login_link(session, store_id, "anna@shop.example")
    page.goto(f"{base_url}/admin/login/{secret}")
    expect(page).to_have_url(f"{base_url}/admin/")


def open_screen(page: Page, screen: str, loaded: str | None = None) -> None:
    page.get_by_role("navigation", name="Screens").get_by_role("link").filter(
        has_text={"policy": "Policy", "try": "Try it", "decisions": "Decisions", "reviews": "Review queue",
                  "attention": "Needs attention"}[screen]).click()
    expect(page.locator(f"#screen-{screen}")).to_be_visible()
    page.locator(loaded or LOADED[screen]).first.wait_for(state="attached")


@pytest.fixture
def site(app: Flask, base_url: str, fake_shopify: FakeShopify, fake_woocommerce: FakeWooCommerce) -> Tenant:
    """A WooCommerce site on Pandorana's preset with one return waiting in review (and a Shopify shop beside it)."""
    return two_stores_in_review(app, base_url, fake_shopify, fake_woocommerce)[1]


def test_the_demo_lands_on_the_page_and_every_screen_is_accessible(
    app: Flask, base_url: str, page: Page, fake_woocommerce: FakeWooCommerce,
) -> None:
    change_settings(app, ASSAY_DEMO=True)
    with app.app_context():
        seed_demo(36)
    woo.run_worker(app)  # the sample decisions' write-backs: recorded on their outbox rows, sent nowhere
    assert fake_woocommerce.writes() == []
    with storage_of(app).sessions() as session:
        results = [a.result for a in session.scalars(select(Action)) if a.state == ActionState.DONE.value]
    assert len(results) >= 30 and all(r and r["recorded"] and not r["sent"] for r in results)
    page.goto(base_url + "/")  # a newcomer's first visit: signed in to the demo store, on the policy screen

    expect(page).to_have_url(f"{base_url}/admin/")
    expect(page.get_by_role("note")).to_contain_text("Demo store")
    for screen in SCREENS:
        open_screen(page, screen)
        screenshot(page, screen)
        assert serious_violations(page) == [], screen
    expect(page.locator("#reviews > li")).to_have_count(6)  # the sample reviews, every one waiting
    expect(page.locator("#failed-writes tr.failed")).to_have_count(1)


def test_a_merchant_tunes_the_policy_tries_it_reads_the_log_and_approves_a_review(
    app: Flask, base_url: str, page: Page, site: Tenant, fake_woocommerce: FakeWooCommerce,
) -> None:
    sign_in(page, app, base_url, site.store_id)
    page.locator("#policy-text h4").first.wait_for()

    # A preset, with its one-line description, fills the form and the customer's text at once.
    kestia = page.get_by_role("button", name="Kestia")
    expect(kestia).to_have_accessible_description("30-day returns in original condition; 14 working days to "
                                                  "cancel after receipt (UK/EU).")
    kestia.click()
    expect(page.locator("#f-name")).to_have_value("Kestia")
    expect(page.locator("#policy-text")).to_contain_text("30 days")

    # A window longer than ten years: the error is beside the field, in the page's words, before any save.
    length = page.locator("#f-returns-window-length")
    length.fill("9999")
    error = page.locator("#e-f-returns-window-length")
    expect(error).to_contain_text("Returns › time limit › how long: must be between 0 and 3650 days, got 9999")
    expect(length).to_have_attribute("aria-invalid", "true")
    page.get_by_role("button", name="Save as a new version").click()
    expect(page.locator("#status")).to_contain_text("Not saved")
    assert versions_of(app, site.store_id) == 1

    length.fill("21")
    expect(error).to_be_empty()
    expect(page.locator("#policy-text")).to_contain_text("21 days")  # the text follows the unsaved form
    page.get_by_role("button", name="Save as a new version").click()
    expect(page.locator("#status")).to_contain_text("version 2")
    assert versions_of(app, site.store_id) == 2
    expect(page.locator("#versions")).to_contain_text("Version 2")
    screenshot(page, "policy-edited")

    # Try it: the saved Kestia policy, 5 days after delivery, on the site's order.
    open_screen(page, "try")
    page.get_by_label("Request", exact=True).select_option("return")
    page.get_by_label("Reason", exact=True).select_option("changed_mind")
    page.get_by_label("Days after delivery").fill("5")
    page.get_by_role("button", name="Decide").click()
    expect(page.locator("#try-result .badge")).to_have_text("approve")
    expect(page.locator("#try-result")).to_contain_text("Refund:")
    screenshot(page, "try-decided")
    page.get_by_label("Order", exact=True).select_option("sample")  # for a store with no order of its own yet
    expect(page.locator("#try-lines")).to_contain_text("Sample ring")
    page.get_by_role("button", name="Decide").click()
    expect(page.locator("#try-result .badge")).to_have_text("approve")
    expect(page.locator("#try-result")).to_contain_text("Refund: 120.00 ")

    # The log: filtered to declines there are none; by the order's number, its one case opens to its reasons.
    open_screen(page, "decisions")
    filters = page.get_by_role("search", name="Filter decisions")
    filters.get_by_label("Outcome").select_option("decline")
    filters.get_by_role("button", name="Filter").click()
    expect(page.locator("#cases tr")).to_have_count(0)
    filters.get_by_label("Outcome").select_option("")
    filters.get_by_label("Order number").fill(site.order_id)
    filters.get_by_role("button", name="Filter").click()
    expect(page.locator("#cases tr")).to_have_count(1)
    page.get_by_role("link", name=f"Case {site.case_id}").click()
    detail = page.locator("#case-detail")
    expect(detail).to_contain_text("review")
    expect(detail).to_contain_text("Written to the platform")
    screenshot(page, "case-detail")

    # The review queue: approve with a note; the write reaches WooCommerce once, and the queue is empty.
    open_screen(page, "reviews")
    card = page.locator("#reviews > li").first
    expect(card).to_contain_text(f"Case {site.case_id}")
    expect(card).to_have_class("card overdue")  # Pandorana promised a reply within 24 business hours, long gone
    expect(card.locator(".due")).to_contain_text("overdue by")
    card.get_by_label("Note (kept with your decision)").fill("A regular customer; happy to take it back.")
    before = fake_woocommerce.writes()
    card.get_by_role("button", name=f"Approve case {site.case_id}").click()
    expect(page.locator("#status")).to_contain_text("approved")
    expect(page.locator("#reviews")).to_contain_text("Nothing waits for you.")
    woo.run_worker(app)
    woo.run_worker(app)  # nothing is left for a second run to write
    refunds = [w for w in fake_woocommerce.writes()[len(before):] if w[1].endswith("/refunds")]
    assert len(refunds) == 1
    screenshot(page, "reviews-answered")


def versions_of(app: Flask, store_id: int) -> int:
    with storage_of(app).sessions() as session:
        return session.scalar(select(func.count()).select_from(PolicyVersion)
                              .where(PolicyVersion.store_id == store_id)) or 0


def test_embedded_in_shopify_the_page_signs_every_request_with_a_session_token_and_only_the_shop_may_frame_it(
    app: Flask, base_url: str, page: Page, site: Tenant, fake_shopify: FakeShopify,
) -> None:
    shop = fake_shopify.shop_domain
    asked: list[dict[str, Any]] = []

    def seen(request: Request) -> None:
        if "/admin/api/" in request.url:
            asked.append(request.headers)

    page.on("request", seen)
    query = urlencode({"shop": shop, "host": "YWRtaW4uc2hvcGlmeS5jb20", "embedded": "1",
                       "id_token": session_token(SECRET, shop)})
    answer = page.goto(f"{base_url}/shopify/app?{query}")

    assert answer is not None and answer.status == 200
    assert answer.headers["content-security-policy"] == f"frame-ancestors https://{shop} https://admin.shopify.com;"
    head = page.locator("head > *")
    expect(head.nth(0)).to_have_attribute("name", "shopify-api-key")
    expect(head.nth(1)).to_have_attribute("src", "https://cdn.shopify.com/shopifycloud/app-bridge.js")
    expect(head.nth(2)).to_have_attribute("src", "https://cdn.shopify.com/shopifycloud/polaris-1.js")
    expect(page.locator("#store-name")).to_contain_text(shop)  # signed in as the shop, App Bridge unreachable
    page.locator("#policy-text h4").first.wait_for()
    open_screen(page, "reviews")
    assert asked and all(h.get("authorization", "").startswith("Bearer ") for h in asked)
    assert all("cookie" not in h for h in asked)
    assert serious_violations(page) == []
    screenshot(page, "shopify-embedded")
    with storage_of(app).sessions() as session:
        assert session.scalars(select(Store.platform).where(Store.domain == shop)).one() == Platform.SHOPIFY.value


def test_a_new_store_with_no_request_yet_sees_each_screen_say_so(
    app: Flask, base_url: str, page: Page, fake_woocommerce: FakeWooCommerce,
) -> None:
    store_id = woo.install(app, fake_woocommerce)
    sign_in(page, app, base_url, store_id)
    page.locator("#policy-text h4").first.wait_for()
    assert serious_violations(page) == []
    screenshot(page, "empty-policy")

    open_screen(page, "decisions", "#cases-count:not(:empty)")
    expect(page.locator("#cases tr")).to_have_count(0)
    expect(page.locator("#cases-count")).to_have_text(
        "No cases yet: each request the store receives is decided and listed here.")
    expect(page.locator("#status")).to_be_empty()  # a screen's own words stay on that screen
    screenshot(page, "empty-decisions")
    open_screen(page, "reviews")
    expect(page.locator("#reviews")).to_have_text("Nothing waits for you.")
    open_screen(page, "attention")
    expect(page.locator("#failed-writes")).to_have_text("None: every write reached the platform.")
    assert serious_violations(page) == []
    screenshot(page, "empty-attention")


def test_a_request_no_decision_could_be_made_of_waits_under_needs_attention_in_its_store_only(
    app: Flask, base_url: str, page: Page, fake_shopify: FakeShopify, fake_woocommerce: FakeWooCommerce,
) -> None:
    shop, site = two_stores_in_review(app, base_url, fake_shopify, fake_woocommerce)
    set_aside_one_case_each(app, shop, site)
    sign_in(page, app, base_url, site.store_id)
    open_screen(page, "attention", "#set-aside tr.failed")
    expect(page.locator("#set-aside tr")).to_have_count(1)
    expect(page.locator("#set-aside tr")).to_contain_text(f"order: is required ({site.domain})")
    expect(page.locator("#set-aside")).not_to_contain_text(shop.domain)
    expect(page.locator("#count-attention")).not_to_be_empty()
    assert serious_violations(page) == []
    screenshot(page, "set-aside")
    page.set_viewport_size({"width": 390, "height": 844})
    screenshot(page, "narrow-set-aside")


def test_a_screen_whose_data_does_not_arrive_says_so_and_loads_again_when_opened_again(
    app: Flask, base_url: str, page: Page, site: Tenant,
) -> None:
    def refused(route: Route) -> None:
        route.fulfill(status=503, json={"detail": "The database is busy; try again in a moment."})

    page.route("**/admin/api/reviews", refused)
    page.route("**/admin/api/cases?*", refused)
    sign_in(page, app, base_url, site.store_id)
    page.locator("#policy-text h4").first.wait_for()

    open_screen(page, "reviews", "#reviews > li")
    queue = page.locator("#reviews")
    expect(queue).to_contain_text("The review queue could not be loaded: The database is busy")
    expect(queue).not_to_contain_text("Nothing waits for you")  # a failed read is never shown as an empty queue
    open_screen(page, "decisions", "#cases tr")
    expect(page.locator("#cases")).to_contain_text("The decisions could not be loaded")
    screenshot(page, "error-decisions")

    page.unroute("**/admin/api/reviews")
    page.unroute("**/admin/api/cases?*")
    open_screen(page, "reviews", f"#reviews > li:has-text('Case {site.case_id}')")
    open_screen(page, "decisions", f"#cases tr:has-text('Case {site.case_id}')")
    expect(page.locator("#cases-count")).to_have_text("1 case shown.")


def test_on_a_phone_wide_window_no_screen_scrolls_sideways(
    app: Flask, base_url: str, browser: Browser, site: Tenant,
) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 844})  # not is_mobile: it zooms out to fit
    page = context.new_page()
    try:
        sign_in(page, app, base_url, site.store_id)
        page.locator("#policy-text h4").first.wait_for()
        for screen in SCREENS:
            if screen != "policy":
                open_screen(page, screen)
            overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
            assert overflow <= 0, f"{screen} is {overflow}px wider than the window"
            screenshot(page, f"narrow-{screen}")
    finally:
        context.close()
