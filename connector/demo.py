"""The demo store's writes are recorded, never sent: a store under `.invalid` (a name no DNS resolves, RFC 2606)
is a demo store, and every other store's writes go to its platform unchanged."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import Any

from flask import Blueprint

from connector.adapter import Handler, HeaderSource, PlatformAdapter, WebhookVerdict
from connector.planning import PlannedAction
from storage.db import Storage
from storage.models import CaseRecord, Store
from storage.repositories.stores import StoreCredentials
from storage.settings import Settings

DEMO_SUFFIX = ".invalid"
log = logging.getLogger("assay.demo")


def is_demo_store(domain: str) -> bool:
    return domain.endswith(DEMO_SUFFIX)


class DemoWrites:
    """A platform adapter whose writes for demo stores are recorded in the outbox row's result instead."""

    def __init__(self, inner: PlatformAdapter) -> None:
        self.inner = inner

    def __getattr__(self, name: str) -> Any:
        """What a platform may or may not offer (WooCommerce's `catch_up`) is the platform's own, unchanged."""
        return getattr(self.inner, name)

    @property
    def name(self) -> str:
        return self.inner.name

    @property
    def topics(self) -> frozenset[str]:
        return self.inner.topics

    @property
    def privacy_topics(self) -> frozenset[str]:
        return self.inner.privacy_topics

    @property
    def replay_horizon(self) -> timedelta:
        return self.inner.replay_horizon

    def tenant_mismatch(self, topic: str, payload: Mapping[str, Any], domain: str) -> str | None:
        return self.inner.tenant_mismatch(topic, payload, domain)

    @property
    def handlers(self) -> Mapping[str, Handler]:
        return self.inner.handlers

    @property
    def blueprints(self) -> Sequence[Blueprint]:
        return self.inner.blueprints

    def verify_webhook(self, headers: HeaderSource, body: bytes, *, url: str, settings: Settings,
                       storage: Storage) -> WebhookVerdict:
        return self.inner.verify_webhook(headers, body, url=url, settings=settings, storage=storage)

    def plan_actions(self, decision: Mapping[str, Any], record: CaseRecord, store: Store) -> list[PlannedAction]:
        return self.inner.plan_actions(decision, record, store)

    def api_client(self, store: Store, credentials: StoreCredentials, settings: Settings) -> Any:
        return self.inner.api_client(store, credentials, settings)

    def write_action(self, store: Store, credentials: StoreCredentials, kind: str, payload: dict[str, Any],
                     idempotency_key: str, settings: Settings) -> dict[str, Any]:
        if not is_demo_store(store.domain):
            return self.inner.write_action(store, credentials, kind, payload, idempotency_key, settings)
        log.info("action.recorded", extra={"key": idempotency_key, "kind": kind, "store_id": store.id})
        return {"recorded": True, "sent": False, "kind": kind, "payload": payload}
