"""Assay's scheduled work, run by RQ's cron (`assay clock`) or, in the embedded default, by threads: each entry a
top-level job taking no arguments, as RQ's cron enqueues it, and how often it runs."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app

from connector.registry import platforms_of
from jobs.actions import reconcile_actions
from jobs.relay import relay
from storage.columns import utc_now
from storage.db import storage_of
from storage.repositories import prune_handled_events, prune_inbox, prune_installs
from storage.settings import Settings, settings_of

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
    payload_days = settings_of(current_app).inbox_payload_days
    with storage_of(current_app).transaction() as session:
        emptied = prune_inbox(session, now, timedelta(days=payload_days))
        removed = prune_handled_events(session, now - HANDLED_EVENTS_KEPT)
        prune_installs(session, now)
    log.info("prune.done", extra={"events": removed, "payloads": emptied})
    return removed


@dataclass(frozen=True)
class Scheduled:
    job: Callable[[], int]
    interval: Callable[[Settings], int]  # its setting: seconds between runs


SCHEDULE = (
    Scheduled(run_relay, lambda settings: settings.relay_interval_seconds),
    Scheduled(run_reconcile, lambda settings: settings.reconcile_interval_seconds),
    Scheduled(catch_up_platforms, lambda settings: settings.poll_interval_seconds),
    Scheduled(prune, lambda settings: settings.prune_interval_seconds),
)
