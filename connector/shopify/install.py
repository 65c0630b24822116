"""Managed install (the first visit's session token becomes the store), and shopify.app.toml, the app's
configuration for Shopify's CLI."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable

from sqlalchemy import select

from connector.shopify.api import API_VERSION, AdminApi, Document, exchange_offline_token
from connector.shopify.payloads import (
    HANDLED_TOPICS,
    ORDER_FOR_CASE,
    ORDER_PAYMENTS,
    PRIVACY_TOPICS,
    RETURN_FOR_CASE,
    SHOP_FACTS,
    shop_facts,
)
from connector.shopify.reconcile import RECENT_ORDERS
from connector.shopify.verify import SessionCheck, ShopifyApp
from connector.shopify.write_back import (
    JOB,
    ORDER_CANCEL_MUTATION,
    ORDER_CANCELLATION,
    ORDER_NOTE_QUERY,
    ORDER_NOTE_UPDATE,
    REFUND_CREATE,
    RETURN_APPROVE_REQUEST,
    RETURN_DECLINE_REQUEST,
    RETURN_PROCESS,
    RETURN_STATE,
    RETURN_TO_REFUND,
    TAGS_ADD,
)
from storage.db import Storage
from storage.models import Platform, Store, StoreStatus
from storage.repositories.offline_tokens import offline_token, save_offline_token

# --- Install --------------------------------------------------------------------------------------

log = logging.getLogger("assay.shopify.install")


def installed_store(storage: Storage, app: ShopifyApp, check: SessionCheck) -> int:
    """The signed-in shop's store id, installing it first where it has no usable offline token."""
    assert check.ok and check.shop_domain and check.id_token is not None
    domain = check.shop_domain
    with storage.sessions() as session:
        store = session.scalars(select(Store).where(Store.platform == Platform.SHOPIFY.value,
                                                    Store.domain == domain)).first()
        if store is not None and store.status == StoreStatus.ACTIVE.value:
            token = offline_token(store, storage.cipher)
            if token.usable() or token.refreshable():
                return store.id
    pair = exchange_offline_token(app, check.id_token)
    assert pair.access_token is not None
    with AdminApi(domain, pair.access_token, timeout_seconds=app.timeout_seconds) as api:
        facts = shop_facts(api.execute(SHOP_FACTS))
    with storage.transaction() as session:
        store = session.scalars(select(Store).where(Store.platform == Platform.SHOPIFY.value, Store.domain == domain)
                                .with_for_update()).first()
        created = store is None
        if store is None:
            store = Store(platform=Platform.SHOPIFY.value, domain=domain)
            session.add(store)
        save_offline_token(store, storage.cipher, pair)
        store.country, store.timezone, store.currency = facts.country, facts.timezone, facts.currency
        session.flush()
        store_id = store.id
    log.info("shopify.installed", extra={"store_id": store_id, "new": created})
    return store_id


# --- shopify.app.toml -----------------------------------------------------------------------------

# Root field -> the access scopes it needs (shopify.dev, Admin GraphQL 2026-07 "Requires … access scope").
ROOT_FIELD_SCOPES: dict[str, tuple[str, ...]] = {
    "shop": (),
    "job": (),
    "order": ("read_orders",),
    # The reconciliation's listing, with each order's returns. Without read_all_orders Shopify lists only the
    # last 60 days' orders: enough for a two-day look-back, and for returns asked within 60 days of the order.
    "orders": ("read_orders", "read_returns"),
    "return": ("read_returns",),
    "orderCancel": ("write_orders",),
    "orderUpdate": ("write_orders",),
    "refundCreate": ("write_orders",),
    "tagsAdd": ("write_orders",),  # on an order, tagsAdd needs the order's write scope
    "returnApproveRequest": ("write_returns",),
    "returnDeclineRequest": ("write_returns",),
    "returnProcess": ("write_returns",),
}

