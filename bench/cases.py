"""Realistic, varied case documents for the benchmarks: every preset, every kind, 1–3 lines."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

PRESETS = ["passione-kustom", "pandorana", "five-elements-link", "pristine-crystals", "kestia"]
STORES = [("DE", "Europe/Berlin", "EUR"), ("GB", "Europe/London", "GBP"), ("US", "America/New_York", "USD")]
KINDS = ["cancel", "return", "claim", "warranty"]
REASONS = {"cancel": [None], "return": ["changed_mind", "wrong_size"],
           "claim": ["damaged_in_transit", "defective", "wrong_item", "not_as_described"],
           "warranty": ["defective"]}
PRODUCTS = [("Ring", []), ("Earrings", []), ("Necklace", ["crystal"]), ("Bracelet", ["silver"])]


def _iso(at: datetime) -> str:
    return at.isoformat().replace("+00:00", "Z")


def make_case(rng: random.Random) -> dict[str, Any]:
    country, zone, currency = rng.choice(STORES)
    kind = rng.choice(KINDS)
    placed = datetime(2026, 1, 5, 9, tzinfo=UTC) + timedelta(hours=rng.randrange(0, 24 * 300))
    shipped = kind != "cancel" or rng.random() < 0.3
    fulfilled = placed + timedelta(hours=rng.randrange(4, 72)) if shipped else None
    delivered = fulfilled + timedelta(hours=rng.randrange(24, 120)) if fulfilled else None
    start = delivered or placed
    submitted = start + timedelta(hours=rng.randrange(1, 24 * (400 if kind == "warranty" else 40)))
    lines = []
    for number in range(1, rng.randint(1, 3) + 1):
        product_type, tags = rng.choice(PRODUCTS)
        price = rng.randrange(1500, 30000)
        lines.append({
            "id": f"L{number}", "title": f"{product_type} {number}", "sku": f"SKU-{number}",
            "quantity": rng.randint(1, 2), "unit_price": f"{price / 100:.2f}",
            "compare_at_price": f"{price / 80:.2f}" if rng.random() < 0.15 else None,
            "discount": "0.00", "product_type": product_type, "tags": tags, "gift_card": False,
            "properties": {"Engraving": "A+B"} if rng.random() < 0.1 else {},
            "fulfilled_quantity": None,
        })
    asked = [] if kind == "cancel" else [
        {"line_id": line["id"], "quantity": 1, "condition": rng.choice(["unused", "used", None])}
        for line in lines[: rng.randint(1, len(lines))]
    ]
    return {
        "policy": {"preset": rng.choice(PRESETS)},
        "store": {"country": country, "timezone": zone},
        "order": {
            "id": str(rng.randrange(1000, 99999)), "placed_at": _iso(placed), "currency": currency,
            "country": country, "shipping": {"amount": "6.90", "international": False},
            "fulfilled_at": _iso(fulfilled) if fulfilled else None,
            "delivered_at": _iso(delivered) if delivered else None, "lines": lines,
        },
        "request": {
            "kind": kind, "submitted_at": _iso(submitted), "reason": rng.choice(REASONS[kind]),
            "lines": asked, "evidence": {"photos": rng.choice([0, 1, 2, 3])}, "note": "",
        },
    }


def make_cases(count: int, seed: int = 7) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    return [make_case(rng) for _ in range(count)]
