"""Work that failed for good is seen and put back: `/health` counts it, `assay events|actions failed` lists it,
`retry ID` puts it back in line; a case no decision can be made of is set aside the same way (`assay cases
set-aside`); and the relay queues again what the database still holds undone, never starving on any of it."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from flask import Flask
from rq import SimpleWorker
from sqlalchemy import select
from support import shop_routes

from cli.main import cli
from jobs.queue import RedisQueue, queue_of
from jobs.relay import Relayed, relay
from policies.presets import preset_document
from storage.columns import utc_now
from storage.db import storage_of
from storage.models import Action, CaseRecord, Event, EventStatus
from storage.repositories import (
    add_case,
    add_shopify_store,
    enqueue_action,
    fail_action,
    mark_event,
    record_event,
    set_policy,
)

pytestmark = pytest.mark.integration


def a_failed_action_and_event(app: Flask) -> tuple[int, int]:
    storage = storage_of(app)
    with storage.transaction() as session:
        store = add_shopify_store(session, storage.cipher, domain="failing.myshopify.com", access_token="shpat_x")
        case, _ = add_case(session, store_id=store.id, order_id="1", kind="return", request_key="return:1",
                           document={})
        action, _ = enqueue_action(session, case_id=case.id, kind="shopify.return_approve", payload={},
                                   idempotency_key="k-1")
        fail_action(session, "k-1", "gave up after 10 attempts: Shopify unreachable", retry=False)
        event, _ = record_event(session, platform="shopify", delivery_id="d-1", topic="returns/request",
                                shop_domain=store.domain, payload={})
        mark_event(session, event.id, EventStatus.FAILED, error="the payload names no order")
        return action.id, event.id


def test_failed_work_is_counted_listed_and_retried(app: Flask) -> None:
    action_id, event_id = a_failed_action_and_event(app)
    health = app.test_client().get("/health").get_json()
    assert health == {"status": "ok", "database": "ok", "failed": {"events": 1, "actions": 1, "cases": 0}}

    runner = app.test_cli_runner()
    listed = runner.invoke(cli, ["actions", "failed"])
    assert listed.exit_code == 0 and "gave up after 10 attempts: Shopify unreachable" in listed.output
    assert "the payload names no order" in runner.invoke(cli, ["events", "failed"]).output

    assert runner.invoke(cli, ["actions", "retry", str(action_id)]).exit_code == 0
    assert runner.invoke(cli, ["events", "retry", str(event_id)]).exit_code == 0
    with storage_of(app).sessions() as session:
        action, event = session.get_one(Action, action_id), session.get_one(Event, event_id)
        assert (action.state, action.attempts, event.status, event.attempts) == ("pending", 0, "received", 0)
    again = runner.invoke(cli, ["actions", "retry", str(action_id)])
    assert again.exit_code == 2 and f"action {action_id} is pending, only a failed action is retried" in again.output


def test_the_relay_queues_again_only_what_is_undone_past_its_grace_period(app: Flask) -> None:
    storage = storage_of(app)
    with storage.transaction() as session:
        old, _ = record_event(session, platform="shopify", delivery_id="old", topic="returns/request",
                              shop_domain="s.myshopify.com", payload={})
        old.received_at = utc_now() - timedelta(minutes=1)
        fresh, _ = record_event(session, platform="shopify", delivery_id="fresh", topic="returns/request",
                                shop_domain="s.myshopify.com", payload={})
        waiting, _ = record_event(session, platform="shopify", delivery_id="later", topic="returns/request",
                                  shop_domain="s.myshopify.com", payload={})
        waiting.received_at = old.received_at
        waiting.next_attempt_at = utc_now() + timedelta(minutes=5)  # rescheduled: not yet due
        old_id = old.id
    with app.app_context():
        assert relay().events == [old_id]


# --- Cases no decision can be made of (issue 21, hole 5) ---------------------------------------------------

# The contract's example case, less its policy (the store's is used): a return the preset decides at once.
VALID_CASE = {
    "store": {"country": "DE", "timezone": "Europe/Berlin"},
    "order": {"id": "1001", "placed_at": "2026-03-01T09:30:00Z", "currency": "EUR", "country": "DE",
              "shipping": {"amount": "6.90", "international": False}, "fulfilled_at": "2026-03-02T15:00:00Z",
              "delivered_at": "2026-03-05T11:00:00Z",
              "lines": [{"id": "L1", "title": "Rose quartz pendant", "sku": "RQ-1", "quantity": 1,
                         "unit_price": "49.00", "compare_at_price": None, "discount": "0.00",
                         "product_type": "Necklace", "tags": ["crystal"], "gift_card": False, "properties": {},
                         "fulfilled_quantity": 1}]},
    "request": {"kind": "return", "submitted_at": "2026-03-10T12:00:00Z", "reason": "changed_mind",
                "lines": [{"line_id": "L1", "quantity": 1, "condition": "unused"}], "evidence": {"photos": 0}},
    "platform": {"order_gid": "gid://shopify/Order/1001", "return_gid": "gid://shopify/Return/1"},
}
INVALID_CASE = {**VALID_CASE, "order": {"id": "1002", "lines": []}}  # no placed_at, no currency: undecidable


def a_store_with_cases(app: Flask, domain: str, *documents: dict[str, object]) -> list[int]:
    """A Shopify store on a preset (its writes go nowhere: nothing listens on port 9), and these cases in it, open,
    past the relay's grace period, and no job queued for any: each one's job was lost."""
    storage = storage_of(app)
    with storage.transaction() as session:
        shop_routes.route(domain, "http://127.0.0.1:9")  # nothing listens there
        store = add_shopify_store(session, storage.cipher, domain=domain, access_token="shpat_x")
        set_policy(session, store.id, preset_document("pristine-crystals") or {})
        ids = []
        for number, document in enumerate(documents):
            case, _ = add_case(session, store_id=store.id, order_id=str(number), kind="return",
                               request_key=f"return:{number}", document=document)
            case.created_at = utc_now() - timedelta(minutes=5)
            ids.append(case.id)
        return ids


def relay_and_work(app: Flask) -> Relayed:
    """One pass of the clock's relay, then a worker that runs what it queued (and nothing rescheduled)."""
    queue = queue_of(app)
    assert isinstance(queue, RedisQueue)
    with app.app_context():
        relayed = relay()
        SimpleWorker(queue.listening(), connection=queue.connection).work(burst=True)
    return relayed


