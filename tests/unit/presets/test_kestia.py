"""kestia (seeds/004): 30-day returns; engraved, special-order and earrings only if faulty; a 1-year warranty."""

from __future__ import annotations

from typing import Any

import pytest
from support.cases import case, decision, line

PRESET = "kestia"
STORE = {"country": "GB", "timezone": "Europe/London"}  # placed 2026-03-02 09:00Z, delivered 2026-03-05 10:00Z


def kestia(*, order: dict[str, Any] | None = None, **request: Any) -> dict[str, Any]:
    """Decide a request to Kestia from a UK customer (BASE's order and request, with `order` and `request` changed)."""
    return decision(case(PRESET, store=STORE, order={"currency": "GBP", "country": "GB", **(order or {})},
                         request=request))


def refund(items: str, shipping: str, total: str) -> dict[str, str]:
    return {"currency": "GBP", "items": items, "shipping": shipping, "fees": "0.00", "total": total}


def per_line(made: dict[str, Any]) -> dict[str, str]:
    return {entry["line_id"]: entry["outcome"] for entry in made["lines"]}


def by_code(made: dict[str, Any]) -> dict[str, list[str]]:
    return {reason["code"]: list(reason["lines"]) for reason in made["reasons"]}


EXCLUDED = [
    # "Unfortunately, all items which have been engraved or are a special order, cannot be returned or refunded unless
    # they are defective or faulty."
    pytest.param({"properties": {"Engraving": "A+B"}}, "Engraved items", id="engraving-property"),
    pytest.param({"properties": {"Name": "Ava"}}, "Engraved items", id="name-property"),
    pytest.param({"tags": ["Engraved"]}, "Engraved items", id="engraved-tag"),
    pytest.param({"tags": ["special-order"]}, "Special-order items", id="special-order-tag"),
    # "For the reasons of hygiene, Kestia Limited is unable to accept exchanges or refunds for earrings, unless they
    # are defective or faulty."
    pytest.param({"product_type": "Earrings"}, "hygiene", id="earrings-type"),
    pytest.param({"product_type": "Jewellery", "tags": ["earrings"]}, "hygiene", id="earrings-tag"),
]


# Seed: "...in the unlikely event that you are not 100% happy with your purchase, it can be returned within 30 days
# of receipt."
# Seed: "Postage can only be refunded for faulty or defective items."
@pytest.mark.parametrize("reason", ["changed_mind", "wrong_size"])
def test_an_unused_purchase_can_be_returned_and_refunded_without_postage(reason: str) -> None:
    made = kestia(reason=reason)
    assert made["outcome"] == "approve"
    assert by_code(made) == {"within_policy": ["L1"]}
    assert per_line(made) == {"L1": "approve"}
    assert made["refund"] == refund("49.00", "0.00", "49.00")
    assert made["respond_by"] is None
    assert made["policy_version"] == "kestia@1"


# Seed: "...it can be returned within 30 days of receipt." The 30 days end at 24:00 London time on the 30th day after
# delivery, in summer time (BST) once the clocks have gone forward; with no delivery date they have not started.
@pytest.mark.parametrize(("delivered_at", "submitted_at", "outcome", "code"), [
    pytest.param("2026-03-05T10:00:00Z", "2026-04-04T23:00:00Z", "approve", "within_policy", id="last-instant-bst"),
    pytest.param("2026-03-05T10:00:00Z", "2026-04-04T23:00:01Z", "decline", "return_window_ended",
                 id="a-second-late"),
    # 23:30 UTC in June is 00:30 BST the next day: the count starts from 11 June.
    pytest.param("2026-06-10T23:30:00Z", "2026-07-11T23:00:00Z", "approve", "within_policy", id="london-date"),
    pytest.param("2026-06-10T23:30:00Z", "2026-07-11T23:00:01Z", "decline", "return_window_ended",
                 id="london-date-a-second-late"),
    pytest.param(None, "2026-06-01T10:00:00Z", "approve", "within_policy", id="delivery-unknown"),
])
def test_the_30_day_return_window_counts_from_receipt_in_london_time(
        delivered_at: str | None, submitted_at: str, outcome: str, code: str) -> None:
    made = kestia(order={"delivered_at": delivered_at}, submitted_at=submitted_at)
    assert made["outcome"] == outcome
    assert by_code(made) == {code: ["L1"]}
    assert made["refund"] == (refund("49.00", "0.00", "49.00") if outcome == "approve" else None)


