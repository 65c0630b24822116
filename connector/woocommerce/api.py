"""One WooCommerce site's REST API: the client, its retries and backoff, and what can go wrong."""

from __future__ import annotations

import functools
import http.cookiejar
import logging
import os
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import requests
import woocommerce.api as woocommerce_package  # type: ignore[import-untyped]
from flask import current_app
from woocommerce import API

from connector.outages import CONNECT_TIMEOUT_SECONDS, OutageGate, outage_gate
from storage.models import Store
from storage.repositories import StoreCredentials
from storage.settings import Settings

# What can go wrong talking to a WooCommerce site, one type per thing the caller does about it.

class WooCommerceError(Exception):
    """Base of every REST API failure; names the site and the request, never a key or a signature."""

    def __init__(self, message: str, *, site: str, operation: str, status: int | None = None,
                 code: str | None = None, detail: str | None = None) -> None:
        super().__init__(f"{operation} on {site}: {message}")
        self.site = site
        self.operation = operation
        self.status = status
        self.code = code  # WordPress's error code from the body, such as "woocommerce_rest_shop_order_invalid_id"
        self.detail = detail  # the site's own message with it, such as "Invalid refund amount."


class WooCommerceUnavailable(WooCommerceError):
    """The site failed, was busy or held unsent by its breaker, a write was not resent, or a wait was too long for a
    job: try later, not before `retry_after` (the site's wait) nor `held_for` (the breaker's)."""

    retry_after: float | None = None
    held_for: float | None = None


class WooCommerceRejected(WooCommerceError):
    """A 4xx: the request is wrong for this site (an unknown order, an invalid status); retrying won't help."""


class WooCommerceAccessDenied(WooCommerceRejected):
    """401/403: the REST API key was revoked or lacks read/write permission."""



# One WooCommerce site's REST API (wc/v3) through the `woocommerce` package, with what the package lacks.
#
# `woocommerce.API` builds the URLs and authenticates (Basic auth over HTTPS, OAuth 1.0a query signatures
# over plain HTTP), but sends every request with the module-level `requests.request`: a fresh connection per
# call, with no way to hand it a Session; no retries; and exceptions whose text carries the request URL,
# which over HTTP holds the OAuth signature. Added here: our timeout, retries with backoff on 5xx, 429,
# timeouts and network errors for requests that are safe to resend (reads, and PUTs, which set state), and
# errors that name the path, never a credential. A POST adds something (a refund, a note), so it is never
# resent: the caller looks for its idempotency key on the site before trying again.
#
# The package's requests go through one kept-alive `requests.Session` per thread instead (its module-level
# `request` is pointed at it once, below): a new connection and TLS handshake per call, with the CA bundle loaded
# each time, was most of a write's cost. Cookies are refused, as the one-shot sessions kept none.

log = logging.getLogger(__name__)

Sleep = Callable[[float], None]
API_VERSION = "wc/v3"
# The Assay plugin's own routes on the site: WooCommerce authenticates any `wc-` namespace with the same keys.
PLUGIN_NAMESPACE = "wc-assay/v1"
USER_AGENT = "Assay (+woocommerce)"
PAGE_SIZE = 100  # the REST API's maximum per_page


@dataclass(frozen=True)
class RetryPolicy:
    """How many times to try a request that is safe to resend, and how long to wait between tries."""

    max_attempts: int = 4
    backoff_base_seconds: float = 0.5
    backoff_cap_seconds: float = 8.0
    max_retry_after_seconds: float = 30.0
    # A wait longer than this is not slept: the failure goes to the caller (with the site's Retry-After as
    # `retry_after`, if it gave one), so a job reschedules itself instead of holding a worker (jobs pass 1 s).
    max_inline_wait_seconds: float = float("inf")
    # A request the site left unanswered (a timeout, a network error) or answered 5xx is sent again in place (False:
    # handed to the caller at once, so a site that hangs holds a job for one timeout, not one per attempt).
    retry_outages_inline: bool = True

    def backoff(self, failures: int) -> float:
        """Exponential: base, 2x base, 4x base... capped."""
        return float(min(self.backoff_cap_seconds, self.backoff_base_seconds * 2 ** (failures - 1)))


@dataclass(frozen=True)
class _Answer:
    body: Any
    total_pages: int


@dataclass(frozen=True)
class _Retry:
    reason: str
    status: int | None = None
    code: str | None = None
    retry_after: float | None = None  # the site said how long to wait (429)
    detail: str | None = None  # the site's message
    outage: bool = False  # unanswered, 5xx or not JSON: the site is failing, not busy


_sessions = threading.local()


