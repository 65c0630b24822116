"""The sample order "Try it" offers beside the store's own: two pieces, delivered five days ago, in the store's
currency; dated from today (UTC midnight) so the page and the decision see the same order all day."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

SAMPLE_ID = "sample"


def sample_order(currency: str | None, today: datetime | None = None) -> dict[str, Any]:
    midnight = (today or datetime.now(UTC)).replace(hour=0, minute=0, second=0, microsecond=0)

    def iso(days_ago: int) -> str:
        return (midnight - timedelta(days=days_ago, hours=-12)).isoformat().replace("+00:00", "Z")

    def line(number: int, title: str, price: str, tags: list[str]) -> dict[str, Any]:
        return {"id": f"S{number}", "title": title, "sku": f"SAMPLE-{number}", "quantity": 1, "unit_price": price,
                "compare_at_price": None, "discount": "0.00", "product_type": "Jewelry", "tags": tags,
                "gift_card": False, "properties": {}, "fulfilled_quantity": None}

    return {"id": SAMPLE_ID, "placed_at": iso(10), "currency": currency or "USD", "country": None,
            "shipping": {"amount": "6.90", "international": False}, "fulfilled_at": iso(9), "delivered_at": iso(5),
            "lines": [line(1, "Sample ring", "120.00", []), line(2, "Sample bracelet (sale)", "45.00", ["sale"])]}
