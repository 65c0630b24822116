"""The fake site's data and its REST routes: what each wc/v3 request does to the state, as WooCommerce would."""

from __future__ import annotations

import itertools
import re
import threading
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from .woocommerce_refunds import create_refund
from .woocommerce_seed import build_order, build_product

Answer = tuple[int, Any, dict[str, str]]
CORE_STATUSES = {"pending", "processing", "on-hold", "completed", "cancelled", "refunded", "failed", "checkout-draft"}
REFUND_REFUSED = "woocommerce_rest_cannot_create_order_refund"
GIFT_CARD_CREDIT_STATUSES = {"cancelled", "refunded", "failed"}  # both gift-card plugins credit cards back on these


class WooState:
    """Everything the site holds; `lock` guards it against the server's request threads."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.now = "2026-03-01T12:00:00"  # the site's clock, UTC: writes stamp date_modified_gmt with it
        self.statuses = set(CORE_STATUSES) | {"cancel-request", "return-requested", "delivered"}
        self.orders: dict[int, dict[str, Any]] = {}
        self.products: dict[int, dict[str, Any]] = {}
        self.variations: dict[tuple[int, int], dict[str, Any]] = {}
        self.refunds: dict[int, list[dict[str, Any]]] = {}
        self.notes: dict[int, list[dict[str, Any]]] = {}
        self.webhooks: dict[int, dict[str, Any]] = {}
        self.webhook_secrets: dict[int, str] = {}  # kept apart: WooCommerce never shows a webhook's secret
        self.gateways: dict[str, dict[str, Any]] = {
            "stripe": {"id": "stripe", "title": "Credit card (Stripe)", "enabled": True,
                       "method_supports": ["products", "refunds"]},
            "bacs": {"id": "bacs", "title": "Direct bank transfer", "enabled": True, "method_supports": ["products"]},
        }
        self.settings = [{"id": "woocommerce_default_country", "value": "DE:BE"},
                         {"id": "woocommerce_currency", "value": "EUR"}]
        self.index = {"name": "Fake jewels", "url": "", "gmt_offset": 1, "timezone_string": "Europe/Berlin"}
        self.emails: list[tuple[str, int]] = []  # (kind, order id) for what WooCommerce would email the customer
        self.restocked: list[int] = []  # orders whose stock went back on cancellation
        self.restocked_items: list[tuple[int, int, int]] = []  # (order, item, quantity) a refund put back in stock
        # (order id, card code, amount) the gift-card plugins credited back when the order was cancelled or refunded
        self.gift_card_credits: list[tuple[int, str, Decimal]] = []
        # What WooCommerce accepts in a refund without a word but that leaves its books wrong (see refund_checks)
        self.refund_warnings: list[str] = []
        self._ids = itertools.count(101)
        self._item_ids = itertools.count(1)  # order items of every type share one sequence, as in WooCommerce
        self._refund_ids = itertools.count(900)

    def add_order(self, **spec: Any) -> dict[str, Any]:
        with self.lock:
            order_id = next(self._ids)
            order = build_order(order_id, spec, self._item_ids)
            if spec.get("pw_gift_card"):
                order["_pw_gift_card"] = Decimal(str(spec["pw_gift_card"]))  # not shown: PW lists it nowhere in REST
            self.orders[order_id] = order
            return self.order(order_id)

    def add_product(self, product_id: int, **spec: Any) -> None:
        with self.lock:
            self.products[product_id] = build_product(product_id, spec)

    def add_variation(self, product_id: int, variation_id: int, **spec: Any) -> None:
        with self.lock:
            self.variations[(product_id, variation_id)] = build_product(variation_id, spec)

    def add_webhook(self, webhook_id: int, topic: str, delivery_url: str, status: str = "active") -> None:
        with self.lock:
            self.webhooks[webhook_id] = {"id": webhook_id, "name": f"Assay {topic}", "status": status,
                                         "topic": topic, "delivery_url": delivery_url}

    def order(self, order_id: int) -> dict[str, Any]:
        """The order as GET orders/<id> (and a webhook) shows it now."""
        with self.lock:
            order = {key: value for key, value in self.orders[order_id].items() if not key.startswith("_")}
            order["refunds"] = [{"id": r["id"], "reason": r["reason"], "total": f"-{r['amount']}"}
                                for r in reversed(self.refunds.get(order_id, []))]
            return order

    def set_status(self, order_id: int, status: str, at: str) -> dict[str, Any]:
        """The customer or a plugin moves the order, at `at` (UTC)."""
        with self.lock:
            self.now = at
            self._move(self.orders[order_id], status)
            return self.order(order_id)

    def _move(self, order: dict[str, Any], status: str) -> None:
        if status == "cancelled" and order["status"] != "cancelled":
            self.restocked.append(order["id"])
        if status in GIFT_CARD_CREDIT_STATUSES:
            self._credit_gift_cards(order)
        if status == "completed":
            order["date_completed"] = order["date_completed_gmt"] = self.now
        order["status"] = status
        order["date_modified"] = order["date_modified_gmt"] = self.now


    def _credit_gift_cards(self, order: dict[str, Any]) -> None:
        """WooCommerce Gift Cards and PW Gift Cards put a cancelled or refunded order's cards back, once."""
        if order.get("_gift_cards_credited"):
            return
        cards = [(card["code"], Decimal(card["amount"])) for card in order.get("gift_cards") or ()]
        if order.get("_pw_gift_card"):
            cards.append(("PW", order["_pw_gift_card"]))
        self.gift_card_credits += [(order["id"], code, amount) for code, amount in cards]
        order["_gift_cards_credited"] = bool(cards)

    def remaining_refund(self, order_id: int) -> Decimal:
        """WooCommerce's get_remaining_refund_amount: the total less every refund."""
        refunds = self.refunds.get(order_id, [])
        return Decimal(self.orders[order_id]["total"]) - sum((Decimal(r["amount"]) for r in refunds), Decimal(0))