# The scope a webhook topic's resource needs beside what the documents ask (a topic is only delivered with it).
TOPIC_SCOPES = {"orders": "read_orders", "returns": "read_returns", "refunds": "read_orders"}
PLACEHOLDER_CLIENT_ID = "SHOPIFY_API_KEY"
PLACEHOLDER_URL = "https://ASSAY_PUBLIC_URL"
_TOKEN = re.compile(r"[{}()]|\.\.\.|@?[A-Za-z_]\w*|:")


def root_fields(source: str) -> list[str]:
    """The fields an operation selects at its top level (fragments, arguments and directives skipped)."""
    found: list[str] = []
    depth = parens = 0
    in_operation = previous_colon = False
    last_word: str | None = None
    for token in _TOKEN.findall(re.sub(r'"[^"]*"|#[^\n]*', "", source)):
        if token == "(":
            parens += 1
        elif token == ")":
            parens -= 1
        elif parens or token.startswith("@"):  # arguments, and directives such as @idempotent
            continue
        elif token == "{":
            depth += 1
        elif token == "}":
            depth -= 1
        elif depth == 0 and token in ("query", "mutation", "fragment"):
            in_operation = token != "fragment"
        elif depth == 1 and in_operation and token not in (":", "..."):
            if previous_colon and found and found[-1] == last_word:
                found[-1] = token  # `alias: field`
            elif not previous_colon:
                found.append(token)
            last_word = token
        previous_colon = token == ":"
    return found


def required_scopes(documents: Iterable[Document]) -> list[str]:
    scopes: set[str] = set()
    for document in documents:
        for field in root_fields(document.source):
            scopes.update(ROOT_FIELD_SCOPES[field])
    scopes.update(TOPIC_SCOPES[topic.split("/")[0]] for topic in HANDLED_TOPICS if topic.split("/")[0] in TOPIC_SCOPES)
    return sorted(scopes)


def app_toml(documents: Iterable[Document], *, client_id: str = PLACEHOLDER_CLIENT_ID,
             public_url: str = PLACEHOLDER_URL) -> str:
    url = public_url.rstrip("/")
    topics = sorted(HANDLED_TOPICS - set(PRIVACY_TOPICS))

    def listed(values: Iterable[str]) -> str:
        return "[ " + ", ".join(f'"{value}"' for value in values) + " ]"

    return f"""# Assay's app configuration for Shopify's CLI (`shopify app deploy`).
# Made by connector/shopify/install.py; `assay shopify config` prints it filled in for this deployment.
client_id = "{client_id}"
name = "Assay"
application_url = "{url}/shopify/app"
embedded = true

[access_scopes]
# Derived from Assay's GraphQL documents (tests/unit/test_shopify_app_toml.py checks each one).
scopes = "{",".join(required_scopes(documents))}"

[auth]
redirect_urls = [ "{url}/shopify/app" ]

[webhooks]
api_version = "{API_VERSION}"

  [[webhooks.subscriptions]]
  topics = {listed(topics)}
  uri = "{url}/webhooks/shopify"

  [[webhooks.subscriptions]]
  compliance_topics = {listed(PRIVACY_TOPICS)}
  uri = "{url}/webhooks/shopify"

[app_proxy]
url = "{url}/proxy/shopify"
subpath = "assay"
prefix = "apps"
"""


# Every document Assay sends, for the access scopes (tests/unit/test_shopify_documents.py checks each one).
ALL_DOCUMENTS: tuple[Document, ...] = (
    SHOP_FACTS,
    ORDER_FOR_CASE,
    RETURN_FOR_CASE,
    ORDER_NOTE_QUERY,
    JOB,
    ORDER_CANCEL_MUTATION,
    RETURN_APPROVE_REQUEST,
    RETURN_DECLINE_REQUEST,
    TAGS_ADD,
    ORDER_NOTE_UPDATE,
    REFUND_CREATE,
    ORDER_CANCELLATION,
    RETURN_STATE,
    ORDER_PAYMENTS,
    RETURN_TO_REFUND,
    RETURN_PROCESS,
    RECENT_ORDERS,
)
