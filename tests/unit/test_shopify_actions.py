"""Planning Shopify write-back: one test per row of contract.md's "Written back to the platform", keys stable."""

from __future__ import annotations

from typing import Any

import pytest

from connector.shopify.write_back import (
    DECLINE_NOTE_LIMIT,
    NOTE_LINE_LIMIT,
    PlannedAction,
    decline_reason,
    idempotency_key,
    plan_actions,
    shorten,
)

ORDER_GID = "gid://shopify/Order/1001"
RETURN_GID = "gid://shopify/Return/7"
CASE_KEY = "store-3:return-1001-7"


def reason(code: str, message: str = "", lines: tuple[str, ...] = ("L1",)) -> dict[str, Any]:
    return {"code": code, "message": message or f"Because of {code}.", "lines": list(lines)}


def decision(outcome: str, *reasons: dict[str, Any], respond_by: str | None = None) -> dict[str, Any]:
    return {"outcome": outcome, "reasons": list(reasons), "lines": [{"line_id": "L1", "outcome": outcome}],
            "refund": None, "respond_by": respond_by, "policy_version": "pristine-crystals@1"}


def plan(outcome_decision: dict[str, Any], kind: str, return_gid: str | None = RETURN_GID) -> PlannedAction:
    [action] = plan_actions(outcome_decision, case_key=CASE_KEY, request_kind=kind, order_gid=ORDER_GID,
                            return_gid=None if kind == "cancel" else return_gid)
    return action


def test_an_approved_cancel_cancels_the_order_with_a_staff_note_naming_the_case() -> None:
    action = plan(decision("approve", reason("within_policy")), "cancel")

    assert action.kind == "shopify.order_cancel"
    assert action.payload == {
        "order_gid": ORDER_GID,
        "staff_note": f"Assay approved the customer's cancellation request (case {CASE_KEY}).",
    }
    assert action.idempotency_key == f"assay:{CASE_KEY}:shopify.order_cancel"


@pytest.mark.parametrize("kind", ["return", "claim", "warranty"])
def test_an_approved_return_claim_or_warranty_approves_the_shopify_return(kind: str) -> None:
    action = plan(decision("approve", reason("within_policy")), kind)

    assert action.kind == "shopify.return_approve"
    assert action.payload == {"return_gid": RETURN_GID}


@pytest.mark.parametrize(
    ("codes", "expected"),
    [
        (["final_sale"], "FINAL_SALE"),
        (["return_window_ended"], "RETURN_PERIOD_ENDED"),
        (["return_window_ended", "final_sale"], "FINAL_SALE"),
        (["final_sale", "return_window_ended", "condition_not_met"], "FINAL_SALE"),
        (["condition_not_met"], "OTHER"),
        (["claim_window_ended"], "OTHER"),
        (["warranty_expired"], "OTHER"),
        (["returns_not_accepted"], "OTHER"),
        (["evidence_required"], "OTHER"),
        ([], "OTHER"),
    ],
)
def test_a_declined_return_carries_shopifys_decline_reason(codes: list[str], expected: str) -> None:
    action = plan(decision("decline", *(reason(code) for code in codes)), "return")

    assert action.kind == "shopify.return_decline"
    assert action.payload["return_gid"] == RETURN_GID
    assert action.payload["decline_reason"] == expected
    assert decline_reason(reason(code) for code in codes) == expected


@pytest.mark.parametrize("kind", ["claim", "warranty"])
def test_a_declined_claim_or_warranty_declines_the_shopify_return_too(kind: str) -> None:
    action = plan(decision("decline", reason("warranty_expired", "The 2-year warranty has ended.")), kind)

    assert action.kind == "shopify.return_decline"
    assert action.payload == {"return_gid": RETURN_GID, "decline_reason": "OTHER",
                              "decline_note": "The 2-year warranty has ended."}


def test_the_decline_note_is_every_reason_message_once_in_order() -> None:
    action = plan(decision(
        "decline",
        reason("final_sale", "Sale items can't be returned.", ("L1",)),
        reason("final_sale", "Sale items can't be returned.", ("L2",)),
        reason("return_window_ended", "The 14-day return window ended on 19 March."),
    ), "return")

    assert action.payload["decline_note"] == (
        "Sale items can't be returned. The 14-day return window ended on 19 March."
    )


