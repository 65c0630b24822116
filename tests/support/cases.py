"""Case documents for tests: a valid default you override only where the test is about."""

from __future__ import annotations

import copy
from typing import Any

from policies.case_schema import load_case
from policies.decision_schema import dump_decision
from policies.engine import decide

BASE: dict[str, Any] = {
    "policy": {"preset": "pristine-crystals"},
    "store": {"country": "DE", "timezone": "Europe/Berlin"},
    "order": {
        "id": "1001",
        "placed_at": "2026-03-02T09:00:00Z",
        "currency": "EUR",
        "country": "DE",
        "shipping": {"amount": "6.90", "international": False},
        "fulfilled_at": "2026-03-03T08:00:00Z",
        "delivered_at": "2026-03-05T10:00:00Z",
        "lines": [
            {"id": "L1", "title": "Rose quartz pendant", "sku": "RQ-1", "quantity": 1, "unit_price": "49.00",
             "compare_at_price": None, "discount": "0.00", "product_type": "Necklace", "tags": [],
             "gift_card": False, "properties": {}, "fulfilled_quantity": 1},
        ],
    },
    "request": {
        "kind": "return",
        "submitted_at": "2026-03-10T10:00:00Z",
        "reason": "changed_mind",
        "lines": [{"line_id": "L1", "quantity": 1, "condition": "unused"}],
        "evidence": {"photos": 0},
        "note": "",
    },
}


def line(line_id: str = "L1", **fields: Any) -> dict[str, Any]:
    """An order line like BASE's, with `fields` changed."""
    made = copy.deepcopy(BASE["order"]["lines"][0])
    made["id"] = line_id
    made.update(fields)
    return made


def case(preset: str = "pristine-crystals", *, store: dict[str, Any] | None = None,
         order: dict[str, Any] | None = None, request: dict[str, Any] | None = None,
         **top: Any) -> dict[str, Any]:
    """BASE with the preset set and the given parts of store, order and request replaced."""
    made = copy.deepcopy(BASE)
    made["policy"] = {"preset": preset}
    made["store"].update(store or {})
    made["order"].update(order or {})
    made["request"].update(request or {})
    made.update(top)
    return made


def decision(document: dict[str, Any]) -> dict[str, Any]:
    """Validate, decide and dump, exactly as `assay decide` does for one case."""
    loaded = load_case(document)
    return dump_decision(decide(loaded.case, loaded.policy))


def codes(made: dict[str, Any]) -> set[str]:
    return {reason["code"] for reason in made["reasons"]}
