"""What WooCommerce holds after Assay wrote a decision back, read as the admin, and the check that it is the
decision, written once: the refund (amount, lines, per-line tax, shipping, restock), the customer's note, the
order's status, and the emails the customer was sent."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from realshop.shop import Shop, wait_for

REFUND_KEY_META = "_assay_idempotency_key"
FINISHED = ("done", "failed")


@dataclass
class Request:
    """One customer request of a scenario and what came of it."""

    name: str
    order: dict[str, Any]
    kind: str
    reason: str
    skus: list[str] | None = None
    photos: int = 0
    answer: str = ""
    case_id: int = 0
    outcome: str = ""
    decision: dict[str, Any] = field(default_factory=dict)
    actions: list[dict[str, Any]] = field(default_factory=list)

    def ask(self, shop: Shop) -> str:
        return shop.ask(self.order, self.kind, self.reason, self.skus, photos=self.photos)


def ask_in_turn(shop: Shop, requests: list[Request]) -> None:
    """Each order's requests one after another (so the n-th case of an order is its n-th request), orders at once."""
    by_order: dict[int, list[Request]] = {}
    for request in requests:
        by_order.setdefault(request.order["id"], []).append(request)

    def ask_order(queue: list[Request]) -> None:
        for request in queue:
            request.answer = request.ask(shop)

    for request in requests:
        shop.customer_session(customer_of(request.order))
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(ask_order, by_order.values()))


def customer_of(order: dict[str, Any]) -> str:
    return "camille" if order["billing"]["country"] == "FR" else "anna"


def read_cases(shop: Shop, requests: list[Request]) -> bool:
    """Each request's case, in the order its order's requests were sent; False while some has none yet."""
    seen: dict[int, int] = {}
    for request in requests:
        order_id = request.order["id"]
        cases = shop.query("SELECT id FROM cases WHERE order_id = %s AND request_key LIKE 'form:%%' ORDER BY id",
                           str(order_id))
        index = seen.get(order_id, 0)
        seen[order_id] = index + 1
        if len(cases) <= index:
            return False
        request.case_id = cases[index]["id"]
    return True


def wait_until_written(shop: Shop, requests: list[Request], seconds: float = 90) -> None:
    """One wait for every request: its case opened and decided, and each of its write-backs done or failed."""
    wait_for("a case for every request", lambda: read_cases(shop, requests), seconds=seconds)
    ids = [request.case_id for request in requests]

    def all_finished() -> bool:
        decided = shop.query("SELECT count(DISTINCT case_id) AS n FROM decisions WHERE case_id = ANY(%s)", ids)
        open_actions = shop.query("SELECT count(*) AS n FROM actions WHERE case_id = ANY(%s) AND state <> ALL(%s)",
                                  ids, list(FINISHED))
        return decided[0]["n"] == len(ids) and open_actions[0]["n"] == 0

    wait_for("every request decided and written back", all_finished, seconds=seconds)
    for request in requests:
        decision = shop.query("SELECT document FROM decisions WHERE case_id = %s ORDER BY id DESC LIMIT 1",
                              request.case_id)[0]["document"]
        request.decision, request.outcome = decision, decision["outcome"]
        request.actions = shop.query("SELECT kind, idempotency_key, payload, state, attempts, last_error, result "
                                     "FROM actions WHERE case_id = %s ORDER BY id", request.case_id)


@dataclass
class Held:
    """What WooCommerce holds of one request's write-back."""

    refunds: list[dict[str, Any]]
    customer_notes: list[str]
    private_notes: list[str]
    status: str
    restocked: dict[str, str]  # line id -> _restock_refunded_items
    reduced: dict[str, str]  # line id -> _reduced_stock (gone once WooCommerce put the items back)


