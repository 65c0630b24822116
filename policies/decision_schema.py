"""The decision document (contract.md) out, and its per-line verdict back in."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from marshmallow import Schema, fields

from policies.decision import Decision, LineOutcome, ReasonOut
from policies.fields import Instant
from policies.policy import Outcome


class ReasonSchema(Schema):
    code = fields.String()
    message = fields.String()
    lines = fields.Raw()  # a tuple of line ids, already strings: JSON writes it as an array


class LineOutcomeSchema(Schema):
    line_id = fields.String()
    outcome = fields.String()  # an Outcome, which is a str enum


class RefundLineSchema(Schema):
    line_id = fields.String()
    quantity = fields.Integer()
    amount = fields.String()
    tax = fields.String()


class RefundSchema(Schema):
    currency = fields.String()
    items = fields.String()
    shipping = fields.String()
    tax = fields.String()
    fees = fields.String()
    total = fields.String()
    to_gift_card = fields.String()
    lines = fields.Nested(RefundLineSchema, many=True)
    shipping_tax = fields.String()


class DecisionSchema(Schema):
    outcome = fields.String()
    reasons = fields.Nested(ReasonSchema, many=True)
    lines = fields.Nested(LineOutcomeSchema, many=True)
    refund = fields.Nested(RefundSchema, allow_none=True)
    respond_by = Instant(allow_none=True)
    resolve_by = Instant(allow_none=True)
    policy_version = fields.String()
    judged_as = fields.String()  # a Kind, which is a str enum


_SCHEMA = DecisionSchema()


def dump_decision(decision: Decision) -> dict[str, Any]:
    document: dict[str, Any] = _SCHEMA.dump(decision)
    return document


def dump_decisions(decisions: list[Decision]) -> list[dict[str, Any]]:
    documents: list[dict[str, Any]] = _SCHEMA.dump(decisions, many=True)
    return documents


def load_verdict(document: Mapping[str, Any]) -> tuple[tuple[LineOutcome, ...], tuple[ReasonOut, ...]]:
    """A stored decision's outcome per line and its reasons, as the engine gave them."""
    lines = tuple(LineOutcome(str(entry["line_id"]), Outcome(entry["outcome"]))
                  for entry in document.get("lines") or ())
    reasons = tuple(ReasonOut(str(entry["code"]), str(entry["message"]), tuple(str(i) for i in entry["lines"] or ()))
                    for entry in document.get("reasons") or ())
    return lines, reasons
