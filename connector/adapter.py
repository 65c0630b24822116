"""What the rest of Assay asks of a platform (`PlatformAdapter`, looked up by platform name in `connector.registry`),
and the neutral types a platform's code hands back, so jobs/ and webhooks/ never import a platform."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Protocol

from storage.settings import Settings

if TYPE_CHECKING:
    from flask import Blueprint
    from sqlalchemy.orm import Session

    from connector.planning import PlannedAction
    from storage.db import Storage
    from storage.models import CaseRecord, Event, Store
    from storage.repositories import StoreCredentials


class PermanentEventError(Exception):
    """The event can never be handled (a malformed payload, an unknown store): recorded, not retried."""


class TransientWriteError(Exception):
    """The platform could not be reached or was busy: the job reschedules the write, not sooner than `retry_after`
    (the platform's own wait, not counted as an attempt) nor `held_for` (the store's outage breaker)."""

    def __init__(self, message: str, *, retry_after: float | None = None, held_for: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        self.held_for = held_for


class WriteDeferred(TransientWriteError):
    """Not a failure: the platform's budget keeps this write a slot in exactly `retry_after` seconds; the job tries
    again then (no jitter: the slots are already spread), and the try is not counted as an attempt."""

    def __init__(self, message: str, *, retry_after: float) -> None:
        super().__init__(message, retry_after=retry_after)
        self.retry_after: float = retry_after


@dataclass
class FollowUps:
    """Work a handler wants done once its transaction has committed (it reads what the handler wrote)."""

    decisions: list[tuple[int, str]] = field(default_factory=list)

    def decide(self, case_id: int, *, job_id: str) -> None:
        """Decide this case (with `job_id`, so asking twice queues it once)."""
        self.decisions.append((case_id, job_id))


Handler = Callable[["Session", "Event", FollowUps], None]


class Handlers(dict[str, Handler]):
    """A platform's event handlers by topic; `@HANDLERS.on("orders/create", ...)` adds one."""

    def on(self, *topics: str) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            for topic in topics:
                self[topic] = handler
            return handler

        return register


@dataclass(frozen=True, slots=True)
class WebhookVerdict:
    """A delivery as the platform's verification sees it: a ping, or the topic, shop, inbox key and `signer` (the
    store's domain, or '' for a secret all stores share) to record it under, or the intake's `reason` to refuse it."""

    ok: bool
    reason: str
    detail: str = ""
    topic: str | None = None
    shop_domain: str | None = None
    delivery_key: str | None = None
    signer: str = ""
    ping: bool = False
    webhook_id: str | None = None  # the platform's id for the webhook, logged with a ping


class HeaderSource(Protocol):
    """Request headers looked up by name, case-insensitively, such as a web framework's."""

    def get(self, key: str, /) -> str | None: ...

    def __getitem__(self, key: str, /) -> str: ...


class JobRunner(Protocol):
    """The app's way to queue Assay's jobs, for a platform's routes and scheduled work (implemented in jobs/)."""

    def decide(self, case_id: int, *, job_id: str) -> None: ...

    def process_event(self, event_id: int, *, job_id: str) -> None: ...

    def later(self, job: Callable[..., Any], *args: Any, job_id: str) -> None: ...


class CatchingUp(Protocol):
    """A platform whose missed webhooks can be caught up on a schedule (WooCommerce's poll)."""

    def catch_up(self) -> int:
        """Inside an app context: record in the inbox what the platform's webhooks missed, each store on its own
        so one store's failure leaves the others caught up; returns how many stores failed."""


class PlatformAdapter(Protocol):
    """One platform, as the rest of Assay sees it."""

    @property
    def name(self) -> str:
        """The platform's name, as stores and events record it ("shopify")."""

    @property
    def topics(self) -> frozenset[str]:
        """The webhook topics Assay subscribes to: the intake queues these and marks the others ignored."""

    @property
    def privacy_topics(self) -> frozenset[str]:
        """Topics still recorded for an uninstalled store (redaction comes after uninstalling); others dropped."""

    @property
    def replay_horizon(self) -> timedelta:
        """How long the platform may resend a delivery: the same topic and body within it is a duplicate."""

    def tenant_mismatch(self, topic: str, payload: Mapping[str, Any], domain: str) -> str | None:
        """Why this signed payload is not the store's (it names another shop), or None when it may be."""

    @property
    def handlers(self) -> Mapping[str, Handler]:
        """Topic -> the handler `process_event` runs inside its transaction."""

    @property
    def blueprints(self) -> Sequence[Blueprint]:
        """The platform's own routes (app proxy, storefront forms, install), registered by the app factory."""

    def verify_webhook(self, headers: HeaderSource, body: bytes, *, url: str, settings: Settings,
                       storage: Storage) -> WebhookVerdict:
        """Is this delivery the platform's, and what is it? Checked on the raw body, before it is parsed."""

    def plan_actions(self, decision: Mapping[str, Any], record: CaseRecord, store: Store) -> list[PlannedAction]:
        """The outbox actions a stored decision needs on this platform."""

    def api_client(self, store: Store, credentials: StoreCredentials, settings: Settings) -> Any:
        """The platform API client for the store (a context manager)."""

    def write_action(self, store: Store, credentials: StoreCredentials, kind: str, payload: dict[str, Any],
                     idempotency_key: str, settings: Settings) -> dict[str, Any]:
        """Perform one outbox action; raises TransientWriteError when a retry may succeed."""
