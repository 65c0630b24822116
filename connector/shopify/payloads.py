"""Shopify's webhooks and GraphQL reads -> the contract's case: each topic's handler, the documents it reads
and the schemas that turn them into the case's store, order and request."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from flask import current_app
from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate, validates_schema
from sqlalchemy.orm import Session

from connector.adapter import FollowUps, Handlers, PermanentEventError
from connector.case_opening import open_case
from connector.case_parts import PayloadError, payload_errors
from connector.case_parts import ProductFacts as ProductFacts
from connector.case_parts import amount as amount
from connector.case_parts import custom_properties as custom_properties
from connector.case_parts import instant as instant
from connector.case_parts import line_document as line_document
from connector.case_parts import total as total
from connector.shopify.api import AdminApi, Document, shopify_api
from policies.case import Kind, Reason
from policies.fields import CountryCode, CurrencyCode, Flag, Instant, Money, TimeZone, Whole, at_least
from policies.money import round_money
from storage.db import storage_of
from storage.models import CaseStatus, Event, Platform, Store, StoreStatus
from storage.repositories import (
    close_cases,
    find_case,
    find_order_snapshot,
    find_store,
    mark_store_uninstalled,
    save_order_snapshot,
    store_credentials,
)
from storage.settings import settings_of

# --- Topics ---------------------------------------------------------------------------------------

ORDER_TOPICS = ("orders/create", "orders/updated")
RETURN_TOPICS = ("returns/request", "returns/approve", "returns/decline", "returns/cancel", "returns/close",
                 "returns/reopen")
PRIVACY_TOPICS = ("customers/data_request", "customers/redact", "shop/redact")
HANDLED_TOPICS = frozenset(
    ORDER_TOPICS + RETURN_TOPICS + PRIVACY_TOPICS + ("orders/cancelled", "refunds/create", "app/uninstalled")
)


# --- What a case reads ----------------------------------------------------------------------------

# What the customer paid, by every payment method, and what came back: the case's paid, refunded and
# gift_card_paid (read below, "Payments").
PAYMENT_FACTS = """
fragment OrderPaymentFacts on Order {
  totalReceivedSet { shopMoney { amount } }
  totalRefundedSet { shopMoney { amount } }
  transactions(first: 20) {
    kind
    status
    gateway
    amountSet { shopMoney { amount } }
  }
}
"""

# What was paid and refunded now: read when a return is asked (the order's snapshot is as bought) and before
# a cancellation refunds what Shopify holds. Shopify counts the refunded and removed units out of
# currentQuantity; lines beyond the first 100 keep what the snapshot said.
ORDER_PAYMENTS = Document("OrderPayments", """
query OrderPayments($id: ID!) {
  order(id: $id) {
    id
    currencyCode
    ...OrderPaymentFacts
    lineItems(first: 100) {
      nodes { id quantity currentQuantity }
    }
  }
}
""" + PAYMENT_FACTS)
SHOP_FACTS = Document("ShopFacts", """
query ShopFacts {
  shop {
    id
    ianaTimezone
    currencyCode
    shopAddress { countryCodeV2 }
  }
}
""")

# The variant's compareAtPrice is today's value: Shopify keeps no compare-at snapshot on the line item,
# so the case builder must snapshot it when the order arrives (orders/create) to honour the contract.
# customer.id is for the app proxy's ownership check (logged_in_customer_id must match it).
# Amounts are the shop's money only (the case's currency); asking for presentment money too would double
# the cost of every line, and 25 lines with their taxes and the payments must stay well under the limit.
ORDER_FOR_CASE = Document("OrderForCase", """
query OrderForCase($id: ID!, $lineItemsAfter: String) {
  order(id: $id) {
    id
    createdAt
    processedAt
    currencyCode
    taxesIncluded
    customer { id }
    shippingAddress { countryCodeV2 }
    shippingLines(first: 5) {
      nodes {
        originalPriceSet { shopMoney { amount } }
        discountedPriceSet { shopMoney { amount } }
        taxLines { priceSet { shopMoney { amount } } }
      }
    }
    ...OrderPaymentFacts
    lineItems(first: 25, after: $lineItemsAfter) {
      pageInfo { hasNextPage endCursor }
      nodes {
        id
        title
        sku
        quantity
        currentQuantity
        unfulfilledQuantity
        nonFulfillableQuantity
        isGiftCard
        customAttributes { key value }
        originalUnitPriceSet { shopMoney { amount } }
        discountAllocations {
          allocatedAmountSet { shopMoney { amount } }
        }
        taxLines { priceSet { shopMoney { amount } } }
        variant { id compareAtPrice }
        product { productType tags }
      }
    }
    fulfillments(first: 5) {
      status
      createdAt
      deliveredAt
      events(first: 5, sortKey: HAPPENED_AT, reverse: true) {
        nodes { status happenedAt }
      }
    }
  }
}
""" + PAYMENT_FACTS)
RETURN_FOR_CASE = Document("ReturnForCase", """
query ReturnForCase($id: ID!) {
  return(id: $id) {
    id
    name
    status
    createdAt
    order { id }
    returnLineItems(first: 50) {
      nodes {
        __typename
        id
        quantity
        customerNote
        returnReasonNote
        returnReasonDefinition { handle name }
        ... on ReturnLineItem {
          fulfillmentLineItem {
            id
            quantity
            lineItem { id }
          }
        }
      }
    }
  }
}
""")


# --- Handlers -------------------------------------------------------------------------------------

log = logging.getLogger("assay.jobs")
SHOPIFY = Platform.SHOPIFY.value
HANDLERS = Handlers()  # topic -> handler, for process_event (through the adapter)


def _store(session: Session, event: Event) -> Store:
    store = find_store(session, SHOPIFY, event.shop_domain)
    if store is None:
        raise PermanentEventError(f"no Shopify store {event.shop_domain} is installed")
    return store


def _api(store: Store) -> AdminApi:
    if store.status != StoreStatus.ACTIVE.value:
        raise PermanentEventError(f"store {store.domain} is {store.status}")
    return shopify_api(store, store_credentials(store, storage_of(current_app).cipher), settings_of(current_app))


def ensure_calendar(store: Store, api: AdminApi) -> None:
    """The store's country and zone, read once from Shopify: every case needs them."""
    if store.country and store.timezone:
        return
    facts = shop_facts(api.execute(SHOP_FACTS))
    store.country, store.timezone = facts.country, facts.timezone


