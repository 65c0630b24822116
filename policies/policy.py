"""The policy: what a store has written, as settings the engine can apply clause by clause."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum

from policies.case import Reason
from policies.words import Vocabulary, vocabulary


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


class AfterFulfilment(StrEnum):
    """What a cancel of an order already sent is, as the store's text reads."""

    DECLINE = "decline"  # cancellation ends once the order is processed or shipped
    REVIEW = "review"  # the store only promises to try ("we will do our best", "may not be possible")
    STATUTORY = "statutory"  # a legal right to cancel until a window after receipt: judged as a return in it


@dataclass(frozen=True, slots=True)
class Cancellation:
    outcome: Outcome
    window: Window | None = None
    # False: fulfilment does not end cancellations at all, and `after_fulfilment` is not used.
    until_fulfilment: bool = True
    promise: Promise | None = None
    after_fulfilment: AfterFulfilment = AfterFulfilment.DECLINE
    # How long the statutory right lasts (Kestia: 14 working days from receipt); only with STATUTORY.
    statutory_window: Window | None = None


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


# What every exclusion of a kind recognises, whatever else its document lists: the common wordings.
KIND_WORDS: dict[ExclusionKind, tuple[str, ...]] = {
    ExclusionKind.PERSONALIZED: ("engraved", "personalised", "customised", "custom", "monogram", "initials",
                                 "name"),
    ExclusionKind.MADE_TO_ORDER: ("made to order", "special order", "custom order", "custom made", "bespoke"),
    ExclusionKind.GIFT_CARD: ("gift card", "gift certificate", "gift voucher"),
}


@dataclass(frozen=True, slots=True)
class Exclusion:
    kind: ExclusionKind
    unless_faulty: bool = True
    product_types: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    skus: tuple[str, ...] = ()
    properties: tuple[str, ...] = ()
    message: str | None = None
    # The store's own wordings of the concept, matched as words in property names, product types and
    # tags (and titles, for a review), beside the kind's KIND_WORDS.
    words: tuple[str, ...] = ()
    # Compiled once: where each list applies, beside the words that apply everywhere; SKUs exact, case-folded.
    on_properties: Vocabulary = field(init=False, compare=False, repr=False)
    on_types: Vocabulary = field(init=False, compare=False, repr=False)
    on_tags: Vocabulary = field(init=False, compare=False, repr=False)
    in_titles: Vocabulary = field(init=False, compare=False, repr=False)
    folded_skus: frozenset[str] = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        anywhere = KIND_WORDS.get(self.kind, ()) + self.words
        compiled = {
            "on_properties": vocabulary(anywhere + self.properties),
            "on_types": vocabulary(anywhere + self.product_types),
            "on_tags": vocabulary(anywhere + self.tags),
            "in_titles": vocabulary(anywhere + self.properties + self.product_types + self.tags),
            "folded_skus": frozenset(v.casefold() for v in self.skus),
        }
        for name, value in compiled.items():
            object.__setattr__(self, name, value)


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
