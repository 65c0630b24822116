"""docs/configuration.md lists exactly the settings storage/settings.py declares, each as the module describes it."""

from __future__ import annotations

import re
from pathlib import Path

from storage.settings import markdown_table, variables

DOCS = Path(__file__).resolve().parents[2] / "docs" / "configuration.md"
HEADER = "| variable | type | default | meaning |"


def documented_variables() -> set[str]:
    """The variables of the docs' settings table: its rows from the header to the first line that is no row."""
    lines = DOCS.read_text(encoding="utf-8").splitlines()
    rows = []
    for line in lines[lines.index(HEADER) + 2:]:
        if not line.startswith("|"):
            break
        rows.append(line)
    return {match[1] for row in rows if (match := re.match(r"\| `([A-Z0-9_]+)` \|", row))}


def test_the_docs_list_every_setting_the_module_declares_and_no_other() -> None:
    documented = documented_variables()
    assert not variables() - documented, f"missing from docs/configuration.md: {sorted(variables() - documented)}"
    assert not documented - variables(), f"in docs/configuration.md, not declared: {sorted(documented - variables())}"


def test_the_docs_table_is_the_one_the_module_makes() -> None:
    assert markdown_table() in DOCS.read_text(encoding="utf-8"), (
        "docs/configuration.md's table differs from storage/settings.py: paste `.venv/bin/python -m storage.settings`")