# Seed: "All purchases must be returned complete, where applicable, with any tags, in their original packaging and
# with the dispatch note/receipt." Exceptions: ". Items which have been used."
def test_a_used_item_cannot_be_returned() -> None:
    made = kestia(lines=[{"line_id": "L1", "quantity": 1, "condition": "used"}])
    assert made["outcome"] == "decline"
    assert by_code(made) == {"condition_not_met": ["L1"]}
    message = made["reasons"][0]["message"]
    assert all(part in message for part in ("unused", "tags", "original packaging", "receipt"))


# Seed: "Unfortunately, all items which have been engraved or are a special order, cannot be returned or refunded
# unless they are defective or faulty." and "For the reasons of hygiene, Kestia Limited is unable to accept exchanges
# or refunds for earrings, unless they are defective or faulty." (each row of EXCLUDED cites its sentence)
@pytest.mark.parametrize(("fields", "message"), EXCLUDED)
def test_engraved_special_order_items_and_earrings_cannot_be_returned(fields: dict[str, Any], message: str) -> None:
    made = kestia(order={"lines": [line(**fields)]})
    assert made["outcome"] == "decline"
    assert by_code(made) == {"final_sale": ["L1"]}
    assert message in made["reasons"][0]["message"]
    assert made["refund"] is None


# Seed: "...cannot be returned or refunded unless they are defective or faulty." and "All items faulty or defective
# will not apply." A fault lifts every exception: it is assessed like any other.
@pytest.mark.parametrize(("fields", "message"), EXCLUDED)
def test_an_excluded_item_that_arrived_defective_is_assessed(fields: dict[str, Any], message: str) -> None:
    made = kestia(order={"lines": [line(**fields)]}, kind="claim", reason="defective")
    assert made["outcome"] == "review"
    assert by_code(made) == {"needs_review": ["L1"]}


# Seed: "For the reasons of hygiene, Kestia Limited is unable to accept exchanges or refunds for earrings, unless they
# are defective or faulty." A necklace and earrings returned together disagree, so a person decides.
def test_a_return_of_a_necklace_with_earrings_is_reviewed() -> None:
    order = {"lines": [line(), line("L2", title="Pearl studs", product_type="Earrings", unit_price="35.00")]}
    made = kestia(order=order, lines=[{"line_id": "L1", "quantity": 1, "condition": "unused"},
                                      {"line_id": "L2", "quantity": 1, "condition": "unused"}])
    assert made["outcome"] == "review"
    assert by_code(made) == {"within_policy": ["L1"], "final_sale": ["L2"]}
    assert per_line(made) == {"L1": "approve", "L2": "decline"}
    assert made["refund"] is None
    assert made["respond_by"] is None


# Seed: "As soon as all of the information required above has been received, a full refund will be provided for your
# item." Full for what was paid: the discount is shared pro rata over the quantity returned.
def test_returning_part_of_a_discounted_line_refunds_its_share() -> None:
    made = kestia(order={"lines": [line(unit_price="60.00", quantity=2, fulfilled_quantity=2, discount="12.00")]},
                  lines=[{"line_id": "L1", "quantity": 1, "condition": "unused"}])
    assert made["outcome"] == "approve"
    assert made["refund"] == refund("54.00", "0.00", "54.00")


