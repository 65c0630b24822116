"""The case: one customer request about one order, as the engine sees it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any


class Kind(StrEnum):
    CANCEL = "cancel"
    RETURN = "return"
    CLAIM = "claim"
    WARRANTY = "warranty"


class Reason(StrEnum):
    CHANGED_MIND = "changed_mind"
    WRONG_SIZE = "wrong_size"
    NOT_AS_DESCRIBED = "not_as_described"
    DAMAGED_IN_TRANSIT = "damaged_in_transit"
    DEFECTIVE = "defective"
    WRONG_ITEM = "wrong_item"
    OTHER = "other"


# Reasons that say the item itself is at fault: they lift "unless faulty" exclusions.
FAULT_REASONS = frozenset(
    {Reason.NOT_AS_DESCRIBED, Reason.DAMAGED_IN_TRANSIT, Reason.DEFECTIVE, Reason.WRONG_ITEM}
)


class Condition(StrEnum):
    UNUSED = "unused"
    USED = "used"


@dataclass(frozen=True, slots=True)
class Store:
    country: str
    timezone: str
    subdivision: str | None = None


@dataclass(frozen=True, slots=True)
class Shipping:
    amount: Decimal
    international: bool = False
    tax: Decimal = Decimal(0)  # on the shipping paid; inside `amount` where the order's taxes are included


@dataclass(frozen=True, slots=True)
class Line:
    id: str
    title: str
    quantity: int
    unit_price: Decimal
    sku: str | None = None
    compare_at_price: Decimal | None = None
    discount: Decimal = Decimal(0)
    # On the whole quantity after its discount: inside the prices where the order's taxes are included.
    tax: Decimal = Decimal(0)
    product_type: str | None = None
    tags: tuple[str, ...] = ()
    gift_card: bool = False
    properties: dict[str, Any] = field(default_factory=dict)
    fulfilled_quantity: int = 0
    refunded_quantity: int = 0  # units refunded before this request, so a part of a line is counted on from them

    @property
    def on_sale(self) -> bool:
        return self.compare_at_price is not None and self.compare_at_price > self.unit_price


@dataclass(frozen=True, slots=True)
class Order:
    id: str
    placed_at: datetime
    currency: str
    lines: tuple[Line, ...]
    shipping: Shipping
    country: str | None = None
    fulfilled_at: datetime | None = None
    delivered_at: datetime | None = None
    taxes_included: bool = False
    # What the platform says was paid (every payment method), refunded before this request, and paid by
    # gift card or store credit; `paid` None: not stated, so refunds are reckoned from the lines alone.
    paid: Decimal | None = None
    refunded: Decimal = Decimal(0)
    gift_card_paid: Decimal = Decimal(0)

    @property
    def refundable(self) -> Decimal | None:
        """What is left to refund, where the platform stated what was paid."""
        return None if self.paid is None else max(self.paid - self.refunded, Decimal(0))

    def line(self, line_id: str) -> Line:
        for line in self.lines:
            if line.id == line_id:
                return line
        raise KeyError(line_id)


@dataclass(frozen=True, slots=True)
class RequestLine:
    line_id: str
    quantity: int
    condition: Condition | None = None


@dataclass(frozen=True, slots=True)
class Request:
    kind: Kind
    submitted_at: datetime
    lines: tuple[RequestLine, ...]
    reason: Reason | None = None
    photos: int = 0
    note: str = ""


@dataclass(frozen=True, slots=True)
class Case:
    store: Store
    order: Order
    request: Request
    now: datetime

    @property
    def international(self) -> bool:
        """Shipped abroad: flagged by the platform, or a shipping country other than the store's."""
        if self.order.shipping.international:
            return True
        return self.order.country is not None and self.order.country != self.store.country
