"""The Admin API client: one shop's GraphQL endpoint and access token, riding out Shopify's throttle and
outages, with each store's writes paced to its bucket."""

from __future__ import annotations

import json
import logging
import random
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any, Protocol, TypeVar

import httpx
from flask import Flask, current_app
from redis.exceptions import RedisError
from shopify_app.exchange.refresh_token import refresh_access_token
from shopify_app.exchange.token_exchange import token_exchange
from shopify_app.graphql import admin_graphql_request
from shopify_app.types import GQLResult, IdTokenDetails, TokenExchangeResult

from connector.adapter import TransientWriteError
from connector.http_clients import shared_client
from connector.outages import CONNECT_TIMEOUT_SECONDS, OutageGate, outage_gate
from connector.redis_ledgers import ledger_client
from connector.shopify.verify import WHAT_TO_SET, ShopifyApp, shopify_app
from storage.db import Storage, storage_of
from storage.models import Store
from storage.repositories import StoreCredentials
from storage.repositories.offline_tokens import (
    OfflineToken,
    forget_offline_token,
    lock_store_tokens,
    offline_token,
    save_offline_token,
)
from storage.settings import Settings

# --- Documents ------------------------------------------------------------------------------------

API_VERSION = "2026-07"


@dataclass(frozen=True)
class Document:
    """A named GraphQL operation and its source text."""

    operation_name: str
    source: str
    # A write that sets rather than adds (tagsAdd, a whole note): sending it twice leaves the same result.
    repeatable: bool = False

    @property
    def safe_to_resend(self) -> bool:
        """Resending after a lost answer changes nothing: a read, a repeatable write, or one with @idempotent."""
        return self.repeatable or not self.source.lstrip().startswith("mutation") or "@idempotent" in self.source


# --- What can go wrong ----------------------------------------------------------------------------

class ShopifyAdminError(Exception):
    """Base of every Admin API failure; says which shop and operation, never the token."""

    retryable = False

    def __init__(self, message: str, *, shop: str, operation: str) -> None:
        super().__init__(f"{operation} on {shop}: {message}")
        self.shop = shop
        self.operation = operation


class ShopifyUnavailable(ShopifyAdminError):
    """Shopify is failing or busy (retries ran out, a wait too long for a job, the shop's breaker held the call):
    try again later, not before `retry_after` (Shopify's pause) nor `held_for` (the breaker's)."""

    retryable = True

    def __init__(self, message: str, *, shop: str, operation: str, retry_after: float | None = None,
                 held_for: float | None = None) -> None:
        super().__init__(message, shop=shop, operation=operation)
        self.retry_after = retry_after
        self.held_for = held_for


class ShopifyAccessDenied(ShopifyAdminError):
    """401/403: the token was revoked (app uninstalled) or lacks a scope; retrying won't help."""

    def __init__(self, message: str, *, shop: str, operation: str, status: int) -> None:
        super().__init__(message, shop=shop, operation=operation)
        self.status = status


class ShopifyRequestRejected(ShopifyAdminError):
    """Another 4xx (bad request, shop frozen 402, locked 423, not found 404)."""

    def __init__(self, message: str, *, shop: str, operation: str, status: int) -> None:
        super().__init__(message, shop=shop, operation=operation)
        self.status = status


class ShopifyGraphQLError(ShopifyAdminError):
    """Top-level GraphQL `errors`: an invalid document or variables, an idempotency conflict, an access error."""

    def __init__(self, errors: list[dict[str, Any]], *, shop: str, operation: str) -> None:
        super().__init__("; ".join(_describe(error) for error in errors), shop=shop, operation=operation)
        self.errors = errors

    @property
    def codes(self) -> list[str]:
        return [str((error.get("extensions") or {}).get("code", "")) for error in self.errors]


class ShopifyUserErrors(ShopifyAdminError):
    """A mutation ran but refused: its payload's userErrors, with the data for callers that inspect state."""

    def __init__(self, user_errors: list[dict[str, Any]], data: dict[str, Any], *, shop: str, operation: str) -> None:
        super().__init__("; ".join(_describe(error) for error in user_errors), shop=shop, operation=operation)
        self.user_errors = user_errors
        self.data = data

    @property
    def codes(self) -> list[str]:
        return [str(error.get("code") or "") for error in self.user_errors]


def errors_list(errors: Any) -> list[dict[str, Any]]:
    """Shopify's `errors` is a list of objects, except a bare string on some auth failures."""
    if isinstance(errors, list):
        return [e if isinstance(e, dict) else {"message": str(e)} for e in errors]
    return [{"message": str(errors)}] if errors else []


