"""The customer's request form through the Assay plugin: recorded at once, checked by a job, answered by token."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request
from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from connector.adapter import FollowUps, PermanentEventError
from connector.case_opening import CancelRequestRefused, open_case
from connector.case_parts import instant
from connector.guard import check_request, parse_json
from connector.registry import runner_of
from connector.woocommerce.api import WooCommerceApi, WooCommerceRejected, woocommerce_api
from connector.woocommerce.payloads import (
    HANDLERS,
    KINDS,
    STATUS_REASONS,
    WooCommercePayloadError,
    WooOrder,
    case_order,
    ensure_calendar,
    every_line,
    parse_order,
    record_order_snapshot,
)
from policies.case import Reason
from policies.fields import flatten_errors
from storage.db import storage_of
from storage.models import ActionState, Event, EventStatus, Platform, Store, StoreStatus
from storage.repositories import latest_decision, list_actions, record_event, store_credentials
from storage.secret_key import Purpose, secret_keys_of
from storage.settings import settings_of

# A customer's request from the storefront form of a store with no request-status plugin: recorded at once,
# checked against the site by a job.
#
# The route records the form in the inbox (topic FORM_TOPIC) and answers; no site is called while the customer
# (or another shop's webhook) waits. The job then fetches the order: the order number, billing email and order
# key must all belong to one order, and the error recorded for a mismatch is the same whichever of them is
# wrong, so order numbers can't be probed.

NO_SUCH_ORDER = "no order matches this order_number, email and order_key"
FORM_TOPIC = "assay/form_request"  # Assay's own topic: never a WooCommerce webhook's
NOTE_LIMIT = 1000
PHOTO_LIMIT = 20


class FormInvalid(ValueError):
    """The form is missing or has malformed fields; `errors` maps each field to what is wrong with it."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{name}: {message}" for name, message in errors.items()))
        self.errors = errors


class _RequestForm(Schema):
    class Meta:
        unknown = EXCLUDE

    # Anchored: the order number becomes part of a REST path (validate.Regexp matches only a prefix).
    order_number = fields.String(required=True, validate=validate.Regexp(
        r"^[A-Za-z0-9_-]{1,40}\Z", error="must be the order number from the confirmation email, got {input!r}"))
    email = fields.Email(required=True, error_messages={"invalid": "must be the email address the order was "
                                                                   "placed with"})
    order_key = fields.String(required=True, validate=validate.Regexp(
        r"^wc_order_[A-Za-z0-9]{1,40}\Z", error="must be the order key (wc_order_...) from the order's link"))
    kind = fields.String(required=True, validate=validate.OneOf(KINDS, error="must be one of {choices}, got {input!r}"))
    reason = fields.String(load_default=None, validate=validate.OneOf(
        [reason.value for reason in Reason], error="must be one of {choices}, got {input!r}"))
    note = fields.String(load_default="", validate=validate.Length(max=NOTE_LIMIT))
    photos = fields.Integer(load_default=0, strict=False, validate=validate.Range(
        min=0, max=PHOTO_LIMIT, error="must be a whole number from {min} to {max}, got {input}"))
    line_id = fields.List(fields.String(validate=validate.Length(min=1, max=40)), load_default=list)
    # Drawn by the plugin when it renders the form: absent from older plugins' forms (and then absent here).
    request_key = fields.String(validate=validate.Regexp(
        r"^[A-Za-z0-9_-]{16,64}\Z", error="must be 16 to 64 letters, digits, '-' or '_', got {input!r}"))


def load_request_form(form: Mapping[str, list[str]]) -> dict[str, Any]:
    """The storefront form's fields (each a list of values, as posted); raises FormInvalid naming each bad one."""
    values: dict[str, Any] = {name: [v.strip() for v in found] if name == "line_id" else found[-1].strip()
                              for name, found in form.items() if found}
    if "order_number" in values:
        values["order_number"] = values["order_number"].lstrip("#")
    for name in ("reason", "note", "photos", "line_id", "request_key"):
        if values.get(name) in ("", []):
            values.pop(name)
    try:
        loaded: dict[str, Any] = _RequestForm().load(values)
    except ValidationError as error:
        lines = flatten_errors(error.messages)
        raise FormInvalid(dict(line.split(": ", 1) for line in lines)) from None
    return loaded


def form_matches(order: WooOrder, form: Mapping[str, Any]) -> bool:
    """The order number, billing email and order key all belong to this order."""
    same_key = hmac.compare_digest(order.order_key.encode(), str(form["order_key"]).encode())
    same_email = order.billing_email.casefold() == str(form["email"]).casefold()
    return same_key and same_email and order.number == form["order_number"]


