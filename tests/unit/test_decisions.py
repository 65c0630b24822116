"""Decisions: each line's outcome, the overall outcome, every reason, respond_by, the policy version, routing."""

from __future__ import annotations

from typing import Any

import pytest
from support.cases import case, codes, decision, line

from policies.case import Kind
from policies.case_schema import load_case
from policies.engine import route

UNSENT = {"fulfilled_at": None, "delivered_at": None, "lines": [line(fulfilled_quantity=0)]}
CANCEL = {"kind": "cancel", "reason": None, "lines": []}
# A store whose cancellations end once an order is sent (after_fulfilment's default, "decline").
UNTIL_SENT = {"key": "until-sent", "name": "Until sent", "cancellation": {"outcome": "approve"},
              "returns": {"accepted": True}}
LATE = "2026-04-10T10:00:00Z"  # long after Pristine Crystals' 14 days from receipt (05 March)


def claim(reason: str = "defective", **more: Any) -> dict[str, Any]:
    return {"kind": "claim", "reason": reason, **more}


def reasons(made: dict[str, Any]) -> list[tuple[str, list[str]]]:
    return [(r["code"], list(r["lines"])) for r in made["reasons"]]


def outcomes(made: dict[str, Any]) -> dict[str, str]:
    return {lo["line_id"]: lo["outcome"] for lo in made["lines"]}


@pytest.mark.parametrize(("label", "document", "outcome", "code"), [
    ("a return in time", case(), "approve", "within_policy"),
    ("a cancel a day late", case(order=UNSENT, request={**CANCEL, "submitted_at": "2026-03-04T10:00:00Z"}),
     "decline", "cancellation_window_ended"),
    ("a cancel after dispatch", case(policy=UNTIL_SENT, request=CANCEL), "decline", "already_fulfilled"),
    ("a late return", case(request={"submitted_at": LATE}), "decline", "return_window_ended"),
    ("a claim after 48 hours", case("passione-kustom", request=claim(
        submitted_at="2026-03-08T10:00:00Z", evidence={"photos": 1})), "decline", "claim_window_ended"),
    ("a warranty claim after 12 months", case("kestia", request={
        "kind": "warranty", "reason": "defective", "submitted_at": "2027-03-03T10:00:00Z"}),
     "decline", "warranty_expired"),
    ("a return where none are taken", case("five-elements-link"), "decline", "returns_not_accepted"),
    ("a return of a sale item", case(order={"lines": [line(compare_at_price="60.00")]}), "decline", "final_sale"),
    ("a return of a worn item", case(request={"lines": [{"line_id": "L1", "condition": "used"}]}),
     "decline", "condition_not_met"),
    ("a claim with no photo", case("passione-kustom", request=claim(submitted_at="2026-03-06T10:00:00Z")),
     "decline", "evidence_required"),
    ("a damaged parcel with one photo of two", case("five-elements-link", request=claim(
        "damaged_in_transit", evidence={"photos": 1})), "decline", "evidence_required"),
    ("a return the merchant inspects", case("pandorana"), "review", "needs_review"),
])
def test_each_contract_reason_code_is_given_when_its_rule_applies(
        label: str, document: dict[str, Any], outcome: str, code: str) -> None:
    made = decision(document)
    assert (made["outcome"], codes(made)) == (outcome, {code}), label


def test_lines_that_disagree_make_the_whole_request_a_review() -> None:
    made = decision(case(order={"lines": [line("L1"), line("L2", compare_at_price="60.00")]},
                         request={"lines": [{"line_id": "L1"}, {"line_id": "L2"}]}))
    assert made["outcome"] == "review"
    assert outcomes(made) == {"L1": "approve", "L2": "decline"}
    assert reasons(made) == [("within_policy", ["L1"]), ("final_sale", ["L2"])]
    assert made["refund"] is None


def test_lines_declined_for_different_reasons_still_agree_on_decline() -> None:
    made = decision(case(order={"lines": [line("L1", compare_at_price="60.00"), line("L2")]},
                         request={"lines": [{"line_id": "L1"}, {"line_id": "L2", "condition": "used"}]}))
    assert made["outcome"] == "decline"
    assert reasons(made) == [("final_sale", ["L1"]), ("condition_not_met", ["L2"])]


def test_a_late_return_of_a_sale_item_gives_every_reason_not_just_the_first() -> None:
    made = decision(case(order={"lines": [line(compare_at_price="60.00")]}, request={"submitted_at": LATE}))
    assert made["outcome"] == "decline"
    assert codes(made) == {"return_window_ended", "final_sale"}
    assert all(list(r["lines"]) == ["L1"] for r in made["reasons"])


def test_a_late_worn_sale_item_gives_all_three_reasons() -> None:
    made = decision(case(order={"lines": [line(compare_at_price="60.00")]},
                         request={"submitted_at": LATE, "lines": [{"line_id": "L1", "condition": "used"}]}))
    assert codes(made) == {"return_window_ended", "final_sale", "condition_not_met"}


def test_a_reason_shared_by_several_lines_is_given_once_with_all_its_lines() -> None:
    made = decision(case(order={"lines": [line("L1"), line("L2", compare_at_price="60.00"),
                                          line("L3", compare_at_price="70.00"), line("L4", gift_card=True)]},
                         request={"lines": [{"line_id": i} for i in ("L1", "L2", "L3", "L4")]}))
    final = [r for r in made["reasons"] if r["code"] == "final_sale"]
    # The same code with a different message is a different reason: the message says which exclusion.
    assert [(r["message"], list(r["lines"])) for r in final] == [
        ("Sale items are non-returnable.", ["L2", "L3"]),
        ("Gift cards are non-returnable.", ["L4"]),
    ]


