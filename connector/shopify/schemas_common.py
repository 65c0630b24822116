"""What every Shopify payload schema shares: the error, the edge schema, id and money fields, small builders."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from marshmallow import EXCLUDE, Schema, ValidationError, fields

from policies.fields import Money, flatten_errors

_GID = re.compile(r"gid://shopify/(?P<resource>[A-Za-z]+)/(?P<number>\d+)")


class ShopifyPayloadError(ValueError):
    """A Shopify payload that can't become a case; `errors` name each field: "line_items.0.price: must be ..."."""

    def __init__(self, what: str, errors: list[str]) -> None:
        self.what = what
        self.errors = errors
        super().__init__(f"{what}: " + "; ".join(errors))

    @property
    def fields(self) -> list[str]:
        """The dotted paths the errors name, e.g. ["line_items.0.price"]."""
        return [error.split(": ", 1)[0] for error in self.errors]


class Edge(Schema):
    class Meta:
        unknown = EXCLUDE  # Shopify adds payload fields in every API version


def load(schema: Schema, payload: Any, what: str, path: str = "") -> dict[str, Any]:
    """Validate `payload` (found at `path` in the document) with `schema`; every field error at once."""
    if not isinstance(payload, Mapping):
        raise ShopifyPayloadError(what, [f"{path or 'document'}: must be a JSON object, got {type(payload).__name__}"])
    try:
        loaded: dict[str, Any] = schema.load(payload)
    except ValidationError as error:
        raise ShopifyPayloadError(what, flatten_errors(error.messages, path)) from None
    return loaded


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


def instant(value: datetime | None) -> str | None:
    """In UTC, so the webhook ("+01:00") and the Admin API ("Z") give the same document for the same order."""
    if value is None:
        return None
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def amount(value: Decimal | None) -> str | None:
    return None if value is None else f"{value:f}"


def total(values: Iterable[Decimal]) -> Decimal:
    return sum(values, Decimal("0.00"))


def custom_properties(pairs: Iterable[tuple[str, Any]]) -> dict[str, Any]:
    """Line item properties as a dict; "_"-prefixed ones are the theme's or an app's hidden bookkeeping."""
    return {name: value for name, value in pairs if name and not name.startswith("_")}


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
class ProductFacts:
    """What the order's line payload lacks about its product, looked up when the order arrived."""

    product_type: str | None = None
    tags: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ShopifyOrder:
    """The contract's `order` document plus the Shopify ids Assay needs around it."""

    order: dict[str, Any]
    customer_id: str | None  # numeric; the app proxy's logged_in_customer_id must match it
    admin_graphql_id: str


def line_document(
    *,
    line_id: str,
    title: str,
    sku: str | None,
    quantity: int,
    unit_price: Decimal,
    compare_at_price: Decimal | None,
    discount: Decimal,
    product: ProductFacts,
    gift_card: bool,
    properties: dict[str, Any],
    fulfilled_quantity: int | None,
) -> dict[str, Any]:
    """One line of the contract's order document."""
    if fulfilled_quantity is not None:
        fulfilled_quantity = max(0, min(quantity, fulfilled_quantity))
    return {
        "id": line_id,
        "title": title,
        "sku": sku or None,
        "quantity": quantity,
        "unit_price": amount(unit_price),
        "compare_at_price": amount(compare_at_price),
        "discount": amount(discount),
        "product_type": product.product_type or None,
        "tags": list(product.tags),
        "gift_card": gift_card,
        "properties": properties,
        "fulfilled_quantity": fulfilled_quantity,
    }
