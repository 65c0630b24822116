"""A merchant's answer to a review (policies/person.py): approving approves what waited for a person; a line the
policy itself refused stays declined for the policy's reason, and the refund counts the approved lines only."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from support.cases import case, line

from policies.case_schema import load_case
from policies.decision_schema import dump_decision, load_verdict
from policies.engine import decide
from policies.person import person_decision
from policies.policy import Outcome
from policies.presets import preset_document

ENGRAVED_MESSAGE = "Engraved items can't be returned or refunded unless they are defective or faulty."


def kestia_that_reviews_returns() -> dict[str, Any]:
    """Kestia's text (engraved items excluded), with every other return left to the merchant."""
    document = copy.deepcopy(preset_document("kestia"))
    assert document is not None
    document["returns"]["outcome"] = "review"
    return document


def pendant_and_engraved_ring(taxes_included: bool) -> dict[str, Any]:
    """A pendant (49.00, tax 9.31) and an engraved ring (235.00, tax 44.65): 284.00 in all, both returned."""
    ring = line("L2", title="Engraved ring", unit_price="235.00", product_type="Ring", tax="44.65",
                properties={"Engraving": "A+B"})
    return case(order={"taxes_included": taxes_included, "lines": [line(tax="9.31"), ring]},
                request={"lines": [{"line_id": "L1", "quantity": 1, "condition": "unused"},
                                   {"line_id": "L2", "quantity": 1, "condition": "unused"}]},
                policy=kestia_that_reviews_returns())


def answered(document: dict[str, Any], outcome: Outcome, note: str | None) -> tuple[dict[str, Any], dict[str, Any]]:
    """The engine's review, then the person's answer to it (as jobs/reviews.py reads the stored review)."""
    loaded = load_case(document)
    review = dump_decision(decide(loaded.case, loaded.policy))
    lines, reasons = load_verdict(review)
    return review, dump_decision(person_decision(loaded.case, loaded.policy, outcome, note, lines, reasons))


def per_line(made: dict[str, Any]) -> dict[str, str]:
    return {entry["line_id"]: entry["outcome"] for entry in made["lines"]}


@pytest.mark.parametrize(("taxes_included", "items", "tax", "total"), [
    pytest.param(True, "49.00", "0.00", "49.00", id="tax-inside-the-price"),
    pytest.param(False, "49.00", "9.31", "58.31", id="tax-on-top"),
])
def test_approving_a_review_refunds_the_reviewed_line_and_keeps_the_excluded_line_declined(
    taxes_included: bool, items: str, tax: str, total: str,
) -> None:
    review, approved = answered(pendant_and_engraved_ring(taxes_included), Outcome.APPROVE, "Happy to take it back.")
    assert review["outcome"] == "review" and per_line(review) == {"L1": "review", "L2": "decline"}

    assert approved["outcome"] == "approve"
    assert per_line(approved) == {"L1": "approve", "L2": "decline"}
    refund = approved["refund"]
    assert (refund["items"], refund["shipping"], refund["tax"], refund["fees"], refund["total"]) == (
        items, "0.00", tax, "0.00", total)
    assert [(part["line_id"], part["quantity"]) for part in refund["lines"]] == [("L1", 1)]
    assert [(r["code"], r["lines"]) for r in approved["reasons"]] == [("merchant_decision", ("L1",)),
                                                                      ("final_sale", ("L2",))]
    approval, kept = approved["reasons"]
    assert approval["message"] == "Happy to take it back. Approved: Rose quartz pendant."
    assert kept["message"] == (f"Still declined (Engraved ring): {ENGRAVED_MESSAGE} "
                               'Line "Engraved ring" has the property "Engraving".')


def test_approving_a_review_the_engine_split_into_approve_and_decline_refunds_only_the_allowed_line() -> None:
    document = pendant_and_engraved_ring(taxes_included=True)
    document["policy"] = {"preset": "kestia"}  # Kestia itself: the pendant is within policy, the ring excluded
    review, approved = answered(document, Outcome.APPROVE, None)
    assert per_line(review) == {"L1": "approve", "L2": "decline"}
    assert per_line(approved) == {"L1": "approve", "L2": "decline"}
    assert approved["refund"]["total"] == "49.00"
    assert approved["reasons"][0]["message"] == "The store has approved your request. Approved: Rose quartz pendant."


def test_declining_a_review_declines_every_line_and_refunds_nothing() -> None:
    _, declined = answered(pendant_and_engraved_ring(taxes_included=True), Outcome.DECLINE, None)
    assert declined["outcome"] == "decline" and per_line(declined) == {"L1": "decline", "L2": "decline"}
    assert declined["refund"] is None
    assert [(r["code"], r["message"]) for r in declined["reasons"]] == [
        ("merchant_decision", "The store has declined your request.")]


def test_approving_a_review_with_no_line_declined_refunds_every_line() -> None:
    document = pendant_and_engraved_ring(taxes_included=True)
    document["order"]["lines"][1]["properties"] = {}  # the ring is not engraved: both lines wait for a person
    review, approved = answered(document, Outcome.APPROVE, None)
    assert per_line(review) == {"L1": "review", "L2": "review"}
    assert per_line(approved) == {"L1": "approve", "L2": "approve"}
    assert approved["refund"]["total"] == "284.00"
    assert [r["message"] for r in approved["reasons"]] == ["The store has approved your request."]
