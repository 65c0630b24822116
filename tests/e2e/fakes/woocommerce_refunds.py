"""The fake site's POST orders/<id>/refunds, as WooCommerce makes a refund.

- The REST controller turns `line_items: [{id, quantity, refund_total, refund_tax: [{id, refund_total}]}]` into
  wc_create_refund's form and, without an `amount`, adds the line items up (RestApiUtil); a negative amount is a
  400. wc_create_refund refuses an amount above what is left (the total less every refund) with "Invalid refund
  amount.", which the controller answers as a 500; it copies each named line, shipping or fee item into the
  refund with negative quantity, totals and taxes and the meta `_refunded_item_id`, and ignores ids the order
  does not have. With `api_refund` the gateway pays it back, or refuses (500); with `api_restock` the refunded
  quantities go back in stock. A refund of everything left moves the order to `refunded`, unless WooCommerce
  Gift Cards still holds captured card balance on it (WC_GC_Refunds::is_partially_refunded).
- WooCommerce checks none of the line amounts; what it lets through but gets its books wrong is noted in
  `state.refund_warnings` so tests can insist there is none: ids that aren't the order's, tax on a rate the item
  was never charged, and more units, net or tax refunded for an item than it had left.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from .woocommerce_seed import money

if TYPE_CHECKING:
    from .woocommerce_routes import WooState

Answer = tuple[int, Any, dict[str, str]]
REFUND_REFUSED = "woocommerce_rest_cannot_create_order_refund"
ZERO = Decimal(0)


def create_refund(state: WooState, order: dict[str, Any], body: Mapping[str, Any]) -> Answer:
    lines = _internal_lines(body.get("line_items"))
    amount = _amount(body.get("amount"), lines)
    if amount is None or amount < 0:
        return 400, {"code": "woocommerce_rest_invalid_order_refund", "data": {"status": 400},
                     "message": "Refund amount must be greater than zero."}, {}
    if amount > state.remaining_refund(order["id"]):
        return _refused("Invalid refund amount.")
    automatic = body.get("api_refund", True) is not False
    gateway = state.gateways.get(order["payment_method"]) or {}
    if automatic and "refunds" not in gateway.get("method_supports", []):
        return _refused("The payment gateway for this order does not support automatic refunds.")
    if automatic and gateway.get("declines"):  # a gateway that can refund, but says no to this one
        return _refused(gateway["declines"])
    items, shipping, fees = _refunded_items(state, order, lines)
    refund = {"id": next(state._refund_ids), "date_created": state.now, "amount": money(amount),
              "reason": body.get("reason") or "", "refunded_by": 1, "refunded_payment": automatic,
              "meta_data": list(body.get("meta_data") or []), "line_items": items, "shipping_lines": shipping,
              "fee_lines": fees}
    left = state.remaining_refund(order["id"]) - amount
    state.refunds.setdefault(order["id"], []).append(refund)
    state.emails.append(("customer_refunded_order", order["id"]))
    if body.get("api_restock", True) is not False:
        state.restocked_items += [(order["id"], int(_refunded_id(item)), -item["quantity"]) for item in items
                                  if item["quantity"] and _reduced_stock(order, _refunded_id(item))]
    captured_cards = order.get("gift_cards") and not order.get("_gift_cards_credited")
    if left == 0 and not captured_cards:  # WooCommerce moves a fully refunded order to `refunded` by itself
        state._move(order, "refunded")
    return 201, refund, {}


def _internal_lines(given: Any) -> dict[str, dict[str, Any]]:
    """The REST list as wc_create_refund's {item id: {qty, refund_total, refund_tax: {rate id: amount}}}."""
    if not isinstance(given, list):
        return {}
    lines: dict[str, dict[str, Any]] = {}
    for item in given:
        if isinstance(item, Mapping) and "id" in item:
            taxes = {str(tax["id"]): tax.get("refund_total") for tax in item.get("refund_tax") or ()
                     if isinstance(tax, Mapping) and "id" in tax}
            lines[str(item["id"])] = {"qty": item.get("quantity", 0), "refund_total": item.get("refund_total"),
                                      "refund_tax": taxes}
    return lines


def _amount(given: Any, lines: Mapping[str, Mapping[str, Any]]) -> Decimal | None:
    try:
        if given is not None:
            return Decimal(str(given))
        return sum((_decimal(line["refund_total"]) + sum((_decimal(t) for t in line["refund_tax"].values()), ZERO)
                    for line in lines.values()), ZERO)
    except (InvalidOperation, TypeError):
        return None


