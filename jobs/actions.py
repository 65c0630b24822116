"""perform_action(key): one write-back from the outbox, at most once, whoever else is retrying it."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from flask import current_app

from connector.adapter import TransientWriteError
from connector.registry import adapter_for
from storage.db import storage_of
from storage.models import CaseRecord, Store
from storage.repositories import claim_action, claim_next_action, complete_action, fail_action, store_credentials

log = logging.getLogger("assay.jobs")


def _lease() -> timedelta:
    """How long a claimed write may run before another worker may take it over (its worker presumed dead)."""
    return timedelta(seconds=float(current_app.config.get("ACTION_LEASE_SECONDS", 600)))


def perform_action(idempotency_key: str) -> None:
    """Claim the action (a done or freshly claimed one is left alone), write it, record the outcome."""
    storage = storage_of(current_app)
    with storage.transaction() as session:
        action = claim_action(session, idempotency_key, lease=_lease())
        if action is None:
            return
        kind, payload, case_id = action.kind, dict(action.payload), action.case_id
    _perform(idempotency_key, kind, payload, case_id)


def reconcile_actions(limit: int = 100) -> int:
    """Finish actions whose worker died mid-write (their lease ran out) or that were never picked up."""
    storage = storage_of(current_app)
    done = 0
    for _ in range(limit):
        with storage.transaction() as session:
            action = claim_next_action(session, lease=_lease())
            if action is None:
                break
            key, kind, payload, case_id = action.idempotency_key, action.kind, dict(action.payload), action.case_id
        _perform(key, kind, payload, case_id)
        done += 1
    return done


def _perform(key: str, kind: str, payload: dict[str, Any], case_id: int) -> None:
    storage = storage_of(current_app)
    with storage.sessions() as session:
        store = session.get_one(Store, session.get_one(CaseRecord, case_id).store_id)
        credentials = store_credentials(store, storage.cipher)
        session.expunge(store)
    try:
        adapter = adapter_for(current_app, store.platform)
        result = adapter.write_action(store, credentials, kind, payload, key, current_app.config)
    except TransientWriteError as error:
        with storage.transaction() as session:
            fail_action(session, key, str(error), retry=True)
        log.warning("action.retry", extra={"key": key, "kind": kind, "error": str(error)})
        raise
    except Exception as error:  # refused by the platform, or a fault of ours: a person must look, not a retry loop
        with storage.transaction() as session:
            fail_action(session, key, f"{type(error).__name__}: {error}", retry=False)
        log.exception("action.failed", extra={"key": key, "kind": kind})
        return
    with storage.transaction() as session:
        complete_action(session, key, result)
    log.info("action.written", extra={"key": key, "kind": kind})
