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


def refunded(made: dict[str, Any]) -> dict[str, str] | None:
    """The decision's refund in the amounts these tests name (its tax and line parts: test_refunds_and_money)."""
    paid = made["refund"]
    return None if paid is None else {key: paid[key] for key in ("currency", "items", "shipping", "fees", "total")}


def per_line(made: dict[str, Any]) -> dict[str, str]:
    return {entry["line_id"]: entry["outcome"] for entry in made["lines"]}


def by_code(made: dict[str, Any]) -> dict[str, list[str]]:
    return {reason["code"]: list(reason["lines"]) for reason in made["reasons"]}


EXCLUDED = [
    # "Unfortunately, all items which have been engraved or are a special order, cannot be returned or refunded unless
    # they are defective or faulty."
    pytest.param({"properties": {"Engraving": "A+B"}}, "Engraved items", id="engraving-property"),
    pytest.param({"properties": {"Your engraving": "A+B"}}, "Engraved items", id="your-engraving-property"),
    pytest.param({"properties": {"Personalisation note": "For Ava"}}, "Engraved items", id="personalisation-note"),
    pytest.param({"properties": {"Add engraving?": "Yes"}}, "Engraved items", id="add-engraving-yes"),
    pytest.param({"properties": {"Name": "Ava"}}, "Engraved items", id="name-property"),
    pytest.param({"tags": ["Engraved"]}, "Engraved items", id="engraved-tag"),
    pytest.param({"tags": ["special-order"]}, "Special-order items", id="special-order-tag"),
    pytest.param({"tags": ["made_to_order"]}, "Special-order items", id="made-to-order-tag"),
    pytest.param({"product_type": "Special Order Item"}, "Special-order items", id="special-order-type"),
    # Exceptions: ". Engraved items or items ordered or altered at a customer's request."
    pytest.param({"properties": {"Alteration": "Resize to N"}}, "altered at your request", id="alteration-property"),
    pytest.param({"tags": ["Resized"]}, "altered at your request", id="resized-tag"),
    # "For the reasons of hygiene, Kestia Limited is unable to accept exchanges or refunds for earrings, unless they
    # are defective or faulty."
    pytest.param({"product_type": "Earrings"}, "hygiene", id="earrings-type"),
    pytest.param({"product_type": "Drop Earrings"}, "hygiene", id="drop-earrings-type"),
    pytest.param({"product_type": "Jewellery", "tags": ["earrings"]}, "hygiene", id="earrings-tag"),
    pytest.param({"product_type": "Jewellery", "tags": ["Earring"]}, "hygiene", id="earring-tag"),
    pytest.param({"product_type": "Ear Studs"}, "hygiene", id="ear-studs-type"),
]

