"""pandorana (seeds/001): a reply within 24 business hours, complaints resolved in 3 business days, a person decides."""

from __future__ import annotations

from typing import Any

import pytest
from support.cases import case, codes, decision, line

PRESET = "pandorana"  # BASE's store: DE, Europe/Berlin, so German public holidays are not business days
UNSENT = {"fulfilled_at": None, "delivered_at": None, "lines": [line(fulfilled_quantity=0)]}
RECENT = {"delivered_at": "2026-03-05T10:00:00Z"}
LONG_AGO = {"placed_at": "2025-01-02T09:00:00Z", "fulfilled_at": "2025-01-03T08:00:00Z",
            "delivered_at": "2025-01-05T10:00:00Z"}
UNKNOWN = {"delivered_at": None}


def pandorana(*, order: dict[str, Any] | None = None, **request: Any) -> dict[str, Any]:
    """Decide a request to Pandorana (BASE's order and request, with `order` and `request` changed)."""
    return decision(case(PRESET, order=order, request=request))


def per_line(made: dict[str, Any]) -> dict[str, str]:
    return {entry["line_id"]: entry["outcome"] for entry in made["lines"]}


def by_code(made: dict[str, Any]) -> dict[str, list[str]]:
    return {reason["code"]: list(reason["lines"]) for reason in made["reasons"]}


# Seed: "As per our Return Policy, if you wish to return or exchange a product, our customer service team will guide
# you through the process." The Return Policy itself isn't given, so a person decides, with no window of its own.
# Seed: "We aim to respond to all customer emails within 24 business hours."
@pytest.mark.parametrize("reason", ["changed_mind", "wrong_size"])
@pytest.mark.parametrize("condition", ["unused", "used", None])
@pytest.mark.parametrize("order", [RECENT, LONG_AGO, UNKNOWN], ids=["days-ago", "over-a-year-ago", "delivery-unknown"])
def test_a_return_or_exchange_is_reviewed_and_answered_within_24_business_hours(
        reason: str, condition: str | None, order: dict[str, Any]) -> None:
    made = pandorana(order=order, reason=reason,
                     lines=[{"line_id": "L1", "quantity": 1, "condition": condition}])
    assert made["outcome"] == "review"
    assert by_code(made) == {"needs_review": ["L1"]}
    assert per_line(made) == {"L1": "review"}
    assert made["refund"] is None
    assert made["respond_by"] == "2026-03-11T10:00:00Z"  # Tuesday 11:00 Berlin -> Wednesday 11:00
    assert made["resolve_by"] is None
    assert made["policy_version"] == "pandorana@1"


# Seed: "We aim to respond to all customer emails within 24 business hours." Business hours are every hour of a
# weekday that is not a German public holiday, counted in Berlin time.
@pytest.mark.parametrize(("submitted_at", "respond_by"), [
    pytest.param("2026-03-13T14:00:00Z", "2026-03-16T14:00:00Z", id="friday-15h-due-monday-15h"),
    pytest.param("2026-03-14T12:00:00Z", "2026-03-16T23:00:00Z", id="saturday-counts-from-monday-0h"),
    pytest.param("2026-03-27T14:00:00Z", "2026-03-30T13:00:00Z", id="friday-15h-cet-due-monday-15h-cest"),
    pytest.param("2026-04-02T08:00:00Z", "2026-04-07T08:00:00Z", id="skips-good-friday-and-easter-monday"),
    pytest.param("2026-04-30T08:00:00Z", "2026-05-04T08:00:00Z", id="skips-labour-day"),
])
def test_the_24_business_hour_reply_skips_weekends_and_german_public_holidays(
        submitted_at: str, respond_by: str) -> None:
    made = pandorana(submitted_at=submitted_at)
    assert made["outcome"] == "review"
    assert codes(made) == {"needs_review"}
    assert made["respond_by"] == respond_by