def _refunded_items(state: WooState, order: Mapping[str, Any],
                    lines: Mapping[str, Mapping[str, Any]]) -> tuple[list[Any], list[Any], list[Any]]:
    kinds = {"line_items": [], "shipping_lines": [], "fee_lines": []}  # type: dict[str, list[Any]]
    known: set[str] = set()
    for kind, made in kinds.items():
        for item in order.get(kind) or ():
            item_id = str(item["id"])
            known.add(item_id)
            if item_id in lines:
                made.append(_refund_item(state, order, kind, item, lines[item_id]))
    state.refund_warnings += [f"order {order['id']}: refund names item {item_id}, which the order does not have"
                              for item_id in lines if item_id not in known]
    return kinds["line_items"], kinds["shipping_lines"], kinds["fee_lines"]


def _refund_item(state: WooState, order: Mapping[str, Any], kind: str, item: Mapping[str, Any],
                 line: Mapping[str, Any]) -> dict[str, Any]:
    quantity = int(line.get("qty") or 0)
    net = _decimal(line.get("refund_total"))
    taxes = {rate: _decimal(value) for rate, value in line["refund_tax"].items()}
    charged = {str(tax["id"]): Decimal(tax["total"]) for tax in item.get("taxes") or ()}
    _check(state, order, kind, item, quantity, net, taxes, charged)
    refunded: dict[str, Any] = {
        "id": next(state._item_ids), "total": money(-net), "total_tax": money(-sum(taxes.values(), ZERO)),
        "taxes": [{"id": int(rate), "total": money(-value), "subtotal": money(-value)}
                  for rate, value in taxes.items()],
        "meta_data": [{"id": 1, "key": "_refunded_item_id", "value": str(item["id"]),
                       "display_key": "_refunded_item_id", "display_value": str(item["id"])}],
    }
    if kind == "line_items":
        refunded.update(name=item["name"], product_id=item["product_id"], variation_id=item["variation_id"],
                        quantity=-quantity, subtotal=money(-net), subtotal_tax=money(-sum(taxes.values(), ZERO)))
    else:
        refunded["method_title" if kind == "shipping_lines" else "name"] = item.get("method_title") or item.get("name")
    return refunded


def _check(state: WooState, order: Mapping[str, Any], kind: str, item: Mapping[str, Any], quantity: int,
           net: Decimal, taxes: Mapping[str, Decimal], charged: Mapping[str, Decimal]) -> None:
    """What an item has left to refund, by what earlier refunds of it took."""
    before = [refunded for refund in state.refunds.get(order["id"], []) for refunded in refund.get(kind) or ()
              if _refunded_id(refunded) == str(item["id"])]
    where = f"order {order['id']} item {item['id']}"
    if kind == "line_items":
        units_left = item["quantity"] + sum((r.get("quantity") or 0 for r in before), 0)
        if quantity > units_left:
            state.refund_warnings.append(f"{where}: refunds {quantity} units, {units_left} left")
    net_left = Decimal(item["total"]) + sum((Decimal(r["total"]) for r in before), ZERO)
    if net > net_left:
        state.refund_warnings.append(f"{where}: refunds {net} net, {net_left} left")
    for rate, value in taxes.items():
        if rate not in charged:
            state.refund_warnings.append(f"{where}: refunds tax on rate {rate}, which it was never charged")
            continue
        tax_left = charged[rate] + sum((Decimal(t["total"]) for r in before for t in r["taxes"]
                                        if str(t["id"]) == rate), ZERO)
        if value > tax_left:
            state.refund_warnings.append(f"{where}: refunds {value} tax on rate {rate}, {tax_left} left")


def _refunded_id(item: Mapping[str, Any]) -> str:
    return next((str(meta["value"]) for meta in item.get("meta_data") or () if meta["key"] == "_refunded_item_id"), "")


def _reduced_stock(order: Mapping[str, Any], item_id: str) -> bool:
    item = next((line for line in order["line_items"] if str(line["id"]) == item_id), None)
    return item is not None and any(meta["key"] == "_reduced_stock" for meta in item.get("meta_data") or ())


def _decimal(value: Any) -> Decimal:
    return Decimal(str(value)) if value not in (None, "") else ZERO


def _refused(message: str) -> Answer:
    return 500, {"code": REFUND_REFUSED, "message": message, "data": {"status": 500}}, {}