def fetch_order(api: AdminApi, order_gid: str, country: str) -> ShopifyOrder:
    pages: list[dict[str, Any]] = []
    after = None
    while True:
        page = api.execute(ORDER_FOR_CASE, {"id": order_gid, "lineItemsAfter": after})
        if not page.get("order"):
            raise PermanentEventError(f"Shopify has no order {order_gid}")
        pages.append(page)
        info = page["order"]["lineItems"].get("pageInfo") or {}
        if not info.get("hasNextPage"):
            return order_from_graphql(merge_line_pages(pages), country)
        after = info["endCursor"]


def _order_gid(payload: dict[str, Any]) -> str:
    """The order's GraphQL id: `admin_graphql_api_id`, or built from the numeric `id` that older payloads carry."""
    for named in (payload, payload.get("order") or {}):
        gid = named.get("admin_graphql_api_id")
        if isinstance(gid, str) and gid:
            return gid
        number = named.get("id")
        if isinstance(number, int) and not isinstance(number, bool) or isinstance(number, str) and number.isdigit():
            return f"gid://shopify/Order/{number}"
    raise PermanentEventError("the payload names no order (admin_graphql_api_id or id)")


@HANDLERS.on("orders/create", "orders/updated")
def record_order(session: Session, event: Event, follow_ups: FollowUps) -> None:
    """Snapshot what was bought now (compare-at prices change later); an update only moves fulfilment on."""
    store = _store(session, event)
    try:
        with _api(store) as api:
            ensure_calendar(store, api)
            assert store.country is not None
            known = find_order_snapshot(session, store.id, str(event.payload.get("id")))
            if known is not None and event.topic == "orders/updated":
                order = order_from_webhook(event.payload, store.country)
            else:
                order = fetch_order(api, _order_gid(event.payload), store.country)
    except ShopifyPayloadError as error:
        raise PermanentEventError(str(error)) from error
    save_order_snapshot(session, store_id=store.id, order_id=order.order["id"], document=order.order,
                        customer_id=order.customer_id)


def _return_request(api: AdminApi, event: Event, order: dict[str, Any], fetched: list[str]) -> ShopifyReturnRequest:
    submitted_at = event.headers.get("X-Shopify-Triggered-At") or event.received_at
    try:
        return return_request_from_webhook(event.payload, order, submitted_at=submitted_at)
    except ShopifyPayloadError:
        # Older payloads may not name each line's order line: ask Shopify for the return itself.
        data = api.execute(RETURN_FOR_CASE, {"id": event.payload.get("admin_graphql_api_id")})
        fetched.append(RETURN_FOR_CASE.operation_name)
        return return_request_from_graphql(data, order)


@HANDLERS.on("returns/request")
def open_return_case(session: Session, event: Event, follow_ups: FollowUps) -> None:
    store = _store(session, event)
    order_gid = _order_gid(event.payload.get("order") or {})
    fetched: list[str] = []  # what the payload lacked and Shopify was asked for, kept with the case
    try:
        with _api(store) as api:
            ensure_calendar(store, api)
            assert store.country is not None
            order_id = order_gid.rsplit("/", 1)[-1]
            snapshot = find_order_snapshot(session, store.id, order_id)
            if snapshot is None:  # the order came before Assay was installed, or its webhook was lost
                found = fetch_order(api, order_gid, store.country)
                fetched.append(ORDER_FOR_CASE.operation_name)
                snapshot = save_order_snapshot(session, store_id=store.id, order_id=order_id,
                                               document=found.order, customer_id=found.customer_id)
                order = snapshot.document
            else:
                # Prices stay as bought; what was paid and refunded is as it stands now, so an earlier return's
                # refund is counted and this one never refunds more than is left.
                order = order_payments(api.execute(ORDER_PAYMENTS, {"id": order_gid})).update(snapshot.document)
                fetched.append(ORDER_PAYMENTS.operation_name)
            asked = _return_request(api, event, order, fetched)
    except ShopifyPayloadError as error:
        raise PermanentEventError(str(error)) from error
    request = dict(asked.request)
    if asked.mixed_reasons:  # one return, lines with different reasons: a person sorts it out
        request["kind"], request["reason"] = "claim", "other"
    case_id, created = open_case(session, store, order=order, request=request,
                                 request_key=f"return:{asked.return_gid}",
                                 refs={"order_gid": asked.order_gid, "return_gid": asked.return_gid,
                                       "fetched": fetched})
    if created:
        follow_ups.decide(case_id, job_id=f"case-{case_id}")