def test_a_window_that_ended_concerns_every_line_asked() -> None:
    made = decision(case(order={"lines": [line("L1"), line("L2")]}, request={
        "submitted_at": LATE, "lines": [{"line_id": "L1"}, {"line_id": "L2"}]}))
    assert reasons(made) == [("return_window_ended", ["L1", "L2"])]


def test_a_customer_message_comes_with_every_reason() -> None:
    made = decision(case(order={"lines": [line(compare_at_price="60.00")]}, request={"submitted_at": LATE}))
    window = next(r for r in made["reasons"] if r["code"] == "return_window_ended")
    assert window["message"] == ("Returns are accepted within 14 days of receiving it; "
                                 "this request came after that.")


@pytest.mark.parametrize(("document", "respond_by", "resolve_by"), [
    # Pandorana answers within 24 business hours (store-wide): Tuesday 10:00Z -> Wednesday 10:00Z.
    (case("pandorana"), "2026-03-11T10:00:00Z", None),
    # ... and resolves a claim within 3 business days: the end of Friday in Berlin.
    (case("pandorana", request=claim()), "2026-03-11T10:00:00Z", "2026-03-13T23:00:00Z"),
    # 5 Elements Link answers within 3 business days.
    (case("five-elements-link", request=claim(evidence={"photos": 1})), "2026-03-13T23:00:00Z", None),
    # Kestia promises nothing.
    (case("kestia", request={"kind": "warranty", "reason": "defective"}), None, None),
])
def test_a_review_carries_the_deadline_the_policy_promises(
        document: dict[str, Any], respond_by: str | None, resolve_by: str | None) -> None:
    made = decision(document)
    assert made["outcome"] == "review"
    assert (made["respond_by"], made["resolve_by"]) == (respond_by, resolve_by)


def test_an_approval_or_decline_carries_no_deadline_even_where_the_policy_promises_one() -> None:
    policy = {"key": "prompt", "name": "Prompt", "promise": {"respond_within": {"length": 1, "unit": "business_days"}},
              "returns": {"accepted": True, "window": {"length": 14, "unit": "days", "from": "delivery"}}}
    approved = decision(case(policy=policy))
    declined = decision(case(policy=policy, request={"submitted_at": LATE}))
    assert (approved["outcome"], declined["outcome"]) == ("approve", "decline")
    assert approved["respond_by"] is None and declined["respond_by"] is None


@pytest.mark.parametrize(("policy", "label"), [
    ({"preset": "kestia"}, "kestia@1"),
    ({"preset": "pristine-crystals"}, "pristine-crystals@1"),
    ({"key": "my-store", "version": 7, "name": "Mine", "returns": {"accepted": True}}, "my-store@7"),
    ({"key": "my-store", "name": "Mine", "returns": {"accepted": True}}, "my-store@1"),
])
def test_the_decision_names_the_policy_and_version_it_applied(policy: dict[str, Any], label: str) -> None:
    assert decision(case(policy=policy))["policy_version"] == label


@pytest.mark.parametrize(("kind", "reason", "judged"), [
    ("return", "changed_mind", Kind.RETURN),
    ("return", "defective", Kind.CLAIM),
    ("claim", "changed_mind", Kind.RETURN),
    ("warranty", "wrong_size", Kind.RETURN),
    ("warranty", "defective", Kind.WARRANTY),
    ("cancel", "changed_mind", Kind.CANCEL),
])
def test_a_request_is_judged_by_what_it_says_not_the_button_pressed(
        kind: str, reason: str | None, judged: Kind) -> None:
    loaded = load_case(case(order=UNSENT, request={"kind": kind, "reason": reason}))
    assert route(loaded.case.request.kind, loaded.case.request.reason) is judged


def test_a_return_of_a_broken_item_is_heard_even_where_returns_are_refused() -> None:
    made = decision(case("five-elements-link", request={"reason": "damaged_in_transit", "evidence": {"photos": 2}}))
    assert (made["outcome"], codes(made)) == ("review", {"needs_review"})


def test_a_claim_that_is_a_change_of_mind_is_judged_as_a_return() -> None:
    made = decision(case("passione-kustom", request=claim("changed_mind", evidence={"photos": 1})))
    assert codes(made) == {"returns_not_accepted"}


def test_a_sale_item_that_arrived_broken_is_not_final_sale() -> None:
    made = decision(case(order={"lines": [line(compare_at_price="60.00")]}, request=claim("damaged_in_transit")))
    assert (made["outcome"], codes(made)) == ("approve", {"within_policy"})


def test_a_defect_after_the_claims_window_falls_to_the_warranty() -> None:
    late_defect = decision(case("kestia", request=claim(submitted_at="2026-06-10T10:00:00Z")))
    late_damage = decision(case("kestia", request=claim("damaged_in_transit", submitted_at="2026-06-10T10:00:00Z")))
    assert (late_defect["outcome"], codes(late_defect)) == ("review", {"needs_review"})
    assert (late_damage["outcome"], codes(late_damage)) == ("decline", {"claim_window_ended"})


def test_a_warranty_request_where_the_store_has_no_warranty_is_heard_as_a_claim() -> None:
    made = decision(case(request={"kind": "warranty", "reason": "defective"}))
    assert (made["outcome"], codes(made)) == ("approve", {"within_policy"})
