"""Customer contact data in a platform payload, kept only as keyed digests (pseudonyms), never in plain text.

The inbox keeps payloads until they are pruned; what Assay decides from (lines, prices, statuses, countries)
is left as it is, while names, emails, phones, street addresses and order keys become `pii:<digest>`: the
same value always gives the same pseudonym, so a redaction request can still find the rows that hold it,
and the digest, keyed with the app's secret, can't be reversed by guessing common names or emails.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from typing import Any

PREFIX = "pii:"
# Fields that are a person's contact data wherever they appear.
CONTACT_FIELDS = frozenset({
    "email", "contact_email", "customer_email", "billing_email", "phone", "customer_phone", "first_name",
    "last_name", "order_key", "browser_ip", "customer_ip_address", "customer_user_agent", "note_attributes",
})
# Objects that are an address or a person: every text in them but the country and region codes.
CONTACT_OBJECTS = frozenset({
    "billing", "shipping", "billing_address", "shipping_address", "default_address", "customer_address",
    "addresses", "address", "customer", "client_details",
})
KEPT_IN_ADDRESSES = frozenset({"id", "country", "country_code", "province_code", "state", "admin_graphql_api_id",
                               "currency", "created_at", "updated_at", "tax_exempt", "verified_email", "state_code"})


def normalised(value: str) -> str:
    """Emails and names compare case-free and trimmed; phones by their digits alone."""
    text = value.strip().casefold()
    digits = re.sub(r"[^0-9]", "", text)
    if text and re.fullmatch(r"[0-9 +()./-]+", text) and len(digits) >= 6:
        return digits
    return text


def pseudonym(value: str, key: str) -> str:
    digest = hmac.new(key.encode(), normalised(value).encode(), hashlib.sha256).hexdigest()[:40]
    return PREFIX + digest


def pseudonymize(document: Any, key: str) -> Any:
    """A copy of the payload with every contact field's text replaced by its pseudonym."""
    return _walk(document, key, inside_contact=False)


def _walk(value: Any, key: str, *, inside_contact: bool, name: str = "") -> Any:
    if isinstance(value, dict):
        return {field: _field(field, child, key, inside_contact) for field, child in value.items()}
    if isinstance(value, list):
        return [_walk(item, key, inside_contact=inside_contact, name=name) for item in value]
    if isinstance(value, str) and inside_contact and value and not value.startswith(PREFIX):
        return pseudonym(value, key)
    return value


def _field(field: str, child: Any, key: str, inside_contact: bool) -> Any:
    lowered = field.lower()
    if lowered in CONTACT_FIELDS:
        return _walk(child, key, inside_contact=True)
    if lowered in CONTACT_OBJECTS:
        return _walk(child, key, inside_contact=True)
    if inside_contact and lowered in KEPT_IN_ADDRESSES:
        return _walk(child, key, inside_contact=False)
    return _walk(child, key, inside_contact=inside_contact)