# Seed: "If you need to modify your order, such as changing the shipping address or canceling an item, contact us as
# soon as possible." and "...we will do our best to accommodate your request."
@pytest.mark.parametrize("lines", [[], [{"line_id": "L1", "quantity": 1}]], ids=["whole-order", "named-line"])
def test_a_cancellation_before_shipping_is_reviewed_and_answered_within_24_business_hours(
        lines: list[dict[str, Any]]) -> None:
    made = pandorana(order=UNSENT, kind="cancel", reason=None, lines=lines, submitted_at="2026-03-02T12:00:00Z")
    assert made["outcome"] == "review"
    assert by_code(made) == {"needs_review": ["L1"]}
    assert per_line(made) == {"L1": "review"}
    assert made["refund"] is None
    assert made["respond_by"] == "2026-03-03T12:00:00Z"
    assert made["resolve_by"] is None


# Seed: "While we cannot guarantee that all modifications can be made, especially if the order has already entered
# the shipping process, we will do our best to accommodate your request." The text promises to try, even once
# shipping has begun, and refuses nothing: a person decides, the reasons say the order was already sent, and the
# answer is due within 24 business hours ("We aim to respond to all customer emails within 24 business hours.").
@pytest.mark.parametrize(("submitted_at", "codes", "respond_by"), [
    pytest.param("2026-03-03T07:59:59Z", {"needs_review": ["L1"]}, "2026-03-04T07:59:59Z", id="a-second-before"),
    pytest.param("2026-03-03T08:00:00Z", {"already_fulfilled": ["L1"], "needs_review": ["L1"]},
                 "2026-03-04T08:00:00Z", id="the-instant-it-ships"),
    pytest.param("2026-03-06T08:00:00Z", {"already_fulfilled": ["L1"], "needs_review": ["L1"]},
                 "2026-03-09T08:00:00Z", id="after-delivery-friday-to-monday"),
])
def test_a_cancellation_once_the_order_has_entered_the_shipping_process_is_still_tried_by_a_person(
        submitted_at: str, codes: dict[str, list[str]], respond_by: str) -> None:
    order = {"fulfilled_at": "2026-03-03T08:00:00Z", "delivered_at": None, "lines": [line(fulfilled_quantity=None)]}
    made = pandorana(order=order, kind="cancel", reason=None, lines=[], submitted_at=submitted_at)
    assert made["outcome"] == "review"
    assert by_code(made) == codes
    assert per_line(made) == {"L1": "review"}
    assert made["refund"] is None
    assert made["respond_by"] == respond_by


# Seed: "While we cannot guarantee that all modifications can be made, especially if the order has already entered
# the shipping process, we will do our best to accommodate your request." Sent or not, each line is tried.
def test_cancelling_a_partly_shipped_order_is_reviewed_saying_which_line_was_sent() -> None:
    order = {"fulfilled_at": "2026-03-03T08:00:00Z", "delivered_at": None,
             "lines": [line(fulfilled_quantity=1), line("L2", unit_price="30.00", fulfilled_quantity=0)]}
    made = pandorana(order=order, kind="cancel", reason=None, lines=[], submitted_at="2026-03-04T10:00:00Z")
    assert made["outcome"] == "review"
    assert by_code(made) == {"already_fulfilled": ["L1"], "needs_review": ["L1", "L2"]}
    assert per_line(made) == {"L1": "review", "L2": "review"}
    assert made["refund"] is None
    assert made["respond_by"] == "2026-03-05T10:00:00Z"


# Seed: "We take all complaints seriously and will work to resolve them to your satisfaction."
# Seed: "Our goal is to address your concerns within 3 business days."
# Seed: "We aim to respond to all customer emails within 24 business hours."
@pytest.mark.parametrize("reason", ["damaged_in_transit", "defective", "wrong_item", "not_as_described", "other"])
def test_a_complaint_is_reviewed_answered_in_24_business_hours_and_resolved_in_3_business_days(reason: str) -> None:
    made = pandorana(kind="claim", reason=reason)
    assert made["outcome"] == "review"
    assert by_code(made) == {"needs_review": ["L1"]}
    assert per_line(made) == {"L1": "review"}
    assert made["refund"] is None
    assert made["respond_by"] == "2026-03-11T10:00:00Z"  # Tuesday 11:00 Berlin + 24 business hours
    assert made["resolve_by"] == "2026-03-13T23:00:00Z"  # the end of Friday, the third business day after


