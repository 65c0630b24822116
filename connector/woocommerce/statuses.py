"""Order statuses as requests: WooCommerce has no return or cancellation request, plugins add statuses for them.

A store's mapping says which statuses are requests of which kind, and which status a decision leaves the
order in. Without one, the defaults below cover the common plugins. Statuses are the REST API's slugs,
without the "wc-" prefix WordPress stores them with ("cancel-request", not "wc-cancel-request").

Which statuses say the parcel has arrived: WooCommerce core has no delivery date, but shipment-tracking
plugins (Advanced Shipment Tracking, TrackShip) move an order to "delivered" when the carrier reports it. The
moment Assay sees an order move into one is its delivery date, which "from receipt" windows count from.

What a decision sets, by default (for the kind the request was judged under, connector/woocommerce/actions.py):
- an approved cancel: `cancelled` (always; contract.md). A statutory cancel of a delivered order is judged as
  a return and takes a return's status.
- a declined cancel: the status the order had before the request ("previous"), when Assay saw it. Moving
  back to processing or on-hold sends the customer no email.
- an approved or declined return, claim or warranty: nothing; the order keeps its request status for the
  merchant's return plugin to carry on. Moving back to `completed` would send the "order complete" email
  again, so it is left to the store's mapping (for example "return-declined" from its plugin).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate, validates_schema

from connector.woocommerce.errors import WooCommercePayloadError
from policies.fields import flatten_errors

KINDS = ("cancel", "return", "claim", "warranty")
DECIDED = ("approve", "decline")
PREVIOUS = "previous"  # a status_after value: back to where the order was before the request
CANCELLED = "cancelled"
# Once an order is in one of these, nothing is left to decide for it.
ENDED_STATUSES = frozenset({"cancelled", "refunded", "failed", "trash"})

DEFAULT_REQUEST_STATUSES: dict[str, str] = {
    # "Cancel order request" plugins
    "cancel-request": "cancel",
    "cancel-requested": "cancel",
    "cancellation-request": "cancel",
    "request-cancel": "cancel",
    # RMA / return and refund request plugins
    "return-requested": "return",
    "return-request": "return",
    "refund-requested": "return",
    "refund-request": "return",
    "exchange-requested": "return",
    "exchange-request": "return",
    "claim-requested": "claim",
    "damage-claim": "claim",
    "warranty-requested": "warranty",
    "warranty-claim": "warranty",
}
DEFAULT_DELIVERED_STATUSES = frozenset({"delivered"})
DEFAULT_STATUS_AFTER: dict[str, dict[str, str | None]] = {
    "cancel": {"decline": PREVIOUS},
    "return": {"approve": None, "decline": None},
    "claim": {"approve": None, "decline": None},
    "warranty": {"approve": None, "decline": None},
}

_SLUG = re.compile(r"[a-z0-9][a-z0-9_-]{0,39}")


def status_slug(status: str) -> str:
    """The REST API's form of a status: lower case, without WordPress's "wc-" prefix."""
    text = status.strip().lower()
    return text.removeprefix("wc-")


class _Slug(fields.String):
    def _deserialize(self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kw: Any) -> str:
        text = status_slug(super()._deserialize(value, attr, data, **kw))
        if not _SLUG.fullmatch(text):
            raise ValidationError(f"must be an order status slug such as \"return-requested\", got {value!r}")
        return text


class _StatusAfter(Schema):
    class Meta:
        unknown = EXCLUDE

    approve = _Slug(allow_none=True)
    decline = _Slug(allow_none=True)


class _MappingSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    # A status mapped to null is not a request at this store, even if a default says so.
    requests = fields.Dict(keys=_Slug(), values=fields.String(allow_none=True, validate=validate.OneOf(
        KINDS, error="must be one of cancel, return, claim, warranty or null, got {input!r}")), load_default=dict)
    status_after = fields.Dict(keys=fields.String(validate=validate.OneOf(
        KINDS, error="must be one of cancel, return, claim, warranty, got {input!r}")),
        values=fields.Nested(_StatusAfter), load_default=dict)
    # Replaces the default list: [] says no status at this store means delivered.
    delivered = fields.List(_Slug(), load_default=None)

    @validates_schema(skip_on_field_errors=True)
    def check_delivered(self, data: dict[str, Any], **kw: Any) -> None:
        requests = {**DEFAULT_REQUEST_STATUSES, **data["requests"]}
        both = sorted(status for status in data["delivered"] or () if requests.get(status) is not None)
        if both:
            raise ValidationError(f"{', '.join(both)} can't mean delivered: already a request status", "delivered")


@dataclass(frozen=True)
class StatusMapping:
    """Which statuses are requests (status -> kind), and the status each decision leaves the order in."""

    requests: Mapping[str, str]
    status_after: Mapping[str, Mapping[str, str | None]]
    delivered: frozenset[str] = DEFAULT_DELIVERED_STATUSES

    def request_kind(self, status: str) -> str | None:
        return self.requests.get(status_slug(status))

    def means_delivered(self, status: str) -> bool:
        return status_slug(status) in self.delivered

    def status_after_decision(self, kind: str, outcome: str, previous: str | None) -> str | None:
        """The status to set once decided, or None to leave it; `previous` is the status before the request."""
        if kind == "cancel" and outcome == "approve":
            return CANCELLED
        chosen = self.status_after.get(kind, {}).get(outcome)
        if chosen == PREVIOUS:
            return previous if previous and self.request_kind(previous) is None else None
        return chosen

    def document(self) -> dict[str, Any]:
        return {"requests": dict(self.requests),
                "status_after": {kind: dict(after) for kind, after in self.status_after.items()},
                "delivered": sorted(self.delivered)}


def load_status_mapping(document: Mapping[str, Any] | None) -> StatusMapping:
    """A store's mapping over the defaults; raises WooCommercePayloadError naming every bad entry."""
    try:
        loaded = _MappingSchema().load(document or {})
    except ValidationError as error:
        raise WooCommercePayloadError("status mapping", flatten_errors(error.messages)) from None
    requests = {**DEFAULT_REQUEST_STATUSES, **loaded["requests"]}
    status_after = {kind: {**DEFAULT_STATUS_AFTER[kind], **loaded["status_after"].get(kind, {})} for kind in KINDS}
    return StatusMapping(
        requests={status: kind for status, kind in requests.items() if kind is not None},
        status_after=status_after,
        delivered=DEFAULT_DELIVERED_STATUSES if loaded["delivered"] is None else frozenset(loaded["delivered"]),
    )
