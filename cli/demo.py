"""`assay demo seed`: the demo store `make run` opens on (cli/demo_seed.py), seeded into an empty database only."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from cli.demo_seed import seed_demo

demo_group = AppGroup("demo", help="The demo store the settings page opens on (`make run`).")


@demo_group.command("seed")
@click.option("--cases", type=click.IntRange(1, 500), default=36, show_default=True)
def seed_command(cases: int) -> None:
    """Create the demo store with its sample cases, unless the database already has a store."""
    seed_demo(cases)
