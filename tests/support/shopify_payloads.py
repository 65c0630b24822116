"""Sample Shopify payloads and Admin API results (tests/fixtures/shopify/payloads), a fresh copy per call."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

PAYLOADS = Path(__file__).resolve().parent.parent / "fixtures" / "shopify" / "payloads"


def payload(name: str) -> dict[str, Any]:
    """`payload("orders_create")` -> the parsed JSON of orders_create.json."""
    loaded: dict[str, Any] = json.loads((PAYLOADS / f"{name}.json").read_text(encoding="utf-8"))
    return loaded
