"""Installing Assay on the fake site through wc-auth: the redirect, the key callback, the webhooks, every refusal."""

from __future__ import annotations

import secrets
import ssl
import threading
from collections.abc import Callable
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from flask import Flask
from sqlalchemy import func, select, update
from support.settings import change_settings

from cli.main import cli
from connector.woocommerce.install import HANDLED_TOPICS, register_woocommerce_webhooks
from connector.woocommerce.install import init_app as init_install_limits
from jobs.queue import RedisQueue, queue_of
from storage.columns import utc_now
from storage.db import storage_of
from storage.models import InstallNonce, Store
from storage.repositories import granted_keys, store_credentials
from storage.settings import settings_of

from ..fakes.woocommerce import FakeWooCommerce
from .steps import deliver, install, run_worker, store_of

pytestmark = pytest.mark.integration


@pytest.fixture
def public(app: Flask, base_url: str) -> str:
    """Assay's public URL is the running app's."""
    change_settings(app, ASSAY_PUBLIC_URL=base_url)
    return base_url


def start(base_url: str, site: str) -> tuple[httpx.Response, dict[str, str]]:
    response = httpx.get(f"{base_url}/woocommerce/install", params={"store_url": site})
    query = parse_qs(urlsplit(response.headers.get("location", "")).query)
    return response, {name: values[0] for name, values in query.items()}


def approve(fake: FakeWooCommerce, location: str) -> httpx.Response:
    """The merchant's browser: to the site's approval screen, and wherever the site sends it next."""
    trusted = ssl.create_default_context(cafile=fake.certificate.cert_path)
    return httpx.get(location, verify=trusted, follow_redirects=True)


def our_webhooks(fake: FakeWooCommerce, delivery_url: str) -> dict[str, dict[str, Any]]:
    hooks = [hook for hook in fake.state.webhooks.values() if hook["delivery_url"] == delivery_url]
    assert len(hooks) == len({hook["topic"] for hook in hooks}), "one webhook per topic"
    return {hook["topic"]: hook for hook in hooks}


def run_registration_again(app: Flask, store_id: int) -> None:
    queue_of(app).enqueue(register_woocommerce_webhooks, store_id, job_id=f"again-{store_id}")
    run_worker(app)


def queued_jobs(app: Flask) -> int:
    queue = queue_of(app)
    assert isinstance(queue, RedisQueue)
    return queue.queue.count


def test_an_approved_install_keeps_the_keys_encrypted_and_registers_each_webhook_once(
    app: Flask, public: str, fake_woocommerce: FakeWooCommerce
) -> None:
    fake = fake_woocommerce
    response, query = start(public, fake.url)
    assert response.status_code == 302
    assert response.headers["location"].startswith(f"{fake.url}/wc-auth/v1/authorize?")
    assert query == {"app_name": "Assay", "scope": "read_write", "user_id": query["user_id"],
                     "return_url": f"{public}/woocommerce/installed",
                     "callback_url": f"{public}/woocommerce/auth/callback"}
    assert stored_rows(app) == (0, 0), "starting an install stores nothing"

    back = approve(fake, response.headers["location"])
    store_id = only_store_id(app)
    assert (back.status_code, str(back.url).split("?")[0]) == (200, f"{public}/woocommerce/installed")
    assert "connected" in back.text and query["user_id"] not in back.text
    assert [status for _, status in fake.auth.callbacks] == [200]
    assert store_of(app, store_id).status == "pending", "the keys wait until the site has accepted them"
    assert fake.state.webhooks == {}, "proving the keys and registering the webhooks is a job"

    run_worker(app)
    store = store_of(app, store_id)
    assert store.status == "active" and store.api_base_url == fake.url
    assert fake.consumer_key not in (store.consumer_key_encrypted or "")
    assert fake.consumer_secret not in (store.consumer_secret_encrypted or "")
    credentials = store_credentials(store, storage_of(app).cipher)
    assert (credentials.consumer_key, credentials.consumer_secret) == (fake.consumer_key, fake.consumer_secret)
    run_registration_again(app, store_id)
    secret = store_credentials(store_of(app, store_id), storage_of(app).cipher).webhook_secret
    hooks = our_webhooks(fake, f"{public}/webhooks/woocommerce")
    assert set(hooks) == HANDLED_TOPICS and {hook["status"] for hook in hooks.values()} == {"active"}
    assert len(fake.calls("POST", "webhooks")) == 4 and len(fake.calls("PUT", r"webhooks/\d+")) == 4
    assert secret and {fake.state.webhook_secrets[hook["id"]] for hook in hooks.values()} == {secret}

    fake.webhook_secret = secret  # the site now signs its deliveries with the secret Assay registered
    order = fake.state.add_order(created="2026-03-01T09:30:00")
    assert deliver(public, fake, "order.created", order["id"]) == [200]


