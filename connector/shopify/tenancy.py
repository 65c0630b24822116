"""Which shop a Shopify delivery belongs to: the header names it, the signature (the app's secret) does not.

Every shop's deliveries are signed with the same client secret, so a captured body verifies under any shop's
`X-Shopify-Shop-Domain`. Where the payload names its shop itself, the two must agree; a shop with a secret of
its own (a custom app) is bound by that secret.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from connector.guard import InputRefused, check_text
from storage.db import Storage
from storage.models import Platform

# Where each topic's payload names its shop: the domain field, then the numeric id field.
_SHOP_FIELDS = {
    "app/uninstalled": ("myshopify_domain", "id"),
    "shop/redact": ("shop_domain", "shop_id"),
    "customers/redact": ("shop_domain", "shop_id"),
    "customers/data_request": ("shop_domain", "shop_id"),
}


def shop_named_elsewhere(topic: str, payload: Mapping[str, Any], domain: str) -> str | None:
    """Why the payload is not this shop's, or None: its own shop field must be present and equal the domain."""
    fields = _SHOP_FIELDS.get(topic)
    if fields is None:
        return None
    named = payload.get(fields[0])
    if not isinstance(named, str) or named.strip().lower() != domain:
        return f"the {topic} payload's {fields[0]} is not the shop in X-Shopify-Shop-Domain"
    return None


def own_webhook_secret(storage: Storage, domain: str | None) -> str | None:
    """The shop's own webhook secret, if it has one; None for a domain of the wrong shape or an unknown shop."""
    try:
        check_text("X-Shopify-Shop-Domain", domain, max_length=255)
    except InputRefused:
        return None
    store = storage.store_facts(Platform.SHOPIFY.value, str(domain).lower())
    return None if store is None else store.webhook_secret
