"""WooCommerce end to end: signed webhooks to the running app, a real RQ worker on Redis, the fake site over HTTPS.

Each preset's store gets an order (order.created), then the order moves into a request status
(order.updated); every webhook arrives twice. The test asserts exactly which writes reach the site, once.
"""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from policies.presets import preset_document
from storage.db import storage_of
from storage.models import CaseRecord, DecisionRecord
from storage.repositories import set_policy

from ..fakes.woocommerce import FakeWooCommerce
from .steps import deliver, install, move, placed_order, run_worker

PLACED, COMPLETED = "2026-03-01T09:30:00", "2026-03-03T10:00:00"
ENGRAVED = {"Engraving ($10.00)": "A+B", "_reduced_stock": "1"}

# A customer note, and its id kept in the order's meta under the write's key (the customer never reads the key).
NOTED = [("POST", "orders/101/notes"), ("PUT", "orders/101")]
# preset, the order's lines, the request status, whether it shipped first, the outcome and reason codes, writes
SCENARIOS: list[tuple[str, dict[str, Any], str, bool, str, list[str], list[tuple[str, str]]]] = [
    ("pristine-crystals", {}, "cancel-request", False, "approve", ["within_policy"],
     [("POST", "orders/101/refunds"), ("PUT", "orders/101")]),
    ("kestia", {"meta": ENGRAVED}, "return-requested", True, "decline", ["final_sale"],
     NOTED),
    ("pandorana", {}, "cancel-request", False, "review", ["needs_review"], [("POST", "orders/101/notes")]),
    ("passione-kustom", {}, "return-requested", True, "decline", ["returns_not_accepted"],
     NOTED),
    ("five-elements-link", {}, "claim-requested", True, "decline", ["evidence_required"],
     NOTED),
]


def decisions(app: Flask) -> list[tuple[str, str, list[str]]]:
    with storage_of(app).sessions() as session:
        rows = session.execute(select(CaseRecord.request_key, DecisionRecord.document)
                               .join(DecisionRecord, DecisionRecord.case_id == CaseRecord.id)).all()
        return [(key, document["outcome"], [r["code"] for r in document["reasons"]]) for key, document in rows]


@pytest.mark.integration
@pytest.mark.parametrize(("preset", "line", "status", "shipped", "outcome", "codes", "writes"), SCENARIOS,
                         ids=[scenario[0] for scenario in SCENARIOS])
def test_a_request_status_is_written_back_as_the_preset_says_once(
    app: Flask, base_url: str, fake_woocommerce: FakeWooCommerce, preset: str, line: dict[str, Any], status: str,
    shipped: bool, outcome: str, codes: list[str], writes: list[tuple[str, str]],
) -> None:
    fake = fake_woocommerce
    install(app, fake, preset)
    fake.state.add_product(11, regular_price="49.00", categories=["Necklaces"])
    order = fake.state.add_order(created=PLACED, lines=[{"product_id": 11, **line}])
    assert deliver(base_url, fake, "order.created", order["id"], times=2) == [200, 200]
    run_worker(app)
    if shipped:
        fake.state.set_status(order["id"], "completed", COMPLETED)
        assert deliver(base_url, fake, "order.updated", order["id"], times=2) == [200, 200]
        run_worker(app)
    asked_at = "2026-03-01T12:00:00" if status == "cancel-request" else "2026-03-06T10:00:00"
    fake.state.set_status(order["id"], status, asked_at)

    assert deliver(base_url, fake, "order.updated", order["id"], times=2) == [200, 200]
    run_worker(app)
    assert deliver(base_url, fake, "order.updated", order["id"]) == [200]  # a later, separate delivery
    run_worker(app)

    assert fake.writes() == writes
    assert decisions(app) == [(f"status:101:{status}:{asked_at}Z", outcome, codes)]


@pytest.mark.integration
def test_an_approved_cancel_refunds_the_paid_amount_through_the_gateway_then_cancels(
    app: Flask, base_url: str, fake_woocommerce: FakeWooCommerce
) -> None:
    fake = fake_woocommerce
    order_id = placed_order(app, base_url, fake, created=PLACED, lines=[{"price": "49.00"}], shipping="6.90")
    move(base_url, fake, order_id, "cancel-request", "2026-03-01T12:00:00")
    run_worker(app)

    [refund] = fake.calls("POST", r"orders/\d+/refunds")
    assert refund.body["amount"] == "55.90" and refund.body["api_refund"] is True
    assert refund.body["reason"].startswith("Cancellation approved by Assay (case status:101:cancel-request:")
    assert fake.state.order(order_id)["status"] == "cancelled"
    assert fake.state.restocked == [order_id]
    assert fake.state.emails == [("customer_refunded_order", order_id)]

    # WooCommerce announces its own changes (refunded, then cancelled): nothing more is written.
    deliver(base_url, fake, "order.updated", order_id)
    run_worker(app)
    assert fake.writes() == [("POST", "orders/101/refunds"), ("PUT", "orders/101")]


