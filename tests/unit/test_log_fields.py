"""A log line's fields never reuse a LogRecord attribute: `extra={"created": ...}` raises KeyError inside the
logging call, and only when the level lets the line through, so the job fails in production, not in a quiet test."""

from __future__ import annotations

import ast
import logging
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("policies", "storage", "connector", "jobs", "webhooks", "admin", "cli")
RESERVED = set(vars(logging.LogRecord("n", 0, "p", 0, "m", None, None))) | {"message", "asctime"}


def test_no_log_call_passes_a_field_named_like_a_log_record_attribute() -> None:
    clashes = []
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text())):
                if not isinstance(node, ast.Call):
                    continue
                for keyword in node.keywords:
                    if keyword.arg == "extra" and isinstance(keyword.value, ast.Dict):
                        clashes += [f"{path.relative_to(ROOT)}:{node.lineno} {key.value!r}"
                                    for key in keyword.value.keys
                                    if isinstance(key, ast.Constant) and key.value in RESERVED]
    assert clashes == []
