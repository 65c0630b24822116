"""The policy document: what the settings page saves and presets are written in, validated in full."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, post_load, validate, validates_schema

from policies.case import FAULT_REASONS, Reason
from policies.fields import Choice, Flag, Money, Text, Whole, at_least, at_most, between, check_storable
from policies.policy import (
    AfterFulfilment,
    Anchor,
    Cancellation,
    Claims,
    Condition,
    Exclusion,
    ExclusionKind,
    Outcome,
    Period,
    Policy,
    Promise,
    Refunds,
    Returns,
    ReturnShipping,
    ShippingRefund,
    Unit,
    Warranty,
    Window,
)
from policies.words import stems

# The longest window a merchant may set, per unit: ten years, counted in that unit.
MAX_LENGTH = {
    Unit.HOURS: 87_600,
    Unit.DAYS: 3_650,
    Unit.BUSINESS_HOURS: 62_400,
    Unit.BUSINESS_DAYS: 2_600,
    Unit.MONTHS: 120,
}
_DECIDED = (Outcome.APPROVE, Outcome.REVIEW)
_FROM_ORDER = (Anchor.PLACEMENT, Anchor.FULFILMENT, Anchor.DELIVERY)
MAX_WORDS, MAX_WORD_LENGTH = 50, 60
# Every other list and text is bounded too, well past what a shop needs (Shopify's own limits where it has one:
# 250 tags or product types of 255 characters), so a document can't grow without end. docs/ lists them.
MAX_NAME = 200
MAX_MESSAGE = 2000  # a customer-facing paragraph
MAX_EXCLUSIONS = 50
MAX_TAGS = MAX_PRODUCT_TYPES = 250
MAX_SKUS = 1000
MAX_PROPERTIES = 100
MAX_ENTRY = 255  # one tag, product type, SKU or property name


class _Strict(Schema):
    class Meta:
        unknown = RAISE  # a misspelt setting must not be silently ignored


class _LengthMixin:
    @validates_schema(skip_on_field_errors=False)
    def check_length(self, data: dict[str, Any], **kw: Any) -> None:
        unit, length = data.get("unit"), data.get("length")
        if unit is not None and length is not None and not 0 <= length <= MAX_LENGTH[unit]:
            raise ValidationError(f"must be between 0 and {MAX_LENGTH[unit]} {unit.value}, got {length}",
                                  "length")


class PeriodSchema(_LengthMixin, _Strict):
    length = Whole(required=True)
    unit = Choice(Unit, required=True)

    @post_load
    def make(self, data: dict[str, Any], **kw: Any) -> Period:
        return Period(**data)


class WindowSchema(_LengthMixin, _Strict):
    length = Whole(required=True)
    unit = Choice(Unit, required=True)
    start = Choice(Anchor, allowed=_FROM_ORDER, data_key="from", required=True)
    fallback = Choice(Anchor, allowed=_FROM_ORDER, load_default=None, allow_none=True)
    fallback_delay = fields.Nested(PeriodSchema, load_default=None, allow_none=True)

    @validates_schema(skip_on_field_errors=True)
    def check_fallback(self, data: dict[str, Any], **kw: Any) -> None:
        if data.get("fallback_delay") is not None and data.get("fallback") is None:
            raise ValidationError("is a delay after the fallback, so it needs a \"fallback\" to count from",
                                  "fallback_delay")

    @post_load
    def make(self, data: dict[str, Any], **kw: Any) -> Window:
        return Window(**data)


class PromiseSchema(_Strict):
    respond_within = fields.Nested(PeriodSchema, load_default=None, allow_none=True)
    resolve_within = fields.Nested(PeriodSchema, load_default=None, allow_none=True)

    @post_load
    def make(self, data: dict[str, Any], **kw: Any) -> Promise:
        return Promise(**data)


def _promise() -> fields.Nested:
    return fields.Nested(PromiseSchema, load_default=None, allow_none=True)


class CancellationSchema(_Strict):
    outcome = Choice(Outcome, allowed=_DECIDED, required=True)
    window = fields.Nested(WindowSchema, load_default=None, allow_none=True)
    until_fulfilment = Flag(load_default=True)
    promise = _promise()
    after_fulfilment = Choice(AfterFulfilment, load_default=AfterFulfilment.DECLINE)
    statutory_window = fields.Nested(WindowSchema, load_default=None, allow_none=True)

    @validates_schema(skip_on_field_errors=True)
    def check_after_fulfilment(self, data: dict[str, Any], **kw: Any) -> None:
        after, window = data["after_fulfilment"], data["statutory_window"]
        errors: dict[str, list[str]] = {}
        if after is AfterFulfilment.STATUTORY and window is None:
            errors["statutory_window"] = ['is required where after_fulfilment is "statutory": how long the right lasts']
        if after is not AfterFulfilment.STATUTORY and window is not None:
            errors["statutory_window"] = [f'only applies where after_fulfilment is "statutory", got "{after.value}"']
        if not data["until_fulfilment"] and after is not AfterFulfilment.DECLINE:
            errors["after_fulfilment"] = [
                f'only applies where until_fulfilment is true (false: fulfilment changes nothing), got "{after.value}"']
        if errors:
            raise ValidationError(errors)

    @post_load
    def make(self, data: dict[str, Any], **kw: Any) -> Cancellation:
        return Cancellation(**data)


class ConditionSchema(_Strict):
    unused = Flag(load_default=False)
    tags = Flag(load_default=False)
    original_packaging = Flag(load_default=False)
    receipt = Flag(load_default=False)

    @post_load
    def make(self, data: dict[str, Any], **kw: Any) -> Condition:
        return Condition(**data)


class ReturnsSchema(_Strict):
    accepted = Flag(required=True)
    outcome = Choice(Outcome, allowed=_DECIDED, load_default=Outcome.APPROVE)
    window = fields.Nested(WindowSchema, load_default=None, allow_none=True)
    condition = fields.Nested(ConditionSchema, load_default=Condition)
    promise = _promise()

    @post_load
    def make(self, data: dict[str, Any], **kw: Any) -> Returns:
        return Returns(**data)


def check_wording(value: str) -> None:
    """A word or phrase to match: "monogram", "made to order"."""
    if not value.strip():
        raise ValidationError(f"must be a word or phrase, got {value!r}")
    if len(value) > MAX_WORD_LENGTH:
        raise ValidationError(f"must be at most {MAX_WORD_LENGTH} characters long, got {value!r}")
    check_storable(value)
    if not stems(value):
        raise ValidationError(f"must contain a letter or digit to match, got {value!r}")


def check_word_count(value: list[str]) -> None:
    if len(value) > MAX_WORDS:
        raise ValidationError(f"must list at most {MAX_WORDS} words or phrases, got {len(value)}")


class ExclusionSchema(_Strict):
    kind = Choice(ExclusionKind, required=True)
    unless_faulty = Flag(load_default=True)
    # Matched as words beside the kind's own (policy.KIND_WORDS): in property names, product types, tags.
    words = fields.List(fields.String(validate=check_wording), load_default=list, validate=check_word_count)
    # Matched as words too, each where it names: property names, product types, tags. SKUs are exact.
    product_types = fields.List(Text(MAX_ENTRY), load_default=list,
                                validate=at_most(MAX_PRODUCT_TYPES, "product types"))
    tags = fields.List(Text(MAX_ENTRY), load_default=list, validate=at_most(MAX_TAGS, "tags"))
    skus = fields.List(Text(MAX_ENTRY), load_default=list, validate=at_most(MAX_SKUS, "SKUs"))
    properties = fields.List(Text(MAX_ENTRY, min_length=1), load_default=list,
                             validate=at_most(MAX_PROPERTIES, "properties"))
    message = Text(MAX_MESSAGE, load_default=None, allow_none=True)

    @validates_schema
    def check_listed(self, data: dict[str, Any], **kw: Any) -> None:
        if data.get("kind") is ExclusionKind.LISTED and not (
            data.get("words") or data.get("product_types") or data.get("tags") or data.get("skus")
        ):
            raise ValidationError("a listed exclusion must name words, product_types, tags or skus", "kind")

    @post_load
    def make(self, data: dict[str, Any], **kw: Any) -> Exclusion:
        return Exclusion(
            kind=data["kind"],
            unless_faulty=data["unless_faulty"],
            words=tuple(data["words"]),
            product_types=tuple(data["product_types"]),
            tags=tuple(data["tags"]),
            skus=tuple(data["skus"]),
            properties=tuple(data["properties"]),
            message=data["message"],
        )


class ClaimsSchema(_Strict):
    reasons = fields.Dict(
        keys=Choice(Reason, allowed=sorted(FAULT_REASONS)),
        values=Choice(Outcome, allowed=_DECIDED),
        required=True,
    )
    window = fields.Nested(WindowSchema, load_default=None, allow_none=True)
    after_window = Choice(Outcome, allowed=(Outcome.DECLINE, Outcome.REVIEW), load_default=Outcome.DECLINE)
    photos_required = Whole(load_default=0, validate=between(0, 20))
    photos_by_reason = fields.Dict(
        keys=Choice(Reason, allowed=sorted(FAULT_REASONS)),
        values=Whole(validate=between(0, 20)),
        load_default=dict,
    )
    unlisted_reason = Choice(Outcome, allowed=(Outcome.DECLINE, Outcome.REVIEW), load_default=Outcome.REVIEW)
    promise = _promise()

    @post_load
    def make(self, data: dict[str, Any], **kw: Any) -> Claims:
        return Claims(**data)


class WarrantySchema(_Strict):
    window = fields.Nested(WindowSchema, required=True)
    outcome = Choice(Outcome, allowed=_DECIDED, load_default=Outcome.REVIEW)
    photos_required = Whole(load_default=0, validate=between(0, 20))
    promise = _promise()

    @post_load
    def make(self, data: dict[str, Any], **kw: Any) -> Warranty:
        return Warranty(**data)


class RefundsSchema(_Strict):
    original_shipping = Choice(ShippingRefund, load_default=ShippingRefund.IF_FAULTY)
    international_shipping_refunded = Flag(load_default=True)
    return_shipping = Choice(ReturnShipping, load_default=ReturnShipping.MERCHANT_IF_FAULTY)
    return_label_fee = Money(load_default=Refunds().return_label_fee)
    restocking_fee_percent = Money(load_default=Refunds().restocking_fee_percent)

    @validates_schema(skip_on_field_errors=False)
    def check_percent(self, data: dict[str, Any], **kw: Any) -> None:
        percent = data.get("restocking_fee_percent")
        if percent is not None and percent > 100:
            raise ValidationError(f"must be between 0 and 100, got {percent}", "restocking_fee_percent")

    @post_load
    def make(self, data: dict[str, Any], **kw: Any) -> Refunds:
        return Refunds(**data)


class PolicySchema(_Strict):
    key = fields.String(required=True, validate=validate.Regexp(
        r"^[a-z0-9][a-z0-9-]{0,62}$", error="must be lower-case letters, digits and dashes, got {input!r}"))
    version = Whole(load_default=1, validate=at_least(1))
    name = Text(MAX_NAME, min_length=1, required=True)
    promise = _promise()
    cancellation = fields.Nested(CancellationSchema, load_default=None, allow_none=True)
    returns = fields.Nested(ReturnsSchema, required=True)
    exclusions = fields.List(fields.Nested(ExclusionSchema), load_default=list,
                             validate=at_most(MAX_EXCLUSIONS, "exclusions"))
    claims = fields.Nested(ClaimsSchema, load_default=None, allow_none=True)
    warranty = fields.Nested(WarrantySchema, load_default=None, allow_none=True)
    refunds = fields.Nested(RefundsSchema, load_default=Refunds)

    @post_load
    def make(self, data: dict[str, Any], **kw: Any) -> Policy:
        data["exclusions"] = tuple(data["exclusions"])
        return Policy(**data)


_SCHEMA = PolicySchema()


def load_policy(document: Any) -> Policy:
    """Validate a policy document; raises ValidationError with every field's error at once."""
    if not isinstance(document, Mapping):
        raise ValidationError({"_schema": ["a policy must be a JSON object"]})
    policy: Policy = _SCHEMA.load(document)
    return policy


def dump_policy(policy: Policy) -> dict[str, Any]:
    document: dict[str, Any] = _SCHEMA.dump(policy)
    return document
