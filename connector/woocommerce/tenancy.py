"""Which site a WooCommerce delivery belongs to: the site's own webhook secret signs it, and an order's
`_links` name the site it came from, which must be the store's."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from storage.repositories.store_input import site_domain


def links_elsewhere(payload: Mapping[str, Any], domain: str) -> str | None:
    """Why the payload is another site's (a `_links` URL on another host or path), or None."""
    links = payload.get("_links")
    if not isinstance(links, dict):
        return None
    for relation in ("self", "collection"):
        for link in links.get(relation) or []:
            href = link.get("href") if isinstance(link, dict) else None
            if isinstance(href, str) and not _on_site(href, domain):
                return f"the payload's _links.{relation} is not on the site in X-WC-Webhook-Source"
    return None


def _on_site(href: str, domain: str) -> bool:
    try:
        parts = urlsplit(href)
        parts.port  # noqa: B018 - ValueError for a port out of range
    except ValueError:
        return False
    here = site_domain(href)
    # The REST URL is the site's URL followed by its API path (/wp-json/... or ?rest_route=...).
    return bool(parts.hostname) and (here == domain or here.startswith(domain + "/"))
