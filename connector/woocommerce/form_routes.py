"""POST /forms/woocommerce/<store_id>/request: a customer's request from the storefront, recorded and queued.

The fields are checked here (a 400 names each bad one); the site is not called: a job checks the order."""

from __future__ import annotations

import logging

from flask import Blueprint, Response, current_app, jsonify, request

from connector.case_opening import CancelRequestRefused
from connector.guard import check_request, parse_json
from connector.registry import runner_of
from connector.woocommerce.case_requests import FormInvalid, load_request_form
from connector.woocommerce.form_answers import answer_token
from connector.woocommerce.forms import record_form_request
from storage.db import storage_of

bp = Blueprint("woocommerce_forms", __name__)
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


@bp.post("/forms/woocommerce/<int:store_id>/request")
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