class Routes:
    """wc/v3 routes: (method, path regex) -> handler(match, query, body)."""

    def __init__(self, state: WooState) -> None:
        self.state = state
        self._table: list[tuple[str, re.Pattern[str], Callable[..., Answer]]] = [
            ("GET", re.compile(r"orders"), self.list_orders),
            ("GET", re.compile(r"orders/(\d+)"), self.get_order),
            ("PUT", re.compile(r"orders/(\d+)"), self.update_order),
            ("GET", re.compile(r"orders/(\d+)/refunds"), self.list_refunds),
            ("POST", re.compile(r"orders/(\d+)/refunds"), self.create_refund),
            ("GET", re.compile(r"orders/(\d+)/notes"), self.list_notes),
            ("POST", re.compile(r"orders/(\d+)/notes"), self.create_note),
            ("GET", re.compile(r"products/(\d+)"), self.get_product),
            ("GET", re.compile(r"products/(\d+)/variations/(\d+)"), self.get_variation),
            ("GET", re.compile(r"payment_gateways/([a-z0-9_-]+)"), self.get_gateway),
            ("GET", re.compile(r"settings/general"), lambda match, query, body: (200, self.state.settings, {})),
            ("GET", re.compile(r"webhooks"), self.list_webhooks),
            ("POST", re.compile(r"webhooks"), self.create_webhook),
            ("PUT", re.compile(r"webhooks/(\d+)"), self.update_webhook),
        ]

    def dispatch(self, method: str, path: str, query: Mapping[str, str], body: Any) -> Answer:
        for route_method, pattern, handler in self._table:
            match = pattern.fullmatch(path)
            if match and route_method == method:
                return handler(match, query, body)
        return 404, {"code": "rest_no_route", "message": "No route was found matching the URL and request method."}, {}

    def _order_or_404(self, match: re.Match[str]) -> dict[str, Any] | None:
        return self.state.orders.get(int(match.group(1)))

    def list_orders(self, match: re.Match[str], query: Mapping[str, str], body: Any) -> Answer:
        after = query.get("modified_after")
        found = [self.state.order(i) for i, o in sorted(self.state.orders.items())
                 if o["status"] != "trash" and (after is None or o["date_modified_gmt"] > after)]
        if query.get("orderby") == "modified":
            found.sort(key=lambda o: o["date_modified_gmt"], reverse=query.get("order") == "desc")
        return _page(found, query)

    def get_order(self, match: re.Match[str], query: Mapping[str, str], body: Any) -> Answer:
        if self._order_or_404(match) is None:
            return _invalid_order()
        return 200, self.state.order(int(match.group(1))), {}

    def update_order(self, match: re.Match[str], query: Mapping[str, str], body: Any) -> Answer:
        order = self._order_or_404(match)
        if order is None:
            return _invalid_order()
        status = (body or {}).get("status")
        if status is not None and status not in self.state.statuses:
            return 400, {"code": "rest_invalid_param", "message": "Invalid parameter(s): status",
                         "data": {"status": 400, "params": {"status": "status is not one of "
                                                                      + ", ".join(sorted(self.state.statuses))}}}, {}
        if status is not None and status != order["status"]:
            self.state._move(order, status)
        for meta in (body or {}).get("meta_data") or ():  # as WC_Data::update_meta_data: by key, else added
            known = next((m for m in order.setdefault("meta_data", []) if m["key"] == meta["key"]), None)
            if known is None:
                order["meta_data"].append({"id": 900 + len(order["meta_data"]), **meta})
            else:
                known["value"] = meta["value"]
        return 200, self.state.order(order["id"]), {}

    def list_refunds(self, match: re.Match[str], query: Mapping[str, str], body: Any) -> Answer:
        if self._order_or_404(match) is None:
            return _invalid_order()
        return _page(list(reversed(self.state.refunds.get(int(match.group(1)), []))), query)

    def create_refund(self, match: re.Match[str], query: Mapping[str, str], body: Any) -> Answer:
        """As WC_REST_Order_Refunds_Controller and wc_create_refund do it (see woocommerce_refunds)."""
        order = self._order_or_404(match)
        if order is None:
            return _invalid_order()
        return create_refund(self.state, order, body or {})

    def list_notes(self, match: re.Match[str], query: Mapping[str, str], body: Any) -> Answer:
        if self._order_or_404(match) is None:
            return _invalid_order()
        return 200, list(reversed(self.state.notes.get(int(match.group(1)), []))), {}

    def create_note(self, match: re.Match[str], query: Mapping[str, str], body: Any) -> Answer:
        order = self._order_or_404(match)
        if order is None:
            return _invalid_order()
        notes = self.state.notes.setdefault(order["id"], [])
        note = {"id": 500 + sum(len(n) for n in self.state.notes.values()), "author": "WooCommerce",
                "date_created": self.state.now, "note": (body or {}).get("note", ""),
                "customer_note": bool((body or {}).get("customer_note"))}
        notes.append(note)
        if note["customer_note"]:
            self.state.emails.append(("customer_note", order["id"]))
        return 201, note, {}

    def get_product(self, match: re.Match[str], query: Mapping[str, str], body: Any) -> Answer:
        product = self.state.products.get(int(match.group(1)))
        if product is None:
            return 404, {"code": "woocommerce_rest_product_invalid_id", "message": "Invalid ID."}, {}
        return 200, product, {}

    def get_variation(self, match: re.Match[str], query: Mapping[str, str], body: Any) -> Answer:
        variation = self.state.variations.get((int(match.group(1)), int(match.group(2))))
        if variation is None:
            return 404, {"code": "woocommerce_rest_product_variation_invalid_id", "message": "Invalid ID."}, {}
        return 200, variation, {}

    def get_gateway(self, match: re.Match[str], query: Mapping[str, str], body: Any) -> Answer:
        gateway = self.state.gateways.get(match.group(1))
        if gateway is None:
            return 404, {"code": "woocommerce_rest_payment_gateway_invalid_id", "message": "Invalid ID."}, {}
        return 200, gateway, {}

    def list_webhooks(self, match: re.Match[str], query: Mapping[str, str], body: Any) -> Answer:
        wanted = query.get("status", "all")
        return _page([w for _, w in sorted(self.state.webhooks.items()) if wanted in ("all", w["status"])], query)

    def update_webhook(self, match: re.Match[str], query: Mapping[str, str], body: Any) -> Answer:
        webhook = self.state.webhooks.get(int(match.group(1)))
        if webhook is None:
            return 404, {"code": "woocommerce_rest_webhook_invalid_id", "message": "Invalid ID."}, {}
        webhook.update({k: v for k, v in (body or {}).items() if k in ("status", "name", "delivery_url")})
        if (body or {}).get("secret"):
            self.state.webhook_secrets[webhook["id"]] = body["secret"]
        return 200, webhook, {}

    def create_webhook(self, match: re.Match[str], query: Mapping[str, str], body: Any) -> Answer:
        body = body or {}
        topic, url = str(body.get("topic") or ""), str(body.get("delivery_url") or "")
        if not re.fullmatch(r"[a-z_]+\.[a-z_]+", topic) or not re.match(r"https?://", url):
            return 400, {"code": "rest_invalid_param", "message": "Invalid parameter(s): topic, delivery_url",
                         "data": {"status": 400}}, {}
        webhook_id = max(self.state.webhooks, default=0) + 1
        self.state.add_webhook(webhook_id, topic, url, str(body.get("status") or "active"))
        self.state.webhooks[webhook_id]["name"] = str(body.get("name") or f"Webhook {webhook_id}")
        if body.get("secret"):
            self.state.webhook_secrets[webhook_id] = body["secret"]
        return 201, self.state.webhooks[webhook_id], {}


def _page(items: list[Any], query: Mapping[str, str]) -> Answer:
    per_page, page = int(query.get("per_page", 10)), int(query.get("page", 1))
    pages = max(1, -(-len(items) // per_page))
    return 200, items[(page - 1) * per_page: page * per_page], {"X-WP-Total": str(len(items)),
                                                                 "X-WP-TotalPages": str(pages)}


def _invalid_order() -> Answer:
    return 404, {"code": "woocommerce_rest_shop_order_invalid_id", "message": "Invalid ID.",
                 "data": {"status": 404}}, {}
