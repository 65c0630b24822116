"""A customer's request from the storefront form of a store with no request-status plugin: recorded at once,
checked against the site by a job.

The route records the form in the inbox (topic FORM_TOPIC) and answers; no site is called while the customer
(or another shop's webhook) waits. The job then fetches the order: the order number, billing email and order
key must all belong to one order, and the error recorded for a mismatch is the same whichever of them is
wrong, so order numbers can't be probed.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

from flask import current_app
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from connector.adapter import FollowUps, PermanentEventError
from connector.intake import CancelRequestRefused, open_case
from connector.woocommerce.access import case_order, ensure_calendar, record_order_snapshot, woocommerce_api
from connector.woocommerce.case_requests import FormInvalid, form_matches, request_from_form
from connector.woocommerce.client import WooCommerceApi
from connector.woocommerce.errors import WooCommercePayloadError, WooCommerceRejected
from connector.woocommerce.events import HANDLERS
from connector.woocommerce.schemas import WooOrder, parse_order
from storage.db import storage_of
from storage.models import Event, EventStatus, Platform, Store, StoreStatus
from storage.repositories import latest_decision, record_event, store_credentials
from storage.settings import settings_of

NO_SUCH_ORDER = "no order matches this order_number, email and order_key"
FORM_TOPIC = "assay/form_request"  # Assay's own topic: never a WooCommerce webhook's


def record_form_request(session: Session, store_id: int, form: dict[str, Any]) -> tuple[int, bool]:
    """The inbox row for this form, and True if it is new: the same form sent again while its request is still
    unanswered (a double click, a retried post) is that request; sent after its answer, it is a new request.

    The form holds the customer's email and order key, which are never kept in plain text: the row holds it
    sealed with the storage cipher, for the job that checks it against the site."""
    store = session.get(Store, store_id)
    if store is None or store.platform != Platform.WOOCOMMERCE.value or store.status != StoreStatus.ACTIVE.value:
        raise CancelRequestRefused("unknown_store", "this store does not take requests through Assay", 404)
    digest = hashlib.sha256(json.dumps(form, sort_keys=True, default=str).encode()).hexdigest()[:32]
    same_form = f"form:{store_id}:{digest}"
    earlier = _latest_sending(session, store.domain, same_form)
    if earlier is not None and not _answered(session, earlier):
        return earlier.id, False
    # The first sending keeps the bare id (rows recorded before re-asking existed have it); each later one counts on.
    delivery_id = same_form if earlier is None else f"{same_form}:{_sending_number(earlier, same_form) + 1}"
    event, created = record_event(session, platform=Platform.WOOCOMMERCE.value, delivery_id=delivery_id,
                                  topic=FORM_TOPIC, shop_domain=store.domain,
                                  payload={"store_id": store_id, "form_sealed": storage_of(current_app).cipher.encrypt(
                                      json.dumps(form, sort_keys=True, default=str))},
                                  headers={"X-Assay-Source": "form"})
    return event.id, created


def _latest_sending(session: Session, shop_domain: str, same_form: str) -> Event | None:
    """The last time this very form was sent to the store, if it was."""
    query = select(Event).where(Event.platform == Platform.WOOCOMMERCE.value, Event.shop_domain == shop_domain,
                                or_(Event.delivery_id == same_form, Event.delivery_id.like(f"{same_form}:%")))
    return session.scalars(query.order_by(Event.id.desc()).limit(1)).first()


def _sending_number(event: Event, same_form: str) -> int:
    suffix = event.delivery_id.removeprefix(same_form).removeprefix(":")
    return int(suffix) if suffix.isdigit() else 1


def _answered(session: Session, event: Event) -> bool:
    """The sender has its answer (the request was refused, or its case decided), as the answer page shows it."""
    if event.status in (EventStatus.FAILED.value, EventStatus.IGNORED.value):
        return True
    case_id = event.payload.get("case_id")
    return isinstance(case_id, int) and latest_decision(session, case_id) is not None


def sealed_form(event: Event) -> dict[str, Any]:
    """The form a request row holds (rows recorded before forms were sealed hold it as it came)."""
    sealed = event.payload.get("form_sealed")
    if isinstance(sealed, str):
        form: dict[str, Any] = json.loads(storage_of(current_app).cipher.decrypt(sealed))
        return form
    return dict(event.payload.get("form") or {})


@HANDLERS.on(FORM_TOPIC)
def open_form_case(session: Session, event: Event, follow_ups: FollowUps) -> None:
    """The case for the form's request; a form that matches no order, or names lines the order lacks, fails
    with the reason. A site that can't be reached raises, and the event is tried again later."""
    storage = storage_of(current_app)
    store = session.get(Store, int(event.payload["store_id"]), with_for_update=True)
    if store is None or store.status != StoreStatus.ACTIVE.value:
        raise PermanentEventError("the store no longer takes requests through Assay")
    form = sealed_form(event)
    try:
        with woocommerce_api(store, store_credentials(store, storage.cipher), settings_of(current_app)) as api:
            order = _matching_order(api, form)
            ensure_calendar(store, api)
            snapshot = record_order_snapshot(session, store, api, order)
            document = case_order(api, snapshot, order)
        request = request_from_form(form, snapshot.document, event.received_at.astimezone(UTC)
                                    if event.received_at else datetime.now(UTC))
    except CancelRequestRefused as refused:
        raise PermanentEventError(f"{refused.reason}: {refused}") from None
    except FormInvalid as invalid:
        raise PermanentEventError("; ".join(f"{name}: {rule}" for name, rule in invalid.errors.items())) from None
    except WooCommercePayloadError as error:
        raise PermanentEventError(str(error)) from None
    refs = {"order_id": order.id, "request_status": None, "previous_status": order.status}
    # Every request is its own case, the same lines asked again included; a job run twice finds its case.
    case_id, created = open_case(session, store, order=document, request=request,
                                 request_key=f"form:{event.id}", refs=refs)
    event.payload = {**event.payload, "case_id": case_id}  # what the request became, for its answer
    if created:
        follow_ups.decide(case_id, job_id=f"case-{case_id}")


def _matching_order(api: WooCommerceApi, form: dict[str, Any]) -> WooOrder:
    try:
        order = parse_order(api.get(f"orders/{form['order_number']}"))
    except WooCommerceRejected as rejected:
        if rejected.status in (401, 403):
            raise  # our key, not the customer's order: the store is unavailable to us
        # 404 for an unknown number (and 400 for one that isn't a number on this site)
        raise CancelRequestRefused("unknown_order", NO_SUCH_ORDER, 404) from None
    if not form_matches(order, form):
        raise CancelRequestRefused("unknown_order", NO_SUCH_ORDER, 404)
    return order
