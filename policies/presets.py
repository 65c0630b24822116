"""The seed stores' policies as presets: policy documents shipped beside this module."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources

from policies.policy import Policy
from policies.policy_schema import load_policy

_FOLDER = "preset_documents"


@cache
def preset_names() -> tuple[str, ...]:
    folder = resources.files("policies").joinpath(_FOLDER)
    return tuple(sorted(p.name.removesuffix(".json") for p in folder.iterdir() if p.name.endswith(".json")))


def preset_document(name: str) -> dict[str, object] | None:
    """A fresh copy of the preset's document, safe to change."""
    if name not in preset_names():
        return None
    text = resources.files("policies").joinpath(_FOLDER, f"{name}.json").read_text(encoding="utf-8")
    document: dict[str, object] = json.loads(text)
    return document


@cache
def preset(name: str) -> Policy | None:
    """The named preset, validated like any merchant's document; None for an unknown name."""
    document = preset_document(name)
    return None if document is None else load_policy(document)