@HANDLERS.on("orders/cancelled")
def close_cases_of_cancelled_order(session: Session, event: Event, follow_ups: FollowUps) -> None:
    """Cancelled elsewhere (by staff, or by Assay): nothing is left to decide, or to review, for its cases."""
    close_cases(session, _store(session, event).id, str(event.payload.get("id")), including_decided=True)


@HANDLERS.on("returns/approve", "returns/decline", "returns/cancel", "returns/close")
def close_case_of_settled_return(session: Session, event: Event, follow_ups: FollowUps) -> None:
    """Staff (or Assay) settled the return in Shopify: its case no longer waits in the review queue."""
    store = _store(session, event)
    record = find_case(session, store.id, f"return:{event.payload.get('admin_graphql_api_id')}")
    if record is not None:
        record.status = CaseStatus.CLOSED.value


@HANDLERS.on("app/uninstalled")
def uninstall(session: Session, event: Event, follow_ups: FollowUps) -> None:
    mark_store_uninstalled(_store(session, event))


# --- Shared fields and builders -------------------------------------------------------------------

_GID = re.compile(r"gid://shopify/(?P<resource>[A-Za-z]+)/(?P<number>\d+)")


class ShopifyPayloadError(PayloadError):
    """A Shopify payload that can't become a case; `errors` name each field: "line_items.0.price: must be ..."."""


class Edge(Schema):
    class Meta:
        unknown = EXCLUDE  # Shopify adds payload fields in every API version


def load(schema: Schema, payload: Any, what: str, path: str = "") -> dict[str, Any]:
    """Validate `payload` (found at `path` in the document) with `schema`; every field error at once."""
    with payload_errors(payload, what, path, ShopifyPayloadError) as document:
        loaded: dict[str, Any] = schema.load(document)
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


# --- The shop -------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class StoreFacts:
    """The shop's own facts: its country and time zone set the calendar; its currency is the orders'."""

    country: str
    timezone: str
    currency: str

    @property
    def store(self) -> dict[str, Any]:
        """The case's `store` document."""
        return {"country": self.country, "timezone": self.timezone}


class _ShopAddress(Edge):
    countryCodeV2 = CountryCode(required=True)


class _Shop(Edge):
    id = Gid("Shop", load_default=None)
    ianaTimezone = TimeZone(required=True)
    currencyCode = CurrencyCode(required=True)
    shopAddress = fields.Nested(_ShopAddress, required=True)


_SHOP = _Shop()


def shop_facts(data: Mapping[str, Any]) -> StoreFacts:
    """SHOP_FACTS's `data` as the shop's country, IANA time zone and currency."""
    raw = data.get("shop") if isinstance(data, Mapping) else None
    if raw is None:
        raise ShopifyPayloadError("ShopFacts", ["shop: is missing from the result"])
    shop = load(_SHOP, raw, "ShopFacts", "shop")
    return StoreFacts(shop["shopAddress"]["countryCodeV2"], shop["ianaTimezone"], shop["currencyCode"])


# --- Return reasons -------------------------------------------------------------------------------

CLAIM, RETURN = Kind.CLAIM, Kind.RETURN
REASONS: dict[str, tuple[Kind, Reason]] = {
    # legacy ReturnReason enum values
    "defective": (CLAIM, Reason.DEFECTIVE),
    "not-as-described": (CLAIM, Reason.NOT_AS_DESCRIBED),
    "wrong-item": (CLAIM, Reason.WRONG_ITEM),
    "size-too-small": (RETURN, Reason.WRONG_SIZE),
    "size-too-large": (RETURN, Reason.WRONG_SIZE),
    "unwanted": (RETURN, Reason.CHANGED_MIND),
    "style": (RETURN, Reason.CHANGED_MIND),
    "color": (RETURN, Reason.CHANGED_MIND),
    "other": (RETURN, Reason.OTHER),
    "unknown": (RETURN, Reason.OTHER),
    # ReturnReasonDefinition handles (2026-01 and later)
    "damaged-or-defective": (CLAIM, Reason.DEFECTIVE),
    "item-not-as-described": (CLAIM, Reason.NOT_AS_DESCRIBED),
    "received-the-wrong-item": (CLAIM, Reason.WRONG_ITEM),
    "inscription": (CLAIM, Reason.NOT_AS_DESCRIBED),
    "condition": (CLAIM, Reason.NOT_AS_DESCRIBED),
    "too-small": (RETURN, Reason.WRONG_SIZE),
    "too-big": (RETURN, Reason.WRONG_SIZE),
    "changed-my-mind": (RETURN, Reason.CHANGED_MIND),
    "other-reason": (RETURN, Reason.OTHER),
    **{handle: (RETURN, Reason.WRONG_SIZE) for handle in (
        "too-tight", "too-loose", "too-long", "too-short", "size", "fit", "length", "band-too-big", "band-too-small",
    )},
}
UNLISTED = (RETURN, Reason.OTHER)


