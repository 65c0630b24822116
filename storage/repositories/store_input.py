"""What a store's domain, URLs and credentials must look like; errors name the field and the rule, never a secret."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

_SHOPIFY_DOMAIN = re.compile(r"^[a-z0-9][a-z0-9-]*\.myshopify\.com$")
_MAX_SECRET = 1000


class InvalidStore(ValueError):
    """A store field breaks a rule; `field` is the keyword argument's name, so callers can name their own option."""

    def __init__(self, field: str, rule: str) -> None:
        super().__init__(f"{field}: {rule}")
        self.field = field
        self.rule = rule


def shopify_domain(value: str) -> str:
    """'Pristine-Crystals.myshopify.com' (or a URL on it) as 'pristine-crystals.myshopify.com'."""
    text = value.strip().lower()
    if "://" in text:
        text = urlsplit(text).netloc
    text = text.rstrip("/")
    if not _SHOPIFY_DOMAIN.match(text):
        raise InvalidStore("domain", f"must be a shop's *.myshopify.com domain, such as "
                                     f"pristine-crystals.myshopify.com, got {value!r}")
    return text


def web_url(field: str, value: str) -> str:
    """An http(s) URL without query or fragment, and without a trailing slash."""
    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidStore(field, f"must be an http:// or https:// URL such as https://shop.example.com, got {value!r}")
    if parts.query or parts.fragment:
        raise InvalidStore(field, f"must not have a query or fragment, got {value!r}")
    return f"{parts.scheme}://{parts.netloc.lower()}{parts.path.rstrip('/')}"


def site_domain(url: str) -> str:
    """A WooCommerce site's identity: host, port if any, and path for a site that is not at the root."""
    parts = urlsplit(url)
    return f"{parts.netloc.lower()}{parts.path.rstrip('/')}"


def secret(field: str, value: str | None, *, prefix: str = "", required: bool = True) -> str | None:
    """A credential: present, one word, and with the platform's prefix; the value itself is never repeated."""
    if value is None or not value.strip():
        if required:
            raise InvalidStore(field, "is required")
        return None
    text = value.strip()
    if any(character.isspace() for character in text) or len(text) > _MAX_SECRET:
        raise InvalidStore(field, f"must be one word of at most {_MAX_SECRET} characters")
    if prefix and not text.startswith(prefix):
        raise InvalidStore(field, f"must start with {prefix!r}, as WooCommerce's keys do")
    return text
