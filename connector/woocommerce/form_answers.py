"""GET /forms/woocommerce/<store_id>/request/<request_id>?token=…: the answer to a form request, for whoever sent it.

The form's 202 carries the token, HMAC(the answers' key derived from SECRET_KEY, store and request): the
customer's page (the Assay plugin, server side) polls it. A request is checked against the site by a job (no
site is called while the customer waits), so the answer is `pending` until then, `refused` when it matched no
order of the store, and `decided` once its case is: the outcome, the reasons' messages, the refund total and
respond_by — nothing else; no refund total once the decision's write-back failed (the merchant must act first).
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request

from connector.woocommerce.forms import FORM_TOPIC
from storage.db import storage_of
from storage.models import ActionState, Event, EventStatus, Platform
from storage.repositories import latest_decision, list_actions
from storage.secret_key import Purpose, secret_keys_of

bp = Blueprint("woocommerce_form_answers", __name__)

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


@bp.get("/forms/woocommerce/<int:store_id>/request/<int:request_id>")
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
