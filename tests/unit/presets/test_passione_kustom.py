"""passione-kustom (seeds/000): no returns or exchanges; damage or errors within 48 hours, with photos."""

from __future__ import annotations

from typing import Any

import pytest
from support.cases import case, codes, decision, line

PRESET = "passione-kustom"
STORE = {"country": "US", "timezone": "America/New_York"}
RING = line(title="Custom name ring", unit_price="180.00", product_type="Ring", properties={"Name": "Ava"})
DELIVERED = "2026-03-05T10:00:00Z"


def passione(*, order: dict[str, Any] | None = None, **request: Any) -> dict[str, Any]:
    """Decide a request about a delivered custom ring (BASE's request, with `request` changed)."""
    ordered = {"currency": "USD", "country": "US", "lines": [RING], "delivered_at": DELIVERED, **(order or {})}
    return decision(case(PRESET, store=STORE, order=ordered, request=request))


def claim(reason: str = "damaged_in_transit", photos: int = 1, submitted_at: str = "2026-03-06T10:00:00Z",
          **rest: Any) -> dict[str, Any]:
    return passione(kind="claim", reason=reason, evidence={"photos": photos}, submitted_at=submitted_at, **rest)


def per_line(made: dict[str, Any]) -> dict[str, str]:
    return {entry["line_id"]: entry["outcome"] for entry in made["lines"]}


def by_code(made: dict[str, Any]) -> dict[str, list[str]]:
    return {reason["code"]: list(reason["lines"]) for reason in made["reasons"]}


# Seed: "Due to the highly personalized nature of our jewelry, we are unable to accept returns or exchanges."
@pytest.mark.parametrize("reason", ["changed_mind", "wrong_size"])
@pytest.mark.parametrize("submitted_at", ["2026-03-05T12:00:00Z", "2026-03-10T10:00:00Z"],
                         ids=["the-day-it-arrives", "five-days-later"])
def test_returns_and_exchanges_are_not_accepted(reason: str, submitted_at: str) -> None:
    made = passione(kind="return", reason=reason, submitted_at=submitted_at)
    assert made["outcome"] == "decline"
    assert by_code(made) == {"returns_not_accepted": ["L1"]}
    assert per_line(made) == {"L1": "decline"}
    assert made["refund"] is None
    assert made["respond_by"] is None and made["resolve_by"] is None
    assert made["policy_version"] == "passione-kustom@1"


# Seed: "Due to the highly personalized nature of our jewelry, we are unable to accept returns or exchanges."
def test_no_line_of_a_multi_line_return_is_taken_back() -> None:
    order = {"lines": [RING, line("L2", unit_price="95.00", quantity=2, discount="10.00")]}
    made = passione(order=order, lines=[{"line_id": "L1", "quantity": 1, "condition": "unused"},
                                        {"line_id": "L2", "quantity": 1, "condition": "unused"}])
    assert made["outcome"] == "decline"
    assert by_code(made) == {"returns_not_accepted": ["L1", "L2"]}
    assert per_line(made) == {"L1": "decline", "L2": "decline"}
    assert made["refund"] is None


# Seed: "Each piece is crafted specifically for an individual customer based on their specifications, making every
# item uniquely tailored and non-interchangeable." A "claim" that is a change of mind is judged as a return.
@pytest.mark.parametrize("reason", ["changed_mind", "wrong_size"])
def test_a_claim_that_is_a_change_of_mind_is_refused_as_a_return(reason: str) -> None:
    made = claim(reason=reason)
    assert made["outcome"] == "decline"
    assert by_code(made) == {"returns_not_accepted": ["L1"]}
    assert per_line(made) == {"L1": "decline"}


# Seed: "In the rare event that a product is received damaged or differs significantly from what was ordered, we ask
# customers to contact us within 48 hours of receiving their item."
# Seed: "We will evaluate the situation and determine if corrective action, such as repair or replacement, is
# warranted."
# Seed: "Our team is dedicated to providing timely and helpful responses to ensure that every aspect of your order is
# clear and satisfactory." (no deadline is named, so no respond_by)
@pytest.mark.parametrize("reason", ["damaged_in_transit", "defective", "wrong_item", "not_as_described"])
def test_damage_or_an_error_reported_in_time_with_a_photo_is_evaluated_by_the_merchant(reason: str) -> None:
    made = claim(reason=reason)
    assert made["outcome"] == "review"
    assert by_code(made) == {"needs_review": ["L1"]}
    assert per_line(made) == {"L1": "review"}
    assert made["refund"] is None
    assert made["respond_by"] is None and made["resolve_by"] is None


# Seed: "...we ask customers to contact us within 48 hours of receiving their item." An hour window ends exactly
# 48 elapsed hours after delivery, also across the US clock change of 8 March 2026.
@pytest.mark.parametrize(("delivered_at", "submitted_at", "outcome", "code"), [
    pytest.param(DELIVERED, "2026-03-07T10:00:00Z", "review", "needs_review", id="at-hour-48-inside"),
    pytest.param(DELIVERED, "2026-03-07T10:00:01Z", "decline", "claim_window_ended", id="one-second-after"),
    pytest.param("2026-03-07T15:00:00Z", "2026-03-09T15:00:00Z", "review", "needs_review",
                 id="across-dst-48-real-hours-inside"),
    pytest.param("2026-03-07T15:00:00Z", "2026-03-09T15:00:01Z", "decline", "claim_window_ended",
                 id="across-dst-one-second-after"),
])
def test_the_48_hour_reporting_window_ends_exactly_48_hours_after_delivery(
        delivered_at: str, submitted_at: str, outcome: str, code: str) -> None:
    made = claim(submitted_at=submitted_at, order={"delivered_at": delivered_at})
    assert made["outcome"] == outcome
    assert by_code(made) == {code: ["L1"]}
    assert per_line(made) == {"L1": outcome}


