"""five-elements-link (seeds/002): no change-of-mind returns; product issues within 7 days of receipt, with photos."""

from __future__ import annotations

from typing import Any

import pytest
from support.cases import case, codes, decision, line

PRESET = "five-elements-link"  # BASE's store: DE, Europe/Berlin; delivered Thursday 2026-03-05 11:00 Berlin
REPLY_BY = "2026-03-13T23:00:00Z"  # asked Tuesday 2026-03-10: the end of Friday, the third working day after


def five_elements(*, order: dict[str, Any] | None = None, **request: Any) -> dict[str, Any]:
    """Decide a request to 5 Elements Link (BASE's order and request, with `order` and `request` changed)."""
    return decision(case(PRESET, order=order, request=request))


def claim(reason: str, photos: int, *, order: dict[str, Any] | None = None, **rest: Any) -> dict[str, Any]:
    return five_elements(order=order, kind="claim", reason=reason, evidence={"photos": photos}, **rest)


def per_line(made: dict[str, Any]) -> dict[str, str]:
    return {entry["line_id"]: entry["outcome"] for entry in made["lines"]}


def by_code(made: dict[str, Any]) -> dict[str, list[str]]:
    return {reason["code"]: list(reason["lines"]) for reason in made["reasons"]}


# Seed: "Due to the natural uniqueness of natural stones or the standardized craftsmanship of silver accessories, and
# in accordance with Article 16 of the EU Consumer Rights Directive (CRD), we only provide return/exchange services
# for product-related issues and do not accept no-reason returns for non-product-related reasons."
# Seed (not acceptable): "Returns for non-product-related reasons such as personal preference or aesthetic differences"
@pytest.mark.parametrize("reason", ["changed_mind", "wrong_size"])
@pytest.mark.parametrize("kind", ["return", "claim"], ids=["as-a-return", "sent-as-a-claim"])
def test_change_of_mind_returns_are_not_accepted(kind: str, reason: str) -> None:
    made = five_elements(kind=kind, reason=reason, submitted_at="2026-03-06T10:00:00Z", evidence={"photos": 3})
    assert made["outcome"] == "decline"
    assert by_code(made) == {"returns_not_accepted": ["L1"]}
    assert per_line(made) == {"L1": "decline"}
    assert made["refund"] is None
    assert made["respond_by"] is None
    assert made["policy_version"] == "five-elements-link@1"


# Seed: "Returns are only accepted for the following product-related issues:"
# Seed: "We will review your return request within 3 working days."
@pytest.mark.parametrize(("reason", "photos"), [
    # 3.1 Shipping Damage: "Required Materials: Order number, photos (or videos) of damaged outer packaging, photos
    # (or videos) of unpacked damage (clearly showing the damaged condition of the product/packaging box)"
    ("damaged_in_transit", 2),
    # 3.2 Incorrect Product: "Required Materials: Order number, photos of the received product/packaging box (to be
    # compared with the order information)"
    ("wrong_item", 1),
    # 3.3 Non-Attribute Quality Issues: "Required Materials: Order number, photos (or videos) of the quality issue of
    # the product/packaging box (clearly showing the details of the issue)"
    ("defective", 1),
    # 2.2: "Non-Craftsmanship Quality Issues: Issues such as inconsistent material, non-craftsmanship
    # deformation/breakage, or inconsistent style with the display image are considered quality issues."
    ("not_as_described", 1),
])
def test_a_product_issue_with_its_photos_within_7_days_is_reviewed_within_3_working_days(
        reason: str, photos: int) -> None:
    made = claim(reason, photos)
    assert made["outcome"] == "review"
    assert by_code(made) == {"needs_review": ["L1"]}
    assert per_line(made) == {"L1": "review"}
    assert made["refund"] is None
    assert made["respond_by"] == REPLY_BY
    assert made["resolve_by"] is None


