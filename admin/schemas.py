"""The admin API's inputs, as marshmallow documents: every error names the field and the rule."""

from __future__ import annotations

from marshmallow import EXCLUDE, RAISE, Schema, fields, validate

from connector.guard import MAX_ID
from policies.fields import Instant, between

OUTCOMES = ("approve", "decline", "review")
KINDS = ("cancel", "return", "claim", "warranty")
STATUSES = ("open", "decided", "closed", "set_aside")


class CaseQuery(Schema):
    class Meta:
        unknown = EXCLUDE  # cache-busting parameters and the like are not errors

    outcome = fields.String(validate=validate.OneOf(OUTCOMES), load_default=None)
    kind = fields.String(validate=validate.OneOf(KINDS), load_default=None)
    status = fields.String(validate=validate.OneOf(STATUSES), load_default=None)
    # Years 1970 to 2200, as in every document: a time past the calendar's end can't be compared in UTC.
    created_from = Instant(data_key="from", load_default=None)
    created_to = Instant(data_key="to", load_default=None)
    order = fields.String(validate=validate.Length(min=1, max=64), load_default=None)
    cursor = fields.Integer(validate=between(1, MAX_ID), load_default=None)  # a case id: a bigint
    limit = fields.Integer(validate=validate.Range(min=1, max=100), load_default=25)


class ReviewAnswer(Schema):
    class Meta:
        unknown = RAISE

    note = fields.String(validate=validate.Length(max=2000), load_default=None, allow_none=True)


class PolicyBody(Schema):
    class Meta:
        unknown = RAISE

    policy = fields.Dict(required=True)


class TryIt(Schema):
    class Meta:
        unknown = RAISE

    policy = fields.Dict(required=True)
    order_id = fields.String(required=True, validate=validate.Length(min=1, max=255))
    request = fields.Dict(required=True)
