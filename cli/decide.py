"""`assay decide`: the policy engine on a file of cases, with nothing of the service loaded (cli/entry.py)."""

from __future__ import annotations

import gc
import sys
from typing import IO

import click

from policies.batch import CaseError, decide_json


@click.command("decide")
@click.argument("file", type=click.File("rb"))
def decide_command(file: IO[bytes]) -> None:
    """Decide the case (or JSON array of cases) in FILE ('-' for stdin) and print the decisions."""
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

