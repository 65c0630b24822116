"""pristine-crystals (seeds/003): cancel within 24 hours; 14-day unused returns; damage and defects refunded."""

from __future__ import annotations

from typing import Any

import pytest
from support.cases import case, codes, decision, line

PRESET = "pristine-crystals"  # BASE's store: DE, Europe/Berlin; placed 2026-03-02 09:00Z, delivered 03-05 10:00Z
UNSENT = {"fulfilled_at": None, "delivered_at": None}


def pristine(*, order: dict[str, Any] | None = None, **request: Any) -> dict[str, Any]:
    """Decide a request to Pristine Crystals (BASE's order and request, with `order` and `request` changed)."""
    return decision(case(PRESET, order=order, request=request))


def cancel(submitted_at: str, *, order: dict[str, Any] | None = None, lines: list[Any] | None = None) -> dict[str, Any]:
    ordered = {**UNSENT, "lines": [line(fulfilled_quantity=0)], **(order or {})}
    return pristine(order=ordered, kind="cancel", reason=None, lines=lines or [], submitted_at=submitted_at)


def refund(items: str, shipping: str, total: str) -> dict[str, str]:
    return {"currency": "EUR", "items": items, "shipping": shipping, "fees": "0.00", "total": total}


def refunded(made: dict[str, Any]) -> dict[str, str] | None:
    """The decision's refund in the amounts these tests name (its tax and line parts: test_refunds_and_money)."""
    paid = made["refund"]
    return None if paid is None else {key: paid[key] for key in ("currency", "items", "shipping", "fees", "total")}


def per_line(made: dict[str, Any]) -> dict[str, str]:
    return {entry["line_id"]: entry["outcome"] for entry in made["lines"]}


def by_code(made: dict[str, Any]) -> dict[str, list[str]]:
    return {reason["code"]: list(reason["lines"]) for reason in made["reasons"]}


# Seed: "Orders may be cancelled within 24 hours of placement." — exactly 24 hours; the whole order comes back in full.
@pytest.mark.parametrize(("submitted_at", "outcome", "code", "paid_back"), [
    pytest.param("2026-03-02T12:00:00Z", "approve", "within_policy", refund("49.00", "6.90", "55.90"), id="3h"),
    pytest.param("2026-03-03T09:00:00Z", "approve", "within_policy", refund("49.00", "6.90", "55.90"), id="at-24h"),
    pytest.param("2026-03-03T09:00:01Z", "decline", "cancellation_window_ended", None, id="a-second-after-24h"),
])
def test_an_order_may_be_cancelled_within_24_hours_of_placement(submitted_at: str, outcome: str, code: str,
                                                               paid_back: dict[str, str] | None) -> None:
    made = cancel(submitted_at)
    assert made["outcome"] == outcome
    assert by_code(made) == {code: ["L1"]}
    assert per_line(made) == {"L1": outcome}
    assert refunded(made) == paid_back
    assert made["respond_by"] is None
    assert made["policy_version"] == "pristine-crystals@1"


# Seed: "Orders may be cancelled within 24 hours of placement." Every line's discount share is kept back.
def test_cancelling_the_whole_order_refunds_what_was_paid_and_the_shipping() -> None:
    order = {"lines": [line(fulfilled_quantity=0),
                       line("L2", unit_price="20.00", quantity=2, discount="4.00", fulfilled_quantity=0)]}
    made = cancel("2026-03-02T12:00:00Z", order=order)
    assert made["outcome"] == "approve"
    assert by_code(made) == {"within_policy": ["L1", "L2"]}
    assert refunded(made) == refund("85.00", "6.90", "91.90")


# Seed: "Orders may be cancelled within 24 hours of placement." Cancelling one line of two keeps the order's shipping.
def test_cancelling_one_line_refunds_that_line_but_not_the_shipping() -> None:
    order = {"lines": [line(fulfilled_quantity=0), line("L2", unit_price="20.00", fulfilled_quantity=0)]}
    made = cancel("2026-03-02T12:00:00Z", order=order, lines=[{"line_id": "L2", "quantity": 1}])
    assert made["outcome"] == "approve"
    assert per_line(made) == {"L2": "approve"}
    assert refunded(made) == refund("20.00", "0.00", "20.00")


