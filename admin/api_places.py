"""The admin API's listings beside the policy and the cases (policy versions, recent orders, failed events, cases
set aside, customer-data exports), for the principal's store only, as in admin.api."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, jsonify

from admin.api import _error, _store
from admin.auth import current_principal, signed_in
from admin.sample_order import sample_order
from storage.db import storage_of
from storage.repositories import (
    find_policy_version,
    policy_history,
    privacy_exports,
    read_privacy_export,
    set_aside_cases,
)
from storage.repositories.admin_places import failed_events, recent_orders

bp = Blueprint("admin_api_places", __name__, url_prefix="/admin/api")


@bp.get("/policy/versions")
@signed_in
def versions() -> Response:
    with storage_of(current_app).sessions() as session:
        rows = policy_history(session, current_principal().store_id)
        return jsonify(versions=[{"version": row.version, "label": row.label, "created_at": row.created_at.isoformat()}
                                 for row in sorted(rows, key=lambda r: -r.version)])


@bp.get("/policy/versions/<int(bits=32):version>")  # policy_versions.version is an integer column
@signed_in
def one_version(version: int) -> tuple[Response, int] | Response:
    with storage_of(current_app).sessions() as session:
        row = find_policy_version(session, current_principal().store_id, version)
        if row is None:
            return _error(404, "not_found", f"no policy version {version}")
        return jsonify(version=row.version, label=row.label, policy=row.document)


def _order_row(document: dict[str, Any]) -> dict[str, Any]:
    lines = document.get("lines") or []
    return {"id": document.get("id"), "placed_at": document.get("placed_at"), "currency": document.get("currency"),
            "delivered_at": document.get("delivered_at"),
            "lines": [{"id": line.get("id"), "title": line.get("title"), "quantity": line.get("quantity")}
                      for line in lines]}


@bp.get("/orders")
@signed_in
def orders() -> Response:
    with storage_of(current_app).sessions() as session:
        own = [_order_row(dict(row.document)) for row in recent_orders(session, current_principal().store_id)]
    return jsonify(orders=[*own, {**_order_row(sample_order(_store().currency)), "sample": True}])


@bp.get("/events/failed")
@signed_in
def events() -> Response:
    store = _store()
    with storage_of(current_app).sessions() as session:
        return jsonify(events=[{"id": e.id, "topic": e.topic, "received_at": e.received_at.isoformat(),
                                "error": e.error} for e in failed_events(session, store)])


@bp.get("/cases/set-aside")
@signed_in
def cases_set_aside() -> Response:
    """Requests no decision could be made of (their errors say why): the merchant answers them on the platform."""
    with storage_of(current_app).sessions() as session:
        return jsonify(cases=[{"id": c.id, "order_id": c.order_id, "kind": c.kind,
                               "created_at": c.created_at.isoformat(),
                               "set_aside_at": c.set_aside_at.isoformat() if c.set_aside_at else None,
                               "errors": c.errors or []}
                              for c in set_aside_cases(session, current_principal().store_id)])


@bp.get("/privacy/exports")
@signed_in
def exports() -> Response:
    with storage_of(current_app).sessions() as session:
        return jsonify(exports=[{"id": row.id, "customer_id": row.customer_id, "created_at": row.created_at.isoformat()}
                                for row in privacy_exports(session, current_principal().store_id)])


@bp.get("/privacy/exports/<int:export_id>")
@signed_in
def one_export(export_id: int) -> tuple[Response, int] | Response:
    storage = storage_of(current_app)
    with storage.sessions() as session:
        document = read_privacy_export(session, storage.cipher, current_principal().store_id, export_id)
    if document is None:
        return _error(404, "not_found", f"no export {export_id}")
    return jsonify(export=document)
