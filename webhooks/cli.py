"""The `assay` command: a Flask CLI group, so app commands sit beside the policy tools."""

from __future__ import annotations

import gc
import sys

import click
from flask.cli import FlaskGroup

from webhooks.app import create_app
from webhooks.store_commands import db_group, policy_group, stores_group


@click.group(cls=FlaskGroup, create_app=create_app, help="Assay: a jewelry store's policy, enforced.")
def cli() -> None:
    pass


for group in (db_group, stores_group, policy_group):
    cli.add_command(group)


@cli.command("decide")
@click.argument("file", type=click.File("rb"))
def decide_command(file: click.utils.LazyFile) -> None:
    """Decide the case (or JSON array of cases) in FILE ('-' for stdin) and print the decisions."""
    from policies.batch import CaseError, decide_json

    # A short-lived batch makes no reference cycles worth collecting; the cycle collector would only
    # rescan every loaded case again and again.
    collecting = gc.isenabled()
    gc.disable()
    try:
        out = decide_json(file.read())
    except CaseError as error:
        click.echo("invalid case, nothing decided:", err=True)
        for line in error.errors:
            click.echo(f"  {line}", err=True)
        sys.exit(2)
    finally:
        if collecting:
            gc.enable()
    sys.stdout.buffer.write(out + b"\n")


@cli.group("presets", invoke_without_command=True)
@click.pass_context
def presets_group(ctx: click.Context) -> None:
    """List the seed stores' presets."""
    if ctx.invoked_subcommand is None:
        from policies.presets import preset, preset_names

        for name in preset_names():
            policy = preset(name)
            click.echo(f"{name}\t{policy.name if policy else ''}")


@presets_group.command("show")
@click.argument("name")
def presets_show(name: str) -> None:
    """Print one preset's policy document as JSON."""
    import json

    from policies.presets import preset_document, preset_names

    document = preset_document(name)
    if document is None:
        raise click.BadParameter(f"must be one of {', '.join(preset_names())}, got {name!r}", param_hint="NAME")
    click.echo(json.dumps(document, indent=2))


def main() -> None:
    cli()
