"""Builds WooCommerce REST (wc/v3) shaped orders and products for the fake from short specs, with WooCommerce's tax
arithmetic.

An order spec: status, created/modified/completed/paid (UTC, "2026-03-01T09:30:00"), currency, country, email,
payment_method, prices_include_tax, lines, shipping, shipping_tax_rate, coupons, gift_cards, pw_gift_card,
store_credit.

- A line: product_id, variation_id, name, sku, quantity, price (the unit price as the store entered it: with tax
  when prices_include_tax), discount (its coupon share on the same basis: an amount for coupon "SPRING", or
  {code: amount}), tax_rate ("0.19") and tax_rate_id (1), meta {key: value}. As in WooCommerce, the stored
  subtotal/total are net and the tax is rounded per line: with prices including tax the net is what is left of
  the entered price once the tax inside it is taken out.
- Shipping ("6.90") is entered net, as WooCommerce's shipping costs always are; shipping_tax_rate adds its tax.
- coupons {code: discount_type} ("percent" when unnamed); store_credit {code: amount} makes those codes Smart
  Coupons store credit ("smart_coupon") and records StoreApps' `smart_coupons_contribution` meta.
- gift_cards [{code, amount}] are WooCommerce Gift Cards redemptions: listed as `gift_cards`, taken off the total.
  pw_gift_card ("10.00") is a PW Gift Cards redemption: taken off the total, listed nowhere in REST.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator, Mapping
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

CENT = Decimal("0.01")
ZERO = Decimal(0)
DEFAULT_COUPON = "SPRING"


def money(value: Decimal) -> str:
    return str(value.quantize(CENT, rounding=ROUND_HALF_UP))


def cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def build_order(order_id: int, spec: Mapping[str, Any], item_ids: Iterator[int]) -> dict[str, Any]:
    currency = spec.get("currency", "EUR")
    included = bool(spec.get("prices_include_tax", False))
    specs = spec.get("lines") or [{}]
    lines = [_line(next(item_ids), line, included) for line in specs]
    shipping = _shipping_line(next(item_ids), spec)
    shares = [(line, _discounts(line_spec)) for line, line_spec in zip(lines, specs, strict=True)]
    coupons = _coupon_lines(item_ids, spec, shares)
    gift_cards = [{"id": next(item_ids), "code": card["code"], "amount": money(Decimal(str(card["amount"])))}
                  for card in spec.get("gift_cards") or ()]
    cart_tax = sum((Decimal(line["total_tax"]) for line in lines), ZERO)
    shipping_total, shipping_tax = Decimal(shipping["total"]), Decimal(shipping["total_tax"])
    charged = sum((Decimal(line["total"]) for line in lines), ZERO) + shipping_total + cart_tax + shipping_tax
    from_cards = sum((Decimal(card["amount"]) for card in gift_cards), ZERO) + Decimal(str(spec.get("pw_gift_card", 0)))
    created = spec.get("created", "2026-03-01T09:30:00")
    address = {"country": spec.get("country", "DE")}
    paid = spec.get("paid", created if spec.get("status", "processing") not in ("pending", "on-hold") else None)
    contribution = {code: float(Decimal(str(amount))) for code, amount in (spec.get("store_credit") or {}).items()}
    return {
        "id": order_id, "parent_id": 0, "number": str(order_id), "order_key": f"wc_order_{secrets.token_hex(6)}",
        "created_via": "checkout", "status": spec.get("status", "processing"), "currency": currency,
        "prices_include_tax": included,
        "date_created": created, "date_created_gmt": created,
        "date_modified": spec.get("modified", created), "date_modified_gmt": spec.get("modified", created),
        "date_completed": spec.get("completed"), "date_completed_gmt": spec.get("completed"),
        "date_paid": paid, "date_paid_gmt": paid,
        "discount_total": money(sum((Decimal(c["discount"]) for c in coupons), ZERO)),
        "discount_tax": money(sum((Decimal(c["discount_tax"]) for c in coupons), ZERO)),
        "shipping_total": money(shipping_total), "shipping_tax": money(shipping_tax), "cart_tax": money(cart_tax),
        "total_tax": money(cart_tax + shipping_tax), "total": money(max(charged - from_cards, ZERO)),
        "customer_id": 0, "customer_note": "",
        "billing": {**address, "first_name": "Ada", "email": spec.get("email", "ada@example.com")},
        "shipping": address,
        "payment_method": spec.get("payment_method", "stripe"),
        "payment_method_title": spec.get("payment_method_title", "Credit card (Stripe)"),
        "meta_data": [{"id": 1, "key": "smart_coupons_contribution", "value": contribution}] if contribution else [],
        "line_items": lines, "tax_lines": _tax_lines(lines, shipping), "shipping_lines": [shipping], "fee_lines": [],
        "coupon_lines": coupons, "refunds": [], **({"gift_cards": gift_cards} if gift_cards else {}),
    }


def _line(line_id: int, spec: Mapping[str, Any], included: bool) -> dict[str, Any]:
    quantity = int(spec.get("quantity", 1))
    rate = Decimal(str(spec.get("tax_rate", "0")))
    entered = Decimal(str(spec.get("price", "49.00"))) * quantity
    after = entered - sum(_discounts(spec).values(), ZERO)
    if included:
        subtotal_tax, total_tax = cents(entered * rate / (1 + rate)), cents(after * rate / (1 + rate))
        subtotal, total = entered - subtotal_tax, after - total_tax
    else:
        subtotal, total = entered, after
        subtotal_tax, total_tax = cents(subtotal * rate), cents(total * rate)
    rate_id = int(spec.get("tax_rate_id", 1))
    return {
        "id": line_id, "name": spec.get("name", "Rose quartz pendant"), "product_id": spec.get("product_id", 0),
        "variation_id": spec.get("variation_id", 0), "quantity": quantity, "tax_class": "",
        "subtotal": money(subtotal), "subtotal_tax": money(subtotal_tax),
        "total": money(total), "total_tax": money(total_tax),
        "taxes": [{"id": rate_id, "total": money(total_tax), "subtotal": money(subtotal_tax)}] if rate else [],
        "meta_data": [{"id": index + 1, "key": key, "value": value, "display_key": key, "display_value": value}
                      for index, (key, value) in enumerate((spec.get("meta") or {}).items())],
        "sku": spec.get("sku", ""), "price": float(total / quantity), "parent_name": None,
    }


def _discounts(spec: Mapping[str, Any]) -> dict[str, Decimal]:
    given = spec.get("discount", "0")
    named = given if isinstance(given, Mapping) else {DEFAULT_COUPON: given}
    return {code: Decimal(str(amount)) for code, amount in named.items() if Decimal(str(amount)) > 0}


def _shipping_line(line_id: int, spec: Mapping[str, Any]) -> dict[str, Any]:
    total = Decimal(str(spec.get("shipping", "6.90")))
    rate = Decimal(str(spec.get("shipping_tax_rate", "0")))
    tax = cents(total * rate)
    rate_id = int(spec.get("shipping_tax_rate_id", 1))
    return {"id": line_id, "method_title": "Flat rate", "method_id": "flat_rate", "instance_id": "1",
            "total": money(total), "total_tax": money(tax),
            "taxes": [{"id": rate_id, "total": money(tax), "subtotal": ""}] if rate else [], "meta_data": []}


def _coupon_lines(item_ids: Iterator[int], spec: Mapping[str, Any],
                  lines: list[tuple[dict[str, Any], dict[str, Decimal]]]) -> list[dict[str, Any]]:
    """One line per code: its share of each line's discount, net and tax, as WooCommerce keeps them."""
    types = {**{code: "smart_coupon" for code in spec.get("store_credit") or {}}, **(spec.get("coupons") or {})}
    found: dict[str, list[Decimal]] = {}
    for line, shares in lines:
        whole = sum(shares.values(), ZERO)
        for code, share in shares.items():
            net = Decimal(line["subtotal"]) - Decimal(line["total"])
            tax = Decimal(line["subtotal_tax"]) - Decimal(line["total_tax"])
            sums = found.setdefault(code, [ZERO, ZERO])
            sums[0] += cents(net * share / whole)
            sums[1] += cents(tax * share / whole)
    return [{"id": next(item_ids), "code": code, "discount": money(net), "discount_tax": money(tax),
             "discount_type": types.get(code, "percent"), "meta_data": []} for code, (net, tax) in found.items()]


def _tax_lines(lines: list[dict[str, Any]], shipping: Mapping[str, Any]) -> list[dict[str, Any]]:
    rates: dict[int, list[Decimal]] = {}
    for line in lines:
        for tax in line["taxes"]:
            rates.setdefault(tax["id"], [ZERO, ZERO])[0] += Decimal(tax["total"])
    for tax in shipping["taxes"]:
        rates.setdefault(tax["id"], [ZERO, ZERO])[1] += Decimal(tax["total"])
    return [{"id": 9000 + rate_id, "rate_code": f"DE-VAT-{rate_id}", "rate_id": rate_id, "label": "VAT",
             "compound": False, "tax_total": money(items), "shipping_tax_total": money(shipping_tax)}
            for rate_id, (items, shipping_tax) in sorted(rates.items())]


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