def reason_key(value: str) -> str:
    """"SIZE_TOO_SMALL", "size_too_small" and "size-too-small" are one key."""
    return value.strip().lower().replace("_", "-")


def kind_and_reason(value: str | None) -> tuple[Kind, Reason]:
    return REASONS.get(reason_key(value), UNLISTED) if value else UNLISTED


def request_kind_and_reason(per_line: list[tuple[Kind, Reason]]) -> tuple[Kind, Reason]:
    """One request, one kind: a claim if any line reports a fault, with that line's reason; else the first line's."""
    return next((pair for pair in per_line if pair[0] is CLAIM), per_line[0] if per_line else UNLISTED)


# --- Payments -------------------------------------------------------------------------------------

# The gateways that pay with money the shop itself issued: a refund of them goes back as that, not as cash.
GIFT_CARD_GATEWAYS = frozenset({"gift_card", "shopify_store_credit"})
PAYMENT_KINDS = frozenset({"SALE", "CAPTURE"})  # what moves money from the customer; AUTHORIZATION only holds it


class SignedMoney(fields.Field[Decimal]):
    """An amount that may be negative (Shopify's total_outstanding is negative when the customer is owed)."""

    def _deserialize(self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kw: Any) -> Decimal:
        found = None
        if isinstance(value, str | int | float) and not isinstance(value, bool):
            try:
                found = Decimal(str(value))
            except InvalidOperation:
                found = None
        if found is None or not found.is_finite():
            raise ValidationError(f"must be a decimal amount such as \"-4.90\" or \"49.00\", got {value!r}")
        return found


class ShopAmount(Edge):
    amount = Money(required=True)


class ShopMoneyBag(Edge):
    """A MoneyBag as the case reads it: the shop's money (the order's currency) only."""

    shopMoney = fields.Nested(ShopAmount, required=True)


class PaymentTransaction(Edge):
    kind = fields.String(required=True)
    status = fields.String(required=True)
    gateway = fields.String(load_default=None, allow_none=True)
    amountSet = fields.Nested(ShopMoneyBag, required=True)


def is_gift_card_gateway(gateway: str | None) -> bool:
    return (gateway or "").strip().lower() in GIFT_CARD_GATEWAYS


def payment_facts(
    received: Mapping[str, Any] | None, refunded: Mapping[str, Any] | None, transactions: Sequence[Mapping[str, Any]],
    currency: str,
) -> dict[str, str]:
    """The case's `paid`, `refunded` and `gift_card_paid` from loaded OrderPaymentFacts; {} when nothing was said."""
    if received is None:
        return {}
    paid: Decimal = received["shopMoney"]["amount"]
    gift_cards = total(
        t["amountSet"]["shopMoney"]["amount"]
        for t in transactions
        if t["kind"] in PAYMENT_KINDS and t["status"] == "SUCCESS" and is_gift_card_gateway(t["gateway"])
    )
    back = refunded["shopMoney"]["amount"] if refunded else Decimal("0.00")
    return money_facts(paid, back, gift_cards, currency)


def money_facts(paid: Decimal, refunded: Decimal, gift_card_paid: Decimal | None, currency: str) -> dict[str, str]:
    """As the case states them, in the currency's minor unit (Shopify may say "194.0"), each part at most `paid`:
    an over-refund (which Shopify allows) leaves nothing to refund, not an order that can't be judged."""
    paid = max(paid, Decimal("0.00"))
    parts = {"paid": paid, "refunded": min(refunded, paid)}
    if gift_card_paid is not None:
        parts["gift_card_paid"] = min(gift_card_paid, paid)
    return {name: f"{round_money(value, currency):f}" for name, value in parts.items()}


def gift_card_share_of_gateways(gateways: Iterable[str], paid: Decimal) -> Decimal | None:
    """From the gateway names alone: all of it, none of it, or unknown (None) when gift cards and others mixed."""
    named = [is_gift_card_gateway(name) for name in gateways if name]
    if not any(named):
        return Decimal("0.00")
    if all(named):
        return paid
    return None


class _LineCount(Edge):
    id = Gid("LineItem", required=True)
    quantity = Whole(required=True)
    currentQuantity = Whole(load_default=None, allow_none=True)


class _LineCounts(Edge):
    nodes = fields.List(fields.Nested(_LineCount), load_default=list)


class _OrderPayments(Edge):
    currencyCode = CurrencyCode(required=True)
    totalReceivedSet = fields.Nested(ShopMoneyBag, load_default=None, allow_none=True)
    totalRefundedSet = fields.Nested(ShopMoneyBag, load_default=None, allow_none=True)
    transactions = fields.List(fields.Nested(PaymentTransaction), load_default=list)
    lineItems = fields.Nested(_LineCounts, load_default=None, allow_none=True)


_ORDER_PAYMENTS = _OrderPayments()