def request_from_form(form: Mapping[str, Any], order_document: Mapping[str, Any],
                      submitted_at: datetime) -> dict[str, Any]:
    """The request as the customer filled it in; raises FormInvalid for a line that is not on the order."""
    kind = form["kind"]
    lines = every_line(order_document)
    if form["line_id"]:
        known = {line["line_id"] for line in lines}
        unknown = [line_id for line_id in form["line_id"] if line_id not in known]
        if unknown:
            raise FormInvalid({"line_id": f"must name lines of this order, got {', '.join(unknown)}"})
        lines = [line for line in lines if line["line_id"] in form["line_id"]]
    return {
        "kind": kind,
        "submitted_at": instant(submitted_at),
        "reason": form["reason"] or STATUS_REASONS[kind],
        "lines": [] if kind == "cancel" and not form["line_id"] else lines,
        "evidence": {"photos": form["photos"]},
        "note": form["note"],
    }


def record_form_request(session: Session, store_id: int, form: dict[str, Any]) -> tuple[int, bool]:
    """The inbox row for this form, and True if it is new. A form with its request key is that key's one request,
    answered or not; a form without one (older plugins) sent again before its answer (a double click, a retried post)
    is that request, after it a new one. The row holds the form sealed: it has the email and order key."""
    store = session.get(Store, store_id)
    if store is None or store.platform != Platform.WOOCOMMERCE.value or store.status != StoreStatus.ACTIVE.value:
        raise CancelRequestRefused("unknown_store", "this store does not take requests through Assay", 404)
    if "request_key" in form:
        return _record_by_key(session, store, form)
    digest = hashlib.sha256(json.dumps(form, sort_keys=True, default=str).encode()).hexdigest()[:32]
    same_form = f"form:{store_id}:{digest}"
    earlier = _latest_sending(session, store.domain, same_form)
    if earlier is not None and not _answered(session, earlier):
        return earlier.id, False
    # The first sending keeps the bare id (rows recorded before re-asking existed have it); each later one counts on.
    delivery_id = same_form if earlier is None else f"{same_form}:{_sending_number(earlier, same_form) + 1}"
    event, created = _record_sending(session, store, delivery_id, form)
    return event.id, created


def _record_by_key(session: Session, store: Store, form: dict[str, Any]) -> tuple[int, bool]:
    """The request this key first made, whatever became of its answer (a customer retrying after a lost answer asks
    nothing new). A key sent again for another order is refused: a key alone never reads another order's answer."""
    event, created = _record_sending(session, store, f"form:{store.id}:key:{form['request_key']}", form)
    if not created and not _same_order(sealed_form(event), form):
        raise FormInvalid({"request_key": "was already used for a request on another order"})
    return event.id, created


def _same_order(earlier: Mapping[str, Any], form: Mapping[str, Any]) -> bool:
    """Both forms name the same order by its number, billing email and order key."""
    def identity(sent: Mapping[str, Any]) -> bytes:
        return json.dumps([str(sent.get("order_number")), str(sent.get("email")).casefold(),
                           str(sent.get("order_key"))]).encode()
    return hmac.compare_digest(identity(earlier), identity(form))


def _record_sending(session: Session, store: Store, delivery_id: str, form: dict[str, Any]) -> tuple[Event, bool]:
    """The inbox row under this delivery id (the one already there, if any), the form sealed in it."""
    return record_event(session, platform=Platform.WOOCOMMERCE.value, delivery_id=delivery_id,
                        topic=FORM_TOPIC, shop_domain=store.domain,
                        payload={"store_id": store.id, "form_sealed": storage_of(current_app).cipher.encrypt(
                            json.dumps(form, sort_keys=True, default=str))},
                        headers={"X-Assay-Source": "form"})


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


# GET /forms/woocommerce/<store_id>/request/<request_id>?token=…: the answer to a form request, for whoever sent it.
#
# The form's 202 carries the token, HMAC(the answers' key derived from SECRET_KEY, store and request): the
# customer's page (the Assay plugin, server side) polls it. A request is checked against the site by a job (no
# site is called while the customer waits), so the answer is `pending` until then, `refused` when it matched no
# order of the store, and `decided` once its case is: the outcome, the reasons' messages, the refund total and
# respond_by — nothing else.

answers_bp = Blueprint("woocommerce_form_answers", __name__)

_UNKNOWN = {"error": "unknown_request", "detail": "no request of yours has this number"}
# The customer's words for a request the job refused; the reason stays on the event for the merchant.
_REFUSED = {
    "unknown_order": "We couldn't find an order with this order number, email and order key.",
}
_REFUSED_OTHERWISE = "We couldn't take this request. Please contact the store."
_STALLED = "We could not complete this in the shop yet. The store has been told and will get back to you."