def _describe(error: dict[str, Any]) -> str:
    code = error.get("code") or (error.get("extensions") or {}).get("code")
    field = ".".join(str(part) for part in error.get("field") or ())
    return " ".join(part for part in (f"[{code}]" if code else "", field, str(error.get("message", ""))) if part)


# --- The transport --------------------------------------------------------------------------------

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
    # Shopify named it), so a job reschedules itself instead of holding a worker (jobs pass 1 s; a caller with
    # no job to reschedule waits as long as Shopify says).
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
        on_cost: CostObserver | None = None,
        gate: OutageGate | None = None,
    ) -> None:
        self.shop = shop_handle(shop_domain)
        self._access_token = access_token
        self.api_version = api_version
        self.retry = retry or RetryPolicy()
        self._sleep = sleep
        # One client per shop and origin for the whole process: kept-alive connections, one SSLContext.
        self._http = shared_client(("shopify", self.shop, timeout_seconds),
                                   lambda context: httpx.Client(timeout=_timeout(timeout_seconds), verify=context))
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


def _json(body: str) -> dict[str, Any]:
    try:
        parsed = json.loads(body)
    except (TypeError, ValueError):
        return {}
    return parsed if isinstance(parsed, dict) else {}


# --- A store's client -----------------------------------------------------------------------------

INLINE_WAIT_SECONDS = 1.0


def shopify_api(store: Store, credentials: StoreCredentials, settings: Settings,
                pacer: JobPacer | None = None) -> AdminApi:
    token = credentials.access_token
    if store.access_token_expires_at is not None and not offline_token_usable(store, token):
        token = _refreshed(store, settings)  # an expiring offline token near its end: refreshed under the lock
    if not token:
        raise PermissionError(f"store {store.domain} has no access token (uninstalled?)")
    # A job waits at most a second in place, in all; a longer backoff or throttle wait reschedules the job
    # instead, and so does a request Shopify left unanswered or answered 5xx (a hanging shop holds a job for one
    # timeout); after that, the shop's breaker holds its calls unsent until a probe finds it answering.
    retry = RetryPolicy(max_inline_wait_seconds=INLINE_WAIT_SECONDS, inline_wait_budget_seconds=INLINE_WAIT_SECONDS,
                        retry_outages_inline=False)
    return AdminApi(store.domain, token, timeout_seconds=settings.shopify_timeout_seconds, retry=retry,
                    on_cost=pacer.observe if pacer else None,
                    gate=outage_gate(current_app.extensions, f"shopify:{store.domain}"))


def offline_token_usable(store: Store, token: str | None) -> bool:
    return OfflineToken(token, store.access_token_expires_at, None, None).usable()


def _refreshed(store: Store, settings: Settings) -> str:
    app = shopify_app(settings)
    if app is None:
        raise PermissionError(f"store {store.domain}'s token needs a refresh, and {WHAT_TO_SET}")
    return fresh_access_token(storage_of(current_app), app, store.id)


# --- Access tokens --------------------------------------------------------------------------------

token_log = logging.getLogger("assay.shopify.tokens")
_SUFFIX = ".myshopify.com"


class TokenRefused(PermissionError):
    """Shopify refused the exchange or the refresh token (revoked, expired, app removed): a person must open the app."""


class TokenUnavailable(TransientWriteError):
    """Shopify's token endpoint could not be reached or answered nothing usable: try again later, nothing lost."""


def token_http(app: ShopifyApp) -> httpx.Client:
    return httpx.Client(timeout=app.timeout_seconds)


def _instant(text: str | None) -> datetime | None:
    return None if not text else datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


def _pair(result: TokenExchangeResult) -> OfflineToken:
    token = result.access_token
    assert token is not None  # ok results carry it
    return OfflineToken(token.token, _instant(token.expires), token.refresh_token or None,
                        _instant(token.refresh_token_expires))


def _failed(result: TokenExchangeResult, shop: str, what: str) -> Exception:
    code = result.log.code
    token_log.warning("shopify.token_failed", extra={"shop": shop, "operation": what, "code": code})
    if code in ("network_error", "server_error", "rate_limit_exceeded"):
        return TokenUnavailable(f"{what} for {shop}: {code}")
    return TokenRefused(f"{what} for {shop} refused: {code}")


