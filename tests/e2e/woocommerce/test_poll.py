"""The catch-up poll: orders whose webhooks never came are handled all the same, once; disabled webhooks return."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from flask import Flask

from cli.main import cli
from connector.woocommerce.poll import poll_store, poll_woocommerce
from storage.db import storage_of
from storage.repositories import add_woocommerce_store

from ..fakes.woocommerce import FakeWooCommerce
from .steps import deliver, install, run_worker, store_of

pytestmark = pytest.mark.integration
PLACED = "2026-03-01T09:30:00"


def poll(app: Flask, store_id: int, at: str) -> list[int]:
    with app.app_context():
        report = poll_store(store_id, now=datetime.fromisoformat(at).replace(tzinfo=UTC))
    run_worker(app)
    return report.events_recorded


def test_a_request_whose_webhook_was_lost_is_caught_up_by_the_poll_and_written_once(
    app: Flask, base_url: str, fake_woocommerce: FakeWooCommerce
) -> None:
    fake = fake_woocommerce
    store_id = install(app, fake, "pristine-crystals")
    order = fake.state.add_order(created=PLACED)
    deliver(base_url, fake, "order.created", order["id"])
    run_worker(app)
    assert len(poll(app, store_id, "2026-03-01T11:00:00")) == 1  # the first poll sees the order as it is

    fake.state.set_status(order["id"], "cancel-request", "2026-03-01T12:00:00")  # its delivery fails
    fake.state.now = "2026-03-01T12:01:00"  # when Assay's writes land
    assert len(poll(app, store_id, "2026-03-01T12:05:00")) == 1
    assert fake.writes() == [("POST", "orders/101/refunds"), ("PUT", "orders/101")]

    assert len(poll(app, store_id, "2026-03-01T12:10:00")) == 1  # the order as Assay left it: cancelled
    deliver(base_url, fake, "order.updated", order["id"])  # the late webhook, at last
    run_worker(app)
    assert poll(app, store_id, "2026-03-01T12:15:00") == []
    assert fake.writes() == [("POST", "orders/101/refunds"), ("PUT", "orders/101")]
    assert store_of(app, store_id).polled_at == datetime(2026, 3, 1, 12, 15, tzinfo=UTC)


def test_the_poll_asks_only_for_orders_changed_since_the_last_one_with_an_overlap(
    app: Flask, fake_woocommerce: FakeWooCommerce
) -> None:
    store_id = install(app, fake_woocommerce)
    poll(app, store_id, "2026-03-01T12:00:00")
    poll(app, store_id, "2026-03-01T12:10:00")
    asked = [call.query["modified_after"] for call in fake_woocommerce.calls("GET", "orders")]
    assert asked == ["2026-02-27T12:00:00", "2026-03-01T11:55:00"]
    assert fake_woocommerce.calls("GET", "orders")[0].query["dates_are_gmt"] == "true"


def test_webhooks_woocommerce_disabled_are_turned_back_on_but_not_paused_or_foreign_ones(
    app: Flask, fake_woocommerce: FakeWooCommerce
) -> None:
    fake = fake_woocommerce
    store_id = install(app, fake)
    fake.state.add_webhook(1, "order.updated", "https://assay.example/webhooks/woocommerce", status="disabled")
    fake.state.add_webhook(2, "order.created", "https://assay.example/webhooks/woocommerce", status="paused")
    fake.state.add_webhook(3, "order.created", "https://erp.example/hooks", status="disabled")
    with app.app_context():
        report = poll_store(store_id)
    assert report.webhooks_reenabled == [1]
    assert {w["id"]: w["status"] for w in fake.state.webhooks.values()} == {1: "active", 2: "paused", 3: "disabled"}


def test_one_unreachable_store_does_not_stop_the_poll_of_the_others(
    app: Flask, fake_woocommerce: FakeWooCommerce
) -> None:
    install(app, fake_woocommerce)
    fake_woocommerce.fail_next(10, "5xx")
    with app.app_context():
        [report] = poll_woocommerce()
    assert report.error is not None and "http 503" in report.error  # asked once: its retry is the next poll


def test_a_store_that_breaks_the_poll_is_recorded_against_it_and_the_store_after_it_is_still_polled(
    app: Flask, fake_woocommerce: FakeWooCommerce
) -> None:
    storage = storage_of(app)
    with storage.transaction() as session:  # first in line, and nothing listens on its port: every call refused
        broken = add_woocommerce_store(session, storage.cipher, url="https://127.0.0.1:9",
                                       consumer_key="ck_" + "a" * 40, consumer_secret="cs_" + "b" * 40,
                                       webhook_secret="whsec-broken-site").id
    working = install(app, fake_woocommerce)
    fake_woocommerce.state.add_order(created=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S"))  # no webhook came
    with app.app_context():
        reports = {report.store_id: report for report in poll_woocommerce()}

    assert reports[broken].error is not None
    assert reports[working].error is None and reports[working].events_recorded  # its missed order, recorded
    assert store_of(app, broken).poll_error == reports[broken].error
    assert store_of(app, working).poll_error is None and store_of(app, working).polled_at is not None


def test_assay_poll_woocommerce_runs_the_poll_from_the_command_line(
    app: Flask, fake_woocommerce: FakeWooCommerce
) -> None:
    install(app, fake_woocommerce)
    an_hour_ago = (datetime.now(UTC) - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%S")
    fake_woocommerce.state.add_order(created=an_hour_ago)
    result = app.test_cli_runner().invoke(cli, ["poll", "woocommerce"])
    assert result.exit_code == 0, result.output
    assert result.output == f"{fake_woocommerce.url.removeprefix('https://')}: 1 order(s) changed, 1 new\n"


def test_assay_woocommerce_statuses_shows_and_saves_a_stores_mapping(
    app: Flask, fake_woocommerce: FakeWooCommerce, tmp_path: Path
) -> None:
    store_id = install(app, fake_woocommerce)
    domain = fake_woocommerce.url.removeprefix("https://")
    run = app.test_cli_runner().invoke
    shown = json.loads(run(cli, ["woocommerce", "statuses", "--domain", domain]).output)
    assert shown["requests"]["cancel-request"] == "cancel"

    mapping = tmp_path / "mapping.json"
    mapping.write_text(json.dumps({"requests": {"rma-open": "return"}, "status_after": {"return": {"nope": 1}}}))
    saved = run(cli, ["woocommerce", "statuses", "--domain", domain, "--file", str(mapping)])
    assert saved.exit_code == 0, saved.output
    assert store_of(app, store_id).status_mapping == {"requests": {"rma-open": "return"},
                                                      "status_after": {"return": {"nope": 1}}}

    mapping.write_text(json.dumps({"requests": {"rma-open": "refund"}}))
    refused = run(cli, ["woocommerce", "statuses", "--domain", domain, "--file", str(mapping)])
    assert refused.exit_code == 2 and "requests.rma-open.value: must be one of cancel" in refused.output