# Lines that only look excluded: a blank or declined customization field, a value that merely mentions engraving,
# a bookkeeping property, and words that contain an excluded word without being it.
NOT_EXCLUDED = [
    pytest.param({"properties": {"Engraving": ""}}, id="blank-engraving"),
    pytest.param({"properties": {"Engraving": "   "}}, id="whitespace-engraving"),
    pytest.param({"properties": {"Add engraving?": "No"}}, id="add-engraving-no"),
    pytest.param({"properties": {"Engraving": "No engraving"}}, id="no-engraving"),
    pytest.param({"properties": {"Gift note": "no engraving please"}}, id="a-value-mentioning-engraving"),
    pytest.param({"properties": {"_engraving_id": "4411"}}, id="bookkeeping-property"),
    pytest.param({"properties": {"Username": "ava"}}, id="username-is-not-a-name"),
    pytest.param({"product_type": "Ear cuff"}, id="ear-cuff"),
    pytest.param({"product_type": "Nameplate pendant"}, id="nameplate"),
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
    assert refunded(made) == refund("49.00", "0.00", "49.00")
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
    assert refunded(made) == (refund("49.00", "0.00", "49.00") if outcome == "approve" else None)


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


# Seed: "Unfortunately, all items which have been engraved or are a special order, cannot be returned or refunded unless
# they are defective or faulty." A person reads the order as it is written: the exception names what matched.
def test_the_reason_says_which_text_made_the_line_an_exception() -> None:
    made = kestia(order={"lines": [line(title="Ring", properties={"Your engraving": "A+B"})]})
    assert made["reasons"][0]["message"] == ("Engraved items can't be returned or refunded unless they are defective "
                                             "or faulty. Line \"Ring\" has the property \"Your engraving\".")


@pytest.mark.parametrize("fields", NOT_EXCLUDED)
def test_a_line_that_only_looks_engraved_or_like_earrings_can_be_returned(fields: dict[str, Any]) -> None:
    made = kestia(order={"lines": [line(**fields)]})
    assert made["outcome"] == "approve"
    assert by_code(made) == {"within_policy": ["L1"]}


# Seed: "Engraved items or items ordered or altered at a customer's request." Where only the title says so, nothing on
# the order proves it: a person checks, neither refunding silently nor refusing on a guess.
@pytest.mark.parametrize(("title", "quoted"), [
    ("Engraved heart locket", "Engraved"),
    ("Pearl drop earrings", "earrings"),
    ("Made to order signet ring", "Made to order"),
])
def test_a_line_whose_title_alone_names_an_exception_is_checked_by_a_person(title: str, quoted: str) -> None:
    made = kestia(order={"lines": [line(title=title)]})
    assert made["outcome"] == "review"
    assert by_code(made) == {"needs_review": ["L1"]}
    assert f'Line "{title}": its title says "{quoted}"' in made["reasons"][0]["message"]
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
    assert refunded(made) == refund("54.00", "0.00", "54.00")


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
    assert refunded(made) == paid_back
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
    assert refunded(made) == refund("49.00", shipping, total)


# Seed: "For the reasons of hygiene, Kestia Limited is unable to accept exchanges or refunds for earrings, unless they
# are defective or faulty." Earrings dispatched in error come back in full, postage included.
def test_earrings_dispatched_in_error_are_refunded_with_the_delivery_charge() -> None:
    made = kestia(order={"lines": [line(product_type="Earrings")]}, kind="claim", reason="wrong_item")
    assert made["outcome"] == "approve"
    assert refunded(made) == refund("49.00", "6.90", "55.90")


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
    assert refunded(made) == paid_back


# Seed: "With online purchases, customers are legally entitled to cancel their order within 14 working days of receipt
# of their product and return for a full refund..." Before dispatch nothing has been shipped, overseas or not.
@pytest.mark.parametrize("country", ["GB", "FR"])
def test_an_order_not_yet_dispatched_can_be_cancelled_in_full(country: str) -> None:
    order = {"country": country, "fulfilled_at": None, "delivered_at": None, "lines": [line(fulfilled_quantity=0)]}
    made = kestia(order=order, kind="cancel", reason=None, lines=[], submitted_at="2026-03-02T12:00:00Z")
    assert made["outcome"] == "approve"
    assert by_code(made) == {"within_policy": ["L1"]}
    assert refunded(made) == refund("49.00", "6.90", "55.90")


# Seed: "With online purchases, customers are legally entitled to cancel their order within 14 working days of receipt
# of their product and return for a full refund..." Once the order is sent, a cancel inside those 14 working days is
# that right, exercised by sending the order back: judged as a return (its conditions, exceptions and refund, and
# "Postage can only be refunded for faulty or defective items"), never refused as already sent. The right runs from
# the contract until 14 working days after receipt, so a parcel still in transit is inside it: the customer refuses
# or returns it. 14 working days from Thursday 5 March end at 24:00 London time on Wednesday 25 March.
@pytest.mark.parametrize(("order", "submitted_at"), [
    pytest.param({}, "2026-03-10T10:00:00Z", id="after-receipt"),
    pytest.param({"delivered_at": None}, "2026-03-04T10:00:00Z", id="in-transit"),
    pytest.param({}, "2026-03-26T00:00:00Z", id="the-last-instant-of-the-14th-working-day"),
])
def test_a_cancel_within_14_working_days_of_receipt_is_the_legal_right_judged_as_a_return(
        order: dict[str, Any], submitted_at: str) -> None:
    made = kestia(order=order, kind="cancel", reason=None, lines=[], submitted_at=submitted_at)
    assert made["outcome"] == "approve"
    assert by_code(made) == {"within_policy": ["L1"]}
    assert "within 14 business days of receiving it by sending it back" in made["reasons"][0]["message"]
    assert refunded(made) == refund("49.00", "0.00", "49.00")


# Seed: "...legally entitled to cancel their order within 14 working days of receipt of their product and return for
# a full refund..." Judged as a return, the cancel meets the return's conditions and exceptions ("Items which have
# been used.", "Engraved items or items ordered or altered at a customer's request.", "Earrings."), and a fault is a
# claim ("we will refund the price of the item with any delivery charge"). Lines not yet sent are cancelled with the
# rest rather than refused as unsent.
@pytest.mark.parametrize(("order", "asked", "outcome", "codes", "paid_back"), [
    pytest.param({}, {"lines": [{"line_id": "L1", "quantity": 1, "condition": "used"}]}, "decline",
                 {"condition_not_met": ["L1"]}, None, id="used"),
    pytest.param({"lines": [line(properties={"Your engraving": "A+B"})]}, {}, "decline", {"final_sale": ["L1"]}, None,
                 id="engraved"),
    pytest.param({"lines": [line(product_type="Drop Earrings")]}, {}, "decline", {"final_sale": ["L1"]}, None,
                 id="earrings"),
    pytest.param({}, {"reason": "wrong_item"}, "approve", {"within_policy": ["L1"]}, refund("49.00", "6.90", "55.90"),
                 id="dispatched-in-error-is-a-claim"),
    pytest.param({"lines": [line(), line("L2", unit_price="30.00", fulfilled_quantity=0)]}, {}, "approve",
                 {"within_policy": ["L1", "L2"]}, refund("79.00", "0.00", "79.00"), id="partly-sent"),
])
def test_a_cancel_under_the_legal_right_meets_the_return_rules(order: dict[str, Any], asked: dict[str, Any],
                                                               outcome: str, codes: dict[str, list[str]],
                                                               paid_back: dict[str, str] | None) -> None:
    made = kestia(order=order, **{"kind": "cancel", "reason": None, "lines": [],
                                  "submitted_at": "2026-03-10T10:00:00Z", **asked})
    assert made["outcome"] == outcome
    assert by_code(made) == codes
    assert refunded(made) == paid_back


# Seed: "...legally entitled to cancel their order within 14 working days of receipt of their product..." After those
# 14 working days the right has ended; the 30-day return ("it can be returned within 30 days of receipt") remains.
def test_a_cancel_after_14_working_days_of_receipt_is_too_late_and_pointed_at_a_return() -> None:
    made = kestia(kind="cancel", reason=None, lines=[], submitted_at="2026-03-26T00:00:01Z")
    assert made["outcome"] == "decline"
    assert by_code(made) == {"cancellation_window_ended": ["L1"]}
    assert "return it instead" in made["reasons"][0]["message"]