def test_a_reinstall_keeps_the_webhook_secret_and_updates_webhooks_instead_of_adding_more(
    app: Flask, public: str, fake_woocommerce: FakeWooCommerce
) -> None:
    fake = fake_woocommerce
    store_id = install(app, fake)
    delivery_url = f"{public}/webhooks/woocommerce"
    fake.state.add_webhook(1, "order.updated", delivery_url, status="disabled")
    fake.state.add_webhook(2, "order.updated", "https://elsewhere.example/hook")
    response, _ = start(public, fake.url)
    assert approve(fake, response.headers["location"]).status_code == 200
    run_worker(app)

    store = store_of(app, store_id)
    credentials = store_credentials(store, storage_of(app).cipher)
    assert credentials.webhook_secret == fake.webhook_secret  # deliveries signed with it keep verifying
    assert credentials.consumer_key == fake.consumer_key != "ck_fake_key"
    hooks = our_webhooks(fake, delivery_url)
    assert set(hooks) == HANDLED_TOPICS and hooks["order.updated"]["id"] == 1
    assert hooks["order.updated"]["status"] == "active"
    assert fake.state.webhooks[2]["status"] == "active" and 2 not in fake.state.webhook_secrets  # not ours
    assert len(fake.calls("POST", "webhooks")) == 3


def stored_rows(app: Flask) -> tuple[int, int]:
    """(stores, install nonces) in the database."""
    with storage_of(app).sessions() as session:
        return (session.scalar(select(func.count()).select_from(Store)) or 0,
                session.scalar(select(func.count()).select_from(InstallNonce)) or 0)


def only_store_id(app: Flask) -> int:
    with storage_of(app).sessions() as session:
        [store_id] = session.scalars(select(Store.id)).all()
        return store_id


def test_a_declined_install_stores_nothing(app: Flask, public: str, fake_woocommerce: FakeWooCommerce) -> None:
    fake_woocommerce.auth.approve = False
    response, _ = start(public, fake_woocommerce.url)
    back = approve(fake_woocommerce, response.headers["location"])
    assert back.status_code == 200 and "not connected" in back.text
    assert stored_rows(app) == (0, 0)


def test_install_starts_are_limited_per_source_and_per_site(
    app: Flask, public: str, fake_woocommerce: FakeWooCommerce
) -> None:
    change_settings(app, INSTALL_STARTS_PER_HOUR=3)
    init_install_limits(app, settings_of(app))  # the factory made the limiter from the settings it started with
    statuses = [start(public, f"https://site-{n % 2}.example")[0].status_code for n in range(4)]
    assert statuses == [302, 302, 302, 429]  # the same source, whatever the site
    assert stored_rows(app) == (0, 0)


@pytest.mark.parametrize(("params", "configured", "status", "error"), [
    ({}, True, 400, "invalid_store_url"),
    ({"store_url": "http://shop.example.com"}, True, 400, "invalid_store_url"),
    ({"store_url": "javascript:alert(1)"}, True, 400, "invalid_store_url"),
    ({"store_url": "https://shop.example.com"}, False, 503, "not_configured"),
])
def test_an_install_that_cannot_start_says_why_and_stores_nothing(
    app: Flask, base_url: str, params: dict[str, str], configured: bool, status: int, error: str
) -> None:
    change_settings(app, ASSAY_PUBLIC_URL=base_url if configured else "")
    response = httpx.get(f"{base_url}/woocommerce/install", params=params)
    assert (response.status_code, response.json()["error"]) == (status, error)
    if status == 400:
        assert list(response.json()["fields"]) == ["store_url"]
    with storage_of(app).sessions() as session:
        assert session.scalar(select(func.count()).select_from(Store)) == 0


