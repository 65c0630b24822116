"""Sends Assay's GraphQL documents to one shop's Admin API, riding out Shopify's throttle and outages.

The POST itself is shopify_app's `admin_graphql_request` (Shopify's maintained client: headers, user agent,
401 handling, redacted logs). It runs with `max_retries=0` because its own retries sleep with `time.sleep`,
ignore GraphQL THROTTLED errors and give up on timeouts; the retry policy lives here instead, with an
injectable sleep so tests don't wait.
"""

from __future__ import annotations

import json
import logging
import ssl
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import httpx
from shopify_app.graphql import admin_graphql_request
from shopify_app.types import GQLResult

from connector.http_clients import shared_client
from connector.outages import CONNECT_TIMEOUT_SECONDS, OutageGate
from connector.shopify.admin_errors import (
    ShopifyAccessDenied,
    ShopifyGraphQLError,
    ShopifyRequestRejected,
    ShopifyUnavailable,
    ShopifyUserErrors,
    errors_list,
)
from connector.shopify.documents import API_VERSION, Document

log = logging.getLogger(__name__)

Sleep = Callable[[float], None]
# Told of each answer's `extensions.cost`, and whether the call ran (charged) or was THROTTLED (pace_store.py).
CostObserver = Callable[[Mapping[str, Any] | None, bool], None]
SHOPIFY_DOMAIN_SUFFIX = ".myshopify.com"
THROTTLED_REASON = "throttled"


@dataclass(frozen=True)
class RetryPolicy:
    """How long to keep trying one operation before handing the failure to the job."""

    max_attempts: int = 6
    backoff_base_seconds: float = 0.5
    backoff_cap_seconds: float = 30.0
    max_throttle_wait_seconds: float = 60.0
    # A wait longer than this is not slept: the failure goes to the caller (with the wait as `retry_after` when
    # Shopify named it), so a job reschedules itself instead of holding a worker (jobs pass 1 s; the default
    # keeps the old behaviour).
    max_inline_wait_seconds: float = float("inf")
    # All the waiting one client may do in its life (a job's: retries, throttle waits, polls of Shopify's
    # background jobs); past it a wait is handed to the caller like a long one (jobs pass 1 s).
    inline_wait_budget_seconds: float = float("inf")
    # A request Shopify did not answer (a timeout, a network error) or answered 5xx is asked again in place
    # (False: handed to the caller at once, so a shop that hangs holds a job for one timeout, not one per attempt).
    retry_outages_inline: bool = True

    def backoff(self, failures: int) -> float:
        """Exponential: base, 2x base, 4x base... capped."""
        return float(min(self.backoff_cap_seconds, self.backoff_base_seconds * 2 ** (failures - 1)))


@dataclass(frozen=True)
class _Retry:
    reason: str
    delay: float
    said_by_shopify: bool = False  # a throttle or Retry-After wait: a pause Shopify asked for, not a failure
    outage: bool = False  # unanswered or 5xx: Shopify is failing, not busy