@dataclass(frozen=True, slots=True)
class OrderPayments:
    """ORDER_PAYMENTS read now: the case's money facts, and each line's units refunded (or removed) so far."""

    currency: str
    facts: dict[str, str]
    refunded_quantities: dict[str, int]  # numeric line id -> units

    @property
    def refundable(self) -> Decimal | None:
        """What Shopify still holds of what was paid: what cancelling refunds to the original payments."""
        if "paid" not in self.facts:
            return None
        return max(Decimal(self.facts["paid"]) - Decimal(self.facts["refunded"]), Decimal("0.00"))

    def update(self, order: Mapping[str, Any]) -> dict[str, Any]:
        """A case's `order` document with these facts in place of the ones it was snapshotted with."""
        lines = [{**line, "refunded_quantity": self.refunded_quantities.get(str(line.get("id")),
                                                                               line.get("refunded_quantity", 0))}
                 for line in order.get("lines") or []]
        return {**order, **self.facts, "lines": lines}


def order_payments(data: Mapping[str, Any]) -> OrderPayments:
    """ORDER_PAYMENTS's `data`; raises ShopifyPayloadError naming each bad field."""
    raw = data.get("order") if isinstance(data, Mapping) else None
    if raw is None:
        raise ShopifyPayloadError("OrderPayments", ["order: not found (deleted, or not visible to the app)"])
    found = load(_ORDER_PAYMENTS, raw, "OrderPayments", "order")
    counts = {
        numeric_id(line["id"]): refunded_units(line["quantity"], line["currentQuantity"])
        for line in (found["lineItems"] or {}).get("nodes", [])
        if line["currentQuantity"] is not None
    }
    facts = payment_facts(found["totalReceivedSet"], found["totalRefundedSet"], found["transactions"],
                          found["currencyCode"])
    return OrderPayments(found["currencyCode"], facts, counts)


# --- An orders webhook -> the order ---------------------------------------------------------------

# A fulfillment in one of these states shipped nothing.
_VOID_FULFILLMENTS = frozenset({"cancelled", "error", "failure"})
CompareAtPrices = Mapping[str, Any]  # variant id -> compare-at price captured when the order arrived
ProductLookup = Mapping[str, ProductFacts | tuple[str | None, Sequence[str]]]  # product id -> facts


class _ShopMoney(Edge):
    amount = Money(required=True)


class _MoneySet(Edge):
    shop_money = fields.Nested(_ShopMoney, required=True)


class _DiscountAllocation(Edge):
    amount = Money(load_default=None, allow_none=True)
    amount_set = fields.Nested(_MoneySet, load_default=None, allow_none=True)


class _TaxLine(Edge):
    price = Money(load_default=None, allow_none=True)
    price_set = fields.Nested(_MoneySet, load_default=None, allow_none=True)


class _Property(Edge):
    name = fields.String(required=True)
    value = fields.Raw(load_default=None, allow_none=True)


class _LineItem(Edge):
    id = NumericId(required=True)
    title = fields.String(load_default="", allow_none=True)
    sku = fields.String(load_default=None, allow_none=True)
    quantity = Whole(required=True, validate=at_least(1))
    price = Money(required=True)
    price_set = fields.Nested(_MoneySet, load_default=None, allow_none=True)
    discount_allocations = fields.List(fields.Nested(_DiscountAllocation), load_default=list)
    gift_card = Flag(load_default=False)
    properties = fields.List(fields.Nested(_Property), load_default=list, allow_none=True)
    tax_lines = fields.List(fields.Nested(_TaxLine), load_default=list)
    current_quantity = Whole(load_default=None, allow_none=True)
    fulfillable_quantity = Whole(load_default=None, allow_none=True)
    fulfillment_status = fields.String(load_default=None, allow_none=True)
    variant_id = NumericId(load_default=None, allow_none=True)
    product_id = NumericId(load_default=None, allow_none=True)


class _ShippingLine(Edge):
    price = Money(load_default=None, allow_none=True)
    price_set = fields.Nested(_MoneySet, load_default=None, allow_none=True)
    discounted_price = Money(load_default=None, allow_none=True)
    discounted_price_set = fields.Nested(_MoneySet, load_default=None, allow_none=True)
    is_removed = Flag(load_default=False)
    tax_lines = fields.List(fields.Nested(_TaxLine), load_default=list)


class _Fulfillment(Edge):
    created_at = Instant(required=True)
    status = fields.String(load_default=None, allow_none=True)


class _Address(Edge):
    country_code = CountryCode(load_default=None, allow_none=True)


class _Customer(Edge):
    id = NumericId(required=True)


class _RefundTransaction(Edge):
    kind = fields.String(load_default=None, allow_none=True)
    status = fields.String(load_default=None, allow_none=True)
    amount = Money(required=True)
    currency = fields.String(load_default=None, allow_none=True)


class _Refund(Edge):
    transactions = fields.List(fields.Nested(_RefundTransaction), load_default=list)