def keys(permissions: str = "read_write") -> dict[str, str]:
    return {"consumer_key": "ck_" + secrets.token_hex(20), "consumer_secret": "cs_" + secrets.token_hex(20),
            "key_permissions": permissions}


def spend(app: Flask, user_id: str) -> None:
    response = httpx.post(f"{settings_of(app).public_url}/woocommerce/auth/callback",
                          json={"key_id": 1, "user_id": user_id, **keys()})
    assert response.status_code == 200


Change = Callable[[str], str]
def start_expired(app: Flask, user_id: str) -> None:
    """Installs started from now on expire at once (the ticket's expiry is sealed in it, not stored)."""
    change_settings(app, INSTALL_TTL_SECONDS=-1)


REFUSALS: list[tuple[str, Change, Callable[[Flask, str], None] | None, dict[str, str], int, str]] = [
    ("not a user id", lambda uid: "not-a-user-id", None, {}, 400, "malformed_user_id"),
    ("no mac", lambda uid: uid.rsplit(".", 1)[0], None, {}, 400, "malformed_user_id"),
    ("another site", lambda uid: uid.replace(uid.split(".")[2], "aHR0cHM6Ly9vdGhlci5leGFtcGxl"), None, {}, 403,
     "unknown_install"),
    ("another nonce", lambda uid: secrets.token_urlsafe(32) + uid[43:], None, {}, 403, "unknown_install"),
    ("reused nonce", lambda uid: uid, spend, {}, 403, "nonce_used"),
    ("expired nonce", lambda uid: uid, start_expired, {}, 403, "nonce_expired"),
    ("read-only key", lambda uid: uid, None, keys("read"), 400, "wrong_permissions"),
    ("no key", lambda uid: uid, None, {"consumer_key": ""}, 400, "invalid_callback"),
]


@pytest.mark.parametrize(("change", "before", "override", "status", "error"),
                         [case[1:] for case in REFUSALS], ids=[case[0] for case in REFUSALS])
def test_a_refused_callback_stores_nothing(
    app: Flask, public: str, fake_woocommerce: FakeWooCommerce, change: Change,
    before: Callable[[Flask, str], None] | None, override: dict[str, str], status: int, error: str
) -> None:
    if before is start_expired:
        before(app, "")
    _, query = start(public, fake_woocommerce.url)
    if before is not None and before is not start_expired:
        before(app, query["user_id"])
    rows_before, held_before = stored_rows(app), held_keys_of_all(app)
    jobs_before = queued_jobs(app)
    sent = {"key_id": 1, "user_id": change(query["user_id"]), **keys(), **override}
    response = httpx.post(f"{public}/woocommerce/auth/callback", json=sent)
    assert (response.status_code, response.json()["error"]) == (status, error)
    assert sent["consumer_secret"] not in response.text and query["user_id"][:43] not in response.text
    assert (stored_rows(app), held_keys_of_all(app)) == (rows_before, held_before)
    assert queued_jobs(app) == jobs_before


def held_keys_of_all(app: Flask) -> list[str | None]:
    with storage_of(app).sessions() as session:
        return list(session.scalars(select(InstallNonce.consumer_key_encrypted).order_by(InstallNonce.id)))


