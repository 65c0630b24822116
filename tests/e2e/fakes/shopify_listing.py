"""The fake Shopify's `orders` connection: Shopify's search syntax (the terms Assay sends), sort keys, opaque
cursors that keep their place while orders change, and each order's `updatedAt`, `returnStatus` and `returns`.

Supported search: terms joined by spaces (AND) or ` OR `; `updated_at` / `created_at` with `:`, `:>`, `:>=`,
`:<`, `:<=` and a quoted or bare ISO time; `return_status:<value>` (Order.returnStatus, lower-cased); `status:`
`open` / `cancelled`. Any other term is refused loudly, so a test never passes on a filter the fake ignored.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable
from datetime import datetime
from typing import Any

from graphql import GraphQLError

from .shopify_resolvers import ShopifyState
from .shopify_seed import paged

MAX_PAGE = 250
_TERM = re.compile(r"^(?P<name>[a-z_]+):(?P<op>>=|<=|>|<)?(?P<value>'[^']*'|\"[^\"]*\"|\S+)$")
_RETURN_STATUS = {"REQUESTED": "RETURN_REQUESTED", "OPEN": "IN_PROGRESS", "CLOSED": "RETURNED"}
_SORTS = {"UPDATED_AT": "updatedAt", "CREATED_AT": "createdAt", "ID": "legacyResourceId"}


def install_listing(root: dict[str, Any], state: ShopifyState) -> None:
    """Add the `orders` root field to the fake's resolvers."""
    root["orders"] = orders_resolver(state)


def touch(state: ShopifyState, order_gid: str, at: str) -> None:
    """The order changed in Shopify at `at` (an ISO time): its `updatedAt` moves there."""
    state.orders[order_gid]["updatedAt"] = at


def orders_resolver(state: ShopifyState) -> Callable[..., dict[str, Any]]:
    def resolve(_info: Any, first: int | None = None, after: str | None = None, query: str | None = None,
                sortKey: str = "ID", reverse: bool = False, **unsupported: Any) -> dict[str, Any]:
        if unsupported.get("last") is not None or unsupported.get("before") is not None:
            raise GraphQLError("the fake pages forwards only (first/after)")
        if first is None or not 0 < first <= MAX_PAGE:
            raise GraphQLError(f"you must provide `first`, between 1 and {MAX_PAGE}",
                               extensions={"code": "BAD_REQUEST"})
        matches = _matcher(query or "")
        views = [view for view in (order_view(state, order) for order in state.orders.values()) if matches(view)]
        sort_field = _SORTS[sortKey]
        keyed = sorted(((_sort_value(view, sort_field), view["id"]), view) for view in views)
        if reverse:
            keyed.reverse()
        if after:
            place = _decode(after)
            keyed = [(key, view) for key, view in keyed if (key < place if reverse else key > place)]
        window = keyed[:first]
        edges = [{"cursor": _encode(key), "node": view} for key, view in window]
        return {"nodes": [view for _, view in window], "edges": edges,
                "pageInfo": {"hasNextPage": len(keyed) > first, "hasPreviousPage": bool(after),
                             "startCursor": edges[0]["cursor"] if edges else None,
                             "endCursor": edges[-1]["cursor"] if edges else None}}

    return resolve


def order_view(state: ShopifyState, order: dict[str, Any]) -> dict[str, Any]:
    """The order as a listing shows it, with the fields derived from its returns."""
    returns = [r for r in state.returns.values() if r["order"] is order]
    statuses = {r["status"] for r in returns}
    status = next((_RETURN_STATUS[s] for s in ("REQUESTED", "OPEN", "CLOSED") if s in statuses), "NO_RETURN")
    return {**order, "legacyResourceId": order["id"].rsplit("/", 1)[1], "updatedAt": updated_at(order, returns),
            "returnStatus": status, "returns": paged(returns)}


def updated_at(order: dict[str, Any], returns: list[dict[str, Any]]) -> str:
    """Set by `touch`, else the latest of its creation, cancellation and returns (as Shopify moves it)."""
    if order.get("updatedAt"):
        return str(order["updatedAt"])
    moments = [order["createdAt"], order.get("cancelledAt"), *(r["createdAt"] for r in returns)]
    return max((m for m in moments if m), key=_time)


def _matcher(query: str) -> Callable[[dict[str, Any]], bool]:
    alternatives = [[_term(term) for term in part.split()] for part in query.split(" OR ")]
    return lambda view: any(all(test(view) for test in terms) for terms in alternatives if terms) \
        or not any(alternatives)


def _term(text: str) -> Callable[[dict[str, Any]], bool]:
    found = _TERM.match(text)
    if found is None:
        raise GraphQLError(f"the fake can't search by {text!r}")
    name, op, value = found["name"], found["op"] or "", found["value"].strip("'\"")
    if name in ("updated_at", "created_at"):
        bound, field = _time(value), "updatedAt" if name == "updated_at" else "createdAt"
        compare: dict[str, Callable[[datetime, datetime], bool]] = {
            "": lambda a, b: a == b, ">": lambda a, b: a > b, ">=": lambda a, b: a >= b,
            "<": lambda a, b: a < b, "<=": lambda a, b: a <= b}
        return lambda view: compare[op](_time(view[field]), bound)
    if name == "return_status" and not op:
        return lambda view: str(view["returnStatus"]).lower() == value.lower()
    if name == "status" and value in ("open", "cancelled") and not op:
        return lambda view: bool(view.get("cancelledAt")) == (value == "cancelled")
    raise GraphQLError(f"the fake can't search by {text!r}")


def _sort_value(view: dict[str, Any], field: str) -> str:
    if field == "legacyResourceId":
        return f"{int(view[field]):020d}"
    return _time(view[field]).isoformat()


def _time(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _encode(key: tuple[str, str]) -> str:
    return base64.urlsafe_b64encode(json.dumps(list(key)).encode()).decode()


def _decode(cursor: str) -> tuple[str, str]:
    try:
        value, gid = json.loads(base64.urlsafe_b64decode(cursor.encode()))
    except (ValueError, TypeError):
        raise GraphQLError(f"Invalid cursor for current pagination sort: {cursor!r}") from None
    return str(value), str(gid)
