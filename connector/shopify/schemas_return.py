"""A `returns/request` webhook payload, or the RETURN_FOR_CASE query's `data`, -> the contract's `request` document.

Shopify returns name fulfillment line items; the contract names order lines. The webhook's
`fulfillment_line_item.line_item.id` gives the order line directly; when a payload lacks it, `line_map`
(fulfillment line item id -> line item id, from `line_map_from_graphql`) does. The webhook has no creation
time, so the caller passes `submitted_at` (the X-Shopify-Triggered-At header) unless the payload has one.

A Shopify return gives each line its own reason; a contract request has one kind and one reason. The request
is a claim when any line reports a fault (schemas_reasons); `line_reasons` keeps each line's own, and
`mixed_reasons` says when the one request-level reason doesn't fit every line.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from marshmallow import ValidationError, fields, validate, validates_schema

from connector.shopify.schemas_common import (
    Edge,
    Gid,
    NumericId,
    ShopifyPayloadError,
    gid,
    instant,
    load,
    numeric_id,
)
from connector.shopify.schemas_reasons import kind_and_reason, request_kind_and_reason
from policies.case import Kind, Reason
from policies.fields import Instant, Whole, at_least


@dataclass(frozen=True, slots=True)
class ShopifyReturnRequest:
    """The contract's `request` document plus the Shopify ids the write-back needs."""

    request: dict[str, Any]
    return_gid: str
    order_gid: str
    # order line id -> (kind, reason) as the customer gave it per line; `request` has one for all of them
    line_reasons: dict[str, tuple[str, str]] = field(default_factory=dict)

    @property
    def mixed_reasons(self) -> bool:
        """Lines with different kinds or reasons: the one request-level reason can't speak for all of them."""
        return len(set(self.line_reasons.values())) > 1


@dataclass(frozen=True, slots=True)
class _Asked:
    path: str  # where the line sits in the payload, for error messages
    line_id: str | None
    quantity: int
    kind_reason: tuple[Kind, Reason]
    notes: tuple[str | None, ...]


class _Definition(Edge):
    handle = fields.String(required=True)


class _LineItemRef(Edge):
    id = NumericId(required=True)


class _FulfillmentLineItem(Edge):
    id = NumericId(required=True)
    line_item = fields.Nested(_LineItemRef, load_default=None, allow_none=True)


class _ReturnLineItem(Edge):
    fulfillment_line_item = fields.Nested(_FulfillmentLineItem, load_default=None, allow_none=True)
    quantity = Whole(required=True, validate=at_least(1))
    return_reason = fields.String(load_default=None, allow_none=True)
    return_reason_definition = fields.Nested(_Definition, load_default=None, allow_none=True)
    return_reason_note = fields.String(load_default=None, allow_none=True)
    customer_note = fields.String(load_default=None, allow_none=True)


class _OrderRef(Edge):
    id = NumericId(required=True)


class WebhookReturnSchema(Edge):
    id = NumericId(required=True)
    admin_graphql_api_id = fields.String(load_default=None, allow_none=True)
    order = fields.Nested(_OrderRef, load_default=None, allow_none=True)
    order_id = NumericId(load_default=None, allow_none=True)  # the shape of returns/cancel and returns/close
    created_at = Instant(load_default=None, allow_none=True)
    return_line_items = fields.List(fields.Nested(_ReturnLineItem), required=True,
                                    validate=validate.Length(min=1, error="must list at least one line"))

    @validates_schema
    def check_order(self, data: dict[str, Any], **kw: Any) -> None:
        if data.get("order") is None and data.get("order_id") is None:
            raise ValidationError("is required", "order")


class _GqlDefinition(Edge):
    handle = fields.String(required=True)


class _GqlLineItemRef(Edge):
    id = Gid("LineItem", required=True)


class _GqlFulfillmentLineItem(Edge):
    id = Gid("FulfillmentLineItem", required=True)
    lineItem = fields.Nested(_GqlLineItemRef, required=True)


class _GqlReturnLineItem(Edge):
    typename = fields.String(data_key="__typename", load_default=None, allow_none=True)
    quantity = Whole(required=True, validate=at_least(1))
    customerNote = fields.String(load_default=None, allow_none=True)
    returnReasonNote = fields.String(load_default=None, allow_none=True)
    returnReasonDefinition = fields.Nested(_GqlDefinition, load_default=None, allow_none=True)
    fulfillmentLineItem = fields.Nested(_GqlFulfillmentLineItem, load_default=None, allow_none=True)


class _GqlReturnLineItems(Edge):
    nodes = fields.List(fields.Nested(_GqlReturnLineItem), required=True,
                        validate=validate.Length(min=1, error="must list at least one line"))


class _GqlOrderRef(Edge):
    id = Gid("Order", required=True)


class GraphQLReturnSchema(Edge):
    id = Gid("Return", required=True)
    createdAt = Instant(required=True)
    order = fields.Nested(_GqlOrderRef, required=True)
    returnLineItems = fields.Nested(_GqlReturnLineItems, required=True)


_WEBHOOK = WebhookReturnSchema()
_GRAPHQL = GraphQLReturnSchema()
_SUBMITTED_AT = Instant()