# Seed: "Orders may be cancelled within 24 hours of placement. Once processing has begun, cancellation may not be
# possible." Within the 24 hours an order already sent may not be cancellable, which is not a refusal: a person
# decides, and the reasons say it was sent. The store promises no answer time. After the 24 hours the first sentence
# has ended cancellation, sent or not.
@pytest.mark.parametrize(("submitted_at", "outcome", "expected"), [
    pytest.param("2026-03-02T20:00:00Z", "review", {"already_fulfilled": ["L1"], "needs_review": ["L1"]},
                 id="within-24h-but-shipped"),
    pytest.param("2026-03-04T09:00:00Z", "decline", {"cancellation_window_ended": ["L1"]}, id="late-and-shipped"),
])
def test_an_order_already_shipped_within_24_hours_may_not_be_cancellable_so_a_person_decides(
        submitted_at: str, outcome: str, expected: dict[str, list[str]]) -> None:
    made = cancel(submitted_at, order={"fulfilled_at": "2026-03-02T15:00:00Z", "lines": [line()]})
    assert made["outcome"] == outcome
    assert by_code(made) == expected
    assert made["refund"] is None
    assert made["respond_by"] is None


# Seed: "Once processing has begun, cancellation may not be possible." The shipped line is for a person, the other
# approved; as they disagree a person decides the whole.
def test_cancelling_a_partly_shipped_order_is_reviewed() -> None:
    order = {"fulfilled_at": "2026-03-02T10:00:00Z", "lines": [line(), line("L2", fulfilled_quantity=0)]}
    made = cancel("2026-03-02T12:00:00Z", order=order)
    assert made["outcome"] == "review"
    assert by_code(made) == {"already_fulfilled": ["L1"], "needs_review": ["L1"], "within_policy": ["L2"]}
    assert per_line(made) == {"L1": "review", "L2": "approve"}
    assert made["refund"] is None
    assert made["respond_by"] is None


# Seed: "You may initiate a return or exchange within 14 days of receiving your order."
# Seed: "Beyond this period, unfortunately, we cannot offer a refund or exchange."
# Seed: "Customers are responsible for return shipping costs unless the return is due to an error on our part or a
# defective item." — so a change-of-mind refund is the item only.
@pytest.mark.parametrize(("delivered_at", "submitted_at", "outcome", "code"), [
    pytest.param("2026-03-05T10:00:00Z", "2026-03-19T23:00:00Z", "approve", "within_policy", id="last-instant"),
    pytest.param("2026-03-05T10:00:00Z", "2026-03-19T23:00:01Z", "decline", "return_window_ended",
                 id="a-second-late"),
    # 23:30 UTC is 00:30 on 6 March in Berlin: the 14 days count from the Berlin date.
    pytest.param("2026-03-05T23:30:00Z", "2026-03-20T23:00:00Z", "approve", "within_policy", id="berlin-date"),
    pytest.param("2026-03-05T23:30:00Z", "2026-03-20T23:00:01Z", "decline", "return_window_ended",
                 id="berlin-date-a-second-late"),
    # Summer time from 29 March: 24:00 Berlin on 3 April is 22:00 UTC.
    pytest.param("2026-03-20T10:00:00Z", "2026-04-03T22:00:00Z", "approve", "within_policy", id="summer-time"),
    pytest.param("2026-03-20T10:00:00Z", "2026-04-03T22:00:01Z", "decline", "return_window_ended",
                 id="summer-time-a-second-late"),
    pytest.param(None, "2026-06-01T10:00:00Z", "approve", "within_policy", id="delivery-unknown-not-started"),
])
def test_a_return_may_be_initiated_within_14_days_of_receiving_the_order(
        delivered_at: str | None, submitted_at: str, outcome: str, code: str) -> None:
    made = pristine(order={"delivered_at": delivered_at}, submitted_at=submitted_at)
    assert made["outcome"] == outcome
    assert by_code(made) == {code: ["L1"]}
    assert per_line(made) == {"L1": outcome}
    assert refunded(made) == (refund("49.00", "0.00", "49.00") if outcome == "approve" else None)


# Seed: "If you wish to exchange an item for a different size or style, please contact our customer support team."
def test_an_exchange_for_a_different_size_follows_the_return_rules() -> None:
    made = pristine(reason="wrong_size")
    assert made["outcome"] == "approve"
    assert by_code(made) == {"within_policy": ["L1"]}
    assert refunded(made) == refund("49.00", "0.00", "49.00")


# Seed: "To be eligible for a return or exchange, items must be unused and in their original condition, with all tags
# and packaging intact." A used item is refused; an unstated condition is inspected on arrival.
@pytest.mark.parametrize(("condition", "outcome", "code"), [
    ("used", "decline", "condition_not_met"),
    (None, "approve", "within_policy"),
])
def test_returned_items_must_be_unused_with_tags_and_packaging(condition: str | None, outcome: str, code: str) -> None:
    made = pristine(lines=[{"line_id": "L1", "quantity": 1, "condition": condition}])
    assert made["outcome"] == outcome
    assert by_code(made) == {code: ["L1"]}
    if outcome == "decline":
        assert "unused" in made["reasons"][0]["message"] and "packaging" in made["reasons"][0]["message"]