def test_a_long_decline_note_is_cut_to_shopifys_limit_on_a_word_boundary() -> None:
    message = "Personalized pieces are made to order and can't be returned. " * 12
    action = plan(decision("decline", reason("final_sale", message)), "return")

    note = action.payload["decline_note"]
    assert len(note) <= DECLINE_NOTE_LIMIT
    assert note.endswith("…")
    assert message.startswith(note.removesuffix("…"))
    assert message[len(note) - 1] == " "  # the cut fell between words


def test_a_decline_without_reasons_sends_no_note() -> None:
    assert plan(decision("decline"), "return").payload["decline_note"] is None


@pytest.mark.parametrize("kind", ["cancel", "return", "claim", "warranty"])
def test_a_review_of_any_request_tags_the_order_and_notes_the_case_reasons_and_deadline(kind: str) -> None:
    action = plan(decision("review", reason("needs_review", "We will inspect the piece."),
                           respond_by="2026-03-12T17:00:00+01:00"), kind)

    assert action.kind == "shopify.review"
    assert action.payload == {
        "order_gid": ORDER_GID,
        "tag": "assay-review",
        "note_line": f"Assay case {CASE_KEY}: {kind} request needs a decision. "
                     "Reasons: We will inspect the piece. (needs_review). Respond by 2026-03-12T17:00:00+01:00.",
    }
    assert action.idempotency_key == f"assay:{CASE_KEY}:shopify.review"


def test_a_review_without_a_deadline_says_none() -> None:
    action = plan(decision("review", reason("needs_review", "We will evaluate.")), "claim")

    assert "Respond by" not in action.payload["note_line"]


def test_a_declined_cancel_tags_the_order_and_notes_why_it_was_not_cancelled() -> None:
    action = plan(decision("decline", reason("already_fulfilled", "Your order has already shipped.")), "cancel")

    assert action.kind == "shopify.order_note"
    assert action.payload == {
        "order_gid": ORDER_GID,
        "tag": "assay-cancel-declined",
        "note_line": f"Assay case {CASE_KEY}: cancellation request declined, the order stands. "
                     "Reasons: Your order has already shipped. (already_fulfilled).",
    }


@pytest.mark.parametrize(
    ("outcome", "tag"), [("approve", "assay-return-approved"), ("decline", "assay-return-declined")]
)
def test_a_return_without_a_shopify_return_is_noted_on_the_order(outcome: str, tag: str) -> None:
    action = plan(decision(outcome, reason("within_policy" if outcome == "approve" else "final_sale")), "return",
                  return_gid=None)

    assert action.kind == "shopify.order_note"
    assert action.payload["tag"] == tag
    assert action.payload["note_line"].startswith(f"Assay case {CASE_KEY}: return request {outcome}d")


def test_a_long_note_line_is_cut_to_one_bounded_line() -> None:
    many = [reason("needs_review", f"Line L{n} needs an assessment\nby the workshop.", (f"L{n}",)) for n in range(60)]
    line = plan(decision("review", *many), "return").payload["note_line"]

    assert len(line) <= NOTE_LINE_LIMIT
    assert "\n" not in line


def test_re_planning_the_same_decision_yields_the_same_actions_and_keys() -> None:
    for kind, outcome in [("cancel", "approve"), ("return", "decline"), ("claim", "review")]:
        made = decision(outcome, reason("final_sale"))
        assert plan(made, kind) == plan(made, kind)


def test_keys_differ_between_cases_and_between_action_kinds() -> None:
    kinds = ("shopify.review", "shopify.order_note")
    keys = {idempotency_key(case, kind) for case in ("1", "2", "12") for kind in kinds}

    assert len(keys) == 6


def test_an_unusual_or_long_case_key_is_hashed_into_a_short_stable_key() -> None:
    long_key = "store:" + "x" * 300
    spaced = "store 3 / return [7]"

    assert idempotency_key(long_key, "shopify.review") == idempotency_key(long_key, "shopify.review")
    assert len(idempotency_key(long_key, "shopify.review")) < 70
    assert idempotency_key(spaced, "shopify.review").startswith("assay:~")
    assert "[" not in idempotency_key(spaced, "shopify.review")


