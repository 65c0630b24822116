"""What the Assay plugin adds to an order and a form: the delivery date meta, the photo count."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from connector.woocommerce.payloads import order_document, parse_order
from connector.woocommerce.storefront import FormInvalid, load_request_form, request_from_form

PAYLOAD: dict[str, Any] = {
    "id": 101, "number": "101", "order_key": "wc_order_Ab12", "status": "processing", "currency": "EUR",
    "date_created_gmt": "2026-03-01T09:30:00", "billing": {"email": "ada@example.com"},
    "line_items": [{"id": 31, "quantity": 2, "subtotal": "98.00", "total": "98.00"}],
}
FORM = {"order_number": ["101"], "email": ["ada@example.com"], "order_key": ["wc_order_Ab12"], "kind": ["return"]}


def order(**changes: Any) -> dict[str, Any]:
    return {**PAYLOAD, **changes}


def document(payload: dict[str, Any]) -> dict[str, Any]:
    return order_document(parse_order(payload), "DE")


@pytest.mark.parametrize(("value", "delivered_at"), [
    ("2026-03-04T14:00:00Z", "2026-03-04T14:00:00Z"),
    ("2026-03-04T15:00:00+01:00", "2026-03-04T14:00:00Z"),
    ("2026-03-04T14:00:00", "2026-03-04T14:00:00Z"),  # no offset: the plugin writes UTC
    ("2026-03-04", None),  # a bare date says no time of day
    ("yesterday", None),
    (1772632800, None),
])
def test_the_plugins_delivery_meta_is_the_orders_delivered_at(value: Any, delivered_at: str | None) -> None:
    payload = order(meta_data=[{"key": "_assay_delivered_at", "value": value}, {"key": "other", "value": "x"}])
    assert document(payload)["delivered_at"] == delivered_at


def test_an_order_without_the_meta_has_no_delivery_date() -> None:
    assert document(order())["delivered_at"] is None


def test_the_forms_photo_count_is_the_requests_evidence() -> None:
    form = load_request_form({**FORM, "photos": ["3"]})
    request = request_from_form(form, document(PAYLOAD), datetime.now(UTC))
    assert request["evidence"] == {"photos": 3}


@pytest.mark.parametrize("photos", ["-1", "21", "many"])
def test_a_photo_count_out_of_range_is_named(photos: str) -> None:
    with pytest.raises(FormInvalid) as refused:
        load_request_form({**FORM, "photos": [photos]})
    assert "photos" in refused.value.errors