def test_a_callback_that_is_not_json_is_refused(app: Flask, public: str) -> None:
    response = httpx.post(f"{public}/woocommerce/auth/callback", content=b"key_id=1",
                          headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert (response.status_code, response.json()["error"]) == (400, "not_json")


def test_two_callbacks_racing_with_one_nonce_store_one_key_pair(
    app: Flask, public: str, fake_woocommerce: FakeWooCommerce
) -> None:
    _, query = start(public, fake_woocommerce.url)
    sent = [{"key_id": n, "user_id": query["user_id"], **keys()} for n in range(2)]
    statuses: list[int] = []
    barrier = threading.Barrier(2)

    def post(body: dict[str, Any]) -> None:
        barrier.wait()
        statuses.append(httpx.post(f"{public}/woocommerce/auth/callback", json=body).status_code)

    threads = [threading.Thread(target=post, args=(body,)) for body in sent]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    assert sorted(statuses) == [200, 403]
    assert held_keys(app) in [(body["consumer_key"], body["consumer_secret"]) for body in sent]
    assert queued_jobs(app) == 1


def held_keys(app: Flask) -> tuple[str, str] | None:
    """The key pair waiting on the one install started."""
    storage = storage_of(app)
    with storage.sessions() as session:
        [install_id] = session.scalars(select(InstallNonce.id)).all()
        waiting = granted_keys(session, storage.cipher, install_id)
        return None if waiting is None else (waiting.consumer_key, waiting.consumer_secret)


def forge_callback(public: str, site: str) -> None:
    """Someone who is not the merchant starts an install and posts made-up keys to the callback themselves."""
    _, query = start(public, site)
    response = httpx.post(f"{public}/woocommerce/auth/callback",
                          json={"key_id": 9, "user_id": query["user_id"], **keys()})
    assert response.status_code == 200  # the callback can't tell: only the site can


def test_keys_the_site_refuses_replace_nothing_on_a_live_store(
    app: Flask, public: str, fake_woocommerce: FakeWooCommerce
) -> None:
    fake = fake_woocommerce
    store_id = install(app, fake)
    forge_callback(public, fake.url)
    run_worker(app)

    store = store_of(app, store_id)
    credentials = store_credentials(store, storage_of(app).cipher)
    assert store.status == "active"
    assert (credentials.consumer_key, credentials.consumer_secret) == (fake.consumer_key, fake.consumer_secret)
    assert [(r.method, r.path, r.status) for r in fake.requests] == [("GET", "webhooks", 401)]  # the proof
    assert fake.writes() == [] and held_keys(app) is None


def test_keys_the_site_refuses_leave_a_new_store_pending(
    app: Flask, public: str, fake_woocommerce: FakeWooCommerce
) -> None:
    forge_callback(public, fake_woocommerce.url)
    run_worker(app)
    with storage_of(app).sessions() as session:
        [store] = session.scalars(select(Store)).all()
        assert (store.status, store.consumer_key_encrypted) == ("pending", None)
    assert fake_woocommerce.writes() == []


def test_an_install_left_unfinished_for_a_day_is_forgotten_when_the_next_callback_comes(
    app: Flask, public: str, fake_woocommerce: FakeWooCommerce
) -> None:
    live = install(app, fake_woocommerce)
    forge_callback(public, "https://abandoned.example")
    long_ago = utc_now() - timedelta(days=3)
    with storage_of(app).transaction() as session:
        session.execute(update(InstallNonce).values(expires_at=long_ago, consumer_key_encrypted=None,
                                                    consumer_secret_encrypted=None))
        session.execute(update(Store).values(created_at=long_ago))
    forge_callback(public, "https://another.example")

    with storage_of(app).sessions() as session:
        domains = set(session.scalars(select(Store.domain)))
    assert domains == {store_of(app, live).domain, "another.example"}  # the live one is kept, however old


def test_a_store_added_by_the_cli_gets_its_webhooks_or_is_told_plainly_why_not(
    app: Flask, public: str, fake_woocommerce: FakeWooCommerce
) -> None:
    fake, run = fake_woocommerce, app.test_cli_runner().invoke
    added = run(cli, ["stores", "add", "--platform", "woocommerce", "--url", fake.url, "--key", fake.consumer_key,
                      "--secret", fake.consumer_secret, "--webhook-secret", "whsec-given-to-the-cli"])
    assert added.exit_code == 0, added.output
    assert f"its webhooks to Assay: {len(HANDLED_TOPICS)} created, 0 updated" in added.output
    hooks = our_webhooks(fake, f"{public}/webhooks/woocommerce")
    assert set(hooks) == HANDLED_TOPICS
    assert {fake.state.webhook_secrets[hook["id"]] for hook in hooks.values()} == {"whsec-given-to-the-cli"}

    with storage_of(app).sessions() as session:
        [domain] = session.scalars(select(Store.domain)).all()
    again = run(cli, ["woocommerce", "webhooks", "--domain", domain])
    assert again.exit_code == 0 and f"0 created, {len(HANDLED_TOPICS)} updated" in again.output

    change_settings(app, ASSAY_PUBLIC_URL="")
    told = run(cli, ["woocommerce", "webhooks", "--domain", domain])
    assert told.exit_code == 1 and "Traceback" not in told.output
    assert "its webhooks are NOT registered: ASSAY_PUBLIC_URL is not set" in told.output
    assert f"assay woocommerce webhooks --domain {domain}" in told.output
