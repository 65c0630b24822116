"""A local fake of one WooCommerce site's REST API (wc/v3) over real HTTPS, for the end-to-end tests.

It keeps orders, products, refunds, notes, webhooks and payment gateways; checks Basic auth (the consumer
key and secret, as the `woocommerce` package sends them over HTTPS); validates statuses and refund amounts
the way WooCommerce does; records every request; and can be told to fail the next requests (a 5xx, or
hanging past the client's timeout before or after doing the work). It also makes the site's webhook
deliveries: the order as JSON, signed with the webhook secret, with WooCommerce's headers; and answers
wc-auth installs (see woocommerce_auth), after which it accepts the key pair it handed over.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

from support.signing import sign
from werkzeug.wrappers import Request, Response

from .server import LocalServer
from .tls import LocalCertificate, local_certificate
from .woocommerce_auth import AUTHORIZE_PATH, WcAuth
from .woocommerce_plugin import PLUGIN_PREFIX, FakeAssayPlugin
from .woocommerce_routes import Routes, WooState

Fault = Literal["5xx", "hang", "hang_after_execute"]
API_PREFIX = "/wp-json/wc/v3/"
WEBHOOK_IDS = {"order.created": 1, "order.updated": 2, "order.deleted": 3, "order.restored": 4}


@dataclass(frozen=True)
class Recorded:
    """One request as the fake saw and answered it."""

    method: str
    path: str  # relative to wc/v3, such as "orders/101/refunds"; "/wp-json/" for the index
    query: dict[str, str]
    body: Any
    status: int
    fault: str | None

    @property
    def executed(self) -> bool:
        return self.fault in (None, "hang_after_execute") and self.status < 300


@dataclass
class _PlannedFault:
    kind: Fault
    status: int
    method: str | None
    path: str | None  # a regex the path must match in full
    then: Callable[[], None] | None = None  # runs when this fault strikes, e.g. to plan the next ones
    body: dict[str, Any] | None = None  # a 5xx's WordPress error body, when not a generic critical error


class FakeWooCommerce:
    """One site on a free local HTTPS port; `reset()` between tests."""

    def __init__(self, consumer_key: str = "ck_fake_key", consumer_secret: str = "cs_fake_secret",
                 webhook_secret: str = "wc-webhook-secret") -> None:
        self._keys = (consumer_key, consumer_secret)
        self.consumer_key, self.consumer_secret, self.webhook_secret = consumer_key, consumer_secret, webhook_secret
        self.certificate: LocalCertificate = local_certificate()
        self.hang_seconds = 3.0
        self._release = threading.Event()
        self._http = LocalServer(self._wsgi, "fake-woocommerce", self.certificate.server_context())
        self.reset()

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self._http.port}"

    def start(self) -> FakeWooCommerce:
        self._http.start()
        return self

    def stop(self) -> None:
        self._release.set()
        self._http.stop()

    def reset(self) -> None:
        self._release.set()  # let hanging handlers finish
        self._release = threading.Event()
        self.state = WooState()
        self.consumer_key, self.consumer_secret = self._keys  # an install may have made a new pair
        self.auth = WcAuth()
        self.plugin = FakeAssayPlugin()
        self._lock = self.state.lock
        self.routes = Routes(self.state)
        self.requests: list[Recorded] = []
        self._faults: deque[_PlannedFault] = deque()

    # --- Inspecting (seed and read the site through `state`) -------------------------------------

    def calls(self, method: str | None = None, path: str | None = None) -> list[Recorded]:
        """Requests that were carried out, optionally of one method and path (a regex matched in full)."""
        return [r for r in self.requests if r.executed and (method is None or r.method == method)
                and (path is None or re.fullmatch(path, r.path))]

    def writes(self) -> list[tuple[str, str]]:
        """Every write carried out, as (method, path), in order."""
        return [(r.method, r.path) for r in self.calls() if r.method in ("POST", "PUT", "DELETE")]

    # --- Webhook deliveries ----------------------------------------------------------------------

    def delivery(self, topic: str, order_id: int) -> tuple[bytes, dict[str, str]]:
        """The body and headers WooCommerce would POST for `topic` on this order, as it is now."""
        webhook_id = WEBHOOK_IDS.get(topic, 9)  # one webhook per topic, as a store sets them up
        with self._lock:
            payload = {"id": order_id} if topic.endswith(".deleted") else self.state.order(order_id)
        body = json.dumps(payload).encode()
        delivery_id = hashlib.md5(f"{webhook_id}{int(time.time())}".encode()).hexdigest()  # wp_hash(id . now)
        resource, event = topic.split(".", 1)
        return body, {
            "Content-Type": "application/json", "X-WC-Webhook-Source": f"{self.url}/",
            "X-WC-Webhook-Topic": topic, "X-WC-Webhook-Resource": resource, "X-WC-Webhook-Event": event,
            "X-WC-Webhook-Signature": sign(self.webhook_secret, body),
            "X-WC-Webhook-ID": str(webhook_id), "X-WC-Webhook-Delivery-ID": delivery_id,
            "User-Agent": "WooCommerce/9.4.0 Hookshot (WordPress/6.7)",
        }

    # --- Faults ----------------------------------------------------------------------------------

    def fail_next(self, count: int, fault: Fault, *, status: int = 503, method: str | None = None,
                  path: str | None = None, then: Callable[[], None] | None = None,
                  body: dict[str, Any] | None = None) -> None:
        """Answer the next `count` authorised requests (of `method` on `path`) with `fault` (a 5xx with `body`,
        if given); `then` runs when the last of them strikes."""
        with self._lock:
            self._faults.extend(_PlannedFault(fault, status, method, path, then if i == count - 1 else None, body)
                                for i in range(count))

    # --- HTTP ------------------------------------------------------------------------------------

    def _wsgi(self, environ: dict[str, Any], start_response: Any) -> Any:
        return self._handle(Request(environ))(environ, start_response)

    def _handle(self, request: Request) -> Response:
        request.environ["fake.log"] = self.requests  # a request still hanging at reset lands in the old log
        body = request.get_json(silent=True) if request.data else None
        if request.path == "/wp-json/" and request.method == "GET":
            return self._answer(request, "/wp-json/", body, lambda: (200, self.state.index, {}))
        if request.path == AUTHORIZE_PATH and request.method == "GET":
            response, keys = self.auth.authorize(request)
            if keys is not None:
                self.consumer_key, self.consumer_secret = keys
            return response
        # WooCommerce authenticates its own routes and any `wc-` namespace (the Assay plugin's) with the same keys.
        prefix = next((p for p in (API_PREFIX, PLUGIN_PREFIX) if request.path.startswith(p)), None)
        if prefix is None:
            return _json(404, {"code": "rest_no_route", "message": "No route was found."})
        path = request.path[len(prefix):]
        auth = request.authorization
        if auth is None or auth.type != "basic" or not (
                hmac.compare_digest(str(auth.username), self.consumer_key)
                and hmac.compare_digest(str(auth.password), self.consumer_secret)):
            return self._record(request, path, body, 401, None, {
                "code": "woocommerce_rest_authentication_error", "message": "Consumer key is invalid."})
        if prefix == PLUGIN_PREFIX:
            return self._answer(request, f"plugin/{path}", body,
                                lambda: self.plugin.dispatch(request.method, path, body))
        query = dict(request.args)
        return self._answer(request, path, body, lambda: self.routes.dispatch(request.method, path, query, body))

    def _answer(self, request: Request, path: str, body: Any,
                execute: Callable[[], tuple[int, Any, dict[str, str]]]) -> Response:
        with self._lock:
            fault = self._take_fault(request.method, path)
            release = self._release
        if fault is not None and fault.kind == "5xx":
            return self._record(request, path, body, fault.status, fault.kind, fault.body or {
                "code": "internal_server_error", "message": "There has been a critical error on this website."})
        if fault is not None and fault.kind == "hang":
            response = self._record(request, path, body, 504, fault.kind, {"code": "timeout"})
            release.wait(self.hang_seconds)
            return response
        with self._lock:
            status, payload, headers = execute()
        response = self._record(request, path, body, status, fault.kind if fault else None, payload, headers)
        if fault is not None:  # hang_after_execute: the work is done but the client never hears of it
            release.wait(self.hang_seconds)
        return response

    def _take_fault(self, method: str, path: str) -> _PlannedFault | None:
        fault = next((f for f in self._faults if f.method in (None, method)
                      and (f.path is None or re.fullmatch(f.path, path))), None)
        if fault:
            self._faults.remove(fault)
            if fault.then is not None:
                fault.then()
        return fault

    def _record(self, request: Request, path: str, body: Any, status: int, fault: str | None, payload: Any,
                headers: Mapping[str, str] | None = None) -> Response:
        with self._lock:
            request.environ["fake.log"].append(Recorded(request.method, path, dict(request.args), body, status, fault))
        return _json(status, payload, headers)


def _json(status: int, payload: Any, headers: Mapping[str, str] | None = None) -> Response:
    return Response(json.dumps(payload, default=_decimal), status=status, headers=dict(headers or {}),
                    mimetype="application/json")


def _decimal(value: Any) -> str:
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(type(value).__name__)
