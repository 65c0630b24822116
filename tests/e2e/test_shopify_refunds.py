"""Shopify refunds exactly what the decision states, to the cent, each part back where it was paid, once.

End to end on the running app, a real RQ worker and the fake Admin API, for taxed orders partly paid with a
gift card: a cancellation (orderCancel refunds what Shopify holds, split over the payments), and returns and
claims (returnProcess with the decided amount per payment). The fake keeps the money as Shopify does, as
transactions, and refuses a refund beyond what is left of a payment or of the order.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest
from flask import Flask
from sqlalchemy import select
from support.settings import change_settings

from connector.shopify.api import AdminApi
from connector.shopify.write_back import write_back
from jobs.actions import reconcile_actions
from storage.db import storage_of
from storage.models import Action, CaseRecord, DecisionRecord

from .fakes.shopify import FakeShopify
from .fakes.shopify_seed import SeededOrder
from .shopify_app import mutations, numeric, placed_order, post_webhook, proxy_url, run_worker

PRESET = "pristine-crystals"  # cancels within 24 hours; returns within 14 days of delivery; claims refund shipping
DELIVERED = {"fulfilled_at": "2026-03-03T08:00:00Z", "delivered_at": "2026-03-05T10:00:00Z"}
ASKED_AT = "2026-03-10T10:00:00Z"


@dataclass(frozen=True)
class Taxed:
    name: str
    spec: dict[str, Any]
    paid: str  # what the fake's customer paid in all
    gift_card: str  # of it, with a gift card


# 2 pendants at 49.00 less 4.90, 19% VAT added on top (17.69) and on shipping (1.31): 119.00, 20.00 by gift card.
TAX_ADDED = Taxed("tax added, a discount, shipping tax", {
    "currency": "EUR", "taxes_included": False, "shipping": {"amount": "6.90", "tax": "1.31"},
    "lines": [{"title": "Rose quartz pendant", "quantity": 2, "unit_price": "49.00", "discount": "4.90",
               "tax": "17.69", "fulfilled_quantity": 2}],
    "gift_card_paid": "20.00", "customer_id": 777,
}, paid="119.00", gift_card="20.00")
# 3 rings at 59.00 less 10.00, VAT inside the prices (26.66) and the shipping (0.78): 171.90, 30.00 by gift card.
TAX_INCLUDED = Taxed("tax included, a discount, shipping tax", {
    "currency": "EUR", "taxes_included": True, "shipping": {"amount": "4.90", "tax": "0.78"},
    "lines": [{"title": "Amethyst ring", "sku": "AM-R", "product_type": "Ring", "quantity": 3, "unit_price": "59.00",
               "discount": "10.00", "tax": "26.66", "fulfilled_quantity": 3}],
    "gift_card_paid": "30.00", "customer_id": 777,
}, paid="171.90", gift_card="30.00")
ORDERS = (TAX_ADDED, TAX_INCLUDED)


def decisions(app: Flask) -> list[dict[str, Any]]:
    with storage_of(app).sessions() as session:
        return [record.document for record in session.scalars(select(DecisionRecord).order_by(DecisionRecord.id))]


def money(value: Any) -> Decimal:
    return Decimal(str(value))


def gift_card_part(refund: dict[str, Any]) -> Decimal:
    return sum((money(part["amount"]) for part in refund["parts"] if part["gateway"] == "gift_card"), Decimal(0))


def refunded_total(refund: dict[str, Any]) -> Decimal:
    return money(refund["totalRefundedSet"]["shopMoney"]["amount"])


def assert_refunded_as_decided(refund: dict[str, Any], decided: dict[str, Any]) -> None:
    """The money Shopify moved is the decision's total, and its gift-card part went back to the gift card."""
    assert refunded_total(refund) == money(decided["total"])
    assert sum((money(part["amount"]) for part in refund["parts"]), Decimal(0)) == money(decided["total"])
    assert gift_card_part(refund) == money(decided["to_gift_card"])


def run_every_action_again(app: Flask, admin_api: AdminApi) -> list[dict[str, Any]]:
    """As a second worker would after the first died before marking them done: the same payloads and keys."""
    with storage_of(app).sessions() as session:
        done = [(a.kind, dict(a.payload), a.idempotency_key) for a in session.scalars(select(Action))]
    return [write_back(admin_api, kind, payload, key) for kind, payload, key in done]


# --- Cancelled ---------------------------------------------------------------------------------------------

def cancel_through_the_app_proxy(base_url: str, fake: FakeShopify, order: SeededOrder) -> None:
    for _ in range(2):  # asked twice: one case
        answer = httpx.post(proxy_url(base_url, fake.shop_domain, "777"), data={"order_id": str(numeric(order.gid))})
        assert answer.status_code == 202


