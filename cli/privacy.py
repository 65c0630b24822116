"""`assay inbox prune` (for cron: handled payloads emptied after INBOX_PAYLOAD_DAYS, unfinished installs forgotten)
and `assay privacy exports` / `assay privacy export` (what a customers/data_request wrote, for the merchant)."""

from __future__ import annotations

import json

import click
from flask import current_app
from flask.cli import AppGroup

from cli.stores import one_store, reports_storage_errors
from storage.columns import utc_now
from storage.db import storage_of
from storage.repositories import privacy_exports, prune_inbox, prune_installs, read_privacy_export
from storage.settings import settings_of

inbox_group = AppGroup("inbox", help="The webhook inbox.")
privacy_group = AppGroup("privacy", help="Customers' data requests.")


@inbox_group.command("prune")
@reports_storage_errors
def prune_command() -> None:
    """Empty the payloads of events handled more than INBOX_PAYLOAD_DAYS ago; forget installs never finished."""
    from datetime import timedelta


    days = settings_of(current_app).inbox_payload_days
    with storage_of(current_app).transaction() as session:
        now = utc_now()
        emptied = prune_inbox(session, now, timedelta(days=days))
        prune_installs(session, now)
    click.echo(f"{emptied} payload(s) older than {days:g} days emptied")


@privacy_group.command("exports")
@click.option("--domain", required=True, help="the store, as `assay stores list` shows it")
@reports_storage_errors
def exports_command(domain: str) -> None:
    """List the store's data-request exports, newest first."""
    with storage_of(current_app).sessions() as session:
        for export in privacy_exports(session, one_store(session, domain, None).id):
            click.echo(f"{export.id}\t{export.created_at.isoformat()}\tcustomer {export.customer_id or '-'}")


@privacy_group.command("export")
@click.option("--domain", required=True, help="the store, as `assay stores list` shows it")
@click.option("--id", "export_id", required=True, type=click.IntRange(1, 2**63 - 1), help="the export's id")
@reports_storage_errors
def export_command(domain: str, export_id: int) -> None:
    """Print one export (JSON) for the merchant to send to the customer."""
    storage = storage_of(current_app)
    with storage.sessions() as session:
        document = read_privacy_export(session, storage.cipher, one_store(session, domain, None).id, export_id)
    if document is None:
        raise click.BadParameter(f"no export {export_id} for {domain}", param_hint="--id")
    click.echo(json.dumps(document, indent=2, sort_keys=True))
