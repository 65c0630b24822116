"""Planning WooCommerce write-back: one test per row of contract.md's "Written back to the platform";
and the per-store status mapping that says which statuses are requests and what a decision sets."""

from __future__ import annotations

from typing import Any

import pytest

from connector.planning import PlannedAction
from connector.woocommerce.payloads import (
    DEFAULT_REQUEST_STATUSES,
    StatusMapping,
    WooCommercePayloadError,
    load_status_mapping,
)
from connector.woocommerce.write_back import CANCEL_ORDER, CUSTOMER_NOTE, PRIVATE_NOTE, REFUND_AND_NOTE, plan_actions

CASE_KEY = "status:101:return-requested:2026-03-06T10:00:00Z"


def reason(code: str, message: str = "") -> dict[str, Any]:
    return {"code": code, "message": message or f"Because of {code}.", "lines": ["31"]}


def decision(outcome: str, *reasons: dict[str, Any], respond_by: str | None = None) -> dict[str, Any]:
    return {"outcome": outcome, "reasons": list(reasons), "lines": [{"line_id": "31", "outcome": outcome}],
            "refund": None, "respond_by": respond_by, "policy_version": "kestia@1"}


def plan(made: dict[str, Any], kind: str = "return", status_after: str | None = None,
         previous: str | None = None) -> list[PlannedAction]:
    """Planned for a store whose mapping sets `status_after` once a request of `kind` has this outcome."""
    outcome = made["outcome"] if made["outcome"] in ("approve", "decline") else "approve"
    statuses = load_status_mapping({"status_after": {kind: {outcome: status_after}}})
    return plan_actions(made, case_key=CASE_KEY, request_kind=kind, order_id="101", statuses=statuses,
                        previous_status=previous)


def test_an_approved_cancel_refunds_and_cancels_in_one_action() -> None:
    [action] = plan(decision("approve", reason("within_policy")), kind="cancel", status_after="cancelled")
    assert action == PlannedAction(CANCEL_ORDER, {
        "order_id": "101", "status": "cancelled",
        "refund_reason": f"Cancellation approved by Assay (case {CASE_KEY}).",
    }, f"assay:{CASE_KEY}:woocommerce.cancel_order")


REFUND: dict[str, Any] = {
    "currency": "EUR", "items": "49.00", "shipping": "0.00", "tax": "9.31", "fees": "0.00", "total": "58.31",
    "to_gift_card": "11.77", "lines": [{"line_id": "31", "quantity": 1, "amount": "49.00", "tax": "9.31"}],
    "shipping_tax": "0.00",
}
# What the writer is handed of it: what to pay back, where, and for which lines.
STATED = {name: REFUND[name] for name in ("currency", "total", "to_gift_card", "shipping", "shipping_tax", "lines")}


def refunded(outcome: str, refund: dict[str, Any] | None = REFUND) -> dict[str, Any]:
    return {**decision(outcome, reason("within_policy", "Within policy.")), "refund": refund}


def test_an_approved_cancel_refunds_what_the_decision_states() -> None:
    [action] = plan(refunded("approve"), kind="cancel", status_after="cancelled")
    assert (action.kind, action.payload["refund"]) == (CANCEL_ORDER, STATED)


@pytest.mark.parametrize(("kind", "noun"), [("return", "return"), ("claim", "claim")])
def test_an_approved_return_or_claim_is_refunded_then_told_in_one_action(kind: str, noun: str) -> None:
    [action] = plan(refunded("approve"), kind=kind, status_after="return-approved")
    assert action == PlannedAction(REFUND_AND_NOTE, {
        "order_id": "101", "note": f"Your {noun} request has been approved. Within policy.",
        "status": "return-approved", "refund": STATED, "purpose": noun,
        "refund_reason": f"{noun.capitalize()} approved by Assay (case {CASE_KEY}).",
    }, f"assay:{CASE_KEY}:woocommerce.refund_and_note")


@pytest.mark.parametrize(("kind", "refund"), [
    ("warranty", REFUND),  # repaired or replaced: the note says so, nothing is paid back here
    ("return", {**REFUND, "total": "0.00"}),  # nothing to pay back
])
def test_an_approval_with_nothing_to_refund_is_only_the_customer_note(kind: str, refund: dict[str, Any]) -> None:
    [action] = plan(refunded("approve", refund), kind=kind)
    assert action.kind == CUSTOMER_NOTE and "refund" not in action.payload