class WebhookOrderSchema(Edge):
    id = NumericId(required=True)
    admin_graphql_api_id = fields.String(load_default=None, allow_none=True)
    created_at = Instant(required=True)
    processed_at = Instant(load_default=None, allow_none=True)
    currency = CurrencyCode(required=True)
    taxes_included = Flag(load_default=False)
    current_total_price = Money(load_default=None, allow_none=True)
    current_total_price_set = fields.Nested(_MoneySet, load_default=None, allow_none=True)
    total_outstanding = SignedMoney(load_default=None, allow_none=True)
    payment_gateway_names = fields.List(fields.String(), load_default=list)
    refunds = fields.List(fields.Nested(_Refund), load_default=list)
    customer = fields.Nested(_Customer, load_default=None, allow_none=True)
    shipping_address = fields.Nested(_Address, load_default=None, allow_none=True)
    shipping_lines = fields.List(fields.Nested(_ShippingLine), load_default=list)
    fulfillments = fields.List(fields.Nested(_Fulfillment), load_default=list)
    line_items = fields.List(fields.Nested(_LineItem), required=True,
                             validate=validate.Length(min=1, error="must list at least one line item"))


_SCHEMA = WebhookOrderSchema()


def order_from_webhook(
    payload: Mapping[str, Any],
    shop_country: str,
    *,
    compare_at_prices: CompareAtPrices | None = None,
    products: ProductLookup | None = None,
) -> ShopifyOrder:
    """An orders/create or orders/updated payload as the contract's order; raises ShopifyPayloadError."""
    data = load(_SCHEMA, payload, "orders webhook")
    country = (data["shipping_address"] or {}).get("country_code")
    fulfilled = [f["created_at"] for f in data["fulfillments"] if (f["status"] or "").lower() not in _VOID_FULFILLMENTS]
    shipping_lines = [line for line in data["shipping_lines"] if not line["is_removed"]]
    order = {
        "id": data["id"],
        # processed_at is the date Shopify shows on the order; it differs from created_at for imported orders.
        "placed_at": instant(data["processed_at"] or data["created_at"]),
        "currency": data["currency"],
        "country": country,
        "taxes_included": data["taxes_included"],
        "shipping": {
            "amount": amount(total(map(_shipping_paid, shipping_lines))),
            "international": country is not None and country != shop_country,
            "tax": amount(total(_tax(line) for line in shipping_lines)),
        },
        "fulfilled_at": instant(min(fulfilled)) if fulfilled else None,
        "delivered_at": None,  # the REST payload carries no delivery date; ORDER_FOR_CASE has it
        **_payments(data),
        "lines": [_line(item, compare_at_prices or {}, products or {}) for item in data["line_items"]],
    }
    customer = data["customer"]
    return ShopifyOrder(
        order=order,
        customer_id=customer["id"] if customer else None,
        admin_graphql_id=data["admin_graphql_api_id"] or gid("Order", data["id"]),
    )


def product_facts(products: ProductLookup, product_id: str | None) -> ProductFacts:
    found = products.get(product_id) if product_id is not None else None
    if found is None or isinstance(found, ProductFacts):
        return found or ProductFacts()
    product_type, tags = found
    return ProductFacts(product_type, tuple(tags))


def _payments(data: dict[str, Any]) -> dict[str, str]:
    """paid, refunded and, where the gateways tell it, gift_card_paid; nothing where the payload can't say."""
    now = data["current_total_price_set"]
    if (now is None and data["current_total_price"] is None) or data["total_outstanding"] is None:
        return {}
    refund_transactions = [t for refund in data["refunds"] for t in refund["transactions"]
                           if (t["kind"] or "").lower() == "refund" and (t["status"] or "").lower() == "success"]
    if any(t["currency"] not in (None, data["currency"]) for t in refund_transactions):
        return {}  # refunded in the customer's currency: not comparable with the shop's
    refunded = total(t["amount"] for t in refund_transactions)
    paid = _shop_amount(now, data["current_total_price"]) - data["total_outstanding"] + refunded
    return money_facts(paid, refunded, gift_card_share_of_gateways(data["payment_gateway_names"], paid),
                       data["currency"])


def _line(item: dict[str, Any], compare_at_prices: CompareAtPrices, products: ProductLookup) -> dict[str, Any]:
    variant = item["variant_id"]
    document = line_document(
        line_id=item["id"],
        title=item["title"] or "",
        sku=item["sku"],
        quantity=item["quantity"],
        unit_price=_shop_amount(item["price_set"], item["price"]),
        compare_at_price=snapshot_amount(compare_at_prices.get(variant), f"variant {variant}") if variant else None,
        discount=total(_shop_amount(a["amount_set"], a["amount"]) for a in item["discount_allocations"]),
        product=product_facts(products, item["product_id"]),
        gift_card=item["gift_card"],
        properties=custom_properties((p["name"], p["value"]) for p in item["properties"] or []),
        fulfilled_quantity=_fulfilled_quantity(item),
        tax=_tax(item),
    )
    return with_refunded_quantity(document, item["quantity"], item["current_quantity"])


def _fulfilled_quantity(item: dict[str, Any]) -> int | None:
    quantity: int = item["quantity"]
    if item["fulfillable_quantity"] is not None:
        return quantity - int(item["fulfillable_quantity"])
    status = (item["fulfillment_status"] or "").lower()
    if status == "fulfilled":
        return quantity
    return 0 if not status else None  # "partial": how many is unsaid; the case infers it from the dates


def _tax(line: dict[str, Any]) -> Decimal:
    """The tax Shopify charged on a line item or shipping line: after its discounts, on its whole quantity."""
    return total(_shop_amount(tax["price_set"], tax["price"]) for tax in line["tax_lines"])


