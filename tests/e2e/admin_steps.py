"""The admin API's test world: a Shopify shop (A) and a WooCommerce site (B), each with a case in review, and a
way in for each — a session token for A, a login-link session for B."""

from __future__ import annotations

from dataclasses import dataclass

import httpx
from flask import Flask
from sqlalchemy import select
from support.session_tokens import CLIENT_ID, bearer
from support.settings import change_settings

from storage.columns import utc_now
from storage.db import storage_of
from storage.models import Action, CaseRecord, Platform, Store
from storage.repositories import add_case, set_case_aside
from storage.repositories.admin_access import issue_login_link

from .fakes.shopify import FakeShopify
from .fakes.woocommerce import FakeWooCommerce
from .shopify_app import SECRET
from .test_platform_parity import SCENARIOS, ask_on_shopify, ask_on_woocommerce, same_calendar, times_of
from .woocommerce import steps as woo

RETURN_5_DAYS = next(s for s in SCENARIOS if s.name == "return-5d-after-delivery")  # Pandorana: review


@dataclass(frozen=True)
class Tenant:
    store_id: int
    domain: str
    case_id: int
    order_id: str
    action_id: int
    headers: dict[str, str]  # how this tenant signs in (with its CSRF token, for a login session)


def two_stores_in_review(app: Flask, base_url: str, shopify: FakeShopify, woocommerce: FakeWooCommerce
                         ) -> tuple[Tenant, Tenant]:
    change_settings(app, SHOPIFY_API_KEY=CLIENT_ID)
    same_calendar(shopify, woocommerce)
    times = times_of(RETURN_5_DAYS)
    asked = ask_on_shopify(app, base_url, shopify, "pandorana", RETURN_5_DAYS, times)
    ask_on_woocommerce(app, base_url, woocommerce, "pandorana", RETURN_5_DAYS, times, asked)
    woo.run_worker(app)
    return (tenant(app, Platform.SHOPIFY, bearer(SECRET, shopify.shop_domain)),
            tenant(app, Platform.WOOCOMMERCE, login_session(app, base_url, Platform.WOOCOMMERCE)))


def tenant(app: Flask, platform: Platform, headers: dict[str, str]) -> Tenant:
    with storage_of(app).sessions() as session:
        store = session.scalars(select(Store).where(Store.platform == platform.value)).one()
        case = session.scalars(select(CaseRecord).where(CaseRecord.store_id == store.id)).one()
        action = session.scalars(select(Action).where(Action.case_id == case.id)).first()
        assert action is not None, "the review's note is written back"
        return Tenant(store.id, store.domain, case.id, case.order_id, action.id, headers)


def login_session(app: Flask, base_url: str, platform: Platform, person: str = "anna@shop.example"
                  ) -> dict[str, str]:
    """Spend a login link as the merchant's browser does; the session cookie and its CSRF token, as headers."""
    storage = storage_of(app)
    with storage.transaction() as session:
        store = session.scalars(select(Store).where(Store.platform == platform.value)).one()
        secret = issue_login_link(session, store.id, person)
    answer = httpx.get(f"{base_url}/admin/login/{secret}")
    assert answer.status_code == 303, answer.text
    cookie = answer.headers["Set-Cookie"]
    for flag in ("HttpOnly", "Secure", "SameSite=Lax", "Path=/admin"):
        assert flag in cookie, cookie
    pair = cookie.split(";", 1)[0]
    csrf = httpx.get(f"{base_url}/admin/api/session", headers={"Cookie": pair}).json()["csrf_token"]
    return {"Cookie": pair, "X-CSRF-Token": csrf}


def without_csrf(headers: dict[str, str]) -> dict[str, str]:
    return {name: value for name, value in headers.items() if name != "X-CSRF-Token"}


def set_aside_one_case_each(app: Flask, *tenants: Tenant) -> None:
    """A request in each store no decision could be made of, its error naming its store."""
    with storage_of(app).transaction() as session:
        for tenant in tenants:
            case, _ = add_case(session, store_id=tenant.store_id, order_id=f"aside-{tenant.store_id}",
                               kind="return", request_key=f"aside:{tenant.store_id}", document={})
            set_case_aside(session, case.id, [f"order: is required ({tenant.domain})"], utc_now())
