"""GET /forms/woocommerce/<store_id>/request/<case_id>?token=…: the decision on a form request, for whoever sent it.

The form's 202 carries the token, HMAC(SECRET_KEY, store and case): the customer's page (the Assay plugin, server
side) polls it until the case is decided. Nothing but the customer's own answer is told: outcome, the reasons'
messages, the refund total and respond_by.
"""

from __future__ import annotations

import hashlib
import hmac

from flask import Blueprint, Response, current_app, jsonify, request

from storage.db import storage_of
from storage.repositories import get_case, latest_decision

bp = Blueprint("woocommerce_form_answers", __name__)


def answer_token(store_id: int, case_id: int) -> str:
    key = str(current_app.config["SECRET_KEY"]).encode()
    return hmac.new(key, f"assay-form-answer:{store_id}:{case_id}".encode(), hashlib.sha256).hexdigest()


@bp.get("/forms/woocommerce/<int:store_id>/request/<int:case_id>")
def answer(store_id: int, case_id: int) -> tuple[Response, int]:
    given = request.args.get("token") or ""
    if not hmac.compare_digest(answer_token(store_id, case_id).encode(), given.encode()):
        return jsonify(error="unknown_request", detail="no request of yours has this number"), 404
    with storage_of(current_app).sessions() as session:
        case = get_case(session, case_id)
        decision = latest_decision(session, case_id) if case is not None and case.store_id == store_id else None
        if case is None or case.store_id != store_id:
            return jsonify(error="unknown_request", detail="no request of yours has this number"), 404
        if decision is None:
            return jsonify(status="pending", case_id=case_id), 200
        document = decision.document
    refund = document.get("refund") or {}
    return jsonify(status="decided", case_id=case_id, outcome=document.get("outcome"),
                   messages=list(dict.fromkeys(str(reason.get("message") or "") for reason in document.get("reasons")
                                               or () if reason.get("message"))),
                   refund_total=refund.get("total"), currency=refund.get("currency"),
                   respond_by=document.get("respond_by")), 200
