"""`assay decide` and `assay presets`, through click's runner and once as a real process."""

from __future__ import annotations

import gc
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from support.cases import case, decision

from cli.main import cli
from policies.presets import preset_document

ASSAY = Path(sys.executable).with_name("assay")
PRESETS = ["five-elements-link", "kestia", "pandorana", "passione-kustom", "pristine-crystals"]


@pytest.fixture(autouse=True)
def cycle_collector_restored() -> Iterator[None]:
    """`assay decide` turns the cycle collector off for its own short process; give it back to pytest."""
    enabled = gc.isenabled()
    yield
    if enabled:
        gc.enable()


def run(*args: str, stdin: str | None = None) -> Result:
    return CliRunner().invoke(cli, list(args), input=stdin)


def decide(tmp_path: Path, document: Any) -> Result:
    path = tmp_path / "cases.json"
    path.write_text(json.dumps(document))
    return run("decide", str(path))


def as_json(made: dict[str, Any]) -> Any:
    return json.loads(json.dumps(made))


def broken(**order: Any) -> dict[str, Any]:
    return case(order=order)


def test_one_case_prints_one_decision_object(tmp_path: Path) -> None:
    result = decide(tmp_path, case())
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout) == as_json(decision(case()))
    assert result.stderr == ""


def test_an_array_of_cases_prints_their_decisions_in_the_same_order(tmp_path: Path) -> None:
    documents = [case("kestia"), case("pandorana"), case("five-elements-link"), case()]
    result = decide(tmp_path, documents)
    assert result.exit_code == 0, result.stderr
    printed = json.loads(result.stdout)
    assert [made["policy_version"] for made in printed] == [
        "kestia@1", "pandorana@1", "five-elements-link@1", "pristine-crystals@1"]
    assert printed == [as_json(decision(document)) for document in documents]


def test_an_empty_array_decides_nothing_and_prints_an_empty_array(tmp_path: Path) -> None:
    result = decide(tmp_path, [])
    assert (result.exit_code, json.loads(result.stdout)) == (0, [])


def test_a_case_can_be_read_from_stdin() -> None:
    result = run("decide", "-", stdin=json.dumps(case()))
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["outcome"] == "approve"


def test_an_invalid_case_anywhere_in_an_array_decides_nothing(tmp_path: Path) -> None:
    result = decide(tmp_path, [broken(currency="EURO"), case(), broken(placed_at="2026-03-02")])
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        "invalid case, nothing decided:",
        "  case 0: order.currency: must be an ISO 4217 currency code such as \"EUR\", got 'EURO'",
        "  case 2: order.placed_at: must include a UTC offset such as Z or +02:00, got '2026-03-02'",
    ]


def test_an_invalid_single_case_names_the_field_and_rule_without_a_case_number(tmp_path: Path) -> None:
    result = decide(tmp_path, case(request={"kind": "refund"}))
    assert (result.exit_code, result.stdout) == (2, "")
    assert "  request.kind: must be one of cancel, return, claim, warranty, got 'refund'" in result.stderr.splitlines()


@pytest.mark.parametrize("text", ["{not json", "", "[1, 2", "\"just a string\""])
def test_input_that_is_not_a_case_document_exits_2_with_nothing_on_stdout(tmp_path: Path, text: str) -> None:
    path = tmp_path / "cases.json"
    path.write_text(text)
    result = run("decide", str(path))
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr.startswith("invalid case, nothing decided:\n")


def test_input_that_is_not_json_says_so() -> None:
    result = run("decide", "-", stdin="{not json")
    assert "  input: is not valid JSON" in result.stderr


def test_a_missing_file_is_a_usage_error(tmp_path: Path) -> None:
    result = run("decide", str(tmp_path / "nowhere.json"))
    assert result.exit_code == 2
    assert "No such file or directory" in result.stderr


def test_deciding_leaves_the_cycle_collector_as_it_found_it(tmp_path: Path) -> None:
    gc.enable()
    decide(tmp_path, case())
    assert gc.isenabled()


def test_presets_lists_the_five_seed_presets_with_their_names() -> None:
    result = run("presets")
    assert result.exit_code == 0
    rows = [row.split("\t") for row in result.stdout.splitlines()]
    assert [name for name, _ in rows] == PRESETS
    assert dict(rows)["five-elements-link"] == "5 Elements Link"


def test_presets_show_prints_the_presets_json_document() -> None:
    result = run("presets", "show", "kestia")
    assert result.exit_code == 0
    assert json.loads(result.stdout) == preset_document("kestia")


def test_presets_show_of_an_unknown_name_fails_and_lists_the_known_ones() -> None:
    result = run("presets", "show", "tiffany")
    assert result.exit_code != 0
    assert result.stdout == ""
    assert "got 'tiffany'" in result.stderr
    assert all(name in result.stderr for name in PRESETS)


def test_the_installed_assay_command_decides_a_file_in_a_real_process(tmp_path: Path) -> None:
    path = tmp_path / "cases.json"
    path.write_text(json.dumps([case(), case("five-elements-link")]))
    done = subprocess.run([str(ASSAY), "decide", str(path)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert [made["outcome"] for made in json.loads(done.stdout)] == ["approve", "decline"]


def test_the_installed_assay_command_exits_2_on_an_invalid_case(tmp_path: Path) -> None:
    path = tmp_path / "cases.json"
    path.write_text(json.dumps([case(), broken(currency="EURO")]))
    done = subprocess.run([str(ASSAY), "decide", str(path)], capture_output=True, text=True, timeout=60)
    assert (done.returncode, done.stdout) == (2, "")
    assert "case 1: order.currency:" in done.stderr
