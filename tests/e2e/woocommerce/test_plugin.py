"""The Assay for WooCommerce plugin's own PHP (php CLI, tests/wp-stubs.php for WordPress) against the running app:
connect through wc-auth, the status, Open Assay, a customer's request through the form to a decision, disconnect."""

from __future__ import annotations

import json
import re
import shutil
import ssl
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from flask import Flask
from support.settings import change_settings

from admin.auth import COOKIE
from connector.woocommerce.storefront import FORM_TOPIC
from policies.presets import preset_document
from storage.db import storage_of
from storage.models import CaseRecord, Event, Store
from storage.repositories import latest_decision, set_policy

from ..fakes.woocommerce import FakeWooCommerce
from .steps import run_worker

pytestmark = [pytest.mark.integration, pytest.mark.skipif(shutil.which("php") is None, reason="php-cli is missing")]
HARNESS = Path(__file__).parents[3] / "connector/woocommerce/plugin/tests/e2e-harness.php"


class Plugin:
    """The plugin on one site: each step is one `php` run; its option and the order persist in a state file."""

    def __init__(self, state_file: Path, state: dict[str, Any]) -> None:
        self.state_file = state_file
        state_file.write_text(json.dumps(state))

    def update(self, **changes: Any) -> None:
        self.state_file.write_text(json.dumps({**json.loads(self.state_file.read_text()), **changes}))

    def receive(self, delivery: dict[str, Any]) -> tuple[int, Any]:
        """The plugin's REST route taking Assay's delivery of its secret (the fake site hands it the request)."""
        self.update(delivery=delivery)
        answer = self.run("receive")
        return int(answer["status"]), answer["body"]

    def run(self, step: str) -> dict[str, Any]:
        done = subprocess.run(["php", str(HARNESS), str(self.state_file), step], capture_output=True, text=True,
                              timeout=60, check=False)
        assert done.returncode == 0, done.stderr + done.stdout
        answer: dict[str, Any] = json.loads(done.stdout)
        return answer


@pytest.fixture
def public(app: Flask, base_url: str) -> str:
    change_settings(app, ASSAY_PUBLIC_URL=base_url)
    return base_url


def test_a_merchant_connects_through_the_plugin_and_a_customer_request_becomes_a_case_and_a_decision(
    app: Flask, public: str, fake_woocommerce: FakeWooCommerce, tmp_path: Path
) -> None:
    fake = fake_woocommerce
    placed = (datetime.now(UTC) - timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M:%S")
    order = fake.state.add_order(created=placed)
    plugin = Plugin(tmp_path / "state.json", {
        "options": {}, "home": fake.url, "assay_url": public, "order_meta": {}, "post": {},
        "order": {"id": order["id"], "number": order["number"], "email": order["billing"]["email"],
                  "key": order["order_key"],
                  "items": [[line["name"], line["quantity"]] for line in order["line_items"]]}})

    # Connect: Assay's install, the merchant's approval on the site, and back to the plugin's page, told only that
    # Assay is connecting; the install's job proves the keys, then hands the secret to the plugin on the site.
    fake.plugin.handler = plugin.receive
    start = plugin.run("connect")["redirect"]
    assert start.startswith(f"{public}/woocommerce/install?store_url=")
    to_site = httpx.get(start)
    back = httpx.get(to_site.headers["location"], verify=ssl.create_default_context(cafile=fake.certificate.cert_path),
                     follow_redirects=True)
    assert str(back.url) == f"{fake.url}/wp-admin/admin.php?page=assay&assay_connecting=1"
    run_worker(app)  # the install's job proves the keys, registers the webhooks and delivers the secret
    assert [call.path for call in fake.calls("POST", "plugin/.*")] == ["plugin/connection"]
    with storage_of(app).sessions() as session:
        [connected] = session.query(Store).all()
    assert [body["store_id"] for body in fake.plugin.received] == [connected.id]
    store_id = json.loads(plugin.state_file.read_text())["options"]["assay_for_woocommerce"]["store_id"]
    with storage_of(app).transaction() as session:
        set_policy(session, store_id, preset_document("pristine-crystals") or {})

    status = plugin.run("status")
    assert status["status"] == 200
    assert status["body"]["connected"] is True and status["body"]["webhooks"] == {"healthy": True, "missing": []}
    assert "Healthy" in status["html"]

    link = plugin.run("open")["redirect"]
    assert link.startswith(f"{public}/admin/login/")
    signed_in = httpx.get(link)
    assert signed_in.status_code == 303 and signed_in.headers["set-cookie"].startswith(f"{COOKIE}=")
    assert httpx.get(link).status_code == 401, "the link works once"

    # A customer asks to cancel through the form; the worker decides; the page shows Assay's answer.
    plugin.update(post={"kind": "cancel", "reason": "", "note": "Ordered twice by <b>mistake</b>", "photos": "0"})
    received = plugin.run("request")["html"]
    assert "We have received your request" in received
    run_worker(app)
    with storage_of(app).sessions() as session:
        [case] = session.query(CaseRecord).filter_by(store_id=store_id).all()
        decision = latest_decision(session, case.id)
        assert case.document["request"]["note"] == "Ordered twice by mistake"
    assert decision is not None and decision.outcome == "approve"
    shown = plugin.run("page")["html"]
    assert "Your request is approved." in shown and "We are refunding" in shown

    # The form under the answer is a new one with its own key: sent, decided, and sent again with that key as after
    # a lost answer, it is one request.
    key = re.search(r'name="request_key" value="([0-9a-f]{32})"', shown)
    assert key is not None
    plugin.update(post={"kind": "cancel", "reason": "", "note": "Still ordered twice", "photos": "0",
                        "request_key": key[1]})
    for _ in range(2):
        assert "We have received your request" in plugin.run("request")["html"]
        run_worker(app)
    with storage_of(app).sessions() as session:
        assert session.query(Event).filter_by(topic=FORM_TOPIC).count() == 2, "the first request and the keyed one"

    assert "disconnected" in plugin.run("disconnect")["redirect"]
    with storage_of(app).sessions() as session:
        assert session.get(Store, store_id) is None, "Assay forgot the store"
    assert "assay_for_woocommerce" not in json.loads(plugin.state_file.read_text())["options"]