@pytest.mark.parametrize("taxed", ORDERS, ids=lambda taxed: taxed.name)
def test_a_cancelled_taxed_order_refunds_all_that_was_paid_as_decided_the_gift_card_part_to_the_gift_card(
        app: Flask, base_url: str, fake_shopify: FakeShopify, admin_api: AdminApi, taxed: Taxed) -> None:
    placed = (datetime.now(UTC) - timedelta(hours=3)).isoformat()
    lines = [{**line, "fulfilled_quantity": 0} for line in taxed.spec["lines"]]
    order = placed_order(app, base_url, fake_shopify, PRESET, {**taxed.spec, "placed_at": placed, "lines": lines})

    cancel_through_the_app_proxy(base_url, fake_shopify, order)
    run_worker(app)
    run_worker(app)
    again = run_every_action_again(app, admin_api)

    [decision] = decisions(app)
    decided = decision["refund"]
    assert (decision["outcome"], decided["total"], decided["to_gift_card"]) == ("approve", taxed.paid, taxed.gift_card)
    [refund] = fake_shopify.state.refunds
    assert refund["via"] == "orderCancel"
    assert_refunded_as_decided(refund, decided)
    assert mutations(fake_shopify) == ["OrderCancel"]  # the amounts agreed: no note for the merchant
    assert [result["already_done"] for result in again] == [True]


def test_a_cancel_whose_order_was_partly_refunded_since_says_so_on_the_order_and_refunds_what_is_left(
        app: Flask, base_url: str, fake_shopify: FakeShopify) -> None:
    placed = (datetime.now(UTC) - timedelta(hours=3)).isoformat()
    lines = [{**line, "fulfilled_quantity": 0} for line in TAX_ADDED.spec["lines"]]
    order = placed_order(app, base_url, fake_shopify, PRESET, {**TAX_ADDED.spec, "placed_at": placed, "lines": lines})
    staff_refund = fake_shopify.refund_by_staff(order, "10.00")  # after Assay snapshotted the order

    cancel_through_the_app_proxy(base_url, fake_shopify, order)
    run_worker(app)

    [decision] = decisions(app)
    assert decision["refund"]["total"] == "119.00"  # the snapshot's paid - refunded
    cancelled = fake_shopify.state.refunds[-1]
    assert cancelled["via"] == "orderCancel" and cancelled is not staff_refund
    assert refunded_total(cancelled) == Decimal("109.00")  # never more than Shopify still holds
    assert mutations(fake_shopify) == ["TagsAdd", "OrderNoteUpdate", "OrderCancel"]
    note = fake_shopify.order(order.gid)["note"]
    assert "the decision refunds 119.00 EUR" in note and "10.00 EUR less than decided" in note
    assert "assay-refund-check" in fake_shopify.order(order.gid)["tags"]


# --- Returned -----------------------------------------------------------------------------------------------

def ask_to_return(base_url: str, fake: FakeShopify, order: SeededOrder, units: int, handle: str = "changed-my-mind",
                  line: int = 0) -> str:
    """The customer asks to return `units` of one line; the webhook comes twice, as Shopify may send it."""
    return_gid = fake.seed_return(order, [{"line_gid": order.line_gids[line], "quantity": units, "reason": handle}])
    item = fake.return_(return_gid)["returnLineItems"](None)["nodes"][0]
    payload = {
        "id": numeric(return_gid), "admin_graphql_api_id": return_gid, "status": "requested",
        "order": {"id": numeric(order.gid), "admin_graphql_api_id": order.gid},
        "return_line_items": [{
            "id": numeric(item["id"]), "admin_graphql_api_id": item["id"], "quantity": units,
            "fulfillment_line_item": {"id": numeric(item["fulfillmentLineItem"]["id"]),
                                      "line_item": {"id": numeric(order.line_gids[line])}},
            "return_reason_definition": {"handle": handle}, "return_reason_note": "", "customer_note": "",
        }],
    }
    for delivery in (f"{return_gid}-1", f"{return_gid}-2"):
        assert post_webhook(base_url, fake, "returns/request", payload, delivery, ASKED_AT).status_code == 200
    return return_gid


@pytest.mark.parametrize(("taxed", "total", "to_gift_card"), [
    (TAX_ADDED, "55.39", "9.31"),  # half the pendants (46.55) and half their tax (8.84, rounded down)
    (TAX_INCLUDED, "55.66", "9.71"),  # a third of 167.00, rounded down; the tax is inside
], ids=lambda value: value.name if isinstance(value, Taxed) else value)
def test_a_partly_returned_taxed_order_refunds_the_decided_amount_once_the_gift_card_part_to_the_gift_card(
        app: Flask, base_url: str, fake_shopify: FakeShopify, admin_api: AdminApi, taxed: Taxed, total: str,
        to_gift_card: str) -> None:
    order = placed_order(app, base_url, fake_shopify, PRESET, {**taxed.spec, **DELIVERED})

    return_gid = ask_to_return(base_url, fake_shopify, order, units=1)
    run_worker(app)
    run_worker(app)
    again = run_every_action_again(app, admin_api)

    [decision] = decisions(app)
    decided = decision["refund"]
    assert (decision["outcome"], decided["total"], decided["to_gift_card"]) == ("approve", total, to_gift_card)
    [refund] = fake_shopify.state.refunds
    assert (refund["via"], refund["returnId"], refund["lines"]) == ("returnProcess", return_gid,
                                                                    [(order.line_gids[0], 1)])
    assert_refunded_as_decided(refund, decided)
    assert mutations(fake_shopify) == ["ReturnApproveRequest", "ReturnProcess"]
    assert fake_shopify.return_(return_gid)["status"] == "CLOSED"  # every asked unit processed
    assert [result["already_done"] for result in again] == [True]


