"""What WooCommerce refunds is what the decision states, to the cent: taxed orders cancelled and partly returned.

Each order has two lines at 19 % VAT, one with a coupon, and taxed shipping; tax is added to the prices or
included in them, and some orders were paid partly by gift card (WooCommerce Gift Cards, which lists the card
on the order, or PW Gift Cards, which doesn't). The worker runs the real webhooks twice over; the fake site
records every refund's line items and what WooCommerce would let through with its books wrong.

The amounts, worked by hand (tax added): the pendants 2 x 49.00 + 18.62 VAT, the chain 25.00 less a 5.00
coupon = 20.00 + 3.80 VAT, shipping 6.90 + 1.31 VAT: 148.63 in all. With tax included the store entered 58.31
and 29.75 (coupon 5.95), which WooCommerce keeps as the same net amounts and taxes. A gift card of 30.00 leaves
118.63 to the card payment. Returning the chain (through the storefront form: a status asks for every line)
refunds what it was paid, 20.00 + 3.80 VAT (23.80 with VAT inside), of which the gift card's share of what was
paid, 23.80 x 30.00 / 148.63 = 4.80, goes back to the card.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest
from flask import Flask
from sqlalchemy import select

from connector.woocommerce.api import WooCommerceApi
from jobs.actions import perform_action
from storage.db import storage_of
from storage.models import Action, DecisionRecord, Store

from ..fakes.woocommerce import FakeWooCommerce
from .steps import deliver, form_for, move, placed_order, run_worker

pytestmark = pytest.mark.integration

PLACED, CANCEL_AT = "2026-03-01T09:30:00", "2026-03-01T12:00:00"  # within Pristine Crystals' 24 hours
VAT = "0.19"
PENDANT, CHAIN = 0, 1  # the lines' positions


@dataclass(frozen=True)
class Taxed:
    name: str
    order: dict[str, Any]
    paid: str  # what the customer paid in all, by every means
    gift_card: str = "0.00"  # of which by gift card
    gift_card_listed: bool = False  # WooCommerce Gift Cards lists its cards on the order
    extra: dict[str, Any] = field(default_factory=dict)


def lines(included: bool) -> list[dict[str, Any]]:
    pendant, chain, coupon = ("58.31", "29.75", "5.95") if included else ("49.00", "25.00", "5.00")
    return [{"name": "Rose quartz pendant", "price": pendant, "quantity": 2, "tax_rate": VAT,
             "meta": {"_reduced_stock": "2"}},
            {"name": "Silver chain", "price": chain, "discount": coupon, "tax_rate": VAT}]


def taxed(included: bool, **extra: Any) -> dict[str, Any]:
    return {"created": PLACED, "prices_include_tax": included, "lines": lines(included), "shipping": "6.90",
            "shipping_tax_rate": VAT, **extra}


ORDERS = [
    Taxed("tax-added", taxed(False), paid="148.63"),
    Taxed("tax-included", taxed(True), paid="148.63"),
    Taxed("gift-card-listed", taxed(False, gift_cards=[{"code": "GIFT-1234", "amount": "30.00"}]), paid="148.63",
          gift_card="30.00", gift_card_listed=True),
    Taxed("gift-card-unlisted", taxed(True, pw_gift_card="30.00"), paid="148.63", gift_card="30.00"),
]
# A return of the chain: the decision's refund total and its gift-card part.
RETURN_THE_CHAIN = {"tax-added": ("23.80", "0.00"), "tax-included": ("23.80", "0.00"),
                    "gift-card-listed": ("23.80", "4.80"), "gift-card-unlisted": ("23.80", "4.80")}


def days_ago(days: int) -> str:
    """A `*_gmt` time: the form stamps a request with the wall clock, so a return's history is placed before it."""
    return (datetime.now(UTC) - timedelta(days=days)).replace(microsecond=0, tzinfo=None).isoformat()


def decision_refund(app: Flask) -> dict[str, Any]:
    """The refund of the first request's decision (a line asked again after it is a request of its own)."""
    with storage_of(app).sessions() as session:
        document = session.scalars(select(DecisionRecord.document).order_by(DecisionRecord.id)).first()
    assert document is not None
    assert document["outcome"] == "approve", document
    refund: dict[str, Any] = document["refund"]
    return refund