class AdminApi:
    """One shop's Admin GraphQL endpoint with its offline access token."""

    def __init__(
        self,
        shop_domain: str,
        access_token: str,
        *,
        api_version: str = API_VERSION,
        timeout_seconds: float = 10.0,
        retry: RetryPolicy | None = None,
        sleep: Sleep = time.sleep,
        admin_origin: str | None = None,
        on_cost: CostObserver | None = None,
        gate: OutageGate | None = None,
    ) -> None:
        self.shop = shop_handle(shop_domain)
        self._access_token = access_token
        self.api_version = api_version
        self.retry = retry or RetryPolicy()
        self._sleep = sleep
        # One client per shop and origin for the whole process: kept-alive connections, one SSLContext.
        self._http = shared_client(("shopify", self.shop, admin_origin, timeout_seconds),
                                   lambda context: httpx.Client(timeout=_timeout(timeout_seconds), verify=context,
                                                                transport=OriginOverride(admin_origin, context)
                                                                if admin_origin else None))
        self.last_cost: dict[str, Any] | None = None
        self.waited_seconds = 0.0  # slept so far, against retry.inline_wait_budget_seconds
        self.on_cost = on_cost
        self.gate = gate  # the shop's outage breaker: a failing shop's calls fail fast, unsent

    def __repr__(self) -> str:  # the token stays out of logs and tracebacks
        return f"AdminApi(shop={self.shop!r}, api_version={self.api_version!r})"

    @property
    def sleep(self) -> Sleep:
        """The injected sleep, for callers that wait on Shopify's background work between polls; a wait past
        the client's budget raises ShopifyUnavailable instead (the job is rescheduled)."""
        return self._pause

    def _pause(self, seconds: float, *, operation: str = "wait", reason: str = "waiting on Shopify") -> None:
        if not self._may_wait(seconds):
            raise ShopifyUnavailable(f"{reason}; {seconds:.1f}s more is past this job's waiting budget",
                                     shop=self.shop, operation=operation)
        self.waited_seconds += seconds
        self._sleep(seconds)

    def _may_wait(self, seconds: float) -> bool:
        return (seconds <= self.retry.max_inline_wait_seconds
                and self.waited_seconds + seconds <= self.retry.inline_wait_budget_seconds)

    def close(self) -> None:
        """Nothing to close: the HTTP client is the process's, shared with the shop's next job."""

    def __enter__(self) -> AdminApi:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def execute(self, document: Document, variables: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """Run one operation and return its `data`; raise a ShopifyAdminError subclass when it fails."""
        held = self.gate.admit() if self.gate else None
        if held is not None:
            raise ShopifyUnavailable(str(held), shop=self.shop, operation=document.operation_name,
                                     held_for=held.wait_seconds)
        failures = 0
        while True:
            result = admin_graphql_request(
                document.source,
                shop=self.shop,
                access_token=self._access_token,
                api_version=self.api_version,
                invalid_token_response=None,  # a background job: no live request to retry
                variables=dict(variables or {}),
                max_retries=0,
                http_client=self._http,
            )
            outcome = self._outcome(document, result, failures)
            if not isinstance(outcome, _Retry):
                return outcome
            failures += 1
            if failures >= self.retry.max_attempts:
                # Still throttled or told to wait: a pause Shopify asked for, waited out without counting a failure.
                raise ShopifyUnavailable(
                    f"gave up after {failures} attempts, last: {outcome.reason}",
                    shop=self.shop,
                    operation=document.operation_name,
                    retry_after=outcome.delay if outcome.said_by_shopify else None,
                )
            if outcome.outage and not self.retry.retry_outages_inline:
                raise ShopifyUnavailable(f"{outcome.reason}; not asked again in this job", shop=self.shop,
                                         operation=document.operation_name)
            if not self._may_wait(outcome.delay):
                # Only a wait Shopify named is `retry_after` (not counted as a try); our own backoff is a failure.
                raise ShopifyUnavailable(f"{outcome.reason}; wait {outcome.delay:.1f}s before trying again",
                                         shop=self.shop, operation=document.operation_name,
                                         retry_after=outcome.delay if outcome.said_by_shopify else None)
            log.warning(
                "shopify.retry",
                extra={"shop": self.shop, "operation": document.operation_name, "reason": outcome.reason,
                       "attempt": failures, "delay_seconds": outcome.delay},
            )
            self._pause(outcome.delay, operation=document.operation_name, reason=outcome.reason)

    def _outcome(self, document: Document, result: GQLResult, failures: int) -> dict[str, Any] | _Retry:
        name = document.operation_name
        code = result.log.code
        # With max_retries=0 the library may hand back a stand-in response; the real one is in its logs.
        response = result.http_logs[-1].res if result.http_logs else result.response
        status = response.status
        if self.gate and (code == "network_error" or status >= 500):
            self.gate.failed("network error or timeout" if code == "network_error" else f"http {status}")
        elif self.gate:
            self.gate.answered()
        if result.ok:
            self.last_cost = (result.extensions or {}).get("cost")
            self._report_cost(self.last_cost, executed=True)
            data = result.data or {}
            raise_user_errors(data, shop=self.shop, operation=name)
            return data
        if code == "graphql_errors":
            body = _json(response.body)
            errors = errors_list(body.get("errors"))
            if any((error.get("extensions") or {}).get("code") == "THROTTLED" for error in errors):
                extensions = body.get("extensions") or {}
                self._report_cost(extensions.get("cost"), executed=False)
                return _Retry(THROTTLED_REASON, self._throttle_wait(extensions), said_by_shopify=True)
            raise ShopifyGraphQLError(errors, shop=self.shop, operation=name)
        if status == 429:
            return _Retry("429 rate limited", self._retry_after(response.headers), said_by_shopify=True)
        if code == "network_error" or status >= 500:
            reason = "network error or timeout" if code == "network_error" else f"http {status}"
            if not document.safe_to_resend:
                # The write may have happened: the caller checks the platform's state before trying again.
                raise ShopifyUnavailable(f"{reason}; not resent, it may have been applied", shop=self.shop,
                                         operation=name)
            return _Retry(reason, self.retry.backoff(failures + 1), outage=True)
        if status in (401, 403):
            raise ShopifyAccessDenied(result.log.detail, shop=self.shop, operation=name, status=status)
        raise ShopifyRequestRejected(f"http {status}: {result.log.detail}", shop=self.shop, operation=name,
                                     status=status)

    def _report_cost(self, cost: Mapping[str, Any] | None, *, executed: bool) -> None:
        if self.on_cost is not None:
            self.on_cost(cost, executed)

    def _throttle_wait(self, extensions: Mapping[str, Any]) -> float:
        """Wait until the bucket holds the query's cost again: (cost - available) / restore rate."""
        cost = extensions.get("cost") or {}
        status = cost.get("throttleStatus") or {}
        try:
            deficit = float(cost["requestedQueryCost"]) - float(status["currentlyAvailable"])
            wait = deficit / float(status["restoreRate"])
        except (KeyError, TypeError, ValueError, ZeroDivisionError):
            wait = self.retry.backoff_base_seconds
        return min(self.retry.max_throttle_wait_seconds, max(wait, 0.0) + 0.05)

    def _retry_after(self, headers: Mapping[str, str]) -> float:
        value = next((v for k, v in headers.items() if k.lower() == "retry-after"), None)
        try:
            return min(self.retry.max_throttle_wait_seconds, max(float(value), 0.0)) if value else 1.0
        except ValueError:
            return 1.0


def raise_user_errors(data: Mapping[str, Any], *, shop: str, operation: str) -> None:
    """Raise when any mutation payload in `data` has userErrors (or a typed `...UserErrors` list)."""
    found = [
        error
        for payload in data.values()
        if isinstance(payload, Mapping)
        for key, errors in payload.items()
        if key.endswith("serErrors") and isinstance(errors, list)
        for error in errors
    ]
    if found:
        raise ShopifyUserErrors(found, dict(data), shop=shop, operation=operation)


def _timeout(seconds: float) -> httpx.Timeout:
    return httpx.Timeout(seconds, connect=min(seconds, CONNECT_TIMEOUT_SECONDS))


def shop_handle(shop_domain: str) -> str:
    """'pristine.myshopify.com' -> 'pristine', the form shopify_app's client builds its URL from."""
    domain = shop_domain.strip().lower().removeprefix("https://").removeprefix("http://").rstrip("/")
    handle = domain.removesuffix(SHOPIFY_DOMAIN_SUFFIX)
    if handle == domain and "." in domain or not handle:
        raise ValueError(f"`shop_domain` must be a *.myshopify.com domain, got {shop_domain!r}")
    return handle


class OriginOverride(httpx.BaseTransport):
    """Sends requests meant for https://{shop}.myshopify.com to another origin (the local fake, a dev proxy).

    Only scheme, host and port change; the Host header still names the shop, as behind a proxy.
    """

    def __init__(self, origin: str, verify: ssl.SSLContext | bool = True) -> None:
        url = httpx.URL(origin)
        if url.scheme not in ("http", "https") or not url.host:
            raise ValueError(f"`admin_origin` must be an http(s) origin, got {origin!r}")
        self._origin = url
        self._inner = httpx.HTTPTransport(verify=verify)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        request.url = request.url.copy_with(scheme=self._origin.scheme, host=self._origin.host,
                                            port=self._origin.port)
        return self._inner.handle_request(request)

    def close(self) -> None:
        self._inner.close()


def _json(body: str) -> dict[str, Any]:
    try:
        parsed = json.loads(body)
    except (TypeError, ValueError):
        return {}
    return parsed if isinstance(parsed, dict) else {}
