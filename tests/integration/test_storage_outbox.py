"""The outbox: an action per idempotency key, each claimed by exactly one worker, done once."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from sqlalchemy import update

from storage.columns import utc_now
from storage.db import Storage
from storage.models import Action
from storage.repositories import (
    add_case,
    add_shopify_store,
    claim_action,
    claim_next_action,
    complete_action,
    enqueue_action,
    fail_action,
    find_action,
    list_actions,
)

pytestmark = pytest.mark.integration


def new_case(storage: Storage) -> int:
    with storage.transaction() as session:
        store = add_shopify_store(session, storage.cipher, domain="shop.myshopify.com", access_token="t")
        case, _ = add_case(session, store_id=store.id, order_id="1001", kind="cancel", request_key="event:1",
                           document={})
        return case.id


def enqueue(storage: Storage, case_id: int, key: str = "case-1:cancel",
            kind: str = "shopify.order_cancel") -> tuple[int, bool]:
    with storage.transaction() as session:
        action, created = enqueue_action(session, case_id=case_id, kind=kind, payload={"order_id": "1001"},
                                         idempotency_key=key)
        return action.id, created


def test_enqueuing_the_same_key_twice_is_one_action(storage: Storage) -> None:
    case_id = new_case(storage)
    action_id, created = enqueue(storage, case_id)
    assert created
    assert enqueue(storage, case_id) == (action_id, False)
    with storage.transaction() as session:
        assert [a.id for a in list_actions(session, case_id)] == [action_id]


def test_a_claimed_action_is_running_and_cannot_be_claimed_again(storage: Storage) -> None:
    enqueue(storage, new_case(storage))
    with storage.transaction() as session:
        action = claim_action(session, "case-1:cancel")
        assert action is not None and (action.state, action.attempts) == ("running", 1)
    with storage.transaction() as session:
        assert claim_action(session, "case-1:cancel") is None
        assert claim_next_action(session) is None


def test_two_workers_claiming_at_once_never_get_the_same_action(storage: Storage) -> None:
    case_id = new_case(storage)
    enqueue(storage, case_id, "a")
    enqueue(storage, case_id, "b")
    with storage.sessions() as first, storage.sessions() as second:
        mine = claim_next_action(first)
        # The first claim is not committed yet: SKIP LOCKED passes its row instead of waiting for it.
        theirs = claim_next_action(second)
        nothing = claim_action(second, "a")
        assert mine is not None and theirs is not None
        assert (mine.idempotency_key, theirs.idempotency_key, nothing) == ("a", "b", None)
        first.commit()
        second.commit()


def test_many_workers_claim_every_action_exactly_once(storage: Storage) -> None:
    case_id = new_case(storage)
    for number in range(30):
        enqueue(storage, case_id, f"key-{number}")
    start = threading.Barrier(4)

    def work(_: int) -> list[str]:
        start.wait(timeout=10)
        claimed: list[str] = []
        while True:
            with storage.transaction() as session:
                action = claim_next_action(session)
                if action is None:
                    return claimed
                claimed.append(action.idempotency_key)
                complete_action(session, action.idempotency_key, {"ok": True})

    with ThreadPoolExecutor(max_workers=4) as pool:
        claims = [key for keys in pool.map(work, range(4)) for key in keys]
    assert sorted(claims) == sorted(f"key-{number}" for number in range(30))


def test_only_the_kinds_asked_for_are_claimed(storage: Storage) -> None:
    case_id = new_case(storage)
    enqueue(storage, case_id, "note", kind="shopify.order_note")
    with storage.transaction() as session:
        assert claim_next_action(session, kinds=["shopify.order_cancel"]) is None
        claimed = claim_next_action(session, kinds=["shopify.order_note"])
        assert claimed is not None and claimed.idempotency_key == "note"


def test_a_completed_action_keeps_its_result_and_a_second_completion_changes_nothing(storage: Storage) -> None:
    enqueue(storage, new_case(storage))
    with storage.transaction() as session:
        claim_action(session, "case-1:cancel")
        complete_action(session, "case-1:cancel", {"job_id": "1"})
    with storage.transaction() as session:
        again = complete_action(session, "case-1:cancel", {"job_id": "2"})
        late_failure = fail_action(session, "case-1:cancel", "timeout", retry=True)
        assert (again.result, late_failure.state) == ({"job_id": "1"}, "done")
        assert again.done_at is not None
        assert claim_action(session, "case-1:cancel") is None


def test_a_failure_to_retry_returns_the_action_to_pending(storage: Storage) -> None:
    enqueue(storage, new_case(storage))
    with storage.transaction() as session:
        claim_action(session, "case-1:cancel")
        fail_action(session, "case-1:cancel", "HTTP 503 from Shopify", retry=True)
    with storage.transaction() as session:
        action = claim_action(session, "case-1:cancel")
        assert action is not None and (action.attempts, action.last_error) == (2, "HTTP 503 from Shopify")
        fail_action(session, "case-1:cancel", "order is already cancelled", retry=False)
    with storage.transaction() as session:
        action = find_action(session, "case-1:cancel")
        assert action is not None and action.state == "failed"
        assert claim_action(session, "case-1:cancel") is None


def test_an_action_held_past_its_lease_can_be_claimed_again(storage: Storage) -> None:
    enqueue(storage, new_case(storage))
    with storage.transaction() as session:
        claim_action(session, "case-1:cancel")
        session.execute(update(Action).values(claimed_at=utc_now() - timedelta(minutes=11)))
    with storage.transaction() as session:
        assert claim_action(session, "case-1:cancel", lease=timedelta(minutes=20)) is None
        action = claim_action(session, "case-1:cancel")
        assert action is not None and action.attempts == 2


def test_completing_an_unknown_key_says_which_key(storage: Storage) -> None:
    with storage.transaction() as session, pytest.raises(LookupError, match="'nope'"):
        complete_action(session, "nope")
