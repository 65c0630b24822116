"""Where the `assay` console script starts: `assay decide` needs click and policies/ alone, so it never pays for
importing Flask and the service's command groups; every other command goes on to cli/main.py."""

from __future__ import annotations

import sys

from cli.decide import decide_command


def main() -> None:
    if sys.argv[1:2] == ["decide"]:
        decide_command.main(sys.argv[2:], prog_name="assay decide")
        return
    from cli.main import main as service_commands  # Flask, storage, the queue, the platforms

    service_commands()
