"""The admin JSON API under /admin/api/, for the signed-in store only: every route reads its store from the
principal (admin.auth), so another store's case or write-back is a 404, as an id that does not exist."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request
from marshmallow import Schema, ValidationError

from admin.auth import COOKIE, current_principal, signed_in
from admin.case_documents import action_view, case_row, decision_view
from admin.merchant_words import errors_by_field, policy_errors
from admin.sample_order import SAMPLE_ID, sample_order
from admin.schemas import CaseQuery, PolicyBody, ReviewAnswer, TryIt
from connector.guard import InputRefused
from jobs.actions import perform_action
from jobs.cases import decide_waiting_cases
from jobs.queue import job_id_for, queue_of
from jobs.reviews import ReviewRefused, answer_review
from policies.batch import CaseError, decide_document
from policies.fields import flatten_errors
from policies.policy_schema import load_policy
from policies.presets import preset, preset_document, preset_names
from policies.published_text import policy_markdown, policy_text
from storage.db import storage_of
from storage.models import ActionState, Store
from storage.repositories import InvalidPolicy, current_policy_version, find_order_snapshot, list_actions, set_policy
from storage.repositories.admin_access import csrf_token_for, end_admin_session
from storage.repositories.admin_queries import (
    CaseFilter,
    CaseLine,
    cases_page,
    decisions_of,
    failed_actions,
    retry_failed_action,
    review_queue,
    store_action,
    store_case,
    weekly_outcomes,
)

bp = Blueprint("admin_api", __name__, url_prefix="/admin/api")

PRESET_DESCRIPTIONS = {
    "passione-kustom": "Made-to-order pieces: no change-of-mind returns; damage and faults are looked at.",
    "pandorana": "Every request is answered by a person within 24 business hours.",
    "five-elements-link": "No returns for a change of mind; damage reported within 7 days, with photos.",
    "pristine-crystals": "Cancel within 24 hours; returns within 14 days; sale and personalised items final.",
    "kestia": "30-day returns in original condition; 14 working days to cancel after receipt (UK/EU).",
}


def _error(status: int, reason: str, detail: str, **more: Any) -> tuple[Response, int]:
    return jsonify(error=reason, detail=detail, **more), status


def _load(schema: Schema, data: Any) -> dict[str, Any]:
    loaded: dict[str, Any] = schema.load(data if data is not None else {})
    return loaded


@bp.errorhandler(ValidationError)
def _invalid(error: ValidationError) -> tuple[Response, int]:
    return _error(422, "invalid_request", "see `errors`", errors=errors_by_field(flatten_errors(error.messages)))


@bp.errorhandler(InputRefused)
def _refused(refused: InputRefused) -> tuple[Response, int]:
    """A body the input guard refused (not JSON, too deep, text storage can't keep), in the API's error shape."""
    return _error(refused.status, refused.reason, str(refused), errors=errors_by_field([f"{refused.field}: "
                                                                                        f"{refused.rule}"]))


def _store() -> Store:
    with storage_of(current_app).sessions() as session:
        return session.get_one(Store, current_principal().store_id)


# --- Who is signed in -------------------------------------------------------------------------------------

@bp.get("/session")
@signed_in
def whoami() -> Response:
    principal, store = current_principal(), _store()
    secret = request.cookies.get(COOKIE)
    csrf = csrf_token_for(secret) if principal.via == "login_session" and secret else None
    return jsonify(store={"id": store.id, "platform": store.platform, "domain": store.domain,
                          "country": store.country, "timezone": store.timezone, "currency": store.currency},
                   person=principal.person, csrf_token=csrf)


@bp.post("/logout")
@signed_in
def logout() -> Response:
    secret = request.cookies.get(COOKIE)
    if secret:
        with storage_of(current_app).transaction() as session:
            end_admin_session(session, secret)
    answer = jsonify(status="signed_out")
    answer.delete_cookie(COOKIE, path="/admin", secure=True, httponly=True, samesite="Lax")
    return answer


# --- The policy -------------------------------------------------------------------------------------------

@bp.get("/policy")
@signed_in
def read_policy() -> Response:
    with storage_of(current_app).sessions() as session:
        row = current_policy_version(session, current_principal().store_id)
    if row is None:
        return jsonify(policy=None, version=None, label=None)
    return jsonify(policy=row.document, version=row.version, label=row.label)


@bp.post("/policy/validate")
@signed_in
def validate_policy() -> Response:
    errors = policy_errors(_load(PolicyBody(), request.get_json(silent=True))["policy"])
    return jsonify(valid=not errors, errors=errors)


@bp.put("/policy")
@signed_in
def save_policy() -> tuple[Response, int]:
    document = _load(PolicyBody(), request.get_json(silent=True))["policy"]
    errors = policy_errors(document)
    if errors:
        return _error(422, "invalid_policy", "the policy was not saved; see `errors`", errors=errors)
    store_id = current_principal().store_id
    try:
        with storage_of(current_app).transaction() as session:
            row = set_policy(session, store_id, document)
            version, label = row.version, row.label
    except InvalidPolicy as invalid:
        return _error(422, "invalid_policy", "the policy was not saved; see `errors`",
                      errors=errors_by_field(invalid.errors))
    queue_of(current_app).enqueue(decide_waiting_cases, store_id, version,
                                  job_id=f"waiting-{store_id}-policy-{version}")
    return jsonify(version=version, label=label), 201


@bp.get("/presets")
@signed_in
def presets() -> Response:
    return jsonify(presets=[{"name": name, "description": PRESET_DESCRIPTIONS.get(name, ""),
                             "policy": preset_document(name)} for name in preset_names()])


@bp.post("/policy/text")
@signed_in
def policy_text_of() -> tuple[Response, int] | Response:
    """The customer-facing text of a policy: the body's unsaved document, or the saved one when none is sent."""
    body = request.get_json(silent=True)
    if body is None:
        with storage_of(current_app).sessions() as session:
            row = current_policy_version(session, current_principal().store_id)
        if row is None:
            return _error(404, "no_policy", "the store has no policy yet")
        document: Any = row.document
    else:
        document = _load(PolicyBody(), body)["policy"]
        errors = policy_errors(document)
        if errors:
            return _error(422, "invalid_policy", "see `errors`", errors=errors)
        document = {"version": 1, **document}
    policy = load_policy(document)
    return jsonify(markdown=policy_markdown(policy),
                   sections=[{"heading": s.heading, "paragraphs": list(s.paragraphs)} for s in policy_text(policy)])


@bp.get("/presets/<name>/text")
@signed_in
def preset_text(name: str) -> tuple[Response, int] | Response:
    policy = preset(name)
    if policy is None:
        return _error(404, "not_found", f"no preset {name}")
    return jsonify(markdown=policy_markdown(policy))


# --- Cases ------------------------------------------------------------------------------------------------

@bp.get("/cases")
@signed_in
def cases() -> Response:
    query = _load(CaseQuery(), request.args.to_dict())
    where = CaseFilter(query["outcome"], query["kind"], query["status"], query["created_from"],
                       query["created_to"], query["order"])
    with storage_of(current_app).sessions() as session:
        rows, cursor = cases_page(session, current_principal().store_id, where, before_id=query["cursor"],
                                  limit=query["limit"])
        return jsonify(cases=[case_row(line) for line in rows], next_cursor=cursor)


@bp.get("/cases/<int:case_id>")
@signed_in
def one_case(case_id: int) -> tuple[Response, int] | Response:
    with storage_of(current_app).sessions() as session:
        case = store_case(session, current_principal().store_id, case_id)
        if case is None:
            return _error(404, "not_found", f"no case {case_id}")
        decisions = decisions_of(session, case_id)
        return jsonify(case=case_row(CaseLine.of(case)),
                       request=case.document.get("request"), order=case.document.get("order"),
                       decision=decision_view(decisions[-1]) if decisions else None,
                       history=[decision_view(d) for d in decisions],
                       actions=[action_view(a) for a in list_actions(session, case_id)])


# --- The review queue -------------------------------------------------------------------------------------

@bp.get("/reviews")
@signed_in
def reviews() -> Response:
    with storage_of(current_app).sessions() as session:
        rows = review_queue(session, current_principal().store_id)
        return jsonify(reviews=[{**case_row(row.case), "respond_by": row.respond_by, "reasons": row.reasons}
                                for row in rows])


@bp.post("/reviews/<int:case_id>/<any(approve, decline):answer>")
@signed_in
def answer(case_id: int, answer: str) -> tuple[Response, int]:
    body = _load(ReviewAnswer(), request.get_json(silent=True))
    principal = current_principal()
    try:
        answered = answer_review(principal.store_id, case_id, answer, body["note"], principal.person)
    except ReviewRefused as refused:
        return _error(refused.status, refused.reason, str(refused))
    return jsonify(decision=answered.decision, decided_by=answered.decided_by, decided_at=answered.decided_at,
                   note=answered.note, recorded=answered.recorded), 201 if answered.recorded else 200


# --- Write-backs that failed ------------------------------------------------------------------------------

@bp.get("/write-backs/failed")
@signed_in
def failed() -> Response:
    with storage_of(current_app).sessions() as session:
        return jsonify(write_backs=[action_view(a) for a in failed_actions(session, current_principal().store_id)])


@bp.post("/write-backs/<int:action_id>/retry")
@signed_in
def retry(action_id: int) -> tuple[Response, int]:
    with storage_of(current_app).transaction() as session:
        action = store_action(session, current_principal().store_id, action_id, lock=True)
        if action is None:
            return _error(404, "not_found", f"no write-back {action_id}")
        if action.state != ActionState.FAILED.value:
            return _error(409, "not_failed", f"write-back {action_id} is {action.state}")
        retry_failed_action(action)
        key, attempts = action.idempotency_key, action.attempts
    queue_of(current_app).enqueue(perform_action, key, job_id=job_id_for("action-retry", f"{key}:{attempts}"))
    return jsonify(status="queued", id=action_id), 202


# --- The summary ------------------------------------------------------------------------------------------

@bp.get("/summary")
@signed_in
def summary() -> Response:
    with storage_of(current_app).sessions() as session:
        return jsonify(weeks=weekly_outcomes(session, current_principal().store_id))


# --- Try it: an unsaved policy against a real order, nothing stored ---------------------------------------

@bp.post("/try")
@signed_in
def try_it() -> tuple[Response, int] | Response:
    body = _load(TryIt(), request.get_json(silent=True))
    errors = policy_errors(body["policy"])
    if errors:
        return _error(422, "invalid_policy", "see `errors`", errors=errors)
    store = _store()
    if body["order_id"] == SAMPLE_ID:  # the page's sample order, for a store with none of its own yet
        order: dict[str, Any] | None = sample_order(store.currency)
    else:
        with storage_of(current_app).sessions() as session:
            snapshot = find_order_snapshot(session, store.id, body["order_id"])
            order = None if snapshot is None else dict(snapshot.document)
    if order is None:
        return _error(404, "not_found", f"no order {body['order_id']}")
    case = {"policy": {"version": 1, **body["policy"]}, "store": {"country": store.country, "timezone": store.timezone},
            "order": order, "request": body["request"]}
    try:
        decision = decide_document(case)
    except CaseError as invalid:
        return _error(422, "invalid_request", "see `errors`", errors=errors_by_field(invalid.errors))
    return jsonify(decision=decision, stored=False)
