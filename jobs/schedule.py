"""Assay's scheduled work, run by RQ's cron (`assay clock`) or, in the embedded default, by threads: each entry a
top-level job taking no arguments, as RQ's cron enqueues it, and how often it runs."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from flask import current_app

from connector.registry import platforms_of
from jobs.actions import reconcile_actions
from jobs.relay import relay
from storage.columns import utc_now
from storage.db import storage_of
from storage.repositories import prune_handled_events, prune_inbox, prune_installs

log = logging.getLogger("assay.jobs")

HANDLED_EVENTS_KEPT = timedelta(days=30)


def run_relay() -> int:
    return relay().total


def run_reconcile() -> int:
    return reconcile_actions()


def catch_up_platforms() -> int:
    """Every platform that can catch up on missed webhooks does (WooCommerce's poll); failed stores counted."""
    failed = 0
    for adapter in platforms_of(current_app).values():
        catch_up = getattr(adapter, "catch_up", None)
        if catch_up is not None:
            failed += int(catch_up())
    return failed


def prune() -> int:
    """Forget what is done with: handled payloads past INBOX_PAYLOAD_DAYS (personal data kept no longer than
    needed), handled events past their retention, expired installs."""
    now = utc_now()
    payload_days = float(current_app.config.get("INBOX_PAYLOAD_DAYS", 30))
    with storage_of(current_app).transaction() as session:
        emptied = prune_inbox(session, now, timedelta(days=payload_days))
        removed = prune_handled_events(session, now - HANDLED_EVENTS_KEPT)
        prune_installs(session, now)
    log.info("prune.done", extra={"events": removed, "payloads": emptied})
    return removed


@dataclass(frozen=True)
class Scheduled:
    job: Callable[[], int]
    setting: str  # the configuration key of its interval, in seconds
    default_seconds: int

    def interval(self, config: Mapping[str, Any]) -> int:
        value = config.get(self.setting)
        return self.default_seconds if value in (None, "") else max(1, int(value))


SCHEDULE = (
    Scheduled(run_relay, "ASSAY_RELAY_INTERVAL_SECONDS", 5),
    Scheduled(run_reconcile, "ASSAY_RECONCILE_INTERVAL_SECONDS", 30),
    Scheduled(catch_up_platforms, "ASSAY_POLL_INTERVAL_SECONDS", 300),
    Scheduled(prune, "ASSAY_PRUNE_INTERVAL_SECONDS", 3600),
)