# Seed: "...if in a rare circumstance your item is delivered defective or damaged or dispatched in error by us, we will
# refund the price of the item with any delivery charge."
# Seed: "Please return your damaged item and we will send it to our Repair and Service Team for an assessment."
# Seed: "You must return any defective or damaged item to us within 30 days of receiving it."
@pytest.mark.parametrize(("reason", "outcome", "code", "paid_back"), [
    pytest.param("wrong_item", "approve", "within_policy", refund("49.00", "6.90", "55.90"), id="dispatched-in-error"),
    pytest.param("damaged_in_transit", "review", "needs_review", None, id="damaged-assessed"),
    pytest.param("defective", "review", "needs_review", None, id="defective-assessed"),
    pytest.param("not_as_described", "review", "needs_review", None, id="not-listed-reviewed"),
    pytest.param("other", "review", "needs_review", None, id="other-reviewed"),
])
def test_an_item_delivered_wrong_is_refunded_and_damage_is_assessed(reason: str, outcome: str, code: str,
                                                                    paid_back: dict[str, str] | None) -> None:
    made = kestia(kind="claim", reason=reason)
    assert made["outcome"] == outcome
    assert by_code(made) == {code: ["L1"]}
    assert per_line(made) == {"L1": outcome}
    assert made["refund"] == paid_back
    assert made["respond_by"] is None and made["resolve_by"] is None


# Seed: "You must return any defective or damaged item to us within 30 days of receiving it."
@pytest.mark.parametrize(("submitted_at", "outcome", "code"), [
    ("2026-04-04T23:00:00Z", "review", "needs_review"),
    ("2026-04-04T23:00:01Z", "decline", "claim_window_ended"),
])
def test_damage_must_be_reported_within_30_days_of_receipt(submitted_at: str, outcome: str, code: str) -> None:
    made = kestia(kind="claim", reason="damaged_in_transit", submitted_at=submitted_at)
    assert made["outcome"] == outcome
    assert by_code(made) == {code: ["L1"]}


# Seed: "Kestia will repair or replace any manufacturing faults up to 1 year from your original date of purchase."
# A defect reported after the 30-day claim window falls to that warranty (sent as a claim or as a "return");
# transit damage does not.
@pytest.mark.parametrize(("kind", "reason", "submitted_at", "outcome", "code", "message"), [
    pytest.param("claim", "defective", "2026-05-20T10:00:00Z", "review", "needs_review", "under warranty",
                 id="defect-after-30-days-is-under-warranty"),
    pytest.param("return", "defective", "2026-05-20T10:00:00Z", "review", "needs_review", "under warranty",
                 id="return-for-a-defect-after-30-days-is-under-warranty"),
    pytest.param("claim", "defective", "2027-03-03T00:00:01Z", "decline", "warranty_expired", "manufacturing faults",
                 id="defect-after-the-year"),
    pytest.param("claim", "damaged_in_transit", "2026-05-20T10:00:00Z", "decline", "claim_window_ended",
                 "within 30 days", id="transit-damage-after-30-days"),
])
def test_a_defect_reported_after_30_days_falls_to_the_one_year_warranty(
        kind: str, reason: str, submitted_at: str, outcome: str, code: str, message: str) -> None:
    made = kestia(kind=kind, reason=reason, submitted_at=submitted_at)
    assert made["outcome"] == outcome
    assert by_code(made) == {code: ["L1"]}
    assert message in made["reasons"][0]["message"]
    assert made["refund"] is None


# Seed: "Postage can only be refunded for faulty or defective items."
# Seed: "Unfortunately, Kestia is unable to refund any shipping costs from overseas and it is your responssiblity to
# ensure payment of any delivery charges, duties and taxes incurred to return your purchase."
@pytest.mark.parametrize(("order", "shipping", "total"), [
    pytest.param({"country": "GB"}, "6.90", "55.90", id="uk"),
    pytest.param({"country": "FR"}, "0.00", "49.00", id="shipped-to-france"),
    pytest.param({"country": "GB", "shipping": {"amount": "6.90", "international": True}}, "0.00", "49.00",
                 id="flagged-international"),
])
def test_a_wrong_item_sent_overseas_is_refunded_without_the_shipping(order: dict[str, Any], shipping: str,
                                                                     total: str) -> None:
    made = kestia(order=order, kind="claim", reason="wrong_item")
    assert made["outcome"] == "approve"
    assert made["refund"] == refund("49.00", shipping, total)


# Seed: "For the reasons of hygiene, Kestia Limited is unable to accept exchanges or refunds for earrings, unless they
# are defective or faulty." Earrings dispatched in error come back in full, postage included.
def test_earrings_dispatched_in_error_are_refunded_with_the_delivery_charge() -> None:
    made = kestia(order={"lines": [line(product_type="Earrings")]}, kind="claim", reason="wrong_item")
    assert made["outcome"] == "approve"
    assert made["refund"] == refund("49.00", "6.90", "55.90")


