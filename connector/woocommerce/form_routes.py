"""POST /forms/woocommerce/<store_id>/request: a customer's request from the storefront, checked and queued."""

from __future__ import annotations

import logging

from flask import Blueprint, Response, current_app, jsonify, request

from connector.guard import check_request, parse_json
from connector.intake import CancelRequestRefused
from connector.registry import runner_of
from connector.woocommerce.case_requests import FormInvalid, load_request_form
from connector.woocommerce.form_answers import answer_token
from connector.woocommerce.forms import open_form_case

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
        opened = open_form_case(store_id, form)
    except FormInvalid as invalid:
        return jsonify(error="invalid_form", fields=invalid.errors, detail=str(invalid)), 400
    except CancelRequestRefused as refused:
        log.info("form.refused", extra={"store_id": store_id, "reason": refused.reason})
        return jsonify(error=refused.reason, detail=str(refused)), refused.status
    if opened.created:
        runner_of(current_app).decide(opened.case_id, job_id=f"case-{opened.case_id}")
    token = answer_token(store_id, opened.case_id)  # where the sender (and only they) reads the decision
    return jsonify(status="received", case_id=opened.case_id,
                   answer_url=f"/forms/woocommerce/{store_id}/request/{opened.case_id}?token={token}"), 202