@pytest.mark.parametrize(("fields", "message"), [
    # "We cannot accept returns for customized or personalized items."
    pytest.param({"tags": ["Personalized"]}, "Customized or personalized", id="personalized-tag"),
    pytest.param({"tags": ["custom"]}, "Customized or personalized", id="custom-tag"),
    pytest.param({"properties": {"Engraving": "A+B"}}, "Customized or personalized", id="engraving-property"),
    pytest.param({"properties": {"Personalization note": "For Ava"}}, "Customized or personalized",
                 id="personalization-note"),
    pytest.param({"product_type": "Customised bracelets"}, "Customized or personalized", id="customised-type"),
    pytest.param({"tags": ["personalised-gifts"]}, "Customized or personalized", id="personalised-tag"),
    # "Gift cards and sale items are non-returnable."
    pytest.param({"gift_card": True}, "Gift cards", id="gift-card"),
    pytest.param({"product_type": "Gift Cards"}, "Gift cards", id="gift-cards-type"),
    pytest.param({"tags": ["giftcard"]}, "Gift cards", id="giftcard-tag"),
    pytest.param({"product_type": "e-gift-card"}, "Gift cards", id="e-gift-card-type"),
    pytest.param({"compare_at_price": "60.00"}, "Sale items", id="sale-item"),
    pytest.param({"tags": ["Final Sale"]}, "Sale items", id="final-sale-tag"),
])
def test_personalized_items_gift_cards_and_sale_items_are_final_sale(fields: dict[str, Any], message: str) -> None:
    made = pristine(order={"lines": [line(**fields)]})
    assert made["outcome"] == "decline"
    assert by_code(made) == {"final_sale": ["L1"]}
    assert message in made["reasons"][0]["message"]
    assert made["refund"] is None


# Seed: "We cannot accept returns for customized or personalized items." and "Gift cards and sale items are
# non-returnable." Words inside other words are not those words, a value is the customer's text, and a title alone
# is checked by a person rather than refused.
@pytest.mark.parametrize(("fields", "outcome"), [
    pytest.param({"properties": {"Customer note": "Please gift wrap"}}, "approve", id="customer-is-not-custom"),
    pytest.param({"tags": ["wholesale"]}, "approve", id="wholesale-is-not-sale"),
    pytest.param({"product_type": "Gift box"}, "approve", id="a-gift-box-is-not-a-gift-card"),
    pytest.param({"properties": {"Personalization": "none"}}, "approve", id="personalization-none"),
    pytest.param({"title": "Custom birthstone ring"}, "review", id="custom-only-in-the-title"),
    pytest.param({"title": "Gift card holder"}, "review", id="gift-card-only-in-the-title"),
])
def test_only_what_the_order_states_excludes_a_line(fields: dict[str, Any], outcome: str) -> None:
    made = pristine(order={"lines": [line(**fields)]})
    assert made["outcome"] == outcome
    assert by_code(made) == {"within_policy" if outcome == "approve" else "needs_review": ["L1"]}


# Seed: "Gift cards and sale items are non-returnable." A discount code alone does not make a sale item; the refund
# is what was paid, the discount shared pro rata over the quantity returned.
@pytest.mark.parametrize(("fields", "returned", "items"), [
    pytest.param({"discount": "4.90"}, 1, "44.10", id="discounted-not-on-sale"),
    pytest.param({"unit_price": "20.00", "quantity": 3, "fulfilled_quantity": 3, "discount": "6.00"}, 2, "36.00",
                 id="two-of-three-pro-rata"),
    # 29.00 paid for three: a third is 9.666..., rounded down so three returns of one never refund more than 29.00.
    pytest.param({"unit_price": "10.00", "quantity": 3, "fulfilled_quantity": 3, "discount": "1.00"}, 1, "9.66",
                 id="a-third-of-the-discount-rounded-down"),
])
def test_a_return_refunds_what_was_paid_for_the_quantity_returned(fields: dict[str, Any], returned: int,
                                                                  items: str) -> None:
    made = pristine(order={"lines": [line(**fields)]}, lines=[{"line_id": "L1", "quantity": returned,
                                                                "condition": "unused"}])
    assert made["outcome"] == "approve"
    assert refunded(made) == refund(items, "0.00", items)


# Seed: "Gift cards and sale items are non-returnable." One returnable line and one sale line disagree: a person
# decides, and the reasons say which line is which.
def test_a_return_mixing_a_returnable_and_a_sale_item_is_reviewed() -> None:
    order = {"lines": [line(), line("L2", compare_at_price="60.00")]}
    made = pristine(order=order, lines=[{"line_id": "L1", "quantity": 1, "condition": "unused"},
                                        {"line_id": "L2", "quantity": 1, "condition": "unused"}])
    assert made["outcome"] == "review"
    assert by_code(made) == {"within_policy": ["L1"], "final_sale": ["L2"]}
    assert per_line(made) == {"L1": "approve", "L2": "decline"}
    assert made["refund"] is None