def exchange_offline_token(app: ShopifyApp, id_token: IdTokenDetails) -> OfflineToken:
    """Trade a verified session token for an expiring offline token and its refresh token."""
    shop = str(id_token.claims.get("dest", ""))
    with token_http(app) as http:
        result = token_exchange("offline", app.sdk_config(), id_token=id_token, expiring=True, http_client=http)
    if not result.ok or result.access_token is None:
        raise _failed(result, shop, "token exchange")
    token_log.info("shopify.token_exchanged", extra={"shop": shop})
    return _pair(result)


def _refresh(app: ShopifyApp, shop_domain: str, token: OfflineToken) -> OfflineToken:
    shop = shop_domain.removesuffix(_SUFFIX)
    # `expires` left empty: the decision to refresh was made under the lock, not by the SDK's own 60 s rule.
    stale = {"access_mode": "offline", "shop": shop, "refresh_token": token.refresh_token, "expires": "",
             "refresh_token_expires": token.refresh_expires_at.isoformat() if token.refresh_expires_at else ""}
    with token_http(app) as http:
        result = refresh_access_token(stale, app.sdk_config(), http_client=http)
    if not result.ok or result.access_token is None:
        raise _failed(result, shop_domain, "token refresh")
    return _pair(result)


def fresh_access_token(storage: Storage, app: ShopifyApp, store_id: int) -> str:
    """A usable access token for the store, refreshed first if it is near its end — under the store's lock."""
    # The lock (the store's row, FOR UPDATE) is held across the call to Shopify, so a second worker waits and then reads
    # the pair the first one stored. A refused refresh forgets the pair (the next admin visit exchanges anew); a lost
    # answer keeps the old pair, whose refresh token Shopify still honours, and raises TokenUnavailable.
    refused: TokenRefused | None = None
    with storage.transaction() as session:
        store = lock_store_tokens(session, store_id)
        token = offline_token(store, storage.cipher)
        if token.usable():
            assert token.access_token is not None
            return token.access_token
        if not token.refreshable():
            refused = TokenRefused(f"store {store.domain} has no usable offline token; the merchant must open the app")
        else:
            try:
                fresh = _refresh(app, store.domain, token)
            except TokenRefused as error:
                refused = error
        if refused is not None:
            forget_offline_token(store)  # committed on leaving the block: raising inside would roll it back
        else:
            save_offline_token(store, storage.cipher, fresh)
            token_log.info("shopify.token_refreshed", extra={"store_id": store_id})
    if refused is not None:
        raise refused
    assert fresh.access_token is not None
    return fresh.access_token


# --- Pacing: the arithmetic -----------------------------------------------------------------------

# A promise not taken up by then (its job lost, its worker dead) is dropped, so the ledger heals by itself.
CLAIM_GRACE_SECONDS = 120.0


@dataclass(frozen=True)
class Bucket:
    """Shopify's bucket for one store, as last reported: `available` points at time `at` (seconds)."""

    available: float
    at: float
    maximum: float
    restore_rate: float

    def level(self, now: float) -> float:
        """Points in the bucket at `now`, had nobody spent since `at`: it refills up to its maximum."""
        return min(self.maximum, self.available + max(0.0, now - self.at) * self.restore_rate)


@dataclass(frozen=True)
class Claim:
    """Points promised to one job: `remaining` not yet spent, usable from `slot`, dropped after `expires`."""

    remaining: float
    slot: float
    expires: float


@dataclass(frozen=True)
class Ledger:
    """One store's pacing state as one job sees it: the bucket, all promises, this job's own, and the promises
    that ran out (read so their points can be returned)."""

    bucket: Bucket | None = None
    promised: float = 0.0
    claim: Claim | None = None
    expired: tuple[Claim, ...] = ()


def bucket_from(cost: Mapping[str, Any] | None, now: float) -> Bucket | None:
    """The bucket an answer's `extensions.cost` reports, or None when it says nothing usable."""
    status = (cost or {}).get("throttleStatus") or {}
    try:
        bucket = Bucket(float(status["currentlyAvailable"]), now, float(status["maximumAvailable"]),
                        float(status["restoreRate"]))
    except (KeyError, TypeError, ValueError):
        return None
    return bucket if bucket.restore_rate > 0 and bucket.maximum > 0 else None


def wait_for(cost: float, free: float, restore_rate: float) -> float:
    """Seconds until `free` points (possibly negative: promised ahead) refill to hold `cost`."""
    return max(0.0, (cost - free) / restore_rate)