@pytest.mark.parametrize("total", ["-1.00", "lots", None])
def test_a_refund_without_an_amount_is_named(total: Any) -> None:
    with pytest.raises(ValueError, match="decision `refund.total` must be a decimal amount of zero or more"):
        plan(refunded("approve", {**REFUND, "total": total}), kind="return")


@pytest.mark.parametrize(("outcome", "kind", "status_after", "note"), [
    ("approve", "return", None, "Your return request has been approved. Within policy."),
    ("approve", "claim", "claim-approved", "Your claim request has been approved. Within policy."),
    ("decline", "return", None, "Your return request has been declined. Engraved items are final. Too late."),
    ("decline", "warranty", None, "Your warranty claim request has been declined. Engraved items are final. Too late."),
    ("decline", "cancel", "processing",
     "Your cancellation request has been declined. Your order stands. Engraved items are final. Too late."),
])
def test_a_decided_request_is_a_customer_note_with_every_reason_and_the_mapped_status(
    outcome: str, kind: str, status_after: str | None, note: str
) -> None:
    reasons = ([reason("within_policy", "Within policy.")] if outcome == "approve" else
               [reason("final_sale", "Engraved items are final."), reason("return_window_ended", "Too late."),
                reason("final_sale", "Engraved items are final.")])
    [action] = plan(decision(outcome, *reasons), kind=kind, status_after=status_after)
    assert (action.kind, action.payload) == (CUSTOMER_NOTE, {"order_id": "101", "note": note, "status": status_after})


def test_a_review_is_a_private_note_with_the_reasons_and_the_deadline() -> None:
    [action] = plan(decision("review", reason("needs_review", "We will evaluate."), respond_by="2026-03-09T10:00:00Z"))
    assert action.kind == PRIVATE_NOTE
    assert action.payload["note"] == (f"Assay case {CASE_KEY}: the customer's return request needs a decision. "
                                      "Reasons: We will evaluate. (needs_review). Respond by 2026-03-09T10:00:00Z.")


def test_planning_twice_gives_the_same_actions_and_keys() -> None:
    made = decision("decline", reason("final_sale"))
    assert plan(made) == plan(made)


@pytest.mark.parametrize(("kind", "outcome"), [("refund", "approve"), ("return", "maybe")])
def test_an_unknown_kind_or_outcome_is_named(kind: str, outcome: str) -> None:
    with pytest.raises(ValueError, match=kind if kind == "refund" else outcome):
        plan(decision(outcome), kind=kind)


def test_the_defaults_cover_the_common_request_plugins() -> None:
    mapping = load_status_mapping(None)
    assert {mapping.request_kind(s) for s in ("cancel-request", "wc-return-requested", "refund-requested",
                                              "claim-requested", "warranty-claim")} == {
        "cancel", "return", "claim", "warranty"}
    assert mapping.request_kind("processing") is None
    assert len(mapping.requests) == len(DEFAULT_REQUEST_STATUSES)


def test_a_store_adds_its_own_statuses_and_switches_defaults_off() -> None:
    mapping = load_status_mapping({"requests": {"wc-rma-open": "return", "refund-requested": None}})
    assert mapping.request_kind("rma-open") == "return"
    assert mapping.request_kind("refund-requested") is None


@pytest.mark.parametrize(("kind", "outcome", "previous", "expected"), [
    ("cancel", "approve", "processing", "cancelled"),  # fixed by the contract
    ("cancel", "decline", "on-hold", "on-hold"),  # back where it was
    ("cancel", "decline", None, None),  # never seen before the request: left alone
    ("cancel", "decline", "return-requested", None),  # never back into another request
    ("return", "approve", "completed", None),
    ("return", "decline", "completed", None),  # "completed" again would email "order complete" again
])
def test_the_default_status_after_a_decision(kind: str, outcome: str, previous: str | None,
                                             expected: str | None) -> None:
    assert load_status_mapping(None).status_after_decision(kind, outcome, previous) == expected


def test_a_store_maps_decisions_to_its_plugins_statuses() -> None:
    mapping = load_status_mapping({"status_after": {"return": {"approve": "return-approved",
                                                               "decline": "previous"}}})
    assert mapping.status_after_decision("return", "approve", "completed") == "return-approved"
    assert mapping.status_after_decision("return", "decline", "completed") == "completed"
    assert mapping.status_after_decision("claim", "approve", "completed") is None


