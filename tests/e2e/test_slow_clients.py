"""Slow and idle clients never keep the web from answering webhooks (issue 21, hole 4).

The web runs as the Procfile runs it (gunicorn, its worker model and bounds) on the real PostgreSQL and Redis.
Sixty connections trickle a request a byte every 1.5 s and twenty sit idle, opened again whenever the server lets
one go, while a store's signed Shopify webhooks keep coming: every one is answered 200 within a second. Under
gthread alone eight such connections held all eight threads and the webhooks timed out.
"""

from __future__ import annotations

import os
import shlex
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from flask import Flask
from support.slow_clients import SlowClients

from storage.settings import Settings

from .fakes.shopify import FakeShopify
from .shopify_app import SECRET, install, post_webhook

pytestmark = [pytest.mark.integration, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
TRICKLING, IDLE = 60, 20
WEBHOOK_SECONDS = 12.0
ANSWER_WITHIN_SECONDS = 1.0


def procfile_web_command(port: int) -> list[str]:
    """The Procfile's web line, on a port of the test's own, with this interpreter's gunicorn."""
    line = next(x for x in (ROOT / "Procfile").read_text().splitlines() if x.startswith("web:"))
    words = shlex.split(line.split(":", 1)[1])
    words[words.index("--bind") + 1] = f"127.0.0.1:{port}"
    return [os.path.join(os.path.dirname(sys.executable), "gunicorn") if w.endswith("gunicorn") else w
            for w in words]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def web(app: Flask, app_database_url: str, encryption_keys: str, redis_url: str, queue_name: str) -> Iterator[str]:
    """The Procfile's web process serving the test's database and queue, up and answering /health."""
    port = free_port()
    environment = {**os.environ, "DATABASE_URL": app_database_url, "REDIS_URL": redis_url, "RQ_QUEUE": queue_name,
                   "ASSAY_ENCRYPTION_KEYS": encryption_keys, "SHOPIFY_API_SECRET": SECRET,
                   "ASSAY_LOG_LEVEL": "WARNING"}
    process = subprocess.Popen(procfile_web_command(port), env=environment, cwd=ROOT, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, start_new_session=True)
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base_url}/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        else:
            pytest.fail("the web never answered /health")
        for _ in range(8):  # every worker has served once: the app's first request pays its own start-up
            httpx.get(f"{base_url}/health", timeout=5, headers={"Connection": "close"})
        yield base_url
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)


def test_webhooks_are_answered_within_a_second_while_slow_and_idle_clients_hold_connections(
    app: Flask, web: str, fake_shopify: FakeShopify
) -> None:
    install(app, fake_shopify, "pristine-crystals")
    port = int(web.rsplit(":", 1)[1])
    clients = SlowClients(port, trickling=TRICKLING, idle=IDLE, interval=1.5).start()
    try:
        time.sleep(2.0)  # every trickler has sent its first bytes: under gthread alone, all threads are taken
        assert clients.open_count() == TRICKLING + IDLE
        slowest, number, failures = 0.0, 0, []
        ends = time.monotonic() + WEBHOOK_SECONDS
        while time.monotonic() < ends:
            payload = {"id": 7000 + number, "admin_graphql_api_id": f"gid://shopify/Order/{7000 + number}"}
            started = time.perf_counter()
            try:
                answer = post_webhook(web, fake_shopify, "orders/create", payload, f"slow-clients-{number}",
                                      timeout=ANSWER_WITHIN_SECONDS * 2)
                if answer.status_code != 200:
                    failures.append(f"#{number}: {answer.status_code} {answer.text[:80]}")
            except httpx.TimeoutException:
                failures.append(f"#{number}: no answer within {ANSWER_WITHIN_SECONDS * 2:.0f} s")
            slowest = max(slowest, time.perf_counter() - started)
            number += 1
            time.sleep(0.2)
        reopened = clients.reopened
    finally:
        clients.stop()
    assert not failures, failures
    assert slowest < ANSWER_WITHIN_SECONDS, f"the slowest of {number} webhooks took {slowest:.2f} s"
    # The server let the slow ones go at its read deadline and they came back: the pressure never eased.
    assert reopened >= TRICKLING + IDLE, reopened


def test_a_body_over_the_limit_is_refused_before_it_is_sent(web: str) -> None:
    port = int(web.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(b"POST /webhooks/shopify HTTP/1.1\r\nHost: x\r\n"
                     b"Content-Length: %d\r\n\r\n" % (Settings.max_content_length + 1))
        assert sock.recv(4096).startswith(b"HTTP/1.1 413 ")


def test_a_head_over_the_limit_is_refused(web: str) -> None:
    port = int(web.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n"
                     + b"".join(b"X-Filler-%d: %s\r\n" % (n, b"a" * 4000) for n in range(10)))
        assert sock.recv(4096).startswith(b"HTTP/1.1 431 ")