# Seed: "To initiate a return or exchange, please contact our customer support team at [contact@pristinecrystals.com]
# with your order number and details." Only what was sent can come back.
def test_returning_more_than_was_sent_is_declined() -> None:
    made = pristine(order={"lines": [line(quantity=2, fulfilled_quantity=1)]},
                    lines=[{"line_id": "L1", "quantity": 2, "condition": "unused"}])
    assert made["outcome"] == "decline"
    assert by_code(made) == {"not_fulfilled": ["L1"]}


# Seed: "In the rare event that you receive a damaged or defective item, please contact us immediately."
# Seed: "We will arrange for a replacement or issue a refund, including any applicable shipping costs."
# Personalized and sale items are covered too, and so are orders shipped abroad.
@pytest.mark.parametrize("reason", ["damaged_in_transit", "defective", "wrong_item"])
@pytest.mark.parametrize("order", [
    pytest.param({}, id="plain"),
    pytest.param({"lines": [line(compare_at_price="60.00", properties={"Engraving": "A+B"})]}, id="engraved-sale"),
    pytest.param({"country": "FR"}, id="abroad"),
    pytest.param({"delivered_at": None}, id="delivery-unknown"),
])
def test_a_damaged_defective_or_wrong_item_is_refunded_with_its_shipping(reason: str, order: dict[str, Any]) -> None:
    made = pristine(order=order, kind="claim", reason=reason)
    assert made["outcome"] == "approve"
    assert by_code(made) == {"within_policy": ["L1"]}
    assert per_line(made) == {"L1": "approve"}
    assert refunded(made) == refund("49.00", "6.90", "55.90")


# Seed: "We will arrange for a replacement or issue a refund, including any applicable shipping costs." A fault on
# part of one line: that part, less its discount share. The shipping is not "applicable": the rest of the parcel
# still used it, and a second claim on the same order must not refund it again.
def test_a_defect_in_part_of_a_line_refunds_that_part_but_not_the_whole_orders_shipping() -> None:
    order = {"lines": [line(), line("L2", unit_price="20.00", quantity=2, discount="4.00")]}
    made = pristine(order=order, kind="claim", reason="defective", lines=[{"line_id": "L2", "quantity": 1}])
    assert made["outcome"] == "approve"
    assert refunded(made) == refund("18.00", "0.00", "18.00")


# Seed: "In the rare event that you receive a damaged or defective item, please contact us immediately." No hard
# deadline: a report after the 14 days goes to a person rather than being refused.
@pytest.mark.parametrize(("submitted_at", "outcome", "code"), [
    ("2026-03-19T23:00:00Z", "approve", "within_policy"),
    ("2026-03-19T23:00:01Z", "review", "claim_window_ended"),
])
def test_a_damage_report_after_14_days_is_reviewed_not_refused(submitted_at: str, outcome: str, code: str) -> None:
    made = pristine(kind="claim", reason="damaged_in_transit", submitted_at=submitted_at)
    assert made["outcome"] == outcome
    assert by_code(made) == {code: ["L1"]}
    assert made["respond_by"] is None


# Seed: "In the rare event that you receive a damaged or defective item, please contact us immediately." Only damage,
# defects and errors are promised a refund: anything else is for a person.
@pytest.mark.parametrize("reason", ["not_as_described", "other"])
def test_other_problems_with_an_item_are_reviewed(reason: str) -> None:
    made = pristine(kind="claim", reason=reason)
    assert made["outcome"] == "review"
    assert codes(made) == {"needs_review"}
    assert made["refund"] is None


# Seed: "Customers are responsible for return shipping costs unless the return is due to an error on our part or a
# defective item." A "return" for a defect is a claim (shipping back); a "claim" for a change of mind is a return;
# with no warranty section a warranty request is a claim.
@pytest.mark.parametrize(("kind", "reason", "paid_back"), [
    pytest.param("return", "defective", refund("49.00", "6.90", "55.90"), id="return-for-a-defect"),
    pytest.param("claim", "changed_mind", refund("49.00", "0.00", "49.00"), id="claim-for-a-change-of-mind"),
    pytest.param("warranty", "defective", refund("49.00", "6.90", "55.90"), id="warranty-as-a-claim"),
])
def test_requests_are_refunded_by_what_they_are_about(kind: str, reason: str, paid_back: dict[str, str]) -> None:
    made = pristine(kind=kind, reason=reason)
    assert made["outcome"] == "approve"
    assert by_code(made) == {"within_policy": ["L1"]}
    assert refunded(made) == paid_back