def free_points(ledger: Ledger, now: float) -> float:
    """What a new job may spend at `now`: the refilled bucket less every promise still outstanding."""
    assert ledger.bucket is not None
    return ledger.bucket.level(now) - ledger.promised


def _without_expired(ledger: Ledger) -> Ledger:
    returned = sum(claim.remaining for claim in ledger.expired)
    return replace(ledger, promised=max(0.0, ledger.promised - returned), expired=())


def admit(ledger: Ledger, estimate: float, now: float) -> tuple[float, Ledger]:
    """How long this job must wait before its first call (0: go now), and the ledger with its promise."""
    # A job woken at its slot already holds its promise and takes it up; a new one is promised `estimate` points at the
    # first moment they are free. A store never heard from yet is not paced until it answers.
    ledger = _without_expired(ledger)
    if ledger.claim is not None:
        wait = max(0.0, ledger.claim.slot - now)
        return wait, replace(ledger, claim=replace(ledger.claim, expires=now + wait + CLAIM_GRACE_SECONDS))
    if ledger.bucket is None:
        return 0.0, ledger
    wait = wait_for(estimate, free_points(ledger, now), ledger.bucket.restore_rate)
    claim = Claim(estimate, now + wait, now + wait + CLAIM_GRACE_SECONDS)
    return wait, replace(ledger, promised=ledger.promised + estimate, claim=claim)


def observe(ledger: Ledger, bucket: Bucket | None, charged: float) -> Ledger:
    """Answers came: the bucket is what Shopify said (unless another job has since recorded a later report), and
    the calls that ran spend `charged` of the job's promise."""
    ledger = _without_expired(ledger)
    if ledger.claim is not None and charged > 0:
        spent = min(ledger.claim.remaining, charged)
        ledger = replace(ledger, promised=max(0.0, ledger.promised - spent),
                         claim=replace(ledger.claim, remaining=ledger.claim.remaining - spent))
    if bucket is None or (ledger.bucket is not None and ledger.bucket.at > bucket.at):
        return ledger
    return replace(ledger, bucket=bucket)


def release(ledger: Ledger) -> Ledger:
    """The job ended (done, failed or put off): what it did not spend is free for others again."""
    ledger = _without_expired(ledger)
    if ledger.claim is None:
        return ledger
    return replace(ledger, promised=max(0.0, ledger.promised - ledger.claim.remaining), claim=None)


def learned_cost(previous: float | None, spent: float) -> float:
    """The estimate for the next job of a kind after one spent `spent` points: a rise is taken at once (an
    estimate too low gets throttled), a fall gradually (one cheap run, an already-done write, is no rule)."""
    if previous is None or spent >= previous:
        return spent
    return 0.7 * previous + 0.3 * spent


# --- Pacing: the ledger and the job's pacer -------------------------------------------------------

T = TypeVar("T")
Change = Callable[[Ledger], tuple[T, Ledger]]
LEDGER_TTL_SECONDS = 3600
LEARNED_TTL_SECONDS = 7 * 24 * 3600
REDIS_TIMEOUT_SECONDS = 1.0
CHANGE_RETRIES = 50
CHANGE_BACKOFF_SECONDS = 0.002  # times the try and a random share, so racing workers fall out of step
LEARNED_FRESH_SECONDS = 10.0  # an estimate read from Redis is reused this long by the process (it is an estimate)

# Before the first job of a kind has been measured: about a read and a mutation (Shopify charges 10 a mutation).
DEFAULT_JOB_COST = 30.0
EXTENSION = "assay.shopify_pace"


class PaceStore(Protocol):
    def change(self, shop: str, job: str, now: float, change: Change[T]) -> T:
        """Apply `change` to the shop's ledger as job `job` sees it, atomically; returns what it returned."""

    def learned(self, kind: str) -> float | None: ...

    def learn(self, kind: str, spent: float) -> None: ...


