"""The `assay` command: a Flask CLI group, so app commands sit beside the policy tools; the app is built only for
the commands that need one. `assay decide` never comes here (cli/entry.py)."""

from __future__ import annotations

import logging

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup, with_appcontext

from cli.app_setup import shopify_group
from cli.decide import decide_command
from cli.demo import demo_group
from cli.privacy import inbox_group, privacy_group
from cli.stores import db_group, policy_group, stores_group
from cli.woocommerce import poll_group, woocommerce_group
from cli.work import actions_group, cases_group, clock_command, events_group, work_until_stopped
from jobs.clock import EmbeddedClock
from jobs.logs import configure_logging
from jobs.queue import InProcessQueue, queue_of
from policies.presets import preset, preset_document, preset_names
from storage.settings import SettingsError, settings_of
from webhooks.app import create_app as build
from webhooks.production import ProductionRefused


class AssayGroup(FlaskGroup):
    """Flask's CLI group without its search of every installed package for plugin commands: Assay uses none, and the
    search is a fixed cost on every command."""

    def _load_plugin_commands(self) -> None:
        self._loaded_plugin_commands = True


def create_app() -> Flask:
    """The app, built only for the commands that need one."""
    try:
        return build()
    except (SettingsError, ProductionRefused) as refused:
        # One clear line per problem and a non-zero exit, not a traceback: `assay worker` and `assay clock` start here.
        raise click.ClickException(str(refused)) from None


@click.group(cls=AssayGroup, create_app=create_app, help="Assay: a jewelry store's policy, enforced.")
def cli() -> None:
    pass


for group in (demo_group, db_group, stores_group, policy_group, poll_group, woocommerce_group, inbox_group,
              privacy_group, shopify_group, events_group, actions_group, cases_group, clock_command):
    cli.add_command(group)


cli.add_command(decide_command)


@cli.group("presets", invoke_without_command=True)
@click.pass_context
def presets_group(ctx: click.Context) -> None:
    """List the seed stores' presets."""
    if ctx.invoked_subcommand is None:

        for name in preset_names():
            policy = preset(name)
            click.echo(f"{name}\t{policy.name if policy else ''}")


@presets_group.command("show", with_appcontext=False)
@click.argument("name")
def presets_show(name: str) -> None:
    """Print one preset's policy document as JSON."""
    import json


    document = preset_document(name)
    if document is None:
        raise click.BadParameter(f"must be one of {', '.join(preset_names())}, got {name!r}", param_hint="NAME")
    click.echo(json.dumps(document, indent=2))


@cli.command("worker")
@click.option("--burst", is_flag=True, help="Stop once the queue is empty.")
@with_appcontext
def worker_command(burst: bool) -> None:
    """Run an RQ worker for Assay's jobs, inside the app (REDIS_URL must be set); it waits out Redis outages."""
    configure_logging(settings_of(current_app).log_level)
    work_until_stopped(burst)


@cli.command("run")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=click.IntRange(1, 65535), default=None, help="[default: PORT, or 8000]")
@with_appcontext
def run_command(host: str, port: int | None) -> None:
    """Serve the app for development; without REDIS_URL the scheduled work runs on threads beside it."""
    # Werkzeug's server itself: Flask's app.run() refuses to start inside a command of its own CLI.
    from werkzeug.serving import run_simple


    settings = settings_of(current_app)
    configure_logging(settings.log_level)
    # Werkzeug sets its own logger to INFO (a line per request) unless it has a level: it takes Assay's.
    logging.getLogger("werkzeug").setLevel(logging.getLogger().level)
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if isinstance(queue_of(app), InProcessQueue):
        EmbeddedClock(app).start()
    what = "Assay's demo store" if settings.demo else "Assay"
    port = settings.port if port is None else port
    click.echo(f"{what}: http://{host}:{port} — Ctrl-C stops it", err=True)
    run_simple(host, port, app, threaded=True, use_reloader=False)


def main() -> None:
    cli()
