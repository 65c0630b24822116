"""Work that failed for good is seen and put back: `/health` counts it, `assay events|actions failed` lists it,
`retry ID` puts it back in line; and the relay queues again what the database still holds undone."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import Flask

from cli.main import cli
from jobs.relay import relay
from storage.columns import utc_now
from storage.db import storage_of
from storage.models import Action, Event, EventStatus
from storage.repositories import add_case, add_shopify_store, enqueue_action, fail_action, mark_event, record_event

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
    assert health == {"status": "ok", "database": "ok", "failed": {"events": 1, "actions": 1}}

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