def _shipping_paid(line: dict[str, Any]) -> Decimal:
    """What the customer paid for the method: after shipping discounts, so a refund never exceeds it."""
    if line["discounted_price_set"] is not None or line["discounted_price"] is not None:
        return _shop_amount(line["discounted_price_set"], line["discounted_price"])
    return _shop_amount(line["price_set"], line["price"])


def _shop_amount(money_set: dict[str, Any] | None, plain: Decimal | None) -> Decimal:
    if money_set is not None:
        found: Decimal = money_set["shop_money"]["amount"]
        return found
    return plain if plain is not None else Decimal("0.00")


# --- ORDER_FOR_CASE -> the order ------------------------------------------------------------------

_VOID_GQL_FULFILLMENTS = frozenset({"CANCELLED", "ERROR", "FAILURE"})


class _Allocation(Edge):
    allocatedAmountSet = fields.Nested(ShopMoneyBag, required=True)


class _GqlTaxLine(Edge):
    priceSet = fields.Nested(ShopMoneyBag, required=True)


class _Attribute(Edge):
    key = fields.String(required=True)
    value = fields.Raw(load_default=None, allow_none=True)


class _Variant(Edge):
    id = Gid("ProductVariant", required=True)
    compareAtPrice = Money(load_default=None, allow_none=True)


class _Product(Edge):
    productType = fields.String(load_default=None, allow_none=True)
    tags = fields.List(fields.String(), load_default=list)


class _GqlLineItem(Edge):
    id = Gid("LineItem", required=True)
    title = fields.String(load_default="", allow_none=True)
    sku = fields.String(load_default=None, allow_none=True)
    quantity = Whole(required=True, validate=at_least(1))
    currentQuantity = Whole(load_default=None, allow_none=True)
    unfulfilledQuantity = Whole(load_default=None, allow_none=True)
    nonFulfillableQuantity = Whole(load_default=None, allow_none=True)
    isGiftCard = Flag(load_default=False)
    customAttributes = fields.List(fields.Nested(_Attribute), load_default=list)
    originalUnitPriceSet = fields.Nested(ShopMoneyBag, required=True)
    discountAllocations = fields.List(fields.Nested(_Allocation), load_default=list)
    taxLines = fields.List(fields.Nested(_GqlTaxLine), load_default=list)
    variant = fields.Nested(_Variant, load_default=None, allow_none=True)  # null once the variant is deleted
    product = fields.Nested(_Product, load_default=None, allow_none=True)


class _PageInfo(Edge):
    hasNextPage = Flag(load_default=False)


class _LineItems(Edge):
    nodes = fields.List(fields.Nested(_GqlLineItem), required=True)
    pageInfo = fields.Nested(_PageInfo, load_default=None, allow_none=True)


class _GqlShippingLine(Edge):
    originalPriceSet = fields.Nested(ShopMoneyBag, load_default=None, allow_none=True)
    discountedPriceSet = fields.Nested(ShopMoneyBag, load_default=None, allow_none=True)
    taxLines = fields.List(fields.Nested(_GqlTaxLine), load_default=list)


class _ShippingLines(Edge):
    nodes = fields.List(fields.Nested(_GqlShippingLine), load_default=list)


class _Event(Edge):
    status = fields.String(required=True)
    happenedAt = Instant(required=True)


class _Events(Edge):
    nodes = fields.List(fields.Nested(_Event), load_default=list)


class _GqlFulfillment(Edge):
    status = fields.String(load_default=None, allow_none=True)
    createdAt = Instant(required=True)
    deliveredAt = Instant(load_default=None, allow_none=True)
    events = fields.Nested(_Events, load_default=None, allow_none=True)


class _GqlAddress(Edge):
    countryCodeV2 = CountryCode(load_default=None, allow_none=True)


class _GqlCustomer(Edge):
    id = Gid("Customer", required=True)


class GraphQLOrderSchema(Edge):
    id = Gid("Order", required=True)
    createdAt = Instant(required=True)
    processedAt = Instant(load_default=None, allow_none=True)
    currencyCode = CurrencyCode(required=True)
    taxesIncluded = Flag(load_default=False)
    totalReceivedSet = fields.Nested(ShopMoneyBag, load_default=None, allow_none=True)
    totalRefundedSet = fields.Nested(ShopMoneyBag, load_default=None, allow_none=True)
    transactions = fields.List(fields.Nested(PaymentTransaction), load_default=list)
    customer = fields.Nested(_GqlCustomer, load_default=None, allow_none=True)
    shippingAddress = fields.Nested(_GqlAddress, load_default=None, allow_none=True)
    shippingLines = fields.Nested(_ShippingLines, load_default=None, allow_none=True)
    lineItems = fields.Nested(_LineItems, required=True)
    fulfillments = fields.List(fields.Nested(_GqlFulfillment), load_default=list)


_GQL_ORDER = GraphQLOrderSchema()