# Seed: "Required Materials: Order number, photos (or videos) of damaged outer packaging, photos (or videos) of
# unpacked damage (clearly showing the damaged condition of the product/packaging box)" — two photos for damage;
# the other issues need "photos of the received product/packaging box" or "of the quality issue".
@pytest.mark.parametrize(("reason", "photos", "wanted"), [
    ("damaged_in_transit", 1, "2 photos"),
    ("damaged_in_transit", 0, "2 photos"),
    ("wrong_item", 0, "a photo"),
    ("defective", 0, "a photo"),
    ("not_as_described", 0, "a photo"),
])
def test_a_product_issue_without_the_photos_it_needs_is_sent_back_for_them(reason: str, photos: int,
                                                                           wanted: str) -> None:
    made = claim(reason, photos)
    assert made["outcome"] == "decline"
    assert by_code(made) == {"evidence_required": ["L1"]}
    assert wanted in made["reasons"][0]["message"]
    assert made["respond_by"] is None


# Seed: "Application Period: Within 7 days of receipt" — the window ends at 24:00 Berlin time on the 7th day after
# the day of delivery; a request at that instant is inside, one a second later is not.
@pytest.mark.parametrize(("delivered_at", "submitted_at", "outcome", "code"), [
    pytest.param("2026-03-05T10:00:00Z", "2026-03-12T23:00:00Z", "review", "needs_review", id="last-instant"),
    pytest.param("2026-03-05T10:00:00Z", "2026-03-12T23:00:01Z", "decline", "claim_window_ended", id="a-second-late"),
    # 23:30 UTC is already 00:30 on 6 March in Berlin, so the count starts a day later than a UTC date would say.
    pytest.param("2026-03-05T23:30:00Z", "2026-03-13T23:00:00Z", "review", "needs_review", id="berlin-date-inside"),
    pytest.param("2026-03-05T23:30:00Z", "2026-03-13T23:00:01Z", "decline", "claim_window_ended",
                 id="berlin-date-a-second-late"),
    # Berlin moves to summer time on 29 March: 24:00 on 1 April is 22:00 UTC.
    pytest.param("2026-03-25T10:00:00Z", "2026-04-01T22:00:00Z", "review", "needs_review", id="summer-time-inside"),
    pytest.param("2026-03-25T10:00:00Z", "2026-04-01T22:00:01Z", "decline", "claim_window_ended",
                 id="summer-time-a-second-late"),
])
def test_the_7_day_application_period_ends_at_midnight_berlin_time_on_the_seventh_day(
        delivered_at: str, submitted_at: str, outcome: str, code: str) -> None:
    made = claim("defective", 1, order={"delivered_at": delivered_at}, submitted_at=submitted_at)
    assert made["outcome"] == outcome
    assert by_code(made) == {code: ["L1"]}
    assert per_line(made) == {"L1": outcome}


# Seed: "Application Period: Within 7 days of receipt" — with no delivery date yet the 7 days have not started.
def test_a_product_issue_before_the_delivery_is_known_is_inside_the_window() -> None:
    made = claim("wrong_item", 1, order={"delivered_at": None}, submitted_at="2026-03-30T10:00:00Z")
    assert made["outcome"] == "review"
    assert codes(made) == {"needs_review"}


# Seed: "Application Period: Within 7 days of receipt" and "Required Materials: Order number, photos (or videos) of
# damaged outer packaging, photos (or videos) of unpacked damage (clearly showing the damaged condition of the
# product/packaging box)" — a late report with too few photos is told both.
def test_a_late_damage_report_without_enough_photos_is_given_every_reason() -> None:
    made = claim("damaged_in_transit", 1, submitted_at="2026-03-20T10:00:00Z")
    assert made["outcome"] == "decline"
    assert by_code(made) == {"claim_window_ended": ["L1"], "evidence_required": ["L1"]}


