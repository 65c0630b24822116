"""Builds WooCommerce REST (wc/v3) shaped orders and products for the fake from short specs.

An order spec: status, created/modified/completed/paid (UTC, "2026-03-01T09:30:00"), currency, country,
email, shipping ("6.90"), payment_method, prices_include_tax, lines [{product_id, variation_id, name, sku,
quantity, price (unit, before coupons), discount (the line's coupon share), tax_rate, meta {key: value}}].
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

CENT = Decimal("0.01")


def money(value: Decimal) -> str:
    return str(value.quantize(CENT))


def build_order(order_id: int, spec: Mapping[str, Any], first_line_id: int) -> dict[str, Any]:
    currency = spec.get("currency", "EUR")
    lines = [_line(first_line_id + index, line) for index, line in enumerate(spec.get("lines") or [{}])]
    shipping = Decimal(str(spec.get("shipping", "6.90")))
    items = sum((Decimal(line["total"]) + Decimal(line["total_tax"]) for line in lines), Decimal(0))
    created = spec.get("created", "2026-03-01T09:30:00")
    address = {"country": spec.get("country", "DE")}
    paid = spec.get("paid", created if spec.get("status", "processing") not in ("pending", "on-hold") else None)
    return {
        "id": order_id, "parent_id": 0, "number": str(order_id), "order_key": f"wc_order_{secrets.token_hex(6)}",
        "created_via": "checkout", "status": spec.get("status", "processing"), "currency": currency,
        "prices_include_tax": bool(spec.get("prices_include_tax", False)),
        "date_created": created, "date_created_gmt": created,
        "date_modified": spec.get("modified", created), "date_modified_gmt": spec.get("modified", created),
        "date_completed": spec.get("completed"), "date_completed_gmt": spec.get("completed"),
        "date_paid": paid, "date_paid_gmt": paid,
        "discount_total": money(sum((Decimal(line["subtotal"]) - Decimal(line["total"]) for line in lines),
                                    Decimal(0))),
        "shipping_total": money(shipping), "shipping_tax": "0.00", "total_tax": money(sum(
            (Decimal(line["total_tax"]) for line in lines), Decimal(0))),
        "total": money(items + shipping),
        "customer_id": 0, "customer_note": "",
        "billing": {**address, "first_name": "Ada", "email": spec.get("email", "ada@example.com")},
        "shipping": address,
        "payment_method": spec.get("payment_method", "stripe"),
        "payment_method_title": spec.get("payment_method_title", "Credit card (Stripe)"),
        "meta_data": [], "line_items": lines, "tax_lines": [], "shipping_lines": [], "fee_lines": [],
        "coupon_lines": [], "refunds": [],
    }


def _line(line_id: int, spec: Mapping[str, Any]) -> dict[str, Any]:
    quantity = int(spec.get("quantity", 1))
    subtotal = Decimal(str(spec.get("price", "49.00"))) * quantity
    total = subtotal - Decimal(str(spec.get("discount", "0")))
    rate = Decimal(str(spec.get("tax_rate", "0")))
    return {
        "id": line_id, "name": spec.get("name", "Rose quartz pendant"), "product_id": spec.get("product_id", 0),
        "variation_id": spec.get("variation_id", 0), "quantity": quantity, "tax_class": "",
        "subtotal": money(subtotal), "subtotal_tax": money(subtotal * rate),
        "total": money(total), "total_tax": money(total * rate), "taxes": [],
        "meta_data": [{"id": index + 1, "key": key, "value": value, "display_key": key, "display_value": value}
                      for index, (key, value) in enumerate((spec.get("meta") or {}).items())],
        "sku": spec.get("sku", ""), "price": float(subtotal / quantity), "parent_name": None,
    }


def build_product(product_id: int, spec: Mapping[str, Any]) -> dict[str, Any]:
    """spec: name, type, regular_price, sale_price, categories [names], tags [names], meta {key: value}."""
    regular = str(spec.get("regular_price", "49.00"))
    sale = str(spec.get("sale_price", ""))
    return {
        "id": product_id, "name": spec.get("name", "Rose quartz pendant"), "type": spec.get("type", "simple"),
        "status": "publish", "price": sale or regular, "regular_price": regular, "sale_price": sale,
        "on_sale": bool(sale), "categories": _terms(spec.get("categories", [])), "tags": _terms(spec.get("tags", [])),
        "meta_data": [{"key": k, "value": v} for k, v in (spec.get("meta") or {}).items()],
    }


def _terms(names: list[str]) -> list[dict[str, Any]]:
    return [{"id": index + 1, "name": name} for index, name in enumerate(names)]
