"""The case document (contract.md) in, a validated `Case` and its `Policy` out."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from marshmallow import EXCLUDE, Schema, ValidationError, fields, post_load, validate, validates_schema

from policies.case import Case, Condition, Kind, Line, Order, Reason, Request, RequestLine, Shipping, Store
from policies.fields import (
    Choice,
    CountryCode,
    CurrencyCode,
    Flag,
    Identifier,
    Instant,
    Money,
    TimeZone,
    Whole,
    at_least,
    between,
)
from policies.policy import Policy
from policies.policy_schema import load_policy
from policies.presets import preset, preset_names

MAX_QUANTITY = 100_000


class _Edge(Schema):
    class Meta:
        unknown = EXCLUDE  # a newer client may send fields this version does not know


class StoreSchema(_Edge):
    country = CountryCode(required=True)
    timezone = TimeZone(required=True)
    subdivision = fields.String(load_default=None, allow_none=True)

    @post_load
    def make(self, data: dict[str, Any], **kw: Any) -> Store:
        return Store(**data)


class ShippingSchema(_Edge):
    amount = Money(load_default=Decimal(0))
    international = Flag(load_default=False)
    tax = Money(load_default=Decimal(0))

    @post_load
    def make(self, data: dict[str, Any], **kw: Any) -> Shipping:
        return Shipping(**data)


class LineSchema(_Edge):
    id = Identifier(required=True)
    title = fields.String(load_default="")
    sku = fields.String(load_default=None, allow_none=True)
    quantity = Whole(required=True, validate=between(1, MAX_QUANTITY))
    unit_price = Money(required=True)
    compare_at_price = Money(load_default=None, allow_none=True)
    discount = Money(load_default=Decimal(0))
    tax = Money(load_default=Decimal(0))
    product_type = fields.String(load_default=None, allow_none=True)
    tags = fields.List(fields.String(), load_default=list)
    gift_card = Flag(load_default=False)
    properties = fields.Dict(keys=fields.String(), load_default=dict)
    fulfilled_quantity = Whole(load_default=None, allow_none=True, validate=at_least(0))
    refunded_quantity = Whole(load_default=0, validate=at_least(0))

    @validates_schema(skip_on_field_errors=False)
    def check_amounts(self, data: dict[str, Any], **kw: Any) -> None:
        errors = {}
        quantity, fulfilled = data.get("quantity"), data.get("fulfilled_quantity")
        if quantity is not None and fulfilled is not None and fulfilled > quantity:
            errors["fulfilled_quantity"] = [f"must be at most the line's quantity {quantity}, got {fulfilled}"]
        refunded = data.get("refunded_quantity")
        if quantity is not None and refunded is not None and refunded > quantity:
            errors["refunded_quantity"] = [f"must be at most the line's quantity {quantity}, got {refunded}"]
        price, discount = data.get("unit_price"), data.get("discount")
        if quantity is not None and price is not None and discount is not None and discount > price * quantity:
            errors["discount"] = [f"must be at most the line's price times its quantity, got {discount}"]
        if errors:
            raise ValidationError(errors)


class OrderSchema(_Edge):
    id = Identifier(required=True)
    placed_at = Instant(required=True)
    currency = CurrencyCode(required=True)
    country = CountryCode(load_default=None, allow_none=True)
    shipping = fields.Nested(ShippingSchema, load_default=lambda: Shipping(Decimal(0)))
    fulfilled_at = Instant(load_default=None, allow_none=True)
    delivered_at = Instant(load_default=None, allow_none=True)
    taxes_included = Flag(load_default=False)
    paid = Money(load_default=None, allow_none=True)
    refunded = Money(load_default=Decimal(0))
    gift_card_paid = Money(load_default=Decimal(0))
    lines = fields.List(fields.Nested(LineSchema), required=True,
                        validate=validate.Length(min=1, error="must list at least one line"))

    @validates_schema
    def check_order(self, data: dict[str, Any], **kw: Any) -> None:
        errors: dict[str, Any] = self._payment_errors(data)
        placed = data.get("placed_at")
        for name in ("fulfilled_at", "delivered_at"):
            at = data.get(name)
            if placed is not None and at is not None and at < placed:
                errors[name] = [f"must not be before placed_at ({placed.isoformat()}), got {at.isoformat()}"]
        ids = [line["id"] for line in data.get("lines") or []]
        if len(set(ids)) != len(ids):
            errors["lines"] = ["must have a different id on every line"]
        if errors:
            raise ValidationError(errors)

    @staticmethod
    def _payment_errors(data: dict[str, Any]) -> dict[str, Any]:
        """What was paid bounds what was refunded and what came from gift cards; included tax is inside its price."""
        errors: dict[str, Any] = {}
        paid = data.get("paid")
        for name in ("refunded", "gift_card_paid"):
            part = data.get(name)
            if part is None or part == 0:
                continue
            if paid is None:
                errors[name] = [f"needs order.paid, the whole amount it is part of, got {part}"]
            elif part > paid:
                errors[name] = [f"must be at most order.paid ({paid}), got {part}"]
        if data.get("taxes_included"):
            for index, line in enumerate(data.get("lines") or []):
                price = line["unit_price"] * line["quantity"] - line["discount"]
                if line["tax"] > price:
                    errors.setdefault("lines", {})[index] = {"tax": [
                        f"must be at most the line's paid price ({price}) when taxes are included, got {line['tax']}"]}
            shipping = data.get("shipping")
            if isinstance(shipping, Shipping) and shipping.tax > shipping.amount:
                errors["shipping"] = {"tax": [f"must be at most shipping.amount ({shipping.amount}) when taxes "
                                              f"are included, got {shipping.tax}"]}
        return errors

    @post_load
    def make(self, data: dict[str, Any], **kw: Any) -> Order:
        sent = data["fulfilled_at"] is not None or data["delivered_at"] is not None
        lines = []
        for raw in data.pop("lines"):
            if raw["fulfilled_quantity"] is None:  # unsaid: the order's own dates tell
                raw["fulfilled_quantity"] = raw["quantity"] if sent else 0
            raw["tags"] = tuple(raw["tags"])
            lines.append(Line(**raw))
        return Order(lines=tuple(lines), **data)


class RequestLineSchema(_Edge):
    line_id = Identifier(required=True)
    quantity = Whole(load_default=None, validate=between(1, MAX_QUANTITY))
    condition = Choice(Condition, load_default=None, allow_none=True)


class EvidenceSchema(_Edge):
    photos = Whole(load_default=0, validate=between(0, 1000))


class RequestSchema(_Edge):
    kind = Choice(Kind, required=True)
    submitted_at = Instant(required=True)
    reason = Choice(Reason, load_default=None, allow_none=True)
    lines = fields.List(fields.Nested(RequestLineSchema), load_default=list)
    evidence = fields.Nested(EvidenceSchema, load_default=lambda: {"photos": 0})
    note = fields.String(load_default="", allow_none=True)

    @validates_schema
    def check_lines(self, data: dict[str, Any], **kw: Any) -> None:
        if data.get("kind") not in (None, Kind.CANCEL) and not data.get("lines"):
            raise ValidationError(f"must name at least one line for a {data['kind'].value}", "lines")


class PolicyRef(fields.Field[Policy]):
    """`{"preset": NAME}` or a whole policy document."""

    def _deserialize(self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kw: Any) -> Policy:
        if not isinstance(value, Mapping):
            raise ValidationError('must be {"preset": NAME} or a policy document')
        if "preset" not in value:
            return load_policy(value)
        name = value["preset"]
        found = preset(name) if isinstance(name, str) else None
        if found is None:
            raise ValidationError({"preset": [f"must be one of {', '.join(preset_names())}, got {name!r}"]})
        return found


class CaseSchema(_Edge):
    policy = PolicyRef(required=True)
    now = Instant(load_default=None, allow_none=True)
    store = fields.Nested(StoreSchema, required=True)
    order = fields.Nested(OrderSchema, required=True)
    request = fields.Nested(RequestSchema, required=True)

    @validates_schema
    def check_request_against_order(self, data: dict[str, Any], **kw: Any) -> None:
        order, request = data.get("order"), data.get("request")
        if not isinstance(order, Order) or not isinstance(request, dict):
            return
        errors: dict[str, Any] = {}
        if request["submitted_at"] < order.placed_at:
            errors["submitted_at"] = [f"must not be before order.placed_at, got {request['submitted_at'].isoformat()}"]
        known = {line.id: line for line in order.lines}
        seen: set[str] = set()
        for index, asked in enumerate(request["lines"]):
            line = known.get(asked["line_id"])
            if line is None:
                errors.setdefault("lines", {})[index] = {"line_id": [f"must be one of the order's line ids, "
                                                                     f"got {asked['line_id']!r}"]}
            elif asked["line_id"] in seen:
                errors.setdefault("lines", {})[index] = {"line_id": ["names a line already asked for"]}
            elif asked["quantity"] is not None and asked["quantity"] > line.quantity:
                errors.setdefault("lines", {})[index] = {
                    "quantity": [f"must be at most the line's quantity {line.quantity}, got {asked['quantity']}"]}
            seen.add(asked["line_id"])
        if errors:
            raise ValidationError({"request": errors})

    @post_load
    def make(self, data: dict[str, Any], **kw: Any) -> LoadedCase:
        order: Order = data["order"]
        raw = data["request"]
        request = Request(
            kind=raw["kind"],
            submitted_at=raw["submitted_at"],
            reason=raw["reason"],
            lines=tuple(
                RequestLine(r["line_id"], r["quantity"] or order.line(r["line_id"]).quantity, r["condition"])
                for r in raw["lines"]
            ),
            photos=raw["evidence"]["photos"],
            note=raw["note"] or "",
        )
        case = Case(store=data["store"], order=order, request=request, now=data["now"] or request.submitted_at)
        return LoadedCase(case, data["policy"])


@dataclass(frozen=True, slots=True)
class LoadedCase:
    case: Case
    policy: Policy


_SCHEMA = CaseSchema()


def load_case(document: Any) -> LoadedCase:
    """Validate one case document; raises ValidationError with every field's error at once."""
    if not isinstance(document, Mapping):
        raise ValidationError({"_schema": [f"a case must be a JSON object, got {type(document).__name__}"]})
    result: LoadedCase = _SCHEMA.load(document)
    return result