def test_an_empty_case_key_is_refused() -> None:
    with pytest.raises(ValueError, match="case_key"):
        idempotency_key("", "shopify.review")


def test_an_unknown_request_kind_or_outcome_is_refused_naming_the_value() -> None:
    with pytest.raises(ValueError, match="'exchange'"):
        plan_actions(decision("approve"), case_key=CASE_KEY, request_kind="exchange", order_gid=ORDER_GID,
                     return_gid=None)
    with pytest.raises(ValueError, match="'maybe'"):
        plan_actions(decision("maybe"), case_key=CASE_KEY, request_kind="return", order_gid=ORDER_GID,
                     return_gid=RETURN_GID)


@pytest.mark.parametrize(
    ("text", "limit", "expected"),
    [
        ("short", 10, "short"),
        ("one two three", 10, "one two…"),
        ("one, two three", 9, "one…"),
        ("unbreakable", 5, "unbr…"),
    ],
)
def test_shorten_cuts_on_a_word_boundary(text: str, limit: int, expected: str) -> None:
    assert shorten(text, limit) == expected


# --- The refund an approval carries (issue 8) ------------------------------------------------------------------

def refund(total: str, to_gift_card: str = "0.00", shipping: str = "0.00") -> dict[str, Any]:
    return {"currency": "EUR", "items": total, "shipping": shipping, "tax": "0.00", "fees": "0.00", "total": total,
            "to_gift_card": to_gift_card, "shipping_tax": "0.00",
            "lines": [{"line_id": "L1", "quantity": 1, "amount": total, "tax": "7.82"}]}


def approved(with_refund: dict[str, Any] | None) -> dict[str, Any]:
    return {**decision("approve", reason("within_policy")), "refund": with_refund}


def test_an_approved_cancel_carries_the_decided_total_for_the_writer_to_check_against_shopify() -> None:
    action = plan(approved(refund("55.90", "20.00")), "cancel")

    assert action.payload["refund"] == {"currency": "EUR", "total": "55.90", "case_key": CASE_KEY}


@pytest.mark.parametrize("kind", ["return", "claim", "warranty"])
def test_an_approved_return_carries_the_refund_its_lines_the_gift_card_part_and_the_shipping(kind: str) -> None:
    action = plan(approved(refund("49.00", "9.71", shipping="6.90")), kind)

    assert action.kind == "shopify.return_approve"
    assert action.payload == {"return_gid": RETURN_GID, "refund": {
        "case_key": CASE_KEY, "currency": "EUR", "total": "49.00", "to_gift_card": "9.71", "shipping": "6.90",
        "lines": [{"line_id": "L1", "quantity": 1}],
    }}


@pytest.mark.parametrize("nothing", [None, refund("0.00")], ids=["no refund", "a refund of nothing"])
def test_an_approval_that_refunds_nothing_plans_no_refund(nothing: dict[str, Any] | None) -> None:
    assert "refund" not in plan(approved(nothing), "return").payload
    assert "refund" not in plan(approved(nothing), "cancel").payload


def test_an_approved_return_without_a_shopify_return_notes_the_amount_to_refund_by_hand() -> None:
    action = plan(approved(refund("55.39", "9.31")), "return", return_gid=None)

    assert action.kind == "shopify.order_note"
    assert "refund 55.39 EUR (9.31 EUR of it to the gift card or store credit) by hand" in action.payload["note_line"]


def test_a_statutory_cancel_judged_as_a_return_is_not_an_order_cancel() -> None:
    # Kestia: "legally entitled to cancel their order within 14 working days of receipt ... and return": the
    # parcel comes back first, so Shopify's orderCancel (refund and restock now) is not what is written.
    made = {**decision("approve", reason("within_policy")), "judged_as": "return"}
    action = plan(made, "cancel")
    assert action.kind != "shopify.order_cancel"
    assert "cancel request approved" in action.payload["note_line"]
