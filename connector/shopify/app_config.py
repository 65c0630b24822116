"""The Shopify app's own identity (client id and secrets), read from configuration — or None: fail closed.

Nothing is ever verified or signed with an empty secret: without both the client id and the secret, every
Shopify route answers 503 `not_configured` instead.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from shopify_app.types import AppConfig

NOT_CONFIGURED = "not_configured"
WHAT_TO_SET = "set SHOPIFY_API_KEY (the app's client id) and SHOPIFY_API_SECRET (its client secret)"


@dataclass(frozen=True)
class ShopifyApp:
    client_id: str
    secret: str = field(repr=False)
    previous_secret: str | None = field(default=None, repr=False)
    # Where the shops' endpoints are reached instead of https://{shop}.myshopify.com (a local fake, tests only).
    api_origin: str | None = None
    timeout_seconds: float = 10.0

    def sdk_config(self) -> AppConfig:
        return {"client_id": self.client_id, "client_secret": self.secret, "old_client_secret": self.previous_secret}


def shopify_app(config: Mapping[str, Any]) -> ShopifyApp | None:
    """The configured app, or None when the secret or the client id is missing (the caller answers 503)."""
    secret = (config.get("SHOPIFY_API_SECRET") or "").strip()
    client_id = (config.get("SHOPIFY_API_KEY") or "").strip()
    if not secret or not client_id:
        return None
    return ShopifyApp(client_id, secret, (config.get("SHOPIFY_API_SECRET_PREVIOUS") or "").strip() or None,
                      (config.get("SHOPIFY_API_ORIGIN") or "").strip() or None,
                      float(config.get("SHOPIFY_TIMEOUT_SECONDS", 10)))


def signing_secrets(config: Mapping[str, Any]) -> tuple[str, str | None] | None:
    """The secret webhooks and app-proxy requests are checked with (and the previous one), or None if unset:
    an empty key would accept anything anyone signed with it."""
    secret = (config.get("SHOPIFY_API_SECRET") or "").strip()
    if not secret:
        return None
    return secret, (config.get("SHOPIFY_API_SECRET_PREVIOUS") or "").strip() or None
