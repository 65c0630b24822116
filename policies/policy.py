"""The policy: what a store has written, as settings the engine can apply clause by clause."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum

from policies.case import Reason


class Unit(StrEnum):
    HOURS = "hours"
    DAYS = "days"
    BUSINESS_HOURS = "business_hours"
    BUSINESS_DAYS = "business_days"
    MONTHS = "months"


class Anchor(StrEnum):
    """The event a window counts from."""

    PLACEMENT = "placement"
    FULFILMENT = "fulfilment"
    DELIVERY = "delivery"
    REQUEST = "request"


class Outcome(StrEnum):
    APPROVE = "approve"
    DECLINE = "decline"
    REVIEW = "review"


class ShippingRefund(StrEnum):
    ALWAYS = "always"
    IF_FAULTY = "if_faulty"
    NEVER = "never"


class ReturnShipping(StrEnum):
    CUSTOMER = "customer"
    MERCHANT = "merchant"
    MERCHANT_IF_FAULTY = "merchant_if_faulty"


class ExclusionKind(StrEnum):
    SALE = "sale"
    DISCOUNTED = "discounted"
    GIFT_CARD = "gift_card"
    PERSONALIZED = "personalized"
    MADE_TO_ORDER = "made_to_order"
    LISTED = "listed"


@dataclass(frozen=True, slots=True)
class Period:
    length: int
    unit: Unit


@dataclass(frozen=True, slots=True)
class Window:
    length: int
    unit: Unit
    start: Anchor
    # Where `start` is unknown (no delivery date yet): count from this instead, or not at all.
    fallback: Anchor | None = None
    # How long after `fallback` the start is assumed to be: a parcel's time in transit, when counting
    # "from receipt" on a store that only knows when the order was sent.
    fallback_delay: Period | None = None

    @property
    def period(self) -> Period:
        return Period(self.length, self.unit)


@dataclass(frozen=True, slots=True)
class Promise:
    """What the store promises the customer while a person looks: a first answer, a resolution."""

    respond_within: Period | None = None
    resolve_within: Period | None = None


@dataclass(frozen=True, slots=True)
class Cancellation:
    outcome: Outcome
    window: Window | None = None
    until_fulfilment: bool = True
    promise: Promise | None = None


@dataclass(frozen=True, slots=True)
class Condition:
    unused: bool = False
    tags: bool = False
    original_packaging: bool = False
    receipt: bool = False

    @property
    def required(self) -> bool:
        return self.unused or self.tags or self.original_packaging or self.receipt


@dataclass(frozen=True, slots=True)
class Returns:
    accepted: bool
    outcome: Outcome = Outcome.APPROVE
    window: Window | None = None
    condition: Condition = Condition()
    promise: Promise | None = None


@dataclass(frozen=True, slots=True)
class Exclusion:
    kind: ExclusionKind
    unless_faulty: bool = True
    product_types: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    skus: tuple[str, ...] = ()
    properties: tuple[str, ...] = ()
    message: str | None = None
    # Case-folded copies of the lists above, for matching: "Earrings" excludes "earrings".
    folded_types: frozenset[str] = field(init=False)
    folded_tags: frozenset[str] = field(init=False)
    folded_skus: frozenset[str] = field(init=False)
    folded_properties: tuple[str, ...] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "folded_types", frozenset(v.casefold() for v in self.product_types))
        object.__setattr__(self, "folded_tags", frozenset(v.casefold() for v in self.tags))
        object.__setattr__(self, "folded_skus", frozenset(v.casefold() for v in self.skus))
        object.__setattr__(self, "folded_properties", tuple(v.casefold() for v in self.properties))


@dataclass(frozen=True, slots=True)
class Claims:
    reasons: dict[Reason, Outcome]
    window: Window | None = None
    after_window: Outcome = Outcome.DECLINE
    photos_required: int = 0
    # Where the policy asks more (or less) for one kind of problem: two photos of a damaged parcel.
    photos_by_reason: dict[Reason, int] = field(default_factory=dict)
    # Anything the policy does not list goes to a person rather than being refused.
    unlisted_reason: Outcome = Outcome.REVIEW

    def photos_for(self, reason: Reason | None) -> int:
        return self.photos_by_reason.get(reason, self.photos_required)  # type: ignore[arg-type]
    promise: Promise | None = None


@dataclass(frozen=True, slots=True)
class Warranty:
    window: Window
    outcome: Outcome = Outcome.REVIEW
    photos_required: int = 0
    promise: Promise | None = None


@dataclass(frozen=True, slots=True)
class Refunds:
    original_shipping: ShippingRefund = ShippingRefund.IF_FAULTY
    international_shipping_refunded: bool = True
    return_shipping: ReturnShipping = ReturnShipping.MERCHANT_IF_FAULTY
    # Deducted from a change-of-mind refund when the customer pays for the merchant's return label.
    return_label_fee: Decimal = Decimal(0)
    restocking_fee_percent: Decimal = Decimal(0)


@dataclass(frozen=True, slots=True)
class Policy:
    key: str
    version: int
    name: str
    # None: the policy says nothing about it, so a person decides.
    cancellation: Cancellation | None
    returns: Returns
    exclusions: tuple[Exclusion, ...]
    claims: Claims | None
    warranty: Warranty | None
    refunds: Refunds
    promise: Promise | None = None

    @property
    def version_label(self) -> str:
        return f"{self.key}@{self.version}"
