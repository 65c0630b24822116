"""The one registry of platform adapters, by platform name, kept on `app.extensions` (and the app's job runner)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask

    from connector.adapter import JobRunner, PlatformAdapter

ADAPTERS = "assay.platforms"
RUNNER = "assay.jobs"


def register(app: Flask, adapter: PlatformAdapter) -> None:
    """Make the platform known to the app: its adapter, then its routes."""
    adapters: dict[str, PlatformAdapter] = app.extensions.setdefault(ADAPTERS, {})
    if adapter.name in adapters:
        raise ValueError(f"platform {adapter.name!r} is registered twice")
    adapters[adapter.name] = adapter
    for blueprint in adapter.blueprints:
        app.register_blueprint(blueprint)


def platforms_of(app: Flask) -> Mapping[str, PlatformAdapter]:
    adapters: dict[str, PlatformAdapter] = app.extensions.get(ADAPTERS, {})
    return adapters


def adapter_for(app: Flask, platform: str) -> PlatformAdapter:
    """The adapter of a store's (or an event's) platform; LookupError for one the app doesn't know."""
    adapter = platforms_of(app).get(platform)
    if adapter is None:
        known = ", ".join(sorted(platforms_of(app))) or "none"
        raise LookupError(f"no adapter for platform {platform!r} (registered: {known})")
    return adapter


def set_runner(app: Flask, runner: JobRunner) -> None:
    app.extensions[RUNNER] = runner


def runner_of(app: Flask) -> JobRunner:
    """How a platform's routes and scheduled work queue Assay's jobs, without importing jobs/."""
    runner: JobRunner = app.extensions[RUNNER]
    return runner
