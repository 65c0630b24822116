"""A local fake of Shopify's Admin GraphQL API (2026-07) that validates and executes against the real schema.

It serves POST /admin/api/2026-07/graphql.json on 127.0.0.1, checks X-Shopify-Access-Token, answers
invalid documents the way Shopify does (HTTP 200 with `errors`), keeps a leaky-bucket cost budget
reported in `extensions.cost` (one bucket per shop the Host header names, refilling in real time), records
every request, and can be told to fail the next requests (THROTTLED, 429, 5xx, or hanging past the client's
timeout) for retry tests.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

from graphql import DocumentNode, GraphQLError, OperationDefinitionNode, execute_sync, parse, validate
from support import shop_routes
from support.shopify_cost import requested_query_cost
from support.shopify_schema import API_VERSION, admin_schema
from werkzeug.wrappers import Request, Response

from .server import LocalServer
from .shopify_listing import install_listing
from .shopify_money import Part, payments, record_refund
from .shopify_resolvers import FakeAdminRoot, ShopifyState, finish_job
from .shopify_seed import SeededOrder, build_order, build_return

Fault = Literal["throttled", "429", "5xx", "hang", "hang_after_execute"]
MAX_SINGLE_QUERY_COST = 1000
MAX_CHECKED_DOCUMENTS = 512
THROTTLED = {"message": "Throttled", "extensions": {"code": "THROTTLED",
                                                  "documentation": "https://shopify.dev/api/usage/rate-limits"}}


@dataclass(frozen=True)
class Recorded:
    """One request as the fake saw and answered it."""

    operation_name: str | None
    query: str
    variables: dict[str, Any]
    host: str
    status: int
    fault: str | None
    response: dict[str, Any]

    @property
    def executed(self) -> bool:
        return self.fault in (None, "hang_after_execute") and self.status == 200 and "data" in self.response


@dataclass
class _PlannedFault:
    kind: Fault
    status: int
    retry_after: float
    operation: str | None = None  # only a request for this operation takes the fault


class ThrottleBucket:
    """Shopify's leaky bucket: requests spend their cost, the bucket refills at restore_rate per second of wall
    time (plus whatever a test's injected sleeps add through `clock`)."""

    def __init__(self, maximum_available: float = 2000.0, restore_rate: float = 100.0,
                 clock: _Clock | None = None) -> None:
        self.maximum_available = maximum_available
        self.restore_rate = restore_rate
        self._clock = clock or _Clock()
        self._available = maximum_available
        self._updated = self.now()
        self.spent = 0.0  # every point charged, for throughput measurements

    def now(self) -> float:
        return self._clock.now()

    def advance(self, seconds: float) -> None:
        self._clock.offset += seconds

    def available(self) -> float:
        now = self.now()
        self._available = min(self.maximum_available, self._available + (now - self._updated) * self.restore_rate)
        self._updated = now
        return self._available

    def set_available(self, points: float) -> None:
        self.available()
        self._available = points

    def try_spend(self, cost: int) -> bool:
        if self.available() < cost:
            return False
        self._available -= cost
        self.spent += cost
        return True

    def status(self, available: float | None = None) -> dict[str, float]:
        return {"maximumAvailable": self.maximum_available,
                "currentlyAvailable": round(self.available() if available is None else available, 1),
                "restoreRate": self.restore_rate}


class _Clock:
    """Monotonic time plus the seconds a test's injected sleeps moved it on; shared by a fake's buckets."""

    def __init__(self) -> None:
        self.offset = 0.0

    def now(self) -> float:
        return time.monotonic() + self.offset


class FakeShopify:
    """One shop's Admin API on a free local port; `reset()` between tests."""

    def __init__(self, shop_domain: str = "assay-test.myshopify.com", access_token: str = "shpat_fake_token", *,
                 maximum_available: float = 2000.0, restore_rate: float = 100.0) -> None:
        self.shop_domain = shop_domain
        self.access_token = access_token
        self.maximum_available, self.restore_rate = maximum_available, restore_rate  # each shop's bucket
        self.schema = admin_schema()
        # A query's text -> its parsed document and validation errors: the clients send the same constant documents
        # over and over, and validating each against the Admin schema again cost more CPU than the work it asks.
        self._checked: dict[str, tuple[DocumentNode | None, list[dict[str, Any]]]] = {}
        self.hang_seconds = 5.0
        self._lock = threading.RLock()
        self._release = threading.Event()
        self._http = LocalServer(self._wsgi, "fake-shopify")
        self.reset()

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self._http.port}"

    @property
    def graphql_url(self) -> str:
        return f"{self.origin}/admin/api/{API_VERSION}/graphql.json"

    def start(self) -> FakeShopify:
        self._http.start()
        shop_routes.route(self.shop_domain, self.origin)
        return self

    def stop(self) -> None:
        self._release.set()
        self._http.stop()
        shop_routes.unroute(self.shop_domain, self.origin)

    def reset(self) -> None:
        with self._lock:
            self._release.set()  # let hanging handlers finish
            self._release = threading.Event()
            self.state = ShopifyState()
            self._clock = _Clock()
            self.buckets: dict[str, ThrottleBucket] = {}  # by shop domain: Shopify's limit is per app and store
            self.bucket = self.bucket_of(self.shop_domain)
            self.requests: list[Recorded] = []
            self._faults: deque[_PlannedFault] = deque()
            self._root = FakeAdminRoot(self.state)
            install_listing(self._root, self.state)  # the reconciliation's `orders` search (shopify_listing.py)

    # --- Seeding and inspecting ------------------------------------------------------------------

    def seed_order(self, order: Mapping[str, Any] | None = None, **overrides: Any) -> SeededOrder:
        """An order from a contract-style `order` spec (see shopify_seed); returns its gids."""
        with self._lock:
            built, seeded = build_order({**(order or {}), **overrides}, self.state.ids)
            self.state.orders[seeded.gid] = built
            return seeded

    def seed_return(
        self, order: SeededOrder, lines: Sequence[Mapping[str, Any]] = ({},), status: str = "REQUESTED"
    ) -> str:
        """A return on a seeded order; each line: line_gid, quantity, reason (handle), customer_note."""
        with self._lock:
            built = build_return(self.state.orders[order.gid], order, lines, status, self.state.ids)
            self.state.returns[built["id"]] = built
            return str(built["id"])

    def refund_by_staff(self, order: SeededOrder, amount: str, gateway: str | None = None) -> dict[str, Any]:
        """Staff refund `amount` in Shopify's admin, from the card (or the payment through `gateway`)."""
        with self._lock:
            placed = self.state.orders[order.gid]
            paid_with = [p for p in payments(placed) if gateway is None or p["gateway"] == gateway]
            chosen = paid_with[-1]  # the card, paid after any gift card
            return record_refund(self.state, placed, [Part(chosen["id"], Decimal(amount))], via="admin", note=None)

    def order(self, gid: str) -> dict[str, Any]:
        return self.state.orders[gid]

    def return_(self, gid: str) -> dict[str, Any]:
        return self.state.returns[gid]

    def operations(self, name: str | None = None) -> list[Recorded]:
        """Requests that were executed (not faulted or rejected), optionally one operation's."""
        return [r for r in self.requests if r.executed and (name is None or r.operation_name == name)]

    def finish_jobs(self) -> None:
        """Run every pending background job to the end, as Shopify does whether or not anyone polls."""
        with self._lock:
            for job in self.state.jobs.values():
                finish_job(job)

    # --- Faults and throttling -------------------------------------------------------------------

    def fail_next(
        self, count: int, fault: Fault, *, status: int = 503, retry_after: float = 1.0, operation: str | None = None
    ) -> None:
        """Answer the next `count` authorised requests (of `operation`) with `fault`; `hang_after_execute` runs them."""
        with self._lock:
            self._faults.extend(_PlannedFault(fault, status, retry_after, operation) for _ in range(count))

    def release_hanging(self) -> None:
        """Let every request hanging now answer at once: a test acts while one is in flight, then lets it go."""
        with self._lock:
            self._release.set()
            self._release = threading.Event()

    def clear_faults(self) -> None:
        """Forget the faults planned and not yet taken: the shop answers normally again."""
        with self._lock:
            self._faults.clear()

    def advance_clock(self, seconds: float) -> None:
        """Move the buckets' clock, as a test's injected sleep does, so they refill without waiting."""
        with self._lock:
            self._clock.offset += seconds

    def bucket_of(self, shop_domain: str) -> ThrottleBucket:
        """The shop's own bucket (made full on its first request); requests name their shop in the Host header."""
        with self._lock:
            if shop_domain not in self.buckets:
                self.buckets[shop_domain] = ThrottleBucket(self.maximum_available, self.restore_rate, self._clock)
            return self.buckets[shop_domain]

    # --- HTTP ------------------------------------------------------------------------------------

    def _wsgi(self, environ: dict[str, Any], start_response: Any) -> Any:
        return self._handle(Request(environ))(environ, start_response)

    def _handle(self, request: Request) -> Response:
        if request.method != "POST" or request.path != f"/admin/api/{API_VERSION}/graphql.json":
            return _json(404, {"errors": "Not Found"})
        try:
            body = json.loads(request.get_data())
            query, variables = body["query"], body.get("variables") or {}
            assert isinstance(query, str) and isinstance(variables, dict)
        except (ValueError, KeyError, TypeError, AssertionError):
            return _json(400, {"errors": {"query": "Required parameter missing or invalid"}})
        record = _Recorder(self, query, variables, request.host, body.get("operationName"))
        if request.headers.get("X-Shopify-Access-Token") != self.access_token:
            message = "[API] Invalid API key or access token (unrecognized login or wrong password)"
            return record(401, {"errors": message})
        with self._lock:
            fault = self._take_fault(record.operation_name)
            release = self._release
        if fault is None or fault.kind == "hang_after_execute":
            status, payload = self._execute(query, variables, record)
            response = record(status, payload, fault.kind if fault else None)
            if fault:
                release.wait(self.hang_seconds)  # the work is done but the client never hears of it
            return response
        if fault.kind == "hang":
            response = record(504, {"errors": "Gateway Timeout"}, fault.kind)
            release.wait(self.hang_seconds)
            return response
        if fault.kind == "429":
            return record(429, {"errors": "Exceeded 2 calls per second for api client. Reduce request rates."},
                          fault.kind, {"Retry-After": str(fault.retry_after)})
        if fault.kind == "5xx":
            return record(fault.status, {"errors": "Internal Server Error"}, fault.kind)
        cost = self._cost_of(query, variables, record)
        extensions = self._cost(record.bucket, cost, None, available=0.0)
        return record(200, {"errors": [THROTTLED], "extensions": extensions}, fault.kind)

    def _take_fault(self, operation_name: str | None) -> _PlannedFault | None:
        fault = next((f for f in self._faults if f.operation in (None, operation_name)), None)
        if fault:
            self._faults.remove(fault)
        return fault

    def checked(self, query: str) -> tuple[DocumentNode | None, list[dict[str, Any]]]:
        """The query parsed (None when it does not parse) and its errors against the schema (none: valid), once per
        text: a document's validity depends on nothing else, and the AST is only read when executed."""
        known = self._checked.get(query)
        if known is None:
            try:
                document: DocumentNode | None = parse(query)
            except GraphQLError as syntax_error:
                known = None, [syntax_error.formatted]
            else:
                known = document, [error.formatted for error in validate(self.schema, document)]
            if len(self._checked) >= MAX_CHECKED_DOCUMENTS:  # a fuzzing test's every query is new
                self._checked.clear()
            self._checked[query] = known
        return known

    def _execute(self, query: str, variables: dict[str, Any], record: _Recorder) -> tuple[int, dict[str, Any]]:
        document, errors = self.checked(query)
        if document is None or errors:
            return 200, {"errors": errors}
        operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
        name = record.operation_name or next((o.name.value for o in operations if o.name), None)
        record.operation_name = name
        cost = requested_query_cost(self.schema, document, variables, name)
        if cost > MAX_SINGLE_QUERY_COST:
            message = f"Query cost is {cost}, which exceeds the single query max cost limit ({MAX_SINGLE_QUERY_COST})."
            return 200, {"errors": [{"message": message, "extensions": {"code": "MAX_COST_EXCEEDED", "cost": cost}}]}
        with self._lock:
            if not record.bucket.try_spend(cost):
                return 200, {"errors": [THROTTLED], "extensions": self._cost(record.bucket, cost, None)}
            result = execute_sync(self.schema, document, root_value=self._root, variable_values=variables,
                                  operation_name=name)
            payload: dict[str, Any] = {"data": result.data}
            if result.errors:
                payload["errors"] = [error.formatted for error in result.errors]
            payload["extensions"] = self._cost(record.bucket, cost, cost)
        return 200, payload

    def _cost_of(self, query: str, variables: dict[str, Any], record: _Recorder) -> int:
        try:
            document = self.checked(query)[0]
            return requested_query_cost(self.schema, document, variables, record.operation_name) if document else 1
        except GraphQLError:
            return 1

    @staticmethod
    def _cost(bucket: ThrottleBucket, requested: int, actual: int | None,
              available: float | None = None) -> dict[str, Any]:
        return {"cost": {"requestedQueryCost": requested, "actualQueryCost": actual,
                         "throttleStatus": bucket.status(available)}}


