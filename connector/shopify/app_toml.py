"""shopify.app.toml, the app's configuration for Shopify's CLI, made from what Assay actually uses.

The access scopes are derived from the GraphQL documents: each document's root fields, each root field's scope
as Shopify's Admin API reference states it (ROOT_FIELD_SCOPES). A document using a root field missing from the
table fails the tests, so a new query cannot ship without its scope. The webhook subscriptions are the topics
the adapter handles, the three privacy topics as `compliance_topics`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from connector.shopify.document import API_VERSION, Document
from connector.shopify.topics import HANDLED_TOPICS, PRIVACY_TOPICS

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
# Made by connector/shopify/app_toml.py; `assay shopify config` prints it filled in for this deployment.
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