# Seed: "Our goal is to address your concerns within 3 business days."
@pytest.mark.parametrize(("submitted_at", "respond_by", "resolve_by"), [
    pytest.param("2026-03-13T14:00:00Z", "2026-03-16T14:00:00Z", "2026-03-18T23:00:00Z", id="friday-to-wednesday"),
    pytest.param("2026-03-14T12:00:00Z", "2026-03-16T23:00:00Z", "2026-03-18T23:00:00Z", id="saturday-to-wednesday"),
    pytest.param("2026-04-02T08:00:00Z", "2026-04-07T08:00:00Z", "2026-04-09T22:00:00Z", id="over-easter"),
])
def test_the_3_business_day_resolution_skips_weekends_and_german_public_holidays(
        submitted_at: str, respond_by: str, resolve_by: str) -> None:
    made = pandorana(kind="claim", reason="defective", submitted_at=submitted_at)
    assert made["outcome"] == "review"
    assert made["respond_by"] == respond_by
    assert made["resolve_by"] == resolve_by


# Seed: "Please provide us with as much detail as possible about the issue, including your order number, the nature
# of the problem, and any relevant images or documentation." Images are asked for, not required; no deadline is set.
@pytest.mark.parametrize("order", [LONG_AGO, UNKNOWN], ids=["long-ago", "delivery-unknown"])
def test_a_complaint_without_photos_and_long_after_delivery_is_still_reviewed(order: dict[str, Any]) -> None:
    made = pandorana(order=order, kind="claim", reason="damaged_in_transit",
                     evidence={"photos": 0})
    assert made["outcome"] == "review"
    assert by_code(made) == {"needs_review": ["L1"]}
    assert made["resolve_by"] == "2026-03-13T23:00:00Z"


# Seed: "If you are dissatisfied with our products or services, we encourage you to file a complaint." A fault sent
# as a return or as a warranty is a complaint (the policy has no warranty); a change of mind sent as one is a return.
@pytest.mark.parametrize(("kind", "reason", "resolve_by"), [
    pytest.param("return", "defective", "2026-03-13T23:00:00Z", id="return-for-a-fault-is-a-complaint"),
    pytest.param("warranty", "defective", "2026-03-13T23:00:00Z", id="warranty-is-a-complaint"),
    pytest.param("claim", "changed_mind", None, id="claim-for-a-change-of-mind-is-a-return"),
    pytest.param("claim", "wrong_size", None, id="claim-for-the-wrong-size-is-a-return"),
])
def test_requests_are_judged_by_what_they_are_about(kind: str, reason: str, resolve_by: str | None) -> None:
    made = pandorana(kind=kind, reason=reason)
    assert made["outcome"] == "review"
    assert by_code(made) == {"needs_review": ["L1"]}
    assert made["respond_by"] == "2026-03-11T10:00:00Z"
    assert made["resolve_by"] == resolve_by


# Seed: "We will provide you with a return authorization number (if required) and instructions on how to package and
# ship the item back to us." Only what was sent can be shipped back: the rest of a partly sent line is declined.
def test_returning_more_than_was_sent_declines_that_line_and_reviews_the_rest() -> None:
    order = {"lines": [line(quantity=3, fulfilled_quantity=1), line("L2", unit_price="30.00")]}
    made = pandorana(order=order, lines=[{"line_id": "L1", "quantity": 2, "condition": "unused"},
                                         {"line_id": "L2", "quantity": 1, "condition": "unused"}])
    assert made["outcome"] == "review"
    assert by_code(made) == {"not_fulfilled": ["L1"], "needs_review": ["L2"]}
    assert per_line(made) == {"L1": "decline", "L2": "review"}
    assert made["respond_by"] == "2026-03-11T10:00:00Z"


# Seed: "We will provide you with a return authorization number (if required) and instructions on how to package and
# ship the item back to us." Part of a line that was sent in full is reviewed like any return.
def test_returning_part_of_a_shipped_quantity_is_reviewed() -> None:
    order = {"lines": [line(quantity=3, fulfilled_quantity=3, discount="6.00")]}
    made = pandorana(order=order, lines=[{"line_id": "L1", "quantity": 2, "condition": "unused"}])
    assert made["outcome"] == "review"
    assert per_line(made) == {"L1": "review"}
    assert made["refund"] is None