# Seed: "...we ask customers to contact us within 48 hours of receiving their item." Until the delivery is known,
# the 48 hours have not started.
def test_a_claim_before_the_delivery_is_known_is_inside_the_window() -> None:
    made = claim(submitted_at="2026-03-20T10:00:00Z", order={"delivered_at": None})
    assert made["outcome"] == "review"
    assert codes(made) == {"needs_review"}


# Seed: "It is crucial that the customer provides all relevant information and photographic evidence of the issue."
@pytest.mark.parametrize("reason", ["damaged_in_transit", "defective", "wrong_item", "not_as_described"])
def test_a_claim_without_photographic_evidence_is_sent_back_for_photos(reason: str) -> None:
    made = claim(reason=reason, photos=0)
    assert made["outcome"] == "decline"
    assert by_code(made) == {"evidence_required": ["L1"]}
    assert "photo" in made["reasons"][0]["message"]
    assert made["refund"] is None


# Seed: "...contact us within 48 hours of receiving their item." and "It is crucial that the customer provides all
# relevant information and photographic evidence of the issue." A late claim without photos is told both.
def test_a_late_claim_without_photos_is_given_every_reason() -> None:
    made = claim(reason="defective", photos=0, submitted_at="2026-03-08T10:00:00Z")
    assert made["outcome"] == "decline"
    assert by_code(made) == {"claim_window_ended": ["L1"], "evidence_required": ["L1"]}
    assert per_line(made) == {"L1": "decline"}


# Seed: "We will evaluate the situation and determine if corrective action, such as repair or replacement, is
# warranted." A problem the policy does not name is evaluated too.
def test_a_problem_the_policy_does_not_name_is_left_to_the_merchant() -> None:
    made = claim(reason="other")
    assert made["outcome"] == "review"
    assert by_code(made) == {"needs_review": ["L1"]}


# Seed: "In the rare event that a product is received damaged or differs significantly from what was ordered, we ask
# customers to contact us within 48 hours of receiving their item." A "return" for a fault is judged as that claim.
@pytest.mark.parametrize(("submitted_at", "outcome", "code"), [
    ("2026-03-06T10:00:00Z", "review", "needs_review"),
    ("2026-03-07T10:00:01Z", "decline", "claim_window_ended"),
])
def test_a_return_for_a_fault_is_judged_as_a_damage_claim(submitted_at: str, outcome: str, code: str) -> None:
    made = passione(kind="return", reason="damaged_in_transit", evidence={"photos": 1}, submitted_at=submitted_at)
    assert made["outcome"] == outcome
    assert by_code(made) == {code: ["L1"]}


# Seed: "...we ask customers to contact us within 48 hours of receiving their item." The policy has no warranty, so
# a warranty request is judged as a damage claim: in time it is evaluated, months later it is too late.
@pytest.mark.parametrize(("submitted_at", "outcome", "code"), [
    ("2026-03-06T10:00:00Z", "review", "needs_review"),
    ("2026-09-05T10:00:00Z", "decline", "claim_window_ended"),
])
def test_a_warranty_request_is_judged_as_a_damage_claim(submitted_at: str, outcome: str, code: str) -> None:
    made = passione(kind="warranty", reason="defective", evidence={"photos": 1}, submitted_at=submitted_at)
    assert made["outcome"] == outcome
    assert by_code(made) == {code: ["L1"]}
    assert made["respond_by"] is None


# Seed: "We will evaluate the situation and determine if corrective action, such as repair or replacement, is
# warranted." Every line named, in whatever quantity, goes to the merchant together.
def test_a_multi_line_claim_for_part_of_a_quantity_is_evaluated_line_by_line() -> None:
    order = {"lines": [RING, line("L2", unit_price="95.00", quantity=3, fulfilled_quantity=3)]}
    made = claim(reason="wrong_item", order=order, lines=[{"line_id": "L1", "quantity": 1},
                                                          {"line_id": "L2", "quantity": 2}])
    assert made["outcome"] == "review"
    assert by_code(made) == {"needs_review": ["L1", "L2"]}
    assert per_line(made) == {"L1": "review", "L2": "review"}


# Seed: silent on cancelling an order; the nearest is "Before we begin creating any jewelry piece, we engage in a
# thorough consultation process with the customer." So a person decides, before the piece is sent or after: the text
# never says cancellation ends.
@pytest.mark.parametrize("lines", [[], [{"line_id": "L1", "quantity": 1}]], ids=["whole-order", "named-line"])
@pytest.mark.parametrize(("order", "submitted_at"), [
    pytest.param({"fulfilled_at": None, "delivered_at": None, "lines": [{**RING, "fulfilled_quantity": 0}]},
                 "2026-03-02T12:00:00Z", id="unsent"),
    pytest.param({"lines": [RING]}, "2026-03-06T12:00:00Z", id="delivered"),
])
def test_a_cancellation_is_left_to_the_merchant(lines: list[dict[str, Any]], order: dict[str, Any],
                                                submitted_at: str) -> None:
    made = passione(order=order, kind="cancel", reason=None, lines=lines, submitted_at=submitted_at)
    assert made["outcome"] == "review"
    assert by_code(made) == {"needs_review": ["L1"]}
    assert per_line(made) == {"L1": "review"}
    assert made["refund"] is None
    assert made["respond_by"] is None