def _session() -> requests.Session:
    """This thread's session (a forked child makes its own: the parent's sockets are not its to use)."""
    session: requests.Session | None = getattr(_sessions, "session", None)
    if session is None or getattr(_sessions, "pid", None) != os.getpid():
        session = requests.Session()
        session.cookies.set_policy(http.cookiejar.DefaultCookiePolicy(allowed_domains=[]))
        _sessions.session, _sessions.pid = session, os.getpid()
    return session


def pooled_request(method: str, url: str, **options: Any) -> requests.Response:
    """`requests.request`, on the thread's kept-alive session (the environment's CA bundle still applies)."""
    return _session().request(method=method, url=url, **options)


woocommerce_package.request = pooled_request


class WooCommerceApi:
    """A site's REST API with its consumer key and secret."""

    def __init__(self, url: str, consumer_key: str, consumer_secret: str, *, timeout_seconds: float = 10.0,
                 retry: RetryPolicy | None = None, sleep: Sleep = time.sleep, gate: OutageGate | None = None) -> None:
        self.site = url.rstrip("/")
        self.timeout_seconds = timeout_seconds
        self.retry = retry or RetryPolicy()
        self._sleep = sleep
        self.gate = gate  # the site's outage breaker: a failing site's calls fail fast, unsent
        self._timeouts = (min(timeout_seconds, CONNECT_TIMEOUT_SECONDS), timeout_seconds)  # requests': connect, read
        self._api = API(url=self.site, consumer_key=consumer_key, consumer_secret=consumer_secret,
                        version=API_VERSION, timeout=self._timeouts, user_agent=USER_AGENT)
        self._plugin_api = API(url=self.site, consumer_key=consumer_key, consumer_secret=consumer_secret,
                               version=PLUGIN_NAMESPACE, timeout=self._timeouts, user_agent=USER_AGENT)

    def __repr__(self) -> str:  # the key pair stays out of logs and tracebacks
        return f"WooCommerceApi(site={self.site!r})"

    def __enter__(self) -> WooCommerceApi:
        return self

    def __exit__(self, *_exc: object) -> None:
        """Nothing to close: the thread's session and its connections serve the site's next job."""

    def get(self, path: str, params: Mapping[str, Any] | None = None) -> Any:
        return self._call("GET", path, lambda: self._api.get(path, params=dict(params or {})), resend=True).body

    def get_all(self, path: str, params: Mapping[str, Any] | None = None, max_pages: int = 100) -> list[Any]:
        """Every page of a list endpoint, following X-WP-TotalPages."""
        found: list[Any] = []
        for page in range(1, max_pages + 1):
            query = {**(params or {}), "per_page": PAGE_SIZE, "page": page}
            answer = self._call("GET", path, functools.partial(self._api.get, path, params=query), resend=True)
            if not isinstance(answer.body, list):
                raise WooCommerceRejected("answered with something other than a list", site=self.site,
                                          operation=f"GET {path}")
            found.extend(answer.body)
            if page >= answer.total_pages or not answer.body:
                return found
        log.warning("woocommerce.pages_cut", extra={"site": self.site, "path": path, "pages": max_pages})
        return found

    def put(self, path: str, data: Mapping[str, Any]) -> Any:
        """A PUT sets fields to values: sending it again leaves the same result, so it is retried."""
        return self._call("PUT", path, lambda: self._api.put(path, dict(data)), resend=True).body

    def post(self, path: str, data: Mapping[str, Any]) -> Any:
        """A POST creates something: tried once; a lost answer raises WooCommerceUnavailable, never a resend."""
        return self._call("POST", path, lambda: self._api.post(path, dict(data)), resend=False).body

    def post_to_plugin(self, path: str, data: Mapping[str, Any]) -> Any:
        """A POST to the Assay plugin's REST route `path`; only for what the plugin takes twice alike (resent)."""
        operation = f"{PLUGIN_NAMESPACE}/{path}"
        return self._call("POST", operation, lambda: self._plugin_api.post(path, dict(data)), resend=True).body

    def site_index(self) -> Any:
        """WordPress's public REST index (/wp-json/): the site's time zone; the package only reaches wc/ routes."""
        url = f"{self.site}/wp-json/"

        def send() -> requests.Response:
            return pooled_request("GET", url, timeout=self._timeouts,
                                  headers={"user-agent": USER_AGENT, "accept": "application/json"})

        return self._call("GET", "/wp-json/", send, resend=True).body

    def _call(self, method: str, path: str, send: Callable[[], Any], *, resend: bool) -> _Answer:
        operation = f"{method} {path}"
        held = self.gate.admit() if self.gate else None
        if held is not None:
            unsent = WooCommerceUnavailable(str(held), site=self.site, operation=operation)
            unsent.held_for = held.wait_seconds
            raise unsent
        failures = 0
        while True:
            outcome = self._outcome(operation, send)
            if self.gate and isinstance(outcome, _Retry) and outcome.outage:
                self.gate.failed(outcome.reason)
            elif self.gate:
                self.gate.answered()
            if isinstance(outcome, _Answer):
                return outcome
            if not resend:
                raise WooCommerceUnavailable(f"{outcome.reason}; not resent, it may have been applied",
                                             site=self.site, operation=operation, status=outcome.status,
                                             code=outcome.code, detail=outcome.detail)
            failures += 1
            if failures >= self.retry.max_attempts:
                raise WooCommerceUnavailable(f"gave up after {failures} attempts, last: {outcome.reason}",
                                             site=self.site, operation=operation, status=outcome.status,
                                             code=outcome.code, detail=outcome.detail)
            if outcome.outage and not self.retry.retry_outages_inline:
                raise WooCommerceUnavailable(f"{outcome.reason}; not asked again in this job", site=self.site,
                                             operation=operation, status=outcome.status, code=outcome.code,
                                             detail=outcome.detail)
            delay = outcome.retry_after if outcome.retry_after is not None else self.retry.backoff(failures)
            if delay > self.retry.max_inline_wait_seconds:
                unavailable = WooCommerceUnavailable(f"{outcome.reason}; wait {delay:.1f}s before trying again",
                                                     site=self.site, operation=operation, status=outcome.status,
                                                     code=outcome.code, detail=outcome.detail)
                # Only a wait the site asked for is a pause (not a failed attempt): our own backoff is a failure.
                unavailable.retry_after = outcome.retry_after
                raise unavailable
            log.warning("woocommerce.retry", extra={"site": self.site, "operation": operation,
                                                    "reason": outcome.reason, "attempt": failures,
                                                    "delay_seconds": delay})
            self._sleep(delay)

    def _outcome(self, operation: str, send: Callable[[], Any]) -> _Answer | _Retry:
        try:
            response: requests.Response = send()
        except requests.Timeout:
            return _Retry(f"no answer within {self.timeout_seconds:g}s", outage=True)
        except requests.RequestException as error:
            # The exception's text names the URL, which over plain HTTP carries the OAuth signature.
            return _Retry(f"network error ({type(error).__name__})", outage=True)
        status = response.status_code
        if 200 <= status < 300:
            try:
                body = response.json()
            except ValueError:  # a caching proxy's or a maintenance plugin's page: try again later
                return _Retry(f"http {status} with a body that is not JSON", status, outage=True)
            pages = response.headers.get("X-WP-TotalPages") or ""
            return _Answer(body, int(pages) if pages.isdigit() else 1)
        code, message = _error_of(response)
        if status == 429:
            return _Retry("429 rate limited", status, code, self._retry_after(response))
        if status >= 500:
            return _Retry(f"http {status} {code or ''}".rstrip(), status, code, detail=message, outage=True)
        error_type: type[WooCommerceError] = WooCommerceAccessDenied if status in (401, 403) else WooCommerceRejected
        raise error_type(f"http {status}: {message}", site=self.site, operation=operation, status=status, code=code)

    def _retry_after(self, response: requests.Response) -> float:
        try:
            seconds = float(response.headers.get("Retry-After") or 1.0)
        except ValueError:
            seconds = 1.0
        return min(self.retry.max_retry_after_seconds, max(seconds, 0.0))