# Seed: "Kestia will repair or replace any manufacturing faults up to 1 year from your original date of purchase."
# A year from the purchase (placed 2 March 2026), not from delivery, ending at 24:00 London time on 2 March 2027;
# engraved earrings are covered like anything else. No answer deadline is promised.
@pytest.mark.parametrize(("fields", "submitted_at", "outcome", "code"), [
    pytest.param({}, "2026-11-02T10:00:00Z", "review", "needs_review", id="eight-months"),
    pytest.param({}, "2027-03-03T00:00:00Z", "review", "needs_review", id="last-instant-of-the-year"),
    pytest.param({}, "2027-03-03T00:00:01Z", "decline", "warranty_expired", id="a-second-after"),
    pytest.param({}, "2027-03-04T12:00:00Z", "decline", "warranty_expired", id="within-a-year-of-delivery-only"),
    pytest.param({"product_type": "Earrings", "properties": {"Engraving": "A"}}, "2026-11-02T10:00:00Z", "review",
                 "needs_review", id="engraved-earrings"),
])
def test_manufacturing_faults_are_covered_for_one_year_from_purchase(fields: dict[str, Any], submitted_at: str,
                                                                     outcome: str, code: str) -> None:
    made = kestia(order={"lines": [line(**fields)]}, kind="warranty", reason="defective", submitted_at=submitted_at)
    assert made["outcome"] == outcome
    assert by_code(made) == {code: ["L1"]}
    assert per_line(made) == {"L1": outcome}
    assert made["refund"] is None
    assert made["respond_by"] is None


# Seed: "...if in a rare circumstance your item is delivered defective or damaged or dispatched in error by us, we will
# refund the price of the item with any delivery charge." A "return" for a fault is a claim; a "claim" for the
# wrong size is a return, refunded without postage.
@pytest.mark.parametrize(("kind", "reason", "outcome", "paid_back"), [
    pytest.param("return", "defective", "review", None, id="return-for-a-defect-is-assessed"),
    pytest.param("return", "wrong_item", "approve", refund("49.00", "6.90", "55.90"), id="return-of-a-wrong-item"),
    pytest.param("claim", "wrong_size", "approve", refund("49.00", "0.00", "49.00"), id="claim-for-the-wrong-size"),
])
def test_requests_are_judged_by_what_they_are_about(kind: str, reason: str, outcome: str,
                                                    paid_back: dict[str, str] | None) -> None:
    made = kestia(kind=kind, reason=reason)
    assert made["outcome"] == outcome
    assert made["refund"] == paid_back


# Seed: "With online purchases, customers are legally entitled to cancel their order within 14 working days of receipt
# of their product and return for a full refund..." Before dispatch nothing has been shipped, overseas or not.
@pytest.mark.parametrize("country", ["GB", "FR"])
def test_an_order_not_yet_dispatched_can_be_cancelled_in_full(country: str) -> None:
    order = {"country": country, "fulfilled_at": None, "delivered_at": None, "lines": [line(fulfilled_quantity=0)]}
    made = kestia(order=order, kind="cancel", reason=None, lines=[], submitted_at="2026-03-02T12:00:00Z")
    assert made["outcome"] == "approve"
    assert by_code(made) == {"within_policy": ["L1"]}
    assert made["refund"] == refund("49.00", "6.90", "55.90")


# Seed: "With online purchases, customers are legally entitled to cancel their order within 14 working days of receipt
# of their product and return for a full refund..."
# Seed: "customers are legally entitled to cancel their order within 14 working days of receipt of their product
# and return for a full refund". After receipt that right is exercised by returning the item: a `cancel` would
# refund through orderCancel without anything coming back, so it is declined and pointed at a return.
def test_a_cancel_after_receipt_is_pointed_at_a_return_rather_than_refunded_unreturned() -> None:
    made = kestia(kind="cancel", reason=None, lines=[], submitted_at="2026-03-10T10:00:00Z")
    assert made["outcome"] == "decline"
    assert by_code(made) == {"already_fulfilled": ["L1"]}
    assert "return it instead" in made["reasons"][0]["message"]
