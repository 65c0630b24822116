"""What every platform's payload schemas share: the payload error, loading, and the contract's line builder."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, overload

from marshmallow import ValidationError

from policies.fields import flatten_errors


class PayloadError(ValueError):
    """A platform payload that can't become a case; `errors` name each field: "line_items.0.price: must be ..."."""

    def __init__(self, what: str, errors: list[str]) -> None:
        self.what = what
        self.errors = errors
        super().__init__(f"{what}: " + "; ".join(errors))

    @property
    def fields(self) -> list[str]:
        """The dotted paths the errors name, e.g. ["line_items.0.price"]."""
        return [error.split(": ", 1)[0] for error in self.errors]


@contextmanager
def payload_errors(payload: Any, what: str, path: str = "",
                   error: type[PayloadError] = PayloadError) -> Iterator[Mapping[str, Any]]:
    """The payload (found at `path` in the document) as an object, for the platform's schema to load inside the
    block; every field error at once, as `error`. A block, not a call: the platform's own schema runs in its room."""
    if not isinstance(payload, Mapping):
        raise error(what, [f"{path or 'document'}: must be a JSON object, got {type(payload).__name__}"])
    try:
        yield payload
    except ValidationError as invalid:
        raise error(what, flatten_errors(invalid.messages, path)) from None


@overload
def instant(value: datetime) -> str: ...
@overload
def instant(value: None) -> None: ...
@overload
def instant(value: datetime | None) -> str | None: ...
def instant(value: datetime | None) -> str | None:
    """In UTC, so every source (a webhook's "+01:00", an API's "Z") gives the same document for the same order."""
    if value is None:
        return None
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def amount(value: Decimal | None) -> str | None:
    return None if value is None else f"{value:f}"


def total(values: Iterable[Decimal]) -> Decimal:
    return sum(values, Decimal("0.00"))


def custom_properties(pairs: Iterable[tuple[str, Any]]) -> dict[str, Any]:
    """Customization fields as a dict; "_"-prefixed ones are the theme's, a plugin's or an app's bookkeeping."""
    return {name: value for name, value in pairs if name and not name.startswith("_")}


@dataclass(frozen=True, slots=True)
class ProductFacts:
    """What the order's line payload lacks about its product, looked up when the order arrived."""

    product_type: str | None = None
    tags: tuple[str, ...] = ()


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
    tax: Decimal = Decimal("0.00"),
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
        "tax": amount(tax),  # on the whole quantity, after discounts (contract.md, "Taxes")
        "product_type": product.product_type or None,
        "tags": list(product.tags),
        "gift_card": gift_card,
        "properties": properties,
        "fulfilled_quantity": fulfilled_quantity,
    }