def case_statuses(app: Flask, ids: list[int]) -> list[str]:
    with storage_of(app).sessions() as session:
        return list(session.scalars(select(CaseRecord.status).where(CaseRecord.id.in_(ids)).order_by(CaseRecord.id)))


def test_a_case_no_decision_can_be_made_of_is_set_aside_once_with_its_errors_counted_listed_and_retried(
        app: Flask, caplog: pytest.LogCaptureFixture) -> None:
    [case_id] = a_store_with_cases(app, "undecidable.myshopify.com", INVALID_CASE)
    with caplog.at_level(logging.INFO, logger="assay.jobs"):
        first, second = relay_and_work(app), relay_and_work(app)
    assert (first.cases, second.cases) == ([case_id], [])  # set aside: never handed out again
    said = [record for record in caplog.records if record.getMessage() in ("case.set_aside", "case.invalid")]
    assert [(r.getMessage(), getattr(r, "case_id", None)) for r in said] == [("case.set_aside", case_id)]
    assert "order.currency" in getattr(said[0], "fields", [])
    with storage_of(app).sessions() as session:
        case = session.get_one(CaseRecord, case_id)
        assert case.status == "set_aside" and case.set_aside_at is not None
        assert "order.currency: is required" in (case.errors or [])

    health = app.test_client().get("/health").get_json()
    assert health["failed"] == {"events": 0, "actions": 0, "cases": 1}
    runner = app.test_cli_runner()
    listed = runner.invoke(cli, ["cases", "set-aside"])
    assert listed.exit_code == 0, listed.output
    assert listed.output.startswith(f"{case_id}\tshopify:undecidable.myshopify.com\torder 0\treturn\t")
    assert "order.currency: is required" in listed.output

    retried = runner.invoke(cli, ["cases", "retry", str(case_id)])
    assert retried.exit_code == 0 and f"case {case_id} queued again" in retried.output
    assert case_statuses(app, [case_id]) == ["open"]
    relay_and_work(app)  # the retry's job: still undecidable, so set aside again
    assert case_statuses(app, [case_id]) == ["set_aside"]
    with storage_of(app).transaction() as session:
        session.get_one(CaseRecord, case_id).document = VALID_CASE  # mended (by hand, here)
    assert runner.invoke(cli, ["cases", "retry", str(case_id)]).exit_code == 0
    relay_and_work(app)
    assert case_statuses(app, [case_id]) == ["decided"]
    again = runner.invoke(cli, ["cases", "retry", str(case_id)])
    assert again.exit_code == 2 and f"case {case_id} is decided, only a case set aside is retried" in again.output
    assert runner.invoke(cli, ["cases", "set-aside"]).output == "no cases set aside\n"


def test_five_hundred_and_one_undecidable_cases_keep_no_valid_case_from_its_decision(app: Flask) -> None:
    """The relay hands out 500 cases a pass: the 501 undecidable ones, older, come first, and are set aside."""
    *undecidable, valid = a_store_with_cases(app, "busy.myshopify.com", *[INVALID_CASE] * 501, VALID_CASE)
    relay_and_work(app)
    relay_and_work(app)
    assert case_statuses(app, [valid]) == ["decided"]
    assert set(case_statuses(app, undecidable)) == {"set_aside"}
    assert app.test_client().get("/health").get_json()["failed"]["cases"] == 501


def test_the_relay_hands_out_first_what_it_handed_out_least_recently(app: Flask) -> None:
    """Rows whose jobs never get them done (a job that dies each time) can't keep the others waiting: each pass
    takes the due rows handed out least recently, so with room for two a pass, the third is handed out next."""
    storage = storage_of(app)
    cases = a_store_with_cases(app, "stuck.myshopify.com", VALID_CASE, VALID_CASE, VALID_CASE)
    with storage.transaction() as session:
        events, keys = [], []
        for number, case_id in enumerate(cases):
            event, _ = record_event(session, platform="shopify", delivery_id=f"stuck-{number}",
                                    topic="returns/request", shop_domain="stuck.myshopify.com", payload={})
            event.received_at = utc_now() - timedelta(minutes=5)
            action, _ = enqueue_action(session, case_id=case_id, kind="shopify.return_approve", payload={},
                                       idempotency_key=f"stuck-{number}")
            action.created_at = event.received_at
            events.append(event.id)
            keys.append(action.idempotency_key)
    with app.app_context():
        first, second = relay(limit=2), relay(limit=2)
    assert (first.events, first.cases, first.actions) == (events[:2], cases[:2], keys[:2])
    assert (second.events, second.cases, second.actions) == (
        [events[0], events[2]], [cases[0], cases[2]], [keys[0], keys[2]])
