"""A customer's request as the case's `request`: from a request status, and from the storefront form."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from connector.woocommerce.payloads import order_document, parse_order, request_from_status, status_request_key
from connector.woocommerce.storefront import FormInvalid, form_matches, load_request_form, request_from_form

PAYLOAD: dict[str, Any] = {
    "id": 101, "number": "101", "order_key": "wc_order_Ab12", "status": "return-requested", "currency": "EUR",
    "date_created_gmt": "2026-03-01T09:30:00", "date_modified_gmt": "2026-03-06T10:00:00",
    "billing": {"email": "ada@example.com"},
    "line_items": [{"id": 31, "quantity": 2, "subtotal": "98.00", "total": "98.00"},
                   {"id": 32, "quantity": 1, "subtotal": "20.00", "total": "20.00"}],
}
FORM = {"order_number": ["#101"], "email": ["Ada@Example.com "], "order_key": ["wc_order_Ab12"],
        "kind": ["return"], "reason": ["wrong_size"], "note": ["Too small"], "line_id": ["32"]}


def test_a_request_status_asks_for_every_line_when_the_status_was_set() -> None:
    order = parse_order(PAYLOAD)
    request = request_from_status(order, "return", order_document(order, "DE"))
    assert request == {"kind": "return", "submitted_at": "2026-03-06T10:00:00Z", "reason": "changed_mind",
                       "lines": [{"line_id": "31", "quantity": 2, "condition": None},
                                 {"line_id": "32", "quantity": 1, "condition": None}],
                       "evidence": {"photos": 0}, "note": ""}
    assert status_request_key(order) == "status:101:return-requested:2026-03-06T10:00:00Z"


def test_a_cancel_status_asks_for_the_whole_order_with_no_reason() -> None:
    order = parse_order(PAYLOAD)
    request = request_from_status(order, "cancel", order_document(order, "DE"))
    assert (request["lines"], request["reason"]) == ([], None)


def test_the_form_becomes_the_request_the_customer_filled_in() -> None:
    form = load_request_form(FORM)
    order = parse_order(PAYLOAD)
    assert form_matches(order, form)
    request = request_from_form(form, order_document(order, "DE"), datetime(2026, 3, 7, 8, 0, tzinfo=UTC))
    assert request == {"kind": "return", "submitted_at": "2026-03-07T08:00:00Z", "reason": "wrong_size",
                       "lines": [{"line_id": "32", "quantity": 1, "condition": None}],
                       "evidence": {"photos": 0}, "note": "Too small"}


@pytest.mark.parametrize(("changes", "matches"), [
    ({}, True),
    ({"email": ["eve@example.com"]}, False),
    ({"order_key": ["wc_order_Zz99"]}, False),
    ({"order_number": ["102"]}, False),
])
def test_the_form_must_name_the_orders_number_email_and_key(changes: dict[str, list[str]], matches: bool) -> None:
    assert form_matches(parse_order(PAYLOAD), load_request_form({**FORM, **changes})) is matches


def test_every_missing_field_is_named_at_once() -> None:
    with pytest.raises(FormInvalid) as raised:
        load_request_form({"note": ["hello"]})
    assert raised.value.errors == {"order_number": "is required", "email": "is required",
                                   "order_key": "is required", "kind": "is required"}


@pytest.mark.parametrize(("field", "value"), [
    ("order_number", "101/../../"), ("email", "not-an-email"), ("order_key", "abc"), ("kind", "refund"),
    ("reason", "bored"), ("note", "x" * 1001),
])
def test_a_malformed_field_is_named(field: str, value: str) -> None:
    with pytest.raises(FormInvalid) as raised:
        load_request_form({**FORM, field: [value]})
    assert list(raised.value.errors) == [field]


def test_a_line_not_on_the_order_is_named() -> None:
    order = parse_order(PAYLOAD)
    with pytest.raises(FormInvalid) as raised:
        request_from_form(load_request_form({**FORM, "line_id": ["99"]}), order_document(order, "DE"),
                          datetime(2026, 3, 7, tzinfo=UTC))
    assert raised.value.errors == {"line_id": "must name lines of this order, got 99"}
