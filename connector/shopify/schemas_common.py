"""What every Shopify payload schema shares: the error, the edge schema, id and money fields, small builders."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from marshmallow import EXCLUDE, Schema, ValidationError, fields

# The builders every platform shares, re-exported so Shopify's schema modules find them in one place.
from connector.case_parts import PayloadError, load_payload
from connector.case_parts import ProductFacts as ProductFacts
from connector.case_parts import amount as amount
from connector.case_parts import custom_properties as custom_properties
from connector.case_parts import instant as instant
from connector.case_parts import line_document as line_document
from connector.case_parts import total as total
from policies.fields import Money

_GID = re.compile(r"gid://shopify/(?P<resource>[A-Za-z]+)/(?P<number>\d+)")


class ShopifyPayloadError(PayloadError):
    """A Shopify payload that can't become a case; `errors` name each field: "line_items.0.price: must be ..."."""


class Edge(Schema):
    class Meta:
        unknown = EXCLUDE  # Shopify adds payload fields in every API version


def load(schema: Schema, payload: Any, what: str, path: str = "") -> dict[str, Any]:
    """Validate `payload` (found at `path` in the document) with `schema`; every field error at once."""
    return load_payload(schema, payload, what, path, ShopifyPayloadError)


class NumericId(fields.Field[str]):
    """A REST id: a JSON integer (or its digits as a string), kept as its digits."""

    def _deserialize(self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kw: Any) -> str:
        if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
            return str(value)
        if isinstance(value, str) and value.isascii() and value.isdigit():
            return value
        raise ValidationError(f"must be a numeric Shopify id, got {value!r}")


class Gid(fields.Field[str]):
    """A GraphQL global id of one resource type: "gid://shopify/LineItem/123"."""

    def __init__(self, resource: str, **kw: Any) -> None:
        super().__init__(**kw)
        self.resource = resource

    def _deserialize(self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kw: Any) -> str:
        found = _GID.fullmatch(value) if isinstance(value, str) else None
        if found is None or found["resource"] != self.resource:
            raise ValidationError(f"must be a gid://shopify/{self.resource}/<number> id, got {value!r}")
        return str(value)


def numeric_id(gid: str) -> str:
    """"gid://shopify/LineItem/123" -> "123": both paths (webhook and GraphQL) name lines by the same digits."""
    found = _GID.fullmatch(gid)
    if found is None:
        raise ValueError(f"not a Shopify gid: {gid!r}")
    return found["number"]


def gid(resource: str, number: str) -> str:
    return f"gid://shopify/{resource}/{number}"


def refunded_units(quantity: int, current_quantity: int | None) -> int:
    """The units refunded (or removed) before: Shopify counts them out of a line's current quantity."""
    return 0 if current_quantity is None else max(0, min(quantity, quantity - current_quantity))


def with_refunded_quantity(line: dict[str, Any], quantity: int, current_quantity: int | None) -> dict[str, Any]:
    return {**line, "refunded_quantity": refunded_units(quantity, current_quantity)}


def snapshot_amount(value: Any, where: str) -> Decimal | None:
    """A compare-at price the caller captured when the order arrived; validated like any amount."""
    if value is None:
        return None
    try:
        found: Decimal = Money().deserialize(value)
    except ValidationError as error:
        raise ShopifyPayloadError("compare_at_prices", [f"{where}: {message}" for message in error.messages]) from None
    return found


@dataclass(frozen=True, slots=True)
class ShopifyOrder:
    """The contract's `order` document plus the Shopify ids Assay needs around it."""

    order: dict[str, Any]
    customer_id: str | None  # numeric; the app proxy's logged_in_customer_id must match it
    admin_graphql_id: str