class MemoryPaceStore:
    """The ledger in this process (no Redis: jobs run on the web process's threads)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._ledgers: dict[str, tuple[Bucket | None, float, dict[str, Claim]]] = {}
        self._costs: dict[str, float] = {}

    def change(self, shop: str, job: str, now: float, change: Change[T]) -> T:
        with self._lock:
            bucket, promised, claims = self._ledgers.get(shop, (None, 0.0, {}))
            expired = {key: claim for key, claim in claims.items() if claim.expires < now}
            own = claims.get(job) if job not in expired else None
            result, after = change(Ledger(bucket, promised, own, tuple(expired.values())))
            kept = {key: claim for key, claim in claims.items() if key not in expired and key != job}
            if after.claim is not None:
                kept[job] = after.claim
            self._ledgers[shop] = (after.bucket, after.promised, kept)
            return result

    def learned(self, kind: str) -> float | None:
        return self._costs.get(kind)

    def learn(self, kind: str, spent: float) -> None:
        with self._lock:
            self._costs[kind] = learned_cost(self._costs.get(kind), spent)


# KEYS: the ledger's hash, its promises by expiry, its promises. ARGV: the version read, the change (JSON: the
# hash's fields, the promises gone, this job's promise or []), the keys' TTL. Writes only if no one wrote since.
_WRITE_IF_UNCHANGED = """
if (redis.call('HGET', KEYS[1], 'version') or '0') ~= ARGV[1] then return 0 end
local change = cjson.decode(ARGV[2])
for field, value in pairs(change.fields) do redis.call('HSET', KEYS[1], field, value) end
redis.call('HINCRBY', KEYS[1], 'version', 1)
if #change.gone > 0 then
  redis.call('ZREM', KEYS[2], unpack(change.gone))
  redis.call('HDEL', KEYS[3], unpack(change.gone))
end
if #change.claim == 3 then
  redis.call('ZADD', KEYS[2], change.claim[3], change.claim[1])
  redis.call('HSET', KEYS[3], change.claim[1], change.claim[2])
end
for _, key in ipairs(KEYS) do redis.call('EXPIRE', key, ARGV[3]) end
return 1
"""


class RedisPaceStore:
    """The ledger in Redis, shared by every worker of this deployment (keys under `namespace`)."""

    def __init__(self, redis: Any, namespace: str) -> None:
        self.redis = redis
        self.namespace = namespace
        self._write_if_unchanged = redis.register_script(_WRITE_IF_UNCHANGED)
        self._learned: dict[str, tuple[float | None, float]] = {}  # kind: (estimate, monotonic time read)

    def _keys(self, shop: str) -> tuple[str, str, str]:
        base = f"{self.namespace}:shopify-pace:{shop}"
        return base, f"{base}:expiry", f"{base}:claims"

    def change(self, shop: str, job: str, now: float, change: Change[T]) -> T:
        keys = self._keys(shop)
        for attempt in range(CHANGE_RETRIES):
            version, ledger, expired = self._read(keys, job, now)
            result, after = change(ledger)
            if self._write_if_unchanged(keys=keys, args=[version, _written(job, after, expired), LEDGER_TTL_SECONDS]):
                return result
            time.sleep(CHANGE_BACKOFF_SECONDS * attempt * random.random())  # noqa: S311 - spacing, not secrecy
        raise RuntimeError(f"the pacing ledger of {shop} kept changing under {CHANGE_RETRIES} tries")

    def _read(self, keys: tuple[str, str, str], job: str, now: float) -> tuple[str, Ledger, list[str]]:
        """The ledger as one snapshot (MULTI), and its version; the promises that ran out are read only if any."""
        main, expiry, claims = keys
        pipe = self.redis.pipeline(transaction=True)
        pipe.hgetall(main)
        pipe.zrangebyscore(expiry, "-inf", now)
        pipe.hget(claims, job)
        raw, lapsed, own = pipe.execute()
        fields = {k.decode(): v for k, v in raw.items()}
        version = fields.pop("version", b"0").decode()
        values = {name: float(value) for name, value in fields.items()}
        bucket = None
        if {"available", "at", "maximum", "restore_rate"} <= values.keys():
            bucket = Bucket(values["available"], values["at"], values["maximum"], values["restore_rate"])
        expired = [key.decode() for key in lapsed]
        gone = tuple(claim for claim in map(_claim, self.redis.hmget(claims, expired) if expired else [])
                     if claim is not None)
        ledger = Ledger(bucket, values.get("promised", 0.0), None if job in expired else _claim(own), gone)
        return version, ledger, expired

    def _learned_key(self) -> str:
        return f"{self.namespace}:shopify-pace:job-cost"

    def learned(self, kind: str) -> float | None:
        cached = self._learned.get(kind)
        if cached is not None and time.monotonic() - cached[1] < LEARNED_FRESH_SECONDS:
            return cached[0]
        value = self.redis.hget(self._learned_key(), kind)
        estimate = None if value is None else float(value)
        self._learned[kind] = (estimate, time.monotonic())
        return estimate

    def learn(self, kind: str, spent: float) -> None:
        # Two workers learning at once: one of the two estimates wins, both are fair.
        estimate = learned_cost(self.learned(kind), spent)
        pipe = self.redis.pipeline(transaction=False)
        pipe.hset(self._learned_key(), kind, estimate)
        pipe.expire(self._learned_key(), LEARNED_TTL_SECONDS)
        pipe.execute()
        self._learned[kind] = (estimate, time.monotonic())


def _written(job: str, after: Ledger, expired: list[str]) -> str:
    """The change the write script applies, as JSON; numbers as their repr, so no precision is lost on the way."""
    fields = {"promised": repr(after.promised)}
    if after.bucket is not None:
        bucket = after.bucket
        fields.update(available=repr(bucket.available), at=repr(bucket.at), maximum=repr(bucket.maximum),
                      restore_rate=repr(bucket.restore_rate))
    gone = [key for key in expired if key != job] + ([job] if after.claim is None else [])
    claim = after.claim
    own = [] if claim is None else [job, f"{claim.remaining!r} {claim.slot!r} {claim.expires!r}", repr(claim.expires)]
    return json.dumps({"fields": fields, "gone": gone, "claim": own})


def _claim(raw: bytes | None) -> Claim | None:
    if raw is None:
        return None
    remaining, slot, expires = (float(part) for part in raw.split())
    return Claim(remaining, slot, expires)


def init_app(app: Flask, settings: Settings) -> None:
    """The deployment's ledger: in Redis under the queue's name when REDIS_URL is set (every worker shares it), else
    the app's own; none when SHOPIFY_PACING is off."""
    store: PaceStore | None = None
    if settings.shopify_pacing:
        client = ledger_client(settings, REDIS_TIMEOUT_SECONDS)
        store = MemoryPaceStore() if client is None else RedisPaceStore(client, settings.rq_queue)
    app.extensions[EXTENSION] = store