# Seed: "We will review your return request within 3 working days." Working days skip weekends and German holidays.
@pytest.mark.parametrize(("delivered_at", "submitted_at", "respond_by"), [
    pytest.param("2026-03-12T10:00:00Z", "2026-03-13T14:00:00Z", "2026-03-18T23:00:00Z", id="friday-to-wednesday"),
    pytest.param("2026-03-31T10:00:00Z", "2026-04-02T08:00:00Z", "2026-04-09T22:00:00Z",
                 id="over-good-friday-and-easter-monday"),
])
def test_the_3_working_day_review_skips_weekends_and_german_public_holidays(
        delivered_at: str, submitted_at: str, respond_by: str) -> None:
    made = claim("defective", 1, order={"delivered_at": delivered_at}, submitted_at=submitted_at)
    assert made["outcome"] == "review"
    assert made["respond_by"] == respond_by


# Seed: "Send your order number, description of the issue, and relevant supporting photos (or videos) to the official
# exclusive email: 5elementslink@gmail.com to apply for a return." A "return" for a fault is that application.
def test_a_return_for_a_product_issue_is_judged_as_a_product_issue() -> None:
    made = five_elements(kind="return", reason="defective", evidence={"photos": 1})
    assert made["outcome"] == "review"
    assert by_code(made) == {"needs_review": ["L1"]}
    assert made["respond_by"] == REPLY_BY


# Seed: "Application Period: Within 7 days of receipt" — there is no warranty, so a fault found later is judged as
# a product issue, and is too late after the 7 days.
@pytest.mark.parametrize(("submitted_at", "outcome", "code", "respond_by"), [
    ("2026-03-10T10:00:00Z", "review", "needs_review", REPLY_BY),
    ("2026-06-10T10:00:00Z", "decline", "claim_window_ended", None),
])
def test_a_warranty_request_is_judged_as_a_product_issue(submitted_at: str, outcome: str, code: str,
                                                         respond_by: str | None) -> None:
    made = five_elements(kind="warranty", reason="defective", evidence={"photos": 1}, submitted_at=submitted_at)
    assert made["outcome"] == outcome
    assert by_code(made) == {code: ["L1"]}
    assert made["respond_by"] == respond_by


# Seed: "Returns are only accepted for the following product-related issues:" — an issue the customer could not
# classify goes to a person, who checks whether it is one of them.
def test_an_unclassified_issue_is_reviewed_not_refused() -> None:
    made = claim("other", 1)
    assert made["outcome"] == "review"
    assert by_code(made) == {"needs_review": ["L1"]}
    assert made["respond_by"] == REPLY_BY


# Seed: "Processing Method: We will bear the return shipping cost and send the correct product along with a newly
# produced corresponding packaging box for free; or process a full refund according to your request." Several lines,
# part of a quantity: each is reviewed.
def test_a_multi_line_issue_for_part_of_a_quantity_is_reviewed_line_by_line() -> None:
    order = {"lines": [line(), line("L2", title="Silver bead", unit_price="8.00", quantity=5, fulfilled_quantity=5)]}
    made = claim("wrong_item", 1, order=order, lines=[{"line_id": "L1", "quantity": 1},
                                                      {"line_id": "L2", "quantity": 2}])
    assert made["outcome"] == "review"
    assert by_code(made) == {"needs_review": ["L1", "L2"]}
    assert per_line(made) == {"L1": "review", "L2": "review"}
    assert made["respond_by"] == REPLY_BY


# Seed: silent on cancelling an order; its only promise, "We will review your return request within 3 working
# days.", is about returns. So a person decides a cancellation, sent or not, with no deadline promised.
@pytest.mark.parametrize(("order", "submitted_at"), [
    pytest.param({"fulfilled_at": None, "delivered_at": None, "lines": [line(fulfilled_quantity=0)]},
                 "2026-03-02T12:00:00Z", id="unsent"),
    pytest.param({}, "2026-03-06T12:00:00Z", id="delivered"),
])
def test_a_cancellation_is_left_to_the_merchant(order: dict[str, Any], submitted_at: str) -> None:
    made = five_elements(order=order, kind="cancel", reason=None, lines=[], submitted_at=submitted_at)
    assert made["outcome"] == "review"
    assert by_code(made) == {"needs_review": ["L1"]}
    assert per_line(made) == {"L1": "review"}
    assert made["refund"] is None
    assert made["respond_by"] is None