def return_request_from_webhook(
    payload: Mapping[str, Any],
    order: Mapping[str, Any],
    line_map: Mapping[str, str] | None = None,
    *,
    submitted_at: datetime | str | None = None,
) -> ShopifyReturnRequest:
    """A returns/request payload as the contract's request about `order` (its contract document)."""
    what = "returns/request webhook"
    data = load(_WEBHOOK, payload, what)
    order_number = data["order"]["id"] if data["order"] else data["order_id"]
    at = data["created_at"] or _submitted_at(submitted_at, what)
    asked = []
    for index, item in enumerate(data["return_line_items"]):
        fulfillment = item["fulfillment_line_item"]
        line_id = None
        if fulfillment is not None:
            line_id = (fulfillment["line_item"] or {}).get("id") or (line_map or {}).get(fulfillment["id"])
        definition = item["return_reason_definition"]
        asked.append(_Asked(
            path=f"return_line_items.{index}",
            line_id=line_id,
            quantity=item["quantity"],
            kind_reason=kind_and_reason(definition["handle"] if definition else item["return_reason"]),
            notes=(item["customer_note"], item["return_reason_note"]),
        ))
    request, line_reasons = _request(what, order_number, asked, at, order)
    return ShopifyReturnRequest(request, data["admin_graphql_api_id"] or gid("Return", data["id"]),
                                gid("Order", order_number), line_reasons)


def return_request_from_graphql(data: Mapping[str, Any], order: Mapping[str, Any]) -> ShopifyReturnRequest:
    """RETURN_FOR_CASE's `data` as the contract's request about `order` (its contract document)."""
    what = "ReturnForCase"
    raw = data.get("return") if isinstance(data, Mapping) else None
    if raw is None:
        raise ShopifyPayloadError(what, ["return: not found (deleted, or not visible to the app)"])
    found = load(_GRAPHQL, raw, what, "return")
    asked = []
    for index, item in enumerate(found["returnLineItems"]["nodes"]):
        fulfillment = item["fulfillmentLineItem"]
        definition = item["returnReasonDefinition"]
        asked.append(_Asked(
            path=f"return.returnLineItems.nodes.{index}",
            line_id=numeric_id(fulfillment["lineItem"]["id"]) if fulfillment else None,
            quantity=item["quantity"],
            kind_reason=kind_and_reason(definition["handle"] if definition else None),
            notes=(item["customerNote"], item["returnReasonNote"]),
        ))
    order_gid = found["order"]["id"]
    request, line_reasons = _request(what, numeric_id(order_gid), asked, found["createdAt"], order)
    return ShopifyReturnRequest(request, found["id"], order_gid, line_reasons)


def line_map_from_graphql(data: Mapping[str, Any]) -> dict[str, str]:
    """RETURN_FOR_CASE's `data` as fulfillment line item id -> order line id (numeric ids, like the payload's)."""
    raw = data.get("return") if isinstance(data, Mapping) else None
    if raw is None:
        raise ShopifyPayloadError("ReturnForCase", ["return: not found (deleted, or not visible to the app)"])
    found = load(_GRAPHQL, raw, "ReturnForCase", "return")
    return {
        numeric_id(fulfillment["id"]): numeric_id(fulfillment["lineItem"]["id"])
        for item in found["returnLineItems"]["nodes"]
        if (fulfillment := item["fulfillmentLineItem"]) is not None
    }


def _submitted_at(value: datetime | str | None, what: str) -> datetime:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ShopifyPayloadError(what, [f"submitted_at: must include a UTC offset, got {value.isoformat()!r}"])
        return value
    if value is None:
        raise ShopifyPayloadError(what, ["created_at: is not in the payload; pass submitted_at "
                                         "(the X-Shopify-Triggered-At header)"])
    try:
        at: datetime = _SUBMITTED_AT.deserialize(value)
    except ValidationError as error:
        raise ShopifyPayloadError(what, [f"submitted_at: {message}" for message in error.messages]) from None
    return at


def _request(
    what: str, order_number: str, asked: list[_Asked], submitted_at: datetime, order: Mapping[str, Any]
) -> tuple[dict[str, Any], dict[str, tuple[str, str]]]:
    if str(order.get("id")) != order_number:
        raise ShopifyPayloadError(what, [f"order: the return is for order {order_number}, "
                                         f"but the order given is {order.get('id')!r}"])
    known = {str(line.get("id")) for line in order.get("lines") or []}
    errors: list[str] = []
    quantities: dict[str, int] = {}  # one request line per order line: split fulfillments add up
    reasons: dict[str, tuple[Kind, Reason]] = {}
    for line in asked:
        if line.line_id is None:
            errors.append(f"{line.path}: can't be traced to an order line (no line item id; pass line_map)")
        elif line.line_id not in known:
            errors.append(f"{line.path}: names line item {line.line_id}, which is not on order {order_number}")
        else:
            quantities[line.line_id] = quantities.get(line.line_id, 0) + line.quantity
            reasons[line.line_id] = request_kind_and_reason([reasons.get(line.line_id, line.kind_reason),
                                                             line.kind_reason])
    if errors:
        raise ShopifyPayloadError(what, errors)
    kind, reason = request_kind_and_reason([line.kind_reason for line in asked])
    notes = dict.fromkeys(note.strip() for line in asked for note in line.notes if note and note.strip())
    request = {
        "kind": kind.value,
        "submitted_at": instant(submitted_at),
        "reason": reason.value,
        "lines": [{"line_id": line_id, "quantity": quantity, "condition": None}
                  for line_id, quantity in quantities.items()],
        "evidence": {"photos": 0},  # Shopify's return payloads carry no customer media
        "note": "\n".join(notes),
    }
    return request, {line_id: (k.value, r.value) for line_id, (k, r) in reasons.items()}
