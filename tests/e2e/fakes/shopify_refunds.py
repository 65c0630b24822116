"""The fake Shopify's refunding mutations: returnProcess and refundCreate, refusing what Shopify refuses.

returnProcess confirms an OPEN return's lines (never more than is left to process of each) and moves exactly
the money its `orderTransactions` name, each back to its parent payment, in the customer's currency; shipping
is refunded at most once. refundCreate refunds line items, and moves money by its `transactions` where given
(else, as an older API did, the lines' worth, taken from the payments in order).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from .shopify_money import Part, error, record_refund, refund_problems, spread

_ZERO = Decimal("0.00")


def process_return(state: Any, input: dict[str, Any]) -> dict[str, Any]:
    found = state.returns.get(input["returnId"])
    if found is None:
        return _refused([error(["input", "returnId"], "Return does not exist.", "NOT_FOUND")])
    if found["status"] != "OPEN":
        return _refused([error(["input", "returnId"], f"Return is {found['status']}: only an OPEN return can be "
                                                     "processed.", "INVALID_STATE")])
    order = found["order"]
    problems, lines = _return_lines(found, input.get("returnLineItems") or [])
    issue = (input.get("financialTransfer") or {}).get("issueRefund")
    parts: list[Part] = []
    if issue is not None:
        path = ["input", "financialTransfer", "issueRefund", "orderTransactions"]
        for index, given in enumerate(issue.get("orderTransactions") or []):
            money = given["transactionAmount"]
            if money["currencyCode"] != order["presentmentCurrencyCode"]:
                problems.append(error([*path, str(index), "transactionAmount"], "Currency must be the order's "
                                      f"presentment currency {order['presentmentCurrencyCode']}", "INVALID"))
            parts.append(Part(given["parentId"], Decimal(str(money["amount"]))))
        problems += refund_problems(order, parts, path, bool(issue.get("allowOverRefunding")))
    shipping = _shipping(order, input.get("refundShipping"), problems)
    if problems:
        return _refused(problems)
    for item, quantity in lines:
        item["processedQuantity"] += quantity
    order_lines = [(item["fulfillmentLineItem"]["lineItem"], quantity) for item, quantity in lines]
    if parts or shipping:
        refund = record_refund(state, order, parts, via="returnProcess", note=input.get("note"), return_=found,
                               lines=order_lines, shipping=shipping)
        if input.get("notifyCustomer"):
            state.notifications.append(("refund_created", refund["id"]))
    if all(item["processedQuantity"] >= item["quantity"] for item in found["returnLineList"]):
        found["status"] = "CLOSED"
    return {"return": found, "userErrors": []}


def _return_lines(found: dict[str, Any], given: list[dict[str, Any]]
                  ) -> tuple[list[dict[str, Any]], list[tuple[dict[str, Any], int]]]:
    by_id = {item["id"]: item for item in found["returnLineList"]}
    problems, lines = [], []
    for index, line in enumerate(given):
        item = by_id.get(line["id"])
        path = ["input", "returnLineItems", str(index)]
        if item is None:
            problems.append(error([*path, "id"], "Return line item does not belong to the return.", "NOT_FOUND"))
        elif not 0 < line["quantity"] <= item["quantity"] - item["processedQuantity"]:
            problems.append(error([*path, "quantity"], f"Quantity must be between 1 and the "
                                  f"{item['quantity'] - item['processedQuantity']} left to process.", "INVALID"))
        else:
            lines.append((item, line["quantity"]))
    if not given:
        problems.append(error(["input", "returnLineItems"], "At least one line must be processed.", "BLANK"))
    return problems, lines


def _shipping(order: dict[str, Any], refund_shipping: dict[str, Any] | None, problems: list[dict[str, Any]]) -> Decimal:
    if not refund_shipping:
        return _ZERO
    original = Decimal(order["totalShippingPriceSet"]["shopMoney"]["amount"])
    left = original - Decimal(order.get("refundedShipping", _ZERO))
    given = refund_shipping.get("shippingRefundAmount")
    amount = Decimal(str(given["amount"])) if given else (left if refund_shipping.get("fullRefund") else _ZERO)
    if amount > left:
        problems.append(error(["input", "refundShipping"], f"Shipping refund {amount} exceeds the {left} left "
                                                          "to refund", "LESS_THAN_OR_EQUAL_TO"))
    return amount


def create_refund(state: Any, input: dict[str, Any]) -> dict[str, Any]:
    order = state.orders.get(input["orderId"])
    if order is None:
        return {"refund": None, "order": None, "userErrors": [error(["orderId"], "Order does not exist")]}
    lines = {line["id"]: line for line in order["lineItems"](None)["nodes"]}
    refunded: list[tuple[dict[str, Any], int]] = []
    for item in input.get("refundLineItems") or []:
        line = lines.get(item["lineItemId"])
        if line is None or item["quantity"] > line["refundableQuantity"]:
            message = "Quantity cannot refund more items than were purchased"
            return {"refund": None, "order": order, "userErrors": [error(["refundLineItems"], message)]}
        refunded.append((line, item["quantity"]))
    shipping = input.get("shipping") or {}
    shipping_amount = _ZERO
    if shipping.get("fullRefund"):
        shipping_amount = Decimal(order["totalShippingPriceSet"]["shopMoney"]["amount"])
    elif shipping.get("amount") is not None:
        shipping_amount = Decimal(str(shipping["amount"]))
    if input.get("transactions") is not None:
        parts = [Part(t["parentId"], Decimal(str(t["amount"]))) for t in input["transactions"]]
    else:
        worth = sum((Decimal(line["discountedUnitPriceSet"]["shopMoney"]["amount"]) * quantity
                     for line, quantity in refunded), _ZERO)
        parts = spread(order, worth + shipping_amount)
    problems = refund_problems(order, parts, ["transactions"], bool(input.get("allowOverRefunding")))
    if problems:
        return {"refund": None, "order": order, "userErrors": [{k: v for k, v in p.items() if k != "code"}
                                                               for p in problems]}
    refund = record_refund(state, order, parts, via="refundCreate", note=input.get("note"), lines=refunded,
                           shipping=shipping_amount)
    if input.get("notify"):
        state.notifications.append(("refund_created", refund["id"]))
    return {"refund": refund, "order": order, "userErrors": []}


def _refused(problems: list[dict[str, Any]]) -> dict[str, Any]:
    return {"return": None, "userErrors": problems}
