"""A decision's refund -> the `line_items` of a WooCommerce refund, and what earlier refunds took per line.

- WooCommerce's REST refund takes `line_items: [{id, quantity, refund_total, refund_tax: [{id, refund_total}]}]`,
  `refund_total` net of tax and `refund_tax` per tax rate id, the rate ids of the item's `taxes` (RestApiUtil
  turns it into wc_create_refund's form). `amount` is what is paid back; the lines say what for, so the
  order's accounting shows what was refunded of each line and shipping.
- The decision states each line's `amount` and `tax`: inside the amount where the order's prices include tax
  (refund_total = amount - tax), on top otherwise (refund_total = amount). Shipping likewise, on the order's
  shipping lines. A line's tax is split over its rates in proportion to what each charged.
- The parts are scaled to the refund's amount so they add up to it exactly: a fee kept, a part going back to
  a gift card, or what WooCommerce still has to refund lowers every part in proportion. A whole order's
  refund carries its fees too.
- A refund's line items name the item they refund in the meta `_refunded_item_id`, with a negative quantity.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from connector.woocommerce.apportion import apportion
from policies.money import minor_unit

REFUNDED_ITEM_META = "_refunded_item_id"
ZERO = Decimal(0)


@dataclass(frozen=True)
class _Part:
    item_id: str
    quantity: int | None  # None for shipping and fees, which have none
    rate_id: str | None  # None: the net amount
    value: Decimal


def refund_line_items(refund: Mapping[str, Any], order: Mapping[str, Any], amount: Decimal, *,
                      refunded: Mapping[str, int] | None = None, whole_order: bool = False) -> list[dict[str, Any]]:
    """The refund's `line_items` for the decision's `refund` on the loaded `order`, adding up to `amount`;
    `refunded` are the units earlier refunds took back, which no refund gives back twice."""
    unit = minor_unit(order["currency"])
    included = bool(order["prices_include_tax"])
    items = {item["id"]: item for item in order["line_items"]}
    parts: list[_Part] = []
    for line in refund.get("lines") or ():
        item = items.get(str(line.get("line_id")))
        if item is not None:  # WooCommerce itself ignores ids the order does not have
            left = max(item["quantity"] - (refunded or {}).get(item["id"], 0), 0)
            parts += _parts(item["id"], min(int(line.get("quantity") or 0), left), decimal(line.get("amount")),
                            decimal(line.get("tax")), item["taxes"], included, unit)
    parts += _shipping_parts(order, decimal(refund.get("shipping")), decimal(refund.get("shipping_tax")), included,
                             unit)
    if whole_order and amount > sum((part.value for part in parts), ZERO):
        parts += [_Part(fee["id"], None, None, fee["total"] + fee["total_tax"])
                  for fee in order["fee_lines"] if fee["total"] > 0]
    values = [part.value for part in parts]
    if sum(values, ZERO) != amount:
        values = apportion(amount, values, unit)
    return _assemble(parts, values)


def refunded_quantities(refunds: Iterable[Mapping[str, Any]]) -> dict[str, int]:
    """Units refunded so far per order line item id, from GET orders/<id>/refunds."""
    found: dict[str, int] = {}
    for refund in refunds:
        for item in refund.get("line_items") or ():
            original = next((str(meta.get("value")) for meta in item.get("meta_data") or ()
                             if meta.get("key") == REFUNDED_ITEM_META), None)
            quantity = item.get("quantity")
            if original and isinstance(quantity, int) and not isinstance(quantity, bool):
                found[original] = found.get(original, 0) + abs(quantity)
    return found


def decimal(value: Any) -> Decimal:
    """A decision's decimal string as a Decimal; absent is zero."""
    return Decimal(str(value)) if value not in (None, "") else ZERO


def _parts(item_id: str, quantity: int | None, amount: Decimal, tax: Decimal, taxes: Sequence[Mapping[str, Any]],
           included: bool, unit: Decimal) -> list[_Part]:
    rates = [(rate["id"], rate["total"]) for rate in taxes if rate["total"] > 0]
    gross = amount if included else amount + tax
    if tax <= 0 or not rates:  # no rate to book the tax on: all of it is the item's
        return [_Part(item_id, quantity, None, gross)]
    per_rate = apportion(tax, [charged for _, charged in rates], unit)
    return [_Part(item_id, quantity, None, gross - tax)] + [
        _Part(item_id, quantity, rate_id, share) for (rate_id, _), share in zip(rates, per_rate, strict=True)]


def _shipping_parts(order: Mapping[str, Any], shipping: Decimal, tax: Decimal, included: bool,
                    unit: Decimal) -> list[_Part]:
    lines = [line for line in order["shipping_lines"] if line["total"] + line["total_tax"] > 0]
    if shipping <= 0 or not lines:
        return []
    gross = shipping if included else shipping + tax
    amounts = apportion(gross, [line["total"] + line["total_tax"] for line in lines], unit)
    taxes = apportion(tax, [max(line["total_tax"], ZERO) for line in lines], unit)
    parts: list[_Part] = []
    for line, line_gross, line_tax in zip(lines, amounts, taxes, strict=True):
        parts += _parts(line["id"], None, line_gross - (ZERO if included else line_tax), line_tax, line["taxes"],
                        included, unit)
    return parts


def _assemble(parts: Sequence[_Part], values: Sequence[Decimal]) -> list[dict[str, Any]]:
    by_item: dict[str, dict[str, Any]] = {}
    for part, value in zip(parts, values, strict=True):
        item = by_item.setdefault(part.item_id, {"id": int(part.item_id), "refund_total": "0", "refund_tax": []})
        if part.quantity is not None:
            item["quantity"] = part.quantity
        if part.rate_id is None:
            item["refund_total"] = f"{value:f}"
        elif value > 0:
            item["refund_tax"].append({"id": int(part.rate_id), "refund_total": f"{value:f}"})
    return [item for item in by_item.values()
            if item.get("quantity") or decimal(item["refund_total"]) > 0 or item["refund_tax"]]
