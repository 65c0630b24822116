"""Storage's part in privacy: body digests within a horizon, and handled inbox payloads pruned after a time."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from jobs.schedule import prune
from storage.columns import utc_now
from storage.db import Storage, storage_of
from storage.models import Event, EventStatus
from storage.repositories import claim_delivery_digest, mark_event, prune_inbox, record_event
from webhooks.app import create_app

pytestmark = pytest.mark.integration


def test_the_same_body_is_new_once_within_the_horizon_and_new_again_after_it(storage: Storage) -> None:
    now, horizon = utc_now(), timedelta(hours=48)
    claim = {"platform": "shopify", "topic": "orders/create", "digest": "ab" * 32, "horizon": horizon}
    with storage.transaction() as session:
        first = claim_delivery_digest(session, now=now, **claim)
        again = claim_delivery_digest(session, now=now + timedelta(hours=47), **claim)
        other_topic = claim_delivery_digest(session, now=now, **{**claim, "topic": "orders/updated"})
        after = claim_delivery_digest(session, now=now + timedelta(hours=49), **claim)
    assert first is not None and again is None and other_topic is not None
    assert after == first  # the old row is taken over, not duplicated


def test_handled_payloads_older_than_the_setting_are_emptied_and_the_rest_kept(storage: Storage) -> None:
    with storage.transaction() as session:
        made = {}
        for name, status in (("old-done", EventStatus.PROCESSED), ("old-waiting", None),
                             ("new-done", EventStatus.PROCESSED)):
            event, _ = record_event(session, platform="shopify", delivery_id=name, topic="orders/create",
                                    shop_domain="gems.myshopify.com", payload={"id": 1, "note": "kept until pruned"})
            if status is not None:
                mark_event(session, event.id, status)
            made[name] = event.id
        long_ago = utc_now() - timedelta(days=31)
        session.execute(update(Event).where(Event.delivery_id.like("old-%")).values(received_at=long_ago))
    with storage.transaction() as session:
        assert prune_inbox(session, utc_now(), timedelta(days=30)) == 1
    with storage.sessions() as session:
        payloads = {row.delivery_id: row.payload for row in session.execute(select(Event.delivery_id, Event.payload))}
    assert payloads == {"old-done": {}, "old-waiting": {"id": 1, "note": "kept until pruned"},
                        "new-done": {"id": 1, "note": "kept until pruned"}}


def test_the_clocks_hourly_prune_empties_old_handled_payloads_too(storage: Storage, storage_url: str,
                                                                 encryption_keys: str) -> None:
    with storage.transaction() as session:
        event, _ = record_event(session, platform="shopify", delivery_id="old", topic="orders/create",
                                shop_domain="gems.myshopify.com", payload={"email": "pii:kept-until-pruned"})
        mark_event(session, event.id, EventStatus.PROCESSED)
        session.execute(update(Event).where(Event.id == event.id).values(received_at=utc_now() - timedelta(days=8)))
    app = create_app({"DATABASE_URL": storage_url, "ASSAY_ENCRYPTION_KEYS": encryption_keys, "TESTING": True,
                      "INBOX_PAYLOAD_DAYS": 7})
    try:
        with app.app_context():
            prune()
    finally:
        storage_of(app).dispose()
    with storage.sessions() as session:
        assert session.scalar(select(Event.payload).where(Event.id == event.id)) == {}
