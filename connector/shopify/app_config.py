"""The Shopify app's own identity (client id and secrets), read from configuration — or None: fail closed.

Nothing is ever verified or signed with an empty secret: without both the client id and the secret, every
Shopify route answers 503 `not_configured` instead.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from shopify_app.types import AppConfig

from storage.settings import Settings

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


def shopify_app(settings: Settings) -> ShopifyApp | None:
    """The configured app, or None when the secret or the client id is missing (the caller answers 503)."""
    if not settings.shopify_api_secret or not settings.shopify_api_key:
        return None
    return ShopifyApp(settings.shopify_api_key, settings.shopify_api_secret, settings.shopify_api_secret_previous,
                      settings.shopify_api_origin, settings.shopify_timeout_seconds)


def signing_secrets(settings: Settings) -> tuple[str, str | None] | None:
    """The secret webhooks and app-proxy requests are checked with (and the previous one), or None if unset:
    an empty key would accept anything anyone signed with it."""
    if not settings.shopify_api_secret:
        return None
    return settings.shopify_api_secret, settings.shopify_api_secret_previous