class _Recorder:
    """Builds the response and appends what happened to the fake's request log."""

    def __init__(self, fake: FakeShopify, query: str, variables: dict[str, Any], host: str, name: str | None) -> None:
        self.fake, self.query, self.variables, self.host = fake, query, variables, host
        self.operation_name = name or _first_operation_name(fake.checked(query)[0])
        self.log = fake.requests  # a request still hanging at reset lands in the old test's log
        shop = host.split(":")[0].lower()  # the client keeps the shop's name in Host when it calls another origin
        self.bucket = fake.bucket_of(shop if shop.endswith(".myshopify.com") else fake.shop_domain)

    def __call__(
        self, status: int, payload: dict[str, Any], fault: str | None = None, headers: dict[str, str] | None = None
    ) -> Response:
        with self.fake._lock:
            self.log.append(
                Recorded(self.operation_name, self.query, self.variables, self.host, status, fault, payload)
            )
        return _json(status, payload, headers)


def _first_operation_name(document: DocumentNode | None) -> str | None:
    if document is None:
        return None
    return next((d.name.value for d in document.definitions if isinstance(d, OperationDefinitionNode) and d.name),
                None)


def _json(status: int, payload: dict[str, Any], headers: dict[str, str] | None = None) -> Response:
    return Response(json.dumps(payload), status=status, headers=headers, mimetype="application/json")
