"""Cases are recorded once per request key; decisions are kept with the policy version that made them."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy.exc import IntegrityError

from storage.db import Storage
from storage.models import CaseStatus
from storage.repositories import (
    add_case,
    add_shopify_store,
    find_case,
    get_case,
    latest_decision,
    list_cases,
    save_decision,
    set_case_status,
)

pytestmark = pytest.mark.integration

DECISION = {"outcome": "decline", "reasons": [{"code": "final_sale", "message": "Sale items can't be returned.",
                                               "lines": ["L1"]}],
            "lines": [{"line_id": "L1", "outcome": "decline"}], "refund": None, "respond_by": None,
            "policy_version": "kestia@2"}


def new_store(storage: Storage) -> int:
    with storage.transaction() as session:
        return add_shopify_store(session, storage.cipher, domain="shop.myshopify.com", access_token="t").id


def open_case(storage: Storage, store_id: int, request_key: str = "gid://shopify/Return/1") -> tuple[int, bool]:
    with storage.transaction() as session:
        case, created = add_case(session, store_id=store_id, order_id="1001", kind="return",
                                 request_key=request_key, document={"order": {"id": "1001"}})
        return case.id, created


def test_a_request_recorded_twice_is_one_case(storage: Storage) -> None:
    store_id = new_store(storage)
    case_id, created = open_case(storage, store_id)
    assert created
    assert open_case(storage, store_id) == (case_id, False)
    with storage.transaction() as session:
        case = find_case(session, store_id, "gid://shopify/Return/1")
        assert case is not None and (case.id, case.status, case.kind) == (case_id, "open", "return")


def test_a_saved_decision_marks_its_case_decided_and_the_latest_one_counts(storage: Storage) -> None:
    case_id, _ = open_case(storage, new_store(storage))
    with storage.transaction() as session:
        save_decision(session, case_id, {**DECISION, "outcome": "review"})
        save_decision(session, case_id, DECISION)
    with storage.transaction() as session:
        decision = latest_decision(session, case_id)
        assert decision is not None
        assert (decision.outcome, decision.policy_version, decision.document) == ("decline", "kestia@2", DECISION)
        assert get_case(session, case_id).status == "decided"  # type: ignore[union-attr]


def test_the_decision_in_force_is_copied_onto_its_case_for_the_admins_lists(storage: Storage) -> None:
    case_id, _ = open_case(storage, new_store(storage))
    with storage.transaction() as session:
        review = save_decision(session, case_id, {**DECISION, "outcome": "review",
                                                  "respond_by": "2026-12-03T10:00:00+01:00"})
        case = get_case(session, case_id)
        assert case is not None
        assert (case.outcome, case.decided_at, case.respond_by) == (
            "review", review.decided_at, datetime(2026, 12, 3, 9, tzinfo=UTC))
        answer = save_decision(session, case_id, {**DECISION, "outcome": "approve"})
    with storage.transaction() as session:
        case = get_case(session, case_id)
        assert case is not None
        assert (case.outcome, case.decided_at, case.respond_by) == ("approve", answer.decided_at, None)


def test_cases_are_listed_newest_first_and_by_status(storage: Storage) -> None:
    store_id = new_store(storage)
    first, _ = open_case(storage, store_id, "r1")
    second, _ = open_case(storage, store_id, "r2")
    with storage.transaction() as session:
        set_case_status(session, first, CaseStatus.CLOSED)
    with storage.transaction() as session:
        assert [c.id for c in list_cases(session, store_id)] == [second, first]
        assert [c.id for c in list_cases(session, store_id, status=CaseStatus.OPEN)] == [second]


def test_a_case_must_belong_to_a_store(storage: Storage) -> None:
    with pytest.raises(IntegrityError):
        open_case(storage, store_id=987654)