def order_from_graphql(
    data: Mapping[str, Any], shop_country: str, *, compare_at_prices: CompareAtPrices | None = None
) -> ShopifyOrder:
    """ORDER_FOR_CASE's `data` (every lineItems page merged) as the contract's order; raises ShopifyPayloadError."""
    # The variant's compareAtPrice is today's; pass the snapshot taken when the order arrived as `compare_at_prices`
    # (variant id -> price) and it wins.
    raw = data.get("order") if isinstance(data, Mapping) else None
    if raw is None:
        raise ShopifyPayloadError("OrderForCase", ["order: not found (deleted, or not visible to the app)"])
    order = load(_GQL_ORDER, raw, "OrderForCase", "order")
    if (order["lineItems"]["pageInfo"] or {}).get("hasNextPage"):
        # Deciding on a partial order would miss lines; the caller pages with $lineItemsAfter and merges.
        raise ShopifyPayloadError("OrderForCase", ["order.lineItems: has more pages; fetch every page and "
                                                   "merge_line_pages them"])
    country = (order["shippingAddress"] or {}).get("countryCodeV2")
    fulfillments = [f for f in order["fulfillments"] if (f["status"] or "") not in _VOID_GQL_FULFILLMENTS]
    delivered = [at for at in map(_delivered_at, fulfillments) if at is not None]
    shipping_lines = (order["shippingLines"] or {}).get("nodes", [])
    document = {
        "id": numeric_id(order["id"]),
        "placed_at": instant(order["processedAt"] or order["createdAt"]),
        "currency": order["currencyCode"],
        "country": country,
        "taxes_included": order["taxesIncluded"],
        "shipping": {
            "amount": amount(total(map(_gql_shipping_paid, shipping_lines))),
            "international": country is not None and country != shop_country,
            "tax": amount(total(map(_gql_tax, shipping_lines))),
        },
        "fulfilled_at": instant(min(f["createdAt"] for f in fulfillments)) if fulfillments else None,
        # The latest known delivery: a window "from receipt" starts when the last parcel arrived.
        "delivered_at": instant(max(delivered)) if delivered else None,
        **payment_facts(order["totalReceivedSet"], order["totalRefundedSet"], order["transactions"],
                        order["currencyCode"]),
        "lines": [_gql_line(item, compare_at_prices or {}) for item in order["lineItems"]["nodes"]],
    }
    customer = order["customer"]
    return ShopifyOrder(document, numeric_id(customer["id"]) if customer else None, order["id"])


def merge_line_pages(pages: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """ORDER_FOR_CASE results for successive $lineItemsAfter cursors as one result holding every line."""
    if not pages:
        raise ValueError("merge_line_pages needs at least one page")
    first = dict(pages[0])
    order = dict(first.get("order") or {})
    nodes = [node for page in pages for node in (((page.get("order") or {}).get("lineItems") or {}).get("nodes") or [])]
    last_info = ((pages[-1].get("order") or {}).get("lineItems") or {}).get("pageInfo")
    order["lineItems"] = {"nodes": nodes, "pageInfo": last_info}
    first["order"] = order
    return first


def _gql_line(item: dict[str, Any], compare_at_prices: CompareAtPrices) -> dict[str, Any]:
    variant, product = item["variant"], item["product"]
    compare_at = variant["compareAtPrice"] if variant else None
    if variant and numeric_id(variant["id"]) in compare_at_prices:
        variant_number = numeric_id(variant["id"])
        compare_at = snapshot_amount(compare_at_prices[variant_number], f"variant {variant_number}")
    unfulfilled, unfulfillable = item["unfulfilledQuantity"], item["nonFulfillableQuantity"]
    fulfilled = None if unfulfilled is None else item["quantity"] - unfulfilled - (unfulfillable or 0)
    document = line_document(
        line_id=numeric_id(item["id"]),
        title=item["title"] or "",
        sku=item["sku"],
        quantity=item["quantity"],
        unit_price=item["originalUnitPriceSet"]["shopMoney"]["amount"],
        compare_at_price=compare_at,
        discount=total(a["allocatedAmountSet"]["shopMoney"]["amount"] for a in item["discountAllocations"]),
        product=ProductFacts(product["productType"], tuple(product["tags"])) if product else ProductFacts(),
        gift_card=item["isGiftCard"],
        properties=custom_properties((a["key"], a["value"]) for a in item["customAttributes"]),
        fulfilled_quantity=fulfilled,
        tax=_gql_tax(item),
    )
    return with_refunded_quantity(document, item["quantity"], item["currentQuantity"])


def _gql_tax(line: dict[str, Any]) -> Decimal:
    """Shopify's taxLines of a line item (its whole quantity, after discounts) or of a shipping line."""
    return total(tax["priceSet"]["shopMoney"]["amount"] for tax in line["taxLines"])


def _delivered_at(fulfillment: dict[str, Any]) -> datetime | None:
    if fulfillment["deliveredAt"] is not None:
        at: datetime = fulfillment["deliveredAt"]
        return at
    events = (fulfillment["events"] or {}).get("nodes", [])
    return max((e["happenedAt"] for e in events if e["status"] == "DELIVERED"), default=None)


def _gql_shipping_paid(line: dict[str, Any]) -> Decimal:
    """After shipping discounts, like the webhook path, so both paths agree on the same order."""
    bag = line["discountedPriceSet"] or line["originalPriceSet"]
    return bag["shopMoney"]["amount"] if bag else Decimal("0.00")


# --- A return request -----------------------------------------------------------------------------

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