def refund_request(fake: FakeWooCommerce) -> dict[str, Any]:
    """The one refund the site made (every attempt at it, including refused ones, is in fake.requests)."""
    made = fake.calls("POST", r"orders/\d+/refunds")
    assert len(made) == 1, [call.body for call in made]
    body: dict[str, Any] = made[0].body
    return body


def line_items_total(body: dict[str, Any]) -> Decimal:
    return sum((Decimal(item["refund_total"]) + sum((Decimal(t["refund_total"]) for t in item["refund_tax"]),
                                                    Decimal(0)) for item in body["line_items"]), Decimal(0))


def run_the_action_again(app: Flask) -> None:
    """A stray re-run of every write-back, as reconcile or a repeated job would make it."""
    with storage_of(app).sessions() as session:
        keys = list(session.scalars(select(Action.idempotency_key)))
    with app.app_context():
        for key in keys:
            with storage_of(app).transaction() as session:  # as if its worker had died after writing
                session.scalars(select(Action).where(Action.idempotency_key == key)).one().state = "pending"
            perform_action(key)
    with storage_of(app).sessions() as session:
        again = [(a.state, a.attempts, (a.result or {}).get("already_done")) for a in session.scalars(select(Action))]
    assert again == [("done", 2, True)] * len(keys), again


@pytest.mark.parametrize("case", ORDERS, ids=[case.name for case in ORDERS])
def test_a_cancelled_taxed_order_refunds_exactly_what_was_paid_once(
    app: Flask, base_url: str, fake_woocommerce: FakeWooCommerce, case: Taxed
) -> None:
    fake = fake_woocommerce
    order_id = placed_order(app, base_url, fake, **case.order)
    fake.state.set_status(order_id, "cancel-request", CANCEL_AT)
    assert deliver(base_url, fake, "order.updated", order_id, times=2) == [200, 200]
    run_worker(app)
    run_the_action_again(app)

    refund = decision_refund(app)
    assert (refund["total"], refund["to_gift_card"]) == (case.paid, case.gift_card)
    body = refund_request(fake)
    to_gateway = Decimal(refund["total"]) - Decimal(refund["to_gift_card"])
    assert Decimal(body["amount"]) == to_gateway == Decimal(fake.state.order(order_id)["total"])
    assert body["api_refund"] is True and body["api_restock"] is False  # cancelling restocks, once
    assert line_items_total(body) == to_gateway
    assert {item["id"] for item in body["line_items"]} == {
        *(line["id"] for line in fake.state.orders[order_id]["line_items"]),
        fake.state.orders[order_id]["shipping_lines"][0]["id"]}
    assert fake.state.refund_warnings == []
    assert fake.state.order(order_id)["status"] == "cancelled"
    assert fake.state.restocked == [order_id]
    # The card goes back by the gift-card plugin, once; the merchant is told so.
    credited = [amount for _, _, amount in fake.state.gift_card_credits]
    assert credited == ([Decimal(case.gift_card)] if case.gift_card != "0.00" else [])
    notes = [note["note"] for note in fake.state.notes.get(order_id, [])]
    assert len(notes) == (1 if case.gift_card != "0.00" else 0)
    assert all(f"{case.gift_card} EUR of this order was paid by gift card" in note for note in notes)


