"""The policy editor's form is read off the schema; these are the words a merchant reads on it."""

from __future__ import annotations

from typing import Any

from admin.merchant_words import label, toggle
from admin.policy_form import policy_form


def sections(nodes: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for node in nodes:
        if node["type"] == "section":
            found[node["path"]] = node
        found.update(sections(node.get("fields", [])))
    return found


def test_every_optional_part_of_the_form_is_switched_on_in_words_not_field_names() -> None:
    form = sections(policy_form())
    optional = {path: node for path, node in form.items() if not node["required"]}
    assert optional["returns.window"]["toggle"] == "Set a time limit"
    assert optional["returns.window.fallback_delay"]["toggle"] == "Add time after that date"
    assert optional["cancellation.statutory_window"]["toggle"] == "Give a statutory cancellation period"
    for path, node in optional.items():
        assert "_" not in node["toggle"], path  # never a schema name such as "fallback_delay"


def test_a_label_is_the_merchants_words_for_each_step_of_the_path() -> None:
    assert label("returns.window.fallback") == "Returns › time limit › if that date is unknown, count from"
    assert label("exclusions.0.skus") == "Exclusions › #1 › SKUs"
    assert toggle("warranty.promise.unheard_of") == "Use “unheard of”"  # a part with no words yet: its label
