"""The settings page: one server-rendered document whose screens our own small script fills from the admin JSON API;
no build step, and our stylesheet keeps it whole without Shopify's App Bridge and Polaris."""

from __future__ import annotations

from typing import Any, cast

from flask import Blueprint, Flask, current_app, redirect, render_template, request
from flask.blueprints import BlueprintSetupState
from sqlalchemy import select
from werkzeug.wrappers import Response as BaseResponse

from admin.api import PRESET_DESCRIPTIONS
from admin.auth import COOKIE
from admin.merchant_words import FIELDS, SECTIONS
from admin.policy_form import policy_form
from connector.demo import DEMO_SUFFIX
from policies.presets import preset_names
from storage.db import storage_of
from storage.models import Store
from storage.repositories.admin_access import find_admin_session, issue_login_link
from storage.settings import settings_of

bp = Blueprint("admin_page", __name__, template_folder="templates", static_folder="static",
               static_url_path="/admin/static")
APP_HOME = "assay.app_home"  # how connector/shopify's app home renders this page without importing admin/
SCREENS = (("policy", "Policy"), ("try", "Try it"), ("decisions", "Decisions"), ("reviews", "Review queue"),
           ("attention", "Needs attention"))


def render_page(platform: str, shopify_api_key: str | None = None) -> str:
    presets = [{"name": name, "description": PRESET_DESCRIPTIONS.get(name, "")} for name in preset_names()]
    return render_template("page.html", platform=platform, shopify_api_key=shopify_api_key, screens=SCREENS,
                           presets=presets, form=policy_form(), words={"sections": SECTIONS, "fields": FIELDS},
                           demo=settings_of(current_app).demo)


@bp.record_once
def _register_app_home(state: BlueprintSetupState) -> None:
    app = cast(Flask, state.app)
    app.extensions[APP_HOME] = lambda client_id: render_page("shopify", client_id)


def _demo_sign_in() -> BaseResponse | None:
    """In the demo only, a visitor without a session is signed in to the demo store, as its login link would."""
    if not settings_of(current_app).demo:
        return None
    with storage_of(current_app).transaction() as session:
        secret = request.cookies.get(COOKIE)
        if secret and find_admin_session(session, secret) is not None:
            return None
        store = session.scalars(select(Store).where(Store.domain.endswith(DEMO_SUFFIX)).order_by(Store.id)).first()
        if store is None:
            return None
        link = issue_login_link(session, store.id, "demo@assay.invalid")
    return redirect(f"/admin/login/{link}", code=303)


@bp.get("/")
def home() -> BaseResponse:
    return redirect("/admin/", code=303)


@bp.get("/admin/")
def page() -> Any:
    """The page outside Shopify's admin: signed in by a login link's session cookie (or the demo's)."""
    return _demo_sign_in() or render_page("woocommerce")