def _error_of(response: requests.Response) -> tuple[str | None, str]:
    """WordPress's error body {"code", "message", "data": {"status"}}, or the status line when there is none."""
    try:
        body = response.json()
    except ValueError:
        return None, response.reason or "no message"
    if not isinstance(body, dict):
        return None, response.reason or "no message"
    code = body.get("code")
    return (str(code) if code else None), str(body.get("message") or response.reason or "no message")


# A store's client, with the retries a job can afford.

def woocommerce_api(store: Store, credentials: StoreCredentials, settings: Settings) -> WooCommerceApi:
    if not (credentials.consumer_key and credentials.consumer_secret):
        raise PermissionError(f"store {store.domain} has no REST API key")
    # A job waits at most a second in place; a longer backoff or Retry-After reschedules the job instead, and so
    # does a request the site left unanswered or answered 5xx (a hanging site holds a job for one timeout); after
    # that, the site's breaker holds its calls unsent until a probe finds it answering.
    retry = RetryPolicy(backoff_base_seconds=settings.woocommerce_backoff_seconds,
                        max_inline_wait_seconds=1.0, retry_outages_inline=False)
    return WooCommerceApi(store.api_base_url or f"https://{store.domain}", credentials.consumer_key,
                          credentials.consumer_secret, retry=retry,
                          timeout_seconds=settings.woocommerce_timeout_seconds,
                          gate=outage_gate(current_app.extensions, f"woocommerce:{store.domain}"))
