"""Decide a JSON document of one case or an array of cases: all valid, or nothing decided."""

from __future__ import annotations

from typing import Any

import orjson
from marshmallow import ValidationError

from policies.case_schema import LoadedCase, load_case
from policies.decision_schema import dump_decision, dump_decisions
from policies.engine import decide
from policies.fields import flatten_errors


class CaseError(ValueError):
    """The input is not a valid case document; `errors` lists each field and the rule it broke."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("\n".join(errors))
        self.errors = errors


def parse_cases(data: bytes) -> tuple[list[LoadedCase], bool]:
    """Parse and validate; returns the cases and whether the input was an array."""
    try:
        document = orjson.loads(data)
    except orjson.JSONDecodeError as error:
        raise CaseError([f"input: is not valid JSON ({error})"]) from None
    many = isinstance(document, list)
    documents: list[Any] = document if many else [document]
    loaded: list[LoadedCase] = []
    errors: list[str] = []
    for index, item in enumerate(documents):
        try:
            loaded.append(load_case(item))
        except ValidationError as error:
            where = f"case {index}: " if many else ""
            errors.extend(where + line for line in flatten_errors(error.messages))
    if errors:
        raise CaseError(errors)
    return loaded, many


def decide_document(document: Any) -> dict[str, Any]:
    """One case document in, its decision document out; raises CaseError naming every invalid field."""
    try:
        loaded = load_case(document)
    except ValidationError as error:
        raise CaseError(flatten_errors(error.messages)) from None
    return dump_decision(decide(loaded.case, loaded.policy))


def decide_json(data: bytes) -> bytes:
    """The decisions for a case document, as JSON in the same shape (one, or an array in order)."""
    loaded, many = parse_cases(data)
    decisions = [decide(item.case, item.policy) for item in loaded]
    if many:  # a batch is for programs: compact
        return orjson.dumps(dump_decisions(decisions))
    return orjson.dumps(dump_decision(decisions[0]), option=orjson.OPT_INDENT_2)