def held_for(shop: Shop, request: Request) -> Held:
    order_id = request.order["id"]
    keys = {action["idempotency_key"] for action in request.actions}
    refunds = [refund for refund in shop.rest("GET", f"orders/{order_id}/refunds")
               if any(meta["key"] == REFUND_KEY_META and meta["value"] in keys for meta in refund["meta_data"])]
    notes = shop.rest("GET", f"orders/{order_id}/notes")
    order = shop.rest("GET", f"orders/{order_id}")

    def meta(line: dict[str, Any], key: str) -> str:
        return next((str(m["value"]) for m in line["meta_data"] if m["key"] == key), "")

    return Held(refunds=refunds,
                customer_notes=[note["note"] for note in notes if note["customer_note"]],
                private_notes=[note["note"] for note in notes if not note["customer_note"]],
                status=order["status"],
                restocked={str(line["id"]): meta(line, "_restock_refunded_items") for line in order["line_items"]},
                reduced={str(line["id"]): meta(line, "_reduced_stock") for line in order["line_items"]})


def assert_written_as_decided(shop: Shop, request: Request) -> Held:
    """Every write-back done, and WooCommerce holds exactly the decision: one refund of its amount with its lines and
    per-line taxes (none without a refund), its note once, the status the plan set; returns what is held."""
    held = held_for(shop, request)
    for action in request.actions:
        assert action["state"] == "done", f"{request.name}: {action['kind']} {action['state']} {action['last_error']}"
    refund = request.decision.get("refund") or {}
    owed = Decimal(refund.get("total") or 0) - Decimal(refund.get("to_gift_card") or 0)
    if request.outcome == "approve" and owed > 0:
        assert len(held.refunds) == 1, f"{request.name}: {len(held.refunds)} refunds for one decision"
        made = held.refunds[0]
        assert Decimal(made["amount"]) == owed, f"{request.name}: refunded {made['amount']}, decided {owed}"
        assert refund_lines(made) == decided_lines(refund), f"{request.name}: refund lines"
    else:
        assert held.refunds == [], f"{request.name}: a refund for a decision that refunds nothing"
    for action in request.actions:
        note = action["payload"].get("note")
        if not note or action["kind"] == "woocommerce.private_note":
            continue
        found = [text for text in held.customer_notes if text.startswith(note)]
        if action["kind"] == "woocommerce.refund_and_note" and held.refunds:
            # The customer reads the decision in WooCommerce's refund email, as the refund's reason: no second email.
            assert held.refunds[0]["reason"] == note and found == [], f"{request.name}: the words in the refund"
        else:
            assert len(found) == 1, f"{request.name}: the customer note {len(found)} times"
    return held


def refund_lines(refund: dict[str, Any]) -> dict[str, tuple[int, Decimal, Decimal]]:
    """A WooCommerce refund's lines: the refunded line's id -> (quantity, gross amount, tax), as positive numbers."""
    lines = {}
    for line in refund["line_items"]:
        refunded = next(str(m["value"]) for m in line["meta_data"] if m["key"] == "_refunded_item_id")
        tax = -Decimal(line["total_tax"])
        lines[refunded] = (-int(line["quantity"]), -Decimal(line["total"]) + tax, tax)
    return lines


def decided_lines(refund: dict[str, Any]) -> dict[str, tuple[int, Decimal, Decimal]]:
    return {str(line["line_id"]): (int(line["quantity"]), Decimal(line["amount"]), Decimal(line["tax"]))
            for line in refund.get("lines") or () if int(line.get("quantity") or 0) > 0}


def report(name: str, request: Request, held: Held, **more: Any) -> None:
    """A row of the suite's table (what WooCommerce holds afterwards) into $REALSHOP_REPORT, when it is set."""
    target = os.environ.get("REALSHOP_REPORT")
    if not target:
        return
    row = {"scenario": name, "order": request.order["id"], "request": f"{request.kind}/{request.reason}",
           "answer": request.answer[:120], "outcome": request.outcome,
           "refunds": [{"amount": r["amount"], "lines": {k: [str(x) for x in v] for k, v in refund_lines(r).items()},
                        "by_gateway": r["refunded_payment"]} for r in held.refunds],
           "customer_notes": [n[:100] for n in held.customer_notes], "status": held.status,
           "restocked": {k: v for k, v in held.restocked.items() if v}, **more}
    with open(target, "a", encoding="utf-8") as out:
        out.write(json.dumps(row) + "\n")
