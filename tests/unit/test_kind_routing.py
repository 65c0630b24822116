"""A request's kind is the customer's word and its reason the evidence: one routing rule for every kind and store."""

from __future__ import annotations

from typing import Any

import pytest
from support.cases import case, codes, decision

from policies.case import FAULT_REASONS, Kind, Reason
from policies.engine import REASON_CLAUSE, route

CHANGE_OF_MIND = ["changed_mind", "wrong_size"]
FAULTS = ["not_as_described", "damaged_in_transit", "defective", "wrong_item"]
STORES = {"kestia": {"country": "GB", "timezone": "Europe/London"}}
ORDERS = {"kestia": {"country": "GB", "currency": "GBP"}}  # a UK customer of a UK store


# The whole rule, every kind by every reason: a change of mind is judged as a return, a fault in a return as a claim,
# a fault keeps a warranty a warranty, and `other` (or no reason) leaves the customer's kind. A cancel is about the
# order, so no reason reroutes it.
@pytest.mark.parametrize(("kind", "reasons", "judged"), [
    pytest.param(Kind.RETURN, CHANGE_OF_MIND, Kind.RETURN, id="return-change-of-mind"),
    pytest.param(Kind.RETURN, FAULTS, Kind.CLAIM, id="return-fault"),
    pytest.param(Kind.RETURN, ["other", None], Kind.RETURN, id="return-other"),
    pytest.param(Kind.CLAIM, CHANGE_OF_MIND, Kind.RETURN, id="claim-change-of-mind"),
    pytest.param(Kind.CLAIM, FAULTS, Kind.CLAIM, id="claim-fault"),
    pytest.param(Kind.CLAIM, ["other", None], Kind.CLAIM, id="claim-other"),
    pytest.param(Kind.WARRANTY, CHANGE_OF_MIND, Kind.RETURN, id="warranty-change-of-mind"),
    pytest.param(Kind.WARRANTY, FAULTS, Kind.WARRANTY, id="warranty-fault"),
    pytest.param(Kind.WARRANTY, ["other", None], Kind.WARRANTY, id="warranty-other"),
    pytest.param(Kind.CANCEL, [*CHANGE_OF_MIND, *FAULTS, "other", None], Kind.CANCEL, id="cancel-any"),
])
def test_each_kind_and_reason_is_judged_under_the_clause_its_reason_belongs_to(
        kind: Kind, reasons: list[str | None], judged: Kind) -> None:
    for reason in reasons:
        assert route(kind, None if reason is None else Reason(reason)) is judged, reason


def test_every_fault_reason_belongs_to_the_claims_clause_and_only_other_to_none() -> None:
    assert {reason for reason, clause in REASON_CLAUSE.items() if clause is Kind.CLAIM} == FAULT_REASONS
    assert set(Reason) - set(REASON_CLAUSE) == {Reason.OTHER}


def decided(preset: str, kind: str, reason: str, **request: Any) -> dict[str, Any]:
    return decision(case(preset, store=STORES.get(preset), order=ORDERS.get(preset),
                         request={"kind": kind, "reason": reason, **request}))