def answer_token(store_id: int, request_id: int, key: str | None = None) -> str:
    """The request's token under `key`, by default the current answers' key."""
    key = key or secret_keys_of(current_app).key(Purpose.FORM_ANSWER)
    return hmac.new(key.encode(), f"assay-form-answer:{store_id}:{request_id}".encode(), hashlib.sha256).hexdigest()


def _token_holds(store_id: int, request_id: int, given: str) -> bool:
    """A token made under the current key, or a previous one (a rotation never strands a waiting customer)."""
    keys = secret_keys_of(current_app)
    return any(hmac.compare_digest(answer_token(store_id, request_id, key).encode(), given.encode())
               for key in (keys.key(Purpose.FORM_ANSWER), *keys.previous(Purpose.FORM_ANSWER)))


@answers_bp.get("/forms/woocommerce/<int:store_id>/request/<int:request_id>")
def answer(store_id: int, request_id: int) -> tuple[Response, int]:
    if not _token_holds(store_id, request_id, request.args.get("token") or ""):
        return jsonify(_UNKNOWN), 404
    with storage_of(current_app).sessions() as session:
        event = session.get(Event, request_id)
        if event is None or event.platform != Platform.WOOCOMMERCE.value or event.topic != FORM_TOPIC \
                or event.payload.get("store_id") != store_id:
            return jsonify(_UNKNOWN), 404
        if event.status == EventStatus.FAILED.value:
            code = str(event.error or "").split(":", 1)[0]
            return jsonify(status="refused", request_id=request_id,
                           messages=[_REFUSED.get(code, _REFUSED_OTHERWISE)]), 200
        case_id = event.payload.get("case_id")
        decision = latest_decision(session, int(case_id)) if isinstance(case_id, int) else None
        if decision is None:
            return jsonify(status="pending", request_id=request_id), 200
        document: dict[str, Any] = decision.document
        stalled = any(action.state == ActionState.FAILED.value for action in list_actions(session, decision.case_id))
    refund = document.get("refund") or {}
    messages = list(dict.fromkeys(str(reason.get("message") or "") for reason in document.get("reasons") or ()
                                  if reason.get("message")))
    if stalled:  # its write-back failed and waits for the merchant: promise no refund the shop has not made
        return jsonify(status="decided", request_id=request_id, case_id=case_id, outcome=document.get("outcome"),
                       messages=[*messages, _STALLED], refund_total=None, currency=refund.get("currency"),
                       respond_by=document.get("respond_by")), 200
    return jsonify(status="decided", request_id=request_id, case_id=case_id, outcome=document.get("outcome"),
                   messages=messages, refund_total=refund.get("total"), currency=refund.get("currency"),
                   respond_by=document.get("respond_by")), 200


# POST /forms/woocommerce/<store_id>/request: a customer's request from the storefront, recorded and queued.
#
# The fields are checked here (a 400 names each bad one); the site is not called: a job checks the order.

forms_bp = Blueprint("woocommerce_forms", __name__)
log = logging.getLogger("assay.webhooks")


def _submitted_fields() -> dict[str, list[str]]:
    """The form's fields as lists of strings, whether posted as a form or as a JSON object."""
    if not request.is_json:
        return request.form.to_dict(flat=False)
    sent = parse_json(request.get_data(cache=True), max_depth=2)
    if not isinstance(sent, dict):
        return {}
    fields = {name: [str(item) for item in (value if isinstance(value, list) else [value]) if item is not None]
              for name, value in sent.items()}
    check_request((), [(name, value) for name, values in fields.items() for value in values], None)
    return fields


@forms_bp.post("/forms/woocommerce/<int:store_id>/request")
def ask(store_id: int) -> tuple[Response, int]:
    try:
        form = load_request_form(_submitted_fields())
        with storage_of(current_app).transaction() as session:
            event_id, created = record_form_request(session, store_id, form)
    except FormInvalid as invalid:
        return jsonify(error="invalid_form", fields=invalid.errors, detail=str(invalid)), 400
    except CancelRequestRefused as refused:
        log.info("form.refused", extra={"store_id": store_id, "reason": refused.reason})
        return jsonify(error=refused.reason, detail=str(refused)), refused.status
    if created:
        runner_of(current_app).process_event(event_id, job_id=f"event-{event_id}")
    log.info("form.received", extra={"store_id": store_id, "event_id": event_id, "kind": form.get("kind")})
    token = answer_token(store_id, event_id)  # where the sender (and only they) reads the decision
    return jsonify(status="received", request_id=event_id,
                   answer_url=f"/forms/woocommerce/{store_id}/request/{event_id}?token={token}"), 202