def pace_store(extensions: Mapping[str, Any]) -> PaceStore | None:
    """The app's ledger, or None when pacing is off."""
    store: PaceStore | None = extensions[EXTENSION]
    return store


class JobPacer:
    """One write-back job's pacing: admitted before its first call, told of every answer, released at its end."""
    # What the answers say is kept here and recorded with the release, in one change of the ledger: meanwhile the job's
    # promise (its estimate) stands in the ledger for what it spends, so other jobs are paced as if it had. `clock` is
    # wall time (shared by every worker's clock, unlike a monotonic one).

    def __init__(self, store: PaceStore, shop: str, job: str, kind: str,
                 clock: Callable[[], float] = time.time) -> None:
        self.store, self.shop, self.job, self.kind, self.clock = store, shop, job, kind, clock
        self.spent = 0.0
        self.bucket: Bucket | None = None  # as the last answer reported it
        self.working = True  # False once Redis failed: the rest of the job runs unpaced

    def admit(self) -> float:
        """Seconds this job must wait before its first call (0: go now); its slot is held meanwhile."""
        estimate = self._guarded(lambda: self.store.learned(self.kind), None) or DEFAULT_JOB_COST
        now = self.clock()
        wait: float = self._guarded(lambda: self.store.change(self.shop, self.job, now,
                                                              lambda ledger: admit(ledger, estimate, now)), 0.0)
        return wait

    def observe(self, cost: Mapping[str, Any] | None, executed: bool) -> None:
        """An answer's `extensions.cost`: `executed` when the call ran (and was charged), not when throttled."""
        self.spent += _number((cost or {}).get("requestedQueryCost")) if executed else 0.0
        self.bucket = bucket_from(cost, self.clock()) or self.bucket

    def release(self, *, completed: bool) -> None:
        """The job ended: the bucket is what its last answer said, what it did not spend is free for others again,
        and a completed one teaches the estimate for its kind what it cost."""
        def ended(ledger: Ledger) -> tuple[None, Ledger]:
            return None, release(observe(ledger, self.bucket, self.spent))

        self._guarded(lambda: self.store.change(self.shop, self.job, self.clock(), ended), None)
        if completed and self.spent > 0:
            self._guarded(lambda: self.store.learn(self.kind, self.spent), None)

    def _guarded(self, step: Callable[[], T], fallback: T) -> T:

        if not self.working:
            return fallback
        try:
            return step()
        except (RedisError, RuntimeError) as error:
            self.working = False
            log.warning("shopify.pacing_unavailable", extra={"shop": self.shop, "error": repr(error)})
            return fallback


def _number(value: Any) -> float:
    try:
        return max(0.0, float(value))
    except (TypeError, ValueError):
        return 0.0
