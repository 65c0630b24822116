"""The intake's write: a delivery's inbox row and body digest, wholly or not at all. On PostgreSQL it is one
statement in autocommit (record_delivery_at_once); the transaction (record_delivery_once) is what SQLite and a
raced delivery use. Both must say the same of every delivery, so each case runs through both."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from storage.columns import utc_now
from storage.db import Storage
from storage.models import DeliveryDigest, Event
from storage.repositories import Delivery, NotAtOnce, record_delivery_at_once, record_delivery_once

pytestmark = pytest.mark.integration

HORIZON = timedelta(hours=48)
Record = Callable[..., Delivery | None]


def at_once(storage: Storage, **facts: Any) -> Delivery | None:
    with storage.single_statements() as connection:
        return record_delivery_at_once(connection, **facts)


def in_transaction(storage: Storage, **facts: Any) -> Delivery | None:
    with storage.transaction() as session:
        delivery = record_delivery_once(session, **facts)
        if delivery is None:
            session.rollback()  # what the intake does with a replay: nothing of it is kept
        return delivery


def facts(delivery_id: str = "d-1", digest: str = "ab" * 32, handled: bool = True, **more: Any) -> dict[str, Any]:
    return {"platform": "shopify", "delivery_id": delivery_id, "topic": "orders/create",
            "shop_domain": "shop.myshopify.com", "payload": {"id": 7, "email": "pii:abc"},
            "headers": {"X-Shopify-Topic": "orders/create", "X-Shopify-Hmac-Sha256": "c2ln"}, "digest": digest,
            "now": utc_now(), "horizon": HORIZON, "handled": handled, **more}


def kept(storage: Storage) -> tuple[int, int]:
    with storage.reads() as session:
        return (session.scalar(select(func.count()).select_from(Event)) or 0,
                session.scalar(select(func.count()).select_from(DeliveryDigest)) or 0)


both = pytest.mark.parametrize("record", [at_once, in_transaction], ids=["one statement", "transaction"])


@both
def test_a_new_delivery_is_kept_with_its_digest_pointing_at_it(storage: Storage, record: Record) -> None:
    delivery = record(storage, **facts())
    assert delivery is not None and delivery.created and delivery.status == "received"
    with storage.reads() as session:
        event = session.get_one(Event, delivery.event_id)
        digest = session.scalars(select(DeliveryDigest)).one()
    assert (event.payload, event.topic, event.processed_at) == ({"id": 7, "email": "pii:abc"}, "orders/create", None)
    assert event.headers == {"X-Shopify-Topic": "orders/create"}  # the signature is never kept
    assert digest.event_id == delivery.event_id


@both
def test_the_same_body_again_is_a_replay_and_keeps_nothing(storage: Storage, record: Record) -> None:
    first = record(storage, **facts())
    assert first is not None
    assert record(storage, **facts()) is None  # the platform's resend: same id, same body
    assert record(storage, **facts(delivery_id="d-2")) is None  # the same body under another delivery id
    assert kept(storage) == (1, 1)


@both
def test_a_known_delivery_id_with_a_new_body_finds_its_row(storage: Storage, record: Record) -> None:
    first = record(storage, **facts())
    again = record(storage, **facts(digest="cd" * 32))
    assert first is not None and again == Delivery(first.event_id, "received", False)
    assert kept(storage) == (1, 2)


@both
def test_the_same_body_after_the_horizon_is_new_again(storage: Storage, record: Record) -> None:
    first = record(storage, **facts(now=utc_now() - HORIZON - timedelta(minutes=1)))
    later = record(storage, **facts(delivery_id="d-2"))
    assert first is not None and later is not None and later.created and later.event_id != first.event_id
    with storage.reads() as session:
        assert session.scalars(select(DeliveryDigest.event_id)).one() == later.event_id


@both
def test_a_topic_nobody_handles_is_kept_as_ignored(storage: Storage, record: Record) -> None:
    delivery = record(storage, **facts(handled=False))
    assert delivery is not None and delivery.status == "ignored"
    with storage.reads() as session:
        assert session.get_one(Event, delivery.event_id).processed_at is not None


@both
def test_two_stores_identical_deliveries_are_both_kept(storage: Storage, record: Record) -> None:
    """Issue 21, hole 7: two WooCommerce sites send `{"id": 101}` under the same delivery id, each signed by its
    own secret: each is its store's own delivery. A true replay (the same signer again) is still dropped."""
    site = {"platform": "woocommerce", "topic": "order.deleted", "payload": {"id": 101}}
    first = record(storage, **facts(**site, shop_domain="one.example", signer="one.example"))
    second = record(storage, **facts(**site, shop_domain="two.example", signer="two.example"))
    assert first is not None and second is not None and first.created and second.created
    assert first.event_id != second.event_id
    assert record(storage, **facts(**site, delivery_id="d-2", shop_domain="two.example", signer="two.example")) is None
    assert kept(storage) == (2, 2)


@both
def test_a_body_signed_by_a_secret_every_store_shares_is_one_body_whichever_shop_it_names(
        storage: Storage, record: Record) -> None:
    """Shopify's app secret proves no shop: its body under another shop's header is a replay, as before."""
    assert record(storage, **facts(shop_domain="one.myshopify.com")) is not None
    assert record(storage, **facts(delivery_id="d-2", shop_domain="two.myshopify.com")) is None
    assert kept(storage) == (1, 1)


def test_twins_racing_in_one_statement_keep_one_row_and_the_rest_are_replays_or_told_to_retry(
        storage: Storage) -> None:
    """Eight identical deliveries at the same moment: one is kept; each other one is a replay, or is told (NotAtOnce)
    to use the transaction, which then finds it a replay. Never two rows, never a digest pointing nowhere."""
    start = threading.Barrier(8)

    def deliver(_: int) -> str:
        start.wait(timeout=10)
        try:
            delivery = at_once(storage, **facts(delivery_id="race"))
        except NotAtOnce:
            delivery = in_transaction(storage, **facts(delivery_id="race"))
            return "fell back: " + ("kept" if delivery and delivery.created else "replay")
        return "kept" if delivery and delivery.created else "replay"

    with ThreadPoolExecutor(8) as pool:
        outcomes = list(pool.map(deliver, range(8)))
    assert sum(outcome.endswith("kept") for outcome in outcomes) == 1, outcomes
    assert kept(storage) == (1, 1)