@pytest.mark.parametrize("case", ORDERS, ids=[case.name for case in ORDERS])
def test_a_partly_returned_taxed_order_refunds_the_lines_paid_price_and_tax_once(
    app: Flask, base_url: str, fake_woocommerce: FakeWooCommerce, case: Taxed
) -> None:
    fake = fake_woocommerce
    order_id = placed_order(app, base_url, fake, **{**case.order, "created": days_ago(10)})
    for status, days in (("completed", 8), ("delivered", 6)):  # received 6 days ago: inside 14 days
        move(base_url, fake, order_id, status, days_ago(days))
    run_worker(app)
    chain = fake.state.orders[order_id]["line_items"][CHAIN]
    return_line(app, base_url, fake, order_id, chain["id"])

    refund = decision_refund(app)
    with storage_of(app).sessions() as session:
        decisions = session.scalars(select(DecisionRecord).order_by(DecisionRecord.id)).all()
        totals = [decision.document["refund"]["total"] for decision in decisions]
    assert totals[1:] == ["0.00"], "asked again once refunded, the line has nothing left to refund"
    assert (refund["total"], refund["to_gift_card"]) == RETURN_THE_CHAIN[case.name]
    body = refund_request(fake)
    to_gateway = Decimal(refund["total"]) - Decimal(refund["to_gift_card"])
    assert Decimal(body["amount"]) == to_gateway
    [item] = body["line_items"]
    net, tax = Decimal(item["refund_total"]), sum((Decimal(t["refund_total"]) for t in item["refund_tax"]), Decimal(0))
    assert (item["id"], item["quantity"], net + tax) == (chain["id"], 1, to_gateway)
    if case.gift_card == "0.00":
        assert (net, tax) == (Decimal("20.00"), Decimal("3.80"))  # after its coupon, net and VAT
    assert [t["id"] for t in item["refund_tax"]] == [chain["taxes"][0]["id"]]
    assert fake.state.refund_warnings == []
    assert fake.state.restocked_items == []  # the chain isn't back yet
    notes = {note["customer_note"]: note["note"] for note in fake.state.notes[order_id]}
    assert notes[True].startswith("Your return request has been approved.")
    if case.gift_card != "0.00":  # no REST call credits part of a card: the merchant does it
        assert notes[False].startswith(f"{refund['to_gift_card']} EUR of the refund for the approved return was "
                                       "paid with ") and "by hand" in notes[False]
    else:
        assert False not in notes
    assert fake.state.gift_card_credits == []


def return_line(app: Flask, base_url: str, fake: FakeWooCommerce, order_id: int, line_id: int) -> None:
    """The storefront form's return of one line, sent twice, then the write-back run again. The second send, after the
    first was decided, is a request of its own (issue 23): it finds the line refunded and refunds nothing more."""
    order = fake.state.order(order_id)
    with storage_of(app).sessions() as session:
        [store_id] = session.scalars(select(Store.id)).all()
    for _ in range(2):
        answer = httpx.post(f"{base_url}/forms/woocommerce/{store_id}/request",
                            data=form_for(order, kind="return", reason="changed_mind", line_id=str(line_id)))
        assert answer.status_code == 202, answer.text
        run_worker(app)
    run_the_action_again(app)


def test_a_return_after_a_refund_by_hand_refunds_only_what_is_left_of_each_line(
    app: Flask, base_url: str, fake_woocommerce: FakeWooCommerce, woo_api: WooCommerceApi
) -> None:
    fake = fake_woocommerce
    order_id = placed_order(app, base_url, fake, **taxed(False))
    for status, at in (("completed", "2026-03-03T10:00:00"), ("delivered", "2026-03-05T10:00:00")):
        move(base_url, fake, order_id, status, at)
    run_worker(app)
    pendant = fake.state.orders[order_id]["line_items"][PENDANT]
    # The merchant refunded one of the two pendants from the order screen: 49.00 and its 9.31 VAT.
    woo_api.post(f"orders/{order_id}/refunds", {"amount": "58.31", "api_refund": False, "line_items": [
        {"id": pendant["id"], "quantity": 1, "refund_total": "49.00",
         "refund_tax": [{"id": pendant["taxes"][0]["id"], "refund_total": "9.31"}]}]})
    move(base_url, fake, order_id, "return-requested", "2026-03-06T10:00:00")  # every line, as a status asks
    run_worker(app)

    # The other pendant (49.00 + 9.31) and the chain (20.00 + 3.80); shipping stays with the store.
    refund = decision_refund(app)
    assert (refund["items"], refund["tax"], refund["total"]) == ("69.00", "13.11", "82.11")
    [_, made] = fake.calls("POST", r"orders/\d+/refunds")
    assert made.body["amount"] == "82.11"
    quantities = {item["id"]: item["quantity"] for item in made.body["line_items"]}
    assert quantities[pendant["id"]] == 1  # one was refunded already
    assert fake.state.refund_warnings == []
