"""The fake Shopify's in-memory store and the root resolvers graphql-core calls on it.

Only the root fields Assay uses are implemented; everything below them is plain dicts read by
graphql-core's default resolvers. The rules mirror Shopify's documented behaviour closely enough for
Assay's write-back: a cancelled order can't be cancelled again (cancelling refunds what is left of each
payment to it), only REQUESTED returns can be approved or declined and only OPEN ones processed,
refundCreate demands @idempotent and replays a key's first result; money moves as shopify_money keeps it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from graphql import GraphQLError, GraphQLResolveInfo, get_directive_values

from .shopify_money import error, everything_left, record_refund
from .shopify_refunds import create_refund, process_return
from .shopify_seed import Ids, default_shop

CANCEL_COMPLETED_AT = "2026-03-10T12:00:00Z"
Info = GraphQLResolveInfo[Any]


@dataclass
class ShopifyState:
    shop: dict[str, Any] = field(default_factory=default_shop)
    orders: dict[str, dict[str, Any]] = field(default_factory=dict)
    returns: dict[str, dict[str, Any]] = field(default_factory=dict)
    jobs: dict[str, dict[str, Any]] = field(default_factory=dict)
    refunds: list[dict[str, Any]] = field(default_factory=list)
    notifications: list[tuple[str, str]] = field(default_factory=list)  # (what, gid) sent to the customer
    idempotent_results: dict[str, tuple[dict[str, Any], dict[str, Any]]] = field(default_factory=dict)
    ids: Ids = field(default_factory=Ids)
    jobs_finish_after_polls: int = 1


class FakeAdminRoot(dict[str, Any]):
    """Root value for execution: field name -> resolver(info, **arguments)."""

    def __init__(self, state: ShopifyState) -> None:
        self.state = state
        super().__init__({
            "shop": lambda _info: state.shop,
            "order": lambda _info, id: state.orders.get(id),
            "return": lambda _info, id: state.returns.get(id),
            "job": self.job,
            "orderCancel": self.order_cancel,
            "returnApproveRequest": self.return_approve_request,
            "returnDeclineRequest": self.return_decline_request,
            "tagsAdd": self.tags_add,
            "orderUpdate": self.order_update,
            "refundCreate": self.refund_create,
            "returnProcess": lambda _info, input: process_return(state, input),
        })

    def job(self, _info: Info, id: str) -> dict[str, Any] | None:
        job = self.state.jobs.get(id)
        if job is None:
            return None
        job["polls"] += 1
        if job["polls"] >= self.state.jobs_finish_after_polls:
            finish_job(job)
        return {"id": job["id"], "done": job["done"]}

    def order_cancel(self, _info: Info, **args: Any) -> dict[str, Any]:
        order = self.state.orders.get(args["orderId"])
        if order is None:
            return {"job": None, "orderCancelUserErrors": [error(["orderId"], "Order does not exist.", "NOT_FOUND")]}
        if order["cancelledAt"] or order.get("cancelRequested"):
            message = "Cannot cancel an order that has already been canceled."
            return {"job": None, "orderCancelUserErrors": [error(["orderId"], message, "INVALID")]}
        if any(r["order"] is order and r["status"] in ("REQUESTED", "OPEN") for r in self.state.returns.values()):
            message = "Cannot cancel an order with active returns."
            return {"job": None, "orderCancelUserErrors": [error(["orderId"], message, "INVALID")]}
        if len(args.get("staffNote") or "") > 255:
            return {"job": None, "orderCancelUserErrors": [error(["staffNote"], "Staff note is too long", "INVALID")]}
        order["cancelRequested"] = dict(args)

        def finish() -> None:
            order["cancelledAt"] = CANCEL_COMPLETED_AT
            order["cancelReason"] = args["reason"]
            order["cancellation"] = {"staffNote": args.get("staffNote")}
            if (args.get("refundMethod") or {}).get("originalPaymentMethodsRefund") or args.get("refund"):
                record_refund(self.state, order, everything_left(order), via="orderCancel",
                              note=args.get("staffNote"))
            if args.get("notifyCustomer"):
                self.state.notifications.append(("order_cancelled", order["id"]))

        job_gid = self.state.ids.gid("Job")
        self.state.jobs[job_gid] = {"id": job_gid, "done": False, "polls": 0, "on_done": finish}
        return {"job": {"id": job_gid, "done": False}, "orderCancelUserErrors": []}

    def return_approve_request(self, _info: Info, input: dict[str, Any]) -> dict[str, Any]:
        found = self._requested_return(input["id"], "approved")
        if isinstance(found, list):
            return {"return": None, "userErrors": found}
        found["status"] = "OPEN"
        found["requestApprovedAt"] = CANCEL_COMPLETED_AT
        if input.get("notifyCustomer"):
            self.state.notifications.append(("return_approved", found["id"]))
        return {"return": found, "userErrors": []}

    def return_decline_request(self, _info: Info, input: dict[str, Any]) -> dict[str, Any]:
        note = input.get("declineNote")
        if note is not None and len(note) > 500:
            return {"return": None, "userErrors": [error(["input", "declineNote"], "is too long", "TOO_LONG")]}
        found = self._requested_return(input["id"], "declined")
        if isinstance(found, list):
            return {"return": None, "userErrors": found}
        found["status"] = "DECLINED"
        found["decline"] = {"reason": input["declineReason"], "note": note}
        if input.get("notifyCustomer"):
            self.state.notifications.append(("return_declined", found["id"]))
        return {"return": found, "userErrors": []}

    def tags_add(self, _info: Info, id: str, tags: list[str]) -> dict[str, Any]:
        order = self.state.orders.get(id)
        if order is None:
            return {"node": None, "userErrors": [error(["id"], "Order does not exist")]}
        # Shopify also accepts one comma-separated string; tags are unique per order.
        for tag in (t.strip() for raw in tags for t in raw.split(",")):
            if tag and tag not in order["tags"]:
                order["tags"].append(tag)
        return {"node": {"__typename": "Order", **order}, "userErrors": []}

    def order_update(self, _info: Info, input: dict[str, Any]) -> dict[str, Any]:
        order = self.state.orders.get(input["id"])
        if order is None:
            return {"order": None, "userErrors": [error(["id"], "Order does not exist")]}
        for key in ("note", "tags", "email"):
            if key in input:
                order[key] = input[key]
        return {"order": order, "userErrors": []}

    def refund_create(self, info: Info, input: dict[str, Any]) -> dict[str, Any]:
        directive = info.schema.get_directive("idempotent")
        assert directive is not None
        idempotent = get_directive_values(directive, info.field_nodes[0], info.variable_values)
        if not idempotent or not str(idempotent.get("key", "")).strip():
            raise GraphQLError(
                "The @idempotent directive is required for this mutation.", extensions={"code": "BAD_REQUEST"}
            )
        key = str(idempotent["key"])
        if key in self.state.idempotent_results:
            first_input, first_result = self.state.idempotent_results[key]
            if first_input != input:
                raise GraphQLError(
                    "The same idempotency key cannot be used with different operation parameters.",
                    extensions={"code": "IDEMPOTENCY_KEY_PARAMETER_MISMATCH"},
                )
            return first_result
        result = create_refund(self.state, input)
        if not result["userErrors"]:  # Shopify keeps a key's result only when the refund happened
            self.state.idempotent_results[key] = (input, result)
        return result

    def _requested_return(self, return_gid: str, verb: str) -> dict[str, Any] | list[dict[str, Any]]:
        found = self.state.returns.get(return_gid)
        if found is None:
            return [error(["input", "id"], "Return does not exist.", "NOT_FOUND")]
        if found["status"] != "REQUESTED":
            message = f"Return can't be {verb}: only a return with status REQUESTED can be."
            return [error(["input", "id"], message, "INVALID_STATE")]
        return found


def finish_job(job: dict[str, Any]) -> None:
    if not job["done"]:
        job["done"] = True
        job["on_done"]()
