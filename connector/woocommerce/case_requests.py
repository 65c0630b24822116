"""A customer's request on WooCommerce -> the contract's `request` document: from a request status, or the form.

A request status carries no reason, lines or photos: a cancel is for the whole order, a return, claim or
warranty for every line, with the kind's usual reason. Only the storefront form can say more.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate

from connector.case_parts import instant
from connector.woocommerce.schemas import WooOrder
from connector.woocommerce.statuses import KINDS
from policies.case import Reason
from policies.fields import flatten_errors

# What a request status means when it cannot say why: a return is a change of mind by definition.
STATUS_REASONS: dict[str, str | None] = {"cancel": None, "return": "changed_mind", "claim": "other",
                                         "warranty": "defective"}
NOTE_LIMIT = 1000
PHOTO_LIMIT = 20


def status_request_key(order: WooOrder) -> str:
    """One case per time the order moved into a request status; the modification time tells the times apart."""
    modified = instant(order.modified_at) or "unknown"
    return f"status:{order.id}:{order.status}:{modified}"


def request_from_status(order: WooOrder, kind: str, order_document: Mapping[str, Any]) -> dict[str, Any]:
    """The request an order in a request status stands for, asked when the status was set."""
    return {
        "kind": kind,
        "submitted_at": instant(order.modified_at or order.data["date_created_gmt"]),
        "reason": STATUS_REASONS[kind],
        "lines": [] if kind == "cancel" else _every_line(order_document),
        "evidence": {"photos": 0},
        "note": "",
    }


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


def load_request_form(form: Mapping[str, list[str]]) -> dict[str, Any]:
    """The storefront form's fields (each a list of values, as posted); raises FormInvalid naming each bad one."""
    values: dict[str, Any] = {name: [v.strip() for v in found] if name == "line_id" else found[-1].strip()
                              for name, found in form.items() if found}
    if "order_number" in values:
        values["order_number"] = values["order_number"].lstrip("#")
    for name in ("reason", "note", "photos", "line_id"):
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
    lines = _every_line(order_document)
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


def _every_line(order_document: Mapping[str, Any]) -> list[dict[str, Any]]:
    return [{"line_id": line["id"], "quantity": line["quantity"], "condition": None}
            for line in order_document["lines"]]
