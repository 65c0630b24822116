"""`assay poll woocommerce` (the catch-up for missed webhooks, for cron or a scheduler), `assay woocommerce webhooks`
(register a store's webhooks) and `assay woocommerce statuses` (a store's request-status mapping)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import click
from flask import current_app
from flask.cli import AppGroup

from cli.stores import one_store, register_woocommerce_webhooks_or_say_why, reports_storage_errors
from connector.woocommerce.payloads import WooCommercePayloadError, load_status_mapping
from connector.woocommerce.poll import poll_store, poll_woocommerce
from storage.db import storage_of

if TYPE_CHECKING:
    from connector.woocommerce.poll import PollReport

poll_group = AppGroup("poll", help="Catch up on what the platforms' webhooks may have missed.")
woocommerce_group = AppGroup("woocommerce", help="WooCommerce stores' settings.")


@poll_group.command("woocommerce")
@click.option("--domain", help="only this store (as `assay stores list` shows it); every active one if omitted")
@reports_storage_errors
def poll_woocommerce_command(domain: str | None) -> None:
    """List each store's orders changed since the last poll, feed them to the handlers, re-enable webhooks."""
    if domain is None:
        reports = poll_woocommerce()
    else:
        with storage_of(current_app).transaction() as session:
            store_id = one_store(session, domain, "woocommerce").id
        reports = [poll_store(store_id)]
    if not reports:
        click.echo("no active WooCommerce stores")
    failed = False
    for report in reports:
        failed = failed or _echo(report)
    if failed:
        raise SystemExit(1)


def _echo(report: PollReport) -> bool:
    """One line per store; True when its poll failed."""
    if report.error:
        click.echo(f"store {report.store_id}: poll failed: {report.error}", err=True)
        return True
    reenabled = f", re-enabled webhook(s) {', '.join(map(str, report.webhooks_reenabled))}" \
        if report.webhooks_reenabled else ""
    click.echo(f"{report.domain}: {report.orders_seen} order(s) changed, "
               f"{len(report.events_recorded)} new{reenabled}")
    return False


@woocommerce_group.command("webhooks")
@click.option("--domain", required=True, help="the store's domain, as `assay stores list` shows it")
@reports_storage_errors
def webhooks_command(domain: str) -> None:
    """Register (or mend) Assay's webhooks on the site: one per topic Assay handles, signed with the store's secret."""
    with storage_of(current_app).sessions() as session:
        store_id = one_store(session, domain, "woocommerce").id
    if not register_woocommerce_webhooks_or_say_why(store_id, domain):
        raise SystemExit(1)


@woocommerce_group.command("statuses")
@click.option("--domain", required=True, help="the store's domain, as `assay stores list` shows it")
@click.option("--file", type=click.Path(dir_okay=False),
              help='a JSON mapping such as {"requests": {"return-requested": "return"}, '
                   '"status_after": {"return": {"decline": "return-declined"}}}; omit to show the current one')
@reports_storage_errors
def statuses_command(domain: str, file: str | None) -> None:
    """Show or save which order statuses are requests and which status each decision sets."""
    with storage_of(current_app).transaction() as session:
        store = one_store(session, domain, "woocommerce")
        if file is None:
            click.echo(json.dumps(load_status_mapping(store.status_mapping).document(), indent=2))
            return
        document = _read_json(file)
        try:
            load_status_mapping(document)
        except WooCommercePayloadError as error:
            lines = "\n".join(f"  {line}" for line in error.errors)
            raise click.BadParameter(f"is not a valid status mapping, nothing saved:\n{lines}",
                                     param_hint="'--file'") from None
        store.status_mapping = document
    click.echo(f"saved the status mapping of {domain}")


def _read_json(file: str) -> dict[str, object]:
    try:
        with open(file, encoding="utf-8") as handle:
            loaded = json.load(handle)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise click.BadParameter(f"cannot be read as JSON: {error}", param_hint="'--file'") from None
    if not isinstance(loaded, dict):
        raise click.BadParameter("must hold a JSON object", param_hint="'--file'")
    return loaded
