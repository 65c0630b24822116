"""Customer contact data in a platform payload, kept only as keyed pseudonyms (`pii:<digest>`): the same value gives
the same pseudonym, so a redaction request still finds its rows, and what Assay decides from is left as it is."""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Sequence
from typing import Any

PREFIX = "pii:"
ALIASES = "pii_aliases"  # in a redaction request: its contact values' pseudonyms under older keys
# Fields that are a person's contact data wherever they appear.
CONTACT_FIELDS = frozenset({
    "email", "contact_email", "customer_email", "billing_email", "phone", "customer_phone", "first_name",
    "last_name", "order_key", "browser_ip", "customer_ip_address", "customer_user_agent", "note_attributes",
    # Each opens the customer's order page, or is the key that does: WooCommerce's payment_url carries the
    # order key; Shopify's order_status_url carries a key, and its order's token is another.
    "payment_url", "order_status_url", "token", "cart_token", "checkout_token",
})
# An order's free-text note, in the order itself (the payload, or its `order`): a customer writes anything
# there. A return's own notes (Shopify's return line items) are what the merchant reviews, and are kept.
ORDER_NOTES = frozenset({"note", "customer_note"})
# Objects that are an address or a person: every text in them but the country and region codes.
CONTACT_OBJECTS = frozenset({
    "billing", "shipping", "billing_address", "shipping_address", "default_address", "customer_address",
    "addresses", "address", "customer", "client_details",
})
KEPT_IN_ADDRESSES = frozenset({"id", "country", "country_code", "province_code", "state", "admin_graphql_api_id",
                               "currency", "created_at", "updated_at", "tax_exempt", "verified_email", "state_code"})


_NOT_PHONE = re.compile(r"[^0-9]")
_PHONE = re.compile(r"[0-9 +()./-]+")
_CONTACT = CONTACT_FIELDS | CONTACT_OBJECTS  # a field that makes everything under it contact data


def normalised(value: str) -> str:
    """Emails and names compare case-free and trimmed; phones by their digits alone."""
    text = value.strip().casefold()
    digits = _NOT_PHONE.sub("", text)
    if text and _PHONE.fullmatch(text) and len(digits) >= 6:
        return digits
    return text


def pseudonym(value: str, key: str) -> str:
    """Keyed with the pseudonyms' key from SECRET_KEY, so no one can reverse it by guessing common names or emails."""
    return _pseudonym(value, key.encode())


def _pseudonym(value: str, key: bytes) -> str:
    return PREFIX + hmac.digest(key, normalised(value).encode(), hashlib.sha256).hex()[:40]


def pseudonymize(document: Any, key: str) -> Any:
    """A copy of the payload with every contact field's text replaced by its pseudonym."""
    return _Pseudonymizer(key.encode()).walk(document, False, in_order=True)


def aliases(document: Any, older_keys: Sequence[str]) -> list[str]:
    """Every contact value's pseudonym under each of `older_keys`."""
    found: set[str] = set()
    for key in older_keys:
        walker = _Pseudonymizer(key.encode())
        walker.walk(document, False, in_order=True)
        found.update(walker.known.values())
    return sorted(found)


class _Pseudonymizer:
    """One payload's walk: what needs no change is returned at once, and a value met again (an order's email is in
    four places) is digested once."""

    def __init__(self, key: bytes) -> None:
        self.key = key
        self.known: dict[str, str] = {}

    def walk(self, value: Any, inside_contact: bool, in_order: bool = False) -> Any:
        if isinstance(value, dict):
            return {field: self.field(field, child, inside_contact, in_order) for field, child in value.items()}
        if isinstance(value, list):
            return [self.walk(item, inside_contact) for item in value]
        if isinstance(value, str) and inside_contact and value and not value.startswith(PREFIX):
            digest = self.known.get(value)
            if digest is None:
                digest = self.known[value] = _pseudonym(value, self.key)
            return digest
        return value

    def field(self, field: str, child: Any, inside_contact: bool, in_order: bool) -> Any:
        if not isinstance(child, str | dict | list):
            return child
        lowered = field.lower()
        if lowered in _CONTACT or (in_order and lowered in ORDER_NOTES):
            inside_contact = True
        elif inside_contact and lowered in KEPT_IN_ADDRESSES:
            inside_contact = False
        if isinstance(child, str) and not inside_contact:
            return child
        return self.walk(child, inside_contact, in_order=lowered == "order")