@pytest.mark.parametrize(("taxed", "line_paid"), [
    (TAX_ADDED, "110.79"),  # 93.10 and the 17.69 tax added on top
    (TAX_INCLUDED, "167.00"),  # the tax is inside
], ids=lambda value: value.name if isinstance(value, Taxed) else value)
def test_returning_every_unit_one_at_a_time_refunds_exactly_what_the_line_was_paid(
        app: Flask, base_url: str, fake_shopify: FakeShopify, taxed: Taxed, line_paid: str) -> None:
    order = placed_order(app, base_url, fake_shopify, PRESET, {**taxed.spec, **DELIVERED})

    for _ in range(taxed.spec["lines"][0]["quantity"]):
        ask_to_return(base_url, fake_shopify, order, units=1)
        run_worker(app)

    made = decisions(app)
    refunds = fake_shopify.state.refunds
    assert len(refunds) == len(made) == taxed.spec["lines"][0]["quantity"]
    for refund, decision in zip(refunds, made, strict=True):
        assert_refunded_as_decided(refund, decision["refund"])
    assert sum(map(refunded_total, refunds), Decimal(0)) == Decimal(line_paid)
    assert sum(map(gift_card_part, refunds), Decimal(0)) <= Decimal(taxed.gift_card)


def test_a_whole_order_claimed_as_defective_refunds_its_shipping_and_shipping_tax_too(
        app: Flask, base_url: str, fake_shopify: FakeShopify) -> None:
    order = placed_order(app, base_url, fake_shopify, PRESET, {**TAX_ADDED.spec, **DELIVERED})

    ask_to_return(base_url, fake_shopify, order, units=2, handle="damaged-or-defective")
    run_worker(app)

    [decision] = decisions(app)
    decided = decision["refund"]
    assert (decided["items"], decided["shipping"], decided["tax"], decided["total"]) == (
        "93.10", "6.90", "19.00", "119.00")  # the line's 17.69 and shipping's 1.31 added on top
    [refund] = fake_shopify.state.refunds
    assert_refunded_as_decided(refund, decided)
    assert refund["shipping"] == Decimal("6.90")
    assert refunded_total(refund) == Decimal(TAX_ADDED.paid)


def test_a_refund_whose_answer_was_lost_is_found_done_by_reconcile_and_not_made_again(
        app: Flask, base_url: str, fake_shopify: FakeShopify) -> None:
    order = placed_order(app, base_url, fake_shopify, PRESET, {**TAX_INCLUDED.spec, **DELIVERED})
    fake_shopify.fail_next(1, "hang_after_execute", operation="ReturnProcess")  # refunded; the answer is lost

    ask_to_return(base_url, fake_shopify, order, units=1)
    run_worker(app)
    change_settings(app, ACTION_LEASE_SECONDS=0)
    with app.app_context():
        reconcile_actions()

    [decision] = decisions(app)
    [refund] = fake_shopify.state.refunds
    assert_refunded_as_decided(refund, decision["refund"])
    assert mutations(fake_shopify) == ["ReturnApproveRequest", "ReturnProcess"]
    with storage_of(app).sessions() as session:
        [action] = session.scalars(select(Action))
        assert action.state == "done" and action.result is not None
        assert action.result["refund"]["already_done"] is True
        assert session.scalars(select(CaseRecord)).one().status == "decided"


def test_a_gift_card_part_no_gift_card_can_take_back_is_left_to_the_merchant_with_its_amount(
        app: Flask, base_url: str, fake_shopify: FakeShopify) -> None:
    order = placed_order(app, base_url, fake_shopify, PRESET, {**TAX_ADDED.spec, **DELIVERED})
    fake_shopify.refund_by_staff(order, "20.00", gateway="gift_card")  # staff gave the gift card's 20.00 back

    ask_to_return(base_url, fake_shopify, order, units=1)
    run_worker(app)

    [decision] = decisions(app)
    decided = decision["refund"]
    assert (decided["total"], decided["to_gift_card"]) == ("55.39", "9.31")
    refund = fake_shopify.state.refunds[-1]
    assert refund["via"] == "returnProcess"
    assert (refunded_total(refund), gift_card_part(refund)) == (Decimal("46.08"), Decimal(0))  # 55.39 - 9.31
    assert mutations(fake_shopify) == ["ReturnApproveRequest", "ReturnProcess", "TagsAdd", "OrderNoteUpdate"]
    shopify_order = fake_shopify.order(order.gid)
    assert "assay-refund-by-hand" in shopify_order["tags"]
    assert "9.31 EUR of the decided refund of 55.39 EUR was not refunded in Shopify" in shopify_order["note"]
