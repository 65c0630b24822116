"""The storefront request form for stores without a request-status plugin: checked against the site, then decided."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from flask import Flask

from ..fakes.woocommerce import FakeWooCommerce
from .steps import form_for, install, run_worker

pytestmark = pytest.mark.integration


def just_placed(fake: FakeWooCommerce) -> dict[str, Any]:
    placed = (datetime.now(UTC) - timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M:%S")
    return fake.state.add_order(created=placed)


def test_a_cancel_asked_through_the_form_is_decided_and_written_back_once(
    app: Flask, base_url: str, fake_woocommerce: FakeWooCommerce
) -> None:
    store_id = install(app, fake_woocommerce, "pristine-crystals")
    order = just_placed(fake_woocommerce)
    url = f"{base_url}/forms/woocommerce/{store_id}/request"

    first = httpx.post(url, data=form_for(order))
    again = httpx.post(url, json=form_for(order))
    run_worker(app)

    assert (first.status_code, again.status_code) == (202, 202)
    assert first.json()["case_id"] == again.json()["case_id"]
    assert fake_woocommerce.writes() == [("POST", "orders/101/refunds"), ("PUT", "orders/101")]


def test_every_missing_or_malformed_field_is_named_in_a_400(
    app: Flask, base_url: str, fake_woocommerce: FakeWooCommerce
) -> None:
    store_id = install(app, fake_woocommerce)
    answer = httpx.post(f"{base_url}/forms/woocommerce/{store_id}/request",
                        data={"email": "not an email", "kind": "refund"})
    assert answer.status_code == 400
    assert answer.json()["fields"] == {
        "order_number": "is required", "order_key": "is required",
        "email": "must be the email address the order was placed with",
        "kind": "must be one of cancel, return, claim, warranty, got 'refund'"}
    assert fake_woocommerce.requests == []


@pytest.mark.parametrize("change", [{"email": "eve@example.com"}, {"order_key": "wc_order_guessed"},
                                    {"order_number": "999"}])
def test_a_wrong_email_key_or_number_gets_the_same_404(
    app: Flask, base_url: str, fake_woocommerce: FakeWooCommerce, change: dict[str, str]
) -> None:
    store_id = install(app, fake_woocommerce)
    order = just_placed(fake_woocommerce)
    answer = httpx.post(f"{base_url}/forms/woocommerce/{store_id}/request", data=form_for(order, **change))
    assert (answer.status_code, answer.json()) == (404, {
        "error": "unknown_order", "detail": "no order matches this order_number, email and order_key"})


def test_a_store_assay_does_not_know_is_404(app: Flask, base_url: str, fake_woocommerce: FakeWooCommerce) -> None:
    order = just_placed(fake_woocommerce)
    answer = httpx.post(f"{base_url}/forms/woocommerce/999/request", data=form_for(order))
    assert (answer.status_code, answer.json()["error"]) == (404, "unknown_store")


def test_a_store_that_cannot_be_reached_is_a_503_to_try_again(
    app: Flask, base_url: str, fake_woocommerce: FakeWooCommerce
) -> None:
    store_id = install(app, fake_woocommerce)
    order = just_placed(fake_woocommerce)
    fake_woocommerce.fail_next(5, "5xx")
    answer = httpx.post(f"{base_url}/forms/woocommerce/{store_id}/request", data=form_for(order))
    assert (answer.status_code, answer.json()["error"]) == (503, "store_unavailable")


def test_a_return_of_one_line_names_that_line(app: Flask, base_url: str, fake_woocommerce: FakeWooCommerce) -> None:
    store_id = install(app, fake_woocommerce, "pandorana")  # returns go to review: a private note
    order = fake_woocommerce.state.add_order(lines=[{"name": "Ring"}, {"name": "Chain"}], status="completed",
                                             completed="2026-03-02T10:00:00")
    url = f"{base_url}/forms/woocommerce/{store_id}/request"
    wrong = httpx.post(url, data=form_for(order, kind="return", line_id="77"))
    assert (wrong.status_code, wrong.json()["fields"]) == (400, {"line_id": "must name lines of this order, got 77"})
    right = httpx.post(url, data=form_for(order, kind="return", reason="wrong_size", line_id="2"))
    run_worker(app)
    assert right.status_code == 202
    [note] = fake_woocommerce.state.notes[order["id"]]
    assert note["customer_note"] is False and "the customer's return request needs a decision" in note["note"]
