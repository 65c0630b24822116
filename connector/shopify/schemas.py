"""Shopify data -> the contract's case pieces (store, order, request). The one import for callers.

The modules behind it: schemas_order (orders webhooks), schemas_order_graphql (ORDER_FOR_CASE),
schemas_return (returns/request and RETURN_FOR_CASE), schemas_reasons (return reason -> kind and reason),
schemas_payments (what was paid, refunded and paid by gift card; ORDER_PAYMENTS), schemas_common (the error
and shared fields). Every function raises ShopifyPayloadError, naming each bad
field, for a payload it can't use; never a KeyError.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from marshmallow import fields

from connector.shopify.schemas_common import (
    Edge,
    Gid,
    ProductFacts,
    ShopifyOrder,
    ShopifyPayloadError,
    load,
)
from connector.shopify.schemas_order import order_from_webhook
from connector.shopify.schemas_order_graphql import merge_line_pages, order_from_graphql
from connector.shopify.schemas_payments import OrderPayments, order_payments
from connector.shopify.schemas_reasons import REASONS, kind_and_reason
from connector.shopify.schemas_return import (
    ShopifyReturnRequest,
    line_map_from_graphql,
    return_request_from_graphql,
    return_request_from_webhook,
)
from policies.fields import CountryCode, CurrencyCode, TimeZone

__all__ = [
    "REASONS",
    "OrderPayments",
    "ProductFacts",
    "ShopifyOrder",
    "ShopifyPayloadError",
    "ShopifyReturnRequest",
    "StoreFacts",
    "kind_and_reason",
    "line_map_from_graphql",
    "merge_line_pages",
    "order_from_graphql",
    "order_from_webhook",
    "order_payments",
    "return_request_from_graphql",
    "return_request_from_webhook",
    "shop_facts",
]


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


class _Address(Edge):
    countryCodeV2 = CountryCode(required=True)


class _Shop(Edge):
    id = Gid("Shop", load_default=None)
    ianaTimezone = TimeZone(required=True)
    currencyCode = CurrencyCode(required=True)
    shopAddress = fields.Nested(_Address, required=True)


_SHOP = _Shop()


def shop_facts(data: Mapping[str, Any]) -> StoreFacts:
    """SHOP_FACTS's `data` as the shop's country, IANA time zone and currency."""
    raw = data.get("shop") if isinstance(data, Mapping) else None
    if raw is None:
        raise ShopifyPayloadError("ShopFacts", ["shop: is missing from the result"])
    shop = load(_SHOP, raw, "ShopFacts", "shop")
    return StoreFacts(shop["shopAddress"]["countryCodeV2"], shop["ianaTimezone"], shop["currencyCode"])
