"""`assay db`, `assay stores` and `assay policy`: set up the database, add stores, and save their policies."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import click
from flask import current_app
from flask.cli import AppGroup

from connector.woocommerce.api import WooCommerceError
from connector.woocommerce.install import InstallRefused, register_woocommerce_webhooks
from jobs.cases import decide_waiting_cases
from jobs.queue import queue_of
from policies.presets import preset_document, preset_names
from storage.db import DatabaseUrlError, storage_of
from storage.migrate import upgrade
from storage.repositories import (
    InvalidPolicy,
    InvalidStore,
    add_shopify_store,
    add_woocommerce_store,
    current_policy_version,
    find_policy_version,
    find_stores_by_domain,
    list_stores,
    set_policy,
)
from storage.secrets import EncryptionKeyError, SecretUnreadable

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from storage.models import Store

Command = TypeVar("Command", bound=Callable[..., Any])

# The repositories name fields by keyword argument; the merchant knows them by option.
OPTION_FOR_FIELD = {
    "domain": "--domain",
    "access_token": "--token",
    "url": "--url",
    "consumer_key": "--key",
    "consumer_secret": "--secret",
    "webhook_secret": "--webhook-secret",
}
OPTIONS_FOR_PLATFORM: dict[str, dict[str, tuple[str, ...]]] = {
    "shopify": {"required": ("--domain", "--token"), "allowed": ("--webhook-secret",)},
    "woocommerce": {"required": ("--url", "--key", "--secret", "--webhook-secret"), "allowed": ()},
}

db_group = AppGroup("db", help="Create or upgrade the database schema.")
stores_group = AppGroup("stores", help="The stores Assay works for.")
policy_group = AppGroup("policy", help="A store's return and cancellation policy.")


def reports_storage_errors(command: Command) -> Command:
    """Turn an unreachable or unmigrated database, or unusable keys, into one clear line instead of a traceback."""
    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from sqlalchemy.exc import OperationalError, ProgrammingError


        try:
            return command(*args, **kwargs)
        except (OperationalError, ProgrammingError) as error:
            where = f"the database at {storage_of(current_app).safe_url}"
            reason = str(error.orig).strip().splitlines()[0] if error.orig else type(error).__name__
            # A missing table: PostgreSQL's undefined_table (a ProgrammingError), SQLite's "no such table".
            if getattr(error.orig, "sqlstate", None) == "42P01" or "no such table" in reason:
                raise click.ClickException(f"{where} has no Assay tables yet ({reason}): "
                                           "run `assay db upgrade` first") from None
            if isinstance(error, ProgrammingError):
                raise  # our mistake, not the operator's: keep the traceback
            raise click.ClickException(f"{where} cannot be used: {reason}") from None
        except (DatabaseUrlError, EncryptionKeyError, SecretUnreadable) as error:
            raise click.ClickException(str(error)) from None

    return wrapper  # type: ignore[return-value]


@db_group.command("upgrade")
@reports_storage_errors
def db_upgrade() -> None:
    """Create the tables, or bring them to the newest schema."""
    storage = storage_of(current_app)
    revision = upgrade(storage.url)
    click.echo(f"database {storage.safe_url} is at revision {revision}")


@stores_group.command("add")
@click.option("--platform", type=click.Choice(sorted(OPTIONS_FOR_PLATFORM)), required=True)
@click.option("--domain", help="shopify: the shop's *.myshopify.com domain")
@click.option("--token", help="shopify: the Admin API access token")
@click.option("--url", help="woocommerce: the site's URL")
@click.option("--key", help="woocommerce: REST API consumer key (ck_...)")
@click.option("--secret", help="woocommerce: REST API consumer secret (cs_...)")
@click.option("--webhook-secret", help="woocommerce: the secret its webhooks are signed with")
@reports_storage_errors
def stores_add(platform: str, domain: str | None, token: str | None, url: str | None,
               key: str | None, secret: str | None, webhook_secret: str | None) -> None:
    """Add a Shopify shop or a WooCommerce site; its credentials are stored encrypted."""
    given = {"--domain": domain, "--token": token, "--url": url, "--key": key,
             "--secret": secret, "--webhook-secret": webhook_secret}
    check_platform_options(platform, given)
    storage = storage_of(current_app)
    try:
        with storage.transaction() as session:
            if platform == "shopify":
                store = add_shopify_store(session, storage.cipher, domain=domain or "", access_token=token or "",
                                          webhook_secret=webhook_secret)
            else:
                store = add_woocommerce_store(session, storage.cipher, url=url or "", consumer_key=key or "",
                                              consumer_secret=secret or "", webhook_secret=webhook_secret or "")
    except InvalidStore as error:
        raise click.BadParameter(error.rule, param_hint=f"'{OPTION_FOR_FIELD[error.field]}'") from None
    click.echo(f"added {store.platform} store {store.domain} (id {store.id})")
    if platform == "woocommerce":
        register_woocommerce_webhooks_or_say_why(store.id, store.domain)


def register_woocommerce_webhooks_or_say_why(store_id: int, domain: str) -> bool:
    """Assay's webhooks on the site, as an install registers them; when that can't be done, one plain line on
    stderr saying why and what to run once it is mended (the store itself is saved either way)."""
    why = None
    try:
        done = register_woocommerce_webhooks(store_id)
    except InstallRefused as refused:
        why, done = refused.detail, None
    except (WooCommerceError, PermissionError) as error:  # the message names the request, never a credential
        why, done = f"the site refused or could not be reached: {error}", None
    if done is None:
        why = why or "the store is not active"
        click.echo(f"its webhooks are NOT registered: {why}. Then run `assay woocommerce webhooks --domain {domain}`",
                   err=True)
        return False
    click.echo(f"its webhooks to Assay: {len(done.created)} created, {len(done.updated)} updated")
    return True


def check_platform_options(platform: str, given: dict[str, str | None]) -> None:
    """Every missing and every misplaced option at once, not one per attempt."""
    rules = OPTIONS_FOR_PLATFORM[platform]
    missing = [option for option in rules["required"] if not given[option]]
    misplaced = [option for option, value in given.items()
                 if value is not None and option not in rules["required"] + rules["allowed"]]
    problems = []
    if missing:
        problems.append(f"a {platform} store needs {', '.join(missing)}")
    if misplaced:
        problems.append(f"{', '.join(misplaced)} {'is' if len(misplaced) == 1 else 'are'} not for {platform} stores")
    if problems:
        raise click.UsageError("; ".join(problems))


@stores_group.command("list")
@reports_storage_errors
def stores_list() -> None:
    """Every store with its status and current policy; credentials are never shown."""
    with storage_of(current_app).transaction() as session:
        stores = list_stores(session)
        if not stores:
            click.echo("no stores yet: add one with `assay stores add`")
            return
        click.echo("id\tplatform\tdomain\tstatus\tpolicy\tapi_base_url")
        for store in stores:
            policy = current_policy_version(session, store.id)
            click.echo("\t".join([str(store.id), store.platform, store.domain, store.status,
                                  policy.label if policy else "-", store.api_base_url or "-"]))


def one_store(session: Session, domain: str, platform: str | None) -> Store:
    """The store named by --domain (and --platform when a host is on both platforms)."""
    stores = [s for s in find_stores_by_domain(session, domain) if platform is None or s.platform == platform]
    if not stores:
        raise click.BadParameter(f"no store has domain {domain!r}; `assay stores list` shows them",
                                 param_hint="'--domain'")
    if len(stores) > 1:
        raise click.BadParameter(f"{domain!r} is both a shopify and a woocommerce store; add --platform",
                                 param_hint="'--domain'")
    return stores[0]


def policy_document(preset_name: str | None, file: str | None) -> dict[str, Any]:
    """The document named by --preset, or read from --file as JSON."""
    if (preset_name is None) == (file is None):
        raise click.UsageError("give exactly one of --preset NAME or --file FILE")
    if preset_name is not None:
        document = preset_document(preset_name)
        if document is None:
            raise click.BadParameter(f"must be one of {', '.join(preset_names())}, got {preset_name!r}",
                                     param_hint="'--preset'")
        return document
    assert file is not None
    try:
        with open(file, encoding="utf-8") as handle:
            loaded = json.load(handle)
    except (OSError, UnicodeDecodeError) as error:
        raise click.BadParameter(f"cannot be read: {error}", param_hint="'--file'") from None
    except json.JSONDecodeError as error:
        raise click.BadParameter(f"is not valid JSON: {error}", param_hint="'--file'") from None
    if not isinstance(loaded, dict):
        raise click.BadParameter("must hold a JSON object, the policy document", param_hint="'--file'")
    return loaded


PLATFORM_OPTION = click.option("--platform", type=click.Choice(sorted(OPTIONS_FOR_PLATFORM)),
                               help="only needed when the domain is on both platforms")


@policy_group.command("set")
@click.option("--domain", required=True, help="the store's domain, as `assay stores list` shows it")
@PLATFORM_OPTION
@click.option("--preset", "preset_name", help="one of the presets (`assay presets` lists them)")
@click.option("--file", type=click.Path(dir_okay=False), help="a policy document in JSON")
@reports_storage_errors
def policy_set(domain: str, platform: str | None, preset_name: str | None, file: str | None) -> None:
    """Save a new version of the store's policy and print its label, such as kestia@3; cases that were waiting
    for a policy are decided by it."""
    document = policy_document(preset_name, file)
    try:
        with storage_of(current_app).transaction() as session:
            saved = set_policy(session, one_store(session, domain, platform).id, document)
            store_id, version, label = saved.store_id, saved.version, saved.label
    except InvalidPolicy as error:
        lines = "\n".join(f"  {line}" for line in error.errors)
        hint = "'--file'" if file is not None else "'--preset'"
        raise click.BadParameter(f"is not a valid policy, nothing saved:\n{lines}", param_hint=hint) from None
    queue_of(current_app).enqueue(decide_waiting_cases, store_id, version, job_id=f"waiting-{store_id}-v{version}")
    click.echo(label)


@policy_group.command("show")
@click.option("--domain", required=True, help="the store's domain, as `assay stores list` shows it")
@PLATFORM_OPTION
@click.option("--version", type=click.IntRange(min=1), help="an older version; the current one if omitted")
@reports_storage_errors
def policy_show(domain: str, platform: str | None, version: int | None) -> None:
    """Print the store's current policy document (or an older version) as JSON."""
    with storage_of(current_app).transaction() as session:
        store = one_store(session, domain, platform)
        if version is None:
            row = current_policy_version(session, store.id)
        else:
            row = find_policy_version(session, store.id, version)
        if row is None:
            wanted = f"no version {version}" if version else "no policy yet"
            raise click.ClickException(f"{store.domain} has {wanted}; save one with `assay policy set`")
        click.echo(json.dumps(row.document, indent=2, ensure_ascii=False))