# Per store, the mismatches a customer sends, each decided by the clause its reason belongs to (delivered 5 March,
# asked 10 March, no photos unless said).
@pytest.mark.parametrize(("preset", "kind", "reason", "more", "outcome", "expected"), [
    # Passione: "Due to the highly personalized nature of our jewelry, we are unable to accept returns or exchanges."
    pytest.param("passione-kustom", "warranty", "changed_mind", {}, "decline", {"returns_not_accepted"},
                 id="passione-warranty-for-a-change-of-mind"),
    # Passione: "...we ask customers to contact us within 48 hours of receiving their item." (a return for damage is
    # that claim, late here)
    pytest.param("passione-kustom", "return", "damaged_in_transit", {"evidence": {"photos": 1}}, "decline",
                 {"claim_window_ended"}, id="passione-return-for-damage-is-a-late-claim"),
    # 5 Elements: "Returns for non-product-related reasons such as personal preference or aesthetic differences"
    pytest.param("five-elements-link", "warranty", "wrong_size", {}, "decline", {"returns_not_accepted"},
                 id="five-elements-warranty-for-the-wrong-size"),
    # 5 Elements: "Returns are only accepted for the following product-related issues:"
    pytest.param("five-elements-link", "return", "wrong_item", {"evidence": {"photos": 1}}, "review",
                 {"needs_review"}, id="five-elements-return-of-a-wrong-item"),
    # Pandorana: "As per our Return Policy, if you wish to return or exchange a product, our customer service team
    # will guide you through the process."
    pytest.param("pandorana", "warranty", "changed_mind", {}, "review", {"needs_review"},
                 id="pandorana-warranty-for-a-change-of-mind"),
    # Pristine: "You may initiate a return or exchange within 14 days of receiving your order."
    pytest.param("pristine-crystals", "warranty", "changed_mind", {}, "approve", {"within_policy"},
                 id="pristine-warranty-for-a-change-of-mind"),
    # Pristine: "...items must be unused and in their original condition..." (judged as the return it is)
    pytest.param("pristine-crystals", "warranty", "wrong_size",
                 {"lines": [{"line_id": "L1", "condition": "used"}]}, "decline", {"condition_not_met"},
                 id="pristine-warranty-for-the-wrong-size-of-a-used-item"),
    # Pristine: "If you receive a damaged or defective item, please get in touch with us immediately. We will arrange
    # for a replacement or issue a refund, including any applicable shipping costs."
    pytest.param("pristine-crystals", "return", "not_as_described", {}, "review", {"needs_review"},
                 id="pristine-return-not-as-described-is-a-claim"),
    # Kestia: "...in the unlikely event that you are not 100% happy with your purchase, it can be returned within 30
    # days of receipt."
    pytest.param("kestia", "warranty", "changed_mind", {}, "approve", {"within_policy"},
                 id="kestia-warranty-for-a-change-of-mind"),
    pytest.param("kestia", "warranty", "changed_mind", {"submitted_at": "2026-11-02T10:00:00Z"}, "decline",
                 {"return_window_ended"}, id="kestia-warranty-for-a-change-of-mind-months-later"),
    # Kestia: "...if in a rare circumstance your item is delivered defective or damaged or dispatched in error by us,
    # we will refund the price of the item with any delivery charge."
    pytest.param("kestia", "return", "wrong_item", {}, "approve", {"within_policy"},
                 id="kestia-return-of-a-wrong-item-is-a-claim"),
    # Kestia: "Kestia will repair or replace any manufacturing faults up to 1 year from your original date of
    # purchase." A fault stays under the warranty the customer asked for.
    pytest.param("kestia", "warranty", "damaged_in_transit", {}, "review", {"needs_review"},
                 id="kestia-warranty-for-damage-stays-a-warranty"),
])
def test_each_store_judges_a_mismatched_request_by_its_reason(preset: str, kind: str, reason: str,
                                                              more: dict[str, Any], outcome: str,
                                                              expected: set[str]) -> None:
    made = decided(preset, kind, reason, **more)
    assert (made["outcome"], codes(made)) == (outcome, expected)


# Kestia: "Postage can only be refunded for faulty or defective items." The refund follows the clause too: a change of
# mind sent as a warranty gets the item back without postage; a wrong item sent as a return, with it.
@pytest.mark.parametrize(("kind", "reason", "shipping"), [
    ("warranty", "changed_mind", "0.00"),
    ("return", "wrong_item", "6.90"),
])
def test_the_refund_follows_the_clause_the_reason_belongs_to(kind: str, reason: str, shipping: str) -> None:
    made = decided("kestia", kind, reason)
    assert made["refund"]["shipping"] == shipping