@pytest.mark.integration
def test_a_declined_return_tells_the_customer_every_reason_in_a_customer_note(
    app: Flask, base_url: str, fake_woocommerce: FakeWooCommerce
) -> None:
    fake = fake_woocommerce
    fake.state.add_product(11, regular_price="59.00", sale_price="49.00")  # on sale when bought
    order_id = placed_order(app, base_url, fake, created=PLACED, lines=[{"product_id": 11, "price": "49.00"}])
    fake.state.add_product(11, regular_price="59.00")  # the sale ended before the return: still a sale item
    move(base_url, fake, order_id, "return-requested", "2026-03-06T10:00:00")
    run_worker(app)

    [note] = fake.calls("POST", r"orders/\d+/notes")
    assert note.body["customer_note"] is True
    assert note.body["note"] == (
        "Your return request has been declined. This item hasn't been sent yet, so it can't be returned; ask to "
        "cancel it instead. Sale items are non-returnable."), "nothing in it the customer can't read"
    assert fake.state.emails == [("customer_note", order_id)]
    assert fake.state.order(order_id)["status"] == "return-requested"  # the default mapping leaves it


@pytest.mark.integration
def test_a_declined_cancel_puts_the_order_back_where_it_was(
    app: Flask, base_url: str, fake_woocommerce: FakeWooCommerce
) -> None:
    fake = fake_woocommerce
    order_id = placed_order(app, base_url, fake, created=PLACED, status="on-hold")
    move(base_url, fake, order_id, "cancel-request", "2026-03-03T12:00:00")  # after the 24-hour window
    run_worker(app)

    assert fake.writes() == [*NOTED, ("PUT", "orders/101")]
    assert fake.calls("PUT", r"orders/101")[-1].body == {"status": "on-hold"}
    assert "cancellation request has been declined. Your order stands." in fake.state.notes[101][0]["note"]


@pytest.mark.integration
@pytest.mark.parametrize(("asked_at", "outcome", "codes"), [
    ("2026-03-19T22:59:59", "approve", ["within_policy"]),  # 14 days after receipt, to 24:00 in Berlin
    ("2026-03-19T23:00:01", "decline", ["return_window_ended"]),
])
def test_a_return_counts_its_window_from_when_the_tracking_plugin_marked_the_order_delivered(
    app: Flask, base_url: str, fake_woocommerce: FakeWooCommerce, asked_at: str, outcome: str, codes: list[str],
) -> None:
    fake = fake_woocommerce
    order_id = placed_order(app, base_url, fake, created=PLACED)
    for status, at in (("completed", COMPLETED), ("delivered", "2026-03-05T10:00:00"), ("return-requested", asked_at)):
        move(base_url, fake, order_id, status, at)
        run_worker(app)

    assert [(result, found) for _, result, found in decisions(app)] == [(outcome, codes)]


@pytest.mark.integration
def test_without_a_tracking_plugin_a_policys_fallback_counts_from_completion_plus_its_delay(
    app: Flask, base_url: str, fake_woocommerce: FakeWooCommerce
) -> None:
    fake = fake_woocommerce
    store_id = install(app, fake, "pristine-crystals")
    policy = preset_document("pristine-crystals") or {}
    policy["returns"]["window"] |= {"fallback": "fulfilment", "fallback_delay": {"length": 3, "unit": "days"}}
    with storage_of(app).transaction() as session:
        set_policy(session, store_id, policy)
    first, second = (fake.state.add_order(created=PLACED) for _ in range(2))
    for order, asked_at in ((first, "2026-03-20T22:59:59"), (second, "2026-03-20T23:00:01")):
        deliver(base_url, fake, "order.created", order["id"])
        for status, at in (("completed", COMPLETED), ("return-requested", asked_at)):
            move(base_url, fake, order["id"], status, at)
        run_worker(app)

    # Completed 3 March, assumed received 6 March: 14 days run to 24:00 on 20 March in Berlin.
    assert sorted((result, found) for _, result, found in decisions(app)) == [
        ("approve", ["within_policy"]), ("decline", ["return_window_ended"])]


@pytest.mark.integration
def test_a_second_move_into_a_request_status_after_a_refusal_is_a_new_case(
    app: Flask, base_url: str, fake_woocommerce: FakeWooCommerce
) -> None:
    """A request status speaks for the whole order, so each move into it is one request: refused, moved out and
    back again, it is asked anew and judged on its own; the same move reported again is still the one case."""
    fake = fake_woocommerce
    install(app, fake, "kestia")
    fake.state.add_product(11, regular_price="49.00", categories=["Necklaces"])
    order = fake.state.add_order(created=PLACED, lines=[{"product_id": 11, "meta": ENGRAVED}])
    assert deliver(base_url, fake, "order.created", order["id"]) == [200]
    move(base_url, fake, order["id"], "completed", COMPLETED)
    move(base_url, fake, order["id"], "return-requested", "2026-03-06T10:00:00")
    run_worker(app)
    move(base_url, fake, order["id"], "completed", "2026-03-06T11:00:00")  # the merchant answers the refusal
    move(base_url, fake, order["id"], "return-requested", "2026-03-07T10:00:00")
    assert deliver(base_url, fake, "order.updated", order["id"], times=2) == [200, 200]
    run_worker(app)

    assert decisions(app) == [("status:101:return-requested:2026-03-06T10:00:00Z", "decline", ["final_sale"]),
                              ("status:101:return-requested:2026-03-07T10:00:00Z", "decline", ["final_sale"])]
    assert fake.writes() == NOTED * 2