def test_delivered_means_the_tracking_plugins_status_unless_the_store_says_otherwise() -> None:
    assert load_status_mapping(None).means_delivered("wc-delivered")
    assert not load_status_mapping(None).means_delivered("completed")
    own = load_status_mapping({"delivered": ["wc-parcel-arrived"]})
    assert own.means_delivered("parcel-arrived") and not own.means_delivered("delivered")
    assert not load_status_mapping({"delivered": []}).means_delivered("delivered")
    assert own.document()["delivered"] == ["parcel-arrived"]


def test_a_request_status_cannot_also_mean_delivered() -> None:
    with pytest.raises(WooCommercePayloadError) as raised:
        load_status_mapping({"delivered": ["delivered", "return-requested"]})
    assert raised.value.errors == ["delivered: return-requested can't mean delivered: already a request status"]
    assert load_status_mapping({"requests": {"return-requested": None},
                                "delivered": ["return-requested"]}).means_delivered("return-requested")


def test_a_bad_mapping_names_every_bad_entry() -> None:
    with pytest.raises(WooCommercePayloadError) as raised:
        load_status_mapping({"requests": {"Return Requested!": "return", "rma": "refund"},
                             "status_after": {"exchange": {"approve": "x"}}})
    assert len(raised.value.errors) == 3
    assert any("refund" in error for error in raised.value.errors)


# Kestia: "legally entitled to cancel their order within 14 working days of receipt ... and return". Judged as a
# return, the cancel is refunded as one and takes the status the store maps an approved return to: never `cancelled`,
# which would restock every item while the goods are still with the customer.
RETURN_STATUSES = load_status_mapping({"status_after": {"return": {"approve": "return-approved",
                                                                   "decline": "return-declined"}}})


@pytest.mark.parametrize(("statuses", "status_after"), [
    (load_status_mapping(None), None),  # by default a return's approval leaves the status alone
    (RETURN_STATUSES, "return-approved"),
])
def test_a_statutory_cancel_judged_as_a_return_is_refunded_as_a_return_not_cancelled(
    statuses: StatusMapping, status_after: str | None
) -> None:
    made = {**refunded("approve"), "judged_as": "return"}
    [action] = plan_actions(made, case_key=CASE_KEY, request_kind="cancel", order_id="101", statuses=statuses,
                            previous_status="delivered")
    assert action == PlannedAction(REFUND_AND_NOTE, {
        "order_id": "101", "note": "Your cancellation request has been approved. Within policy.",
        "status": status_after, "refund": STATED, "purpose": "cancellation",
        "refund_reason": f"Cancellation approved by Assay (case {CASE_KEY}).",
    }, f"assay:{CASE_KEY}:woocommerce.refund_and_note")


def test_a_statutory_cancel_judged_as_a_return_and_declined_takes_the_return_status() -> None:
    made = {**decision("decline", reason("final_sale", "Engraved items are final.")), "judged_as": "return"}
    [action] = plan_actions(made, case_key=CASE_KEY, request_kind="cancel", order_id="101",
                            statuses=RETURN_STATUSES, previous_status="delivered")
    assert (action.kind, action.payload["status"]) == (CUSTOMER_NOTE, "return-declined")


def test_a_statutory_cancel_declined_where_the_store_maps_no_return_status_goes_back_where_the_order_was() -> None:
    made = {**decision("decline", reason("final_sale", "Engraved items are final.")), "judged_as": "return"}
    [action] = plan_actions(made, case_key=CASE_KEY, request_kind="cancel", order_id="101",
                            statuses=load_status_mapping(None), previous_status="delivered")
    assert (action.kind, action.payload["status"]) == (CUSTOMER_NOTE, "delivered")


def test_without_judged_as_the_request_kind_is_written() -> None:
    [action] = plan_actions(refunded("approve"), case_key=CASE_KEY, request_kind="cancel", order_id="101",
                            statuses=RETURN_STATUSES, previous_status="processing")
    assert (action.kind, action.payload["status"]) == (CANCEL_ORDER, "cancelled")


def test_an_unknown_judged_as_is_named() -> None:
    with pytest.raises(ValueError, match="decision `judged_as` must be one of .*, got 'exchange'"):
        plan({**refunded("approve"), "judged_as": "exchange"}, kind="cancel")
