"""A small HTTP/1.1 load generator on raw asyncio sockets (one process, keep-alive where the server allows it).

usage: python bench/loadgen.py closed URL SECONDS CONNECTIONS          -> JSON: requests, per second, latencies
       python bench/loadgen.py open URL SECONDS RATE                   -> the same, sent at RATE a second
       python bench/loadgen.py returns URL SEED_FILE RATE SENT_FILE    -> each seeded return once, at RATE
Bodies are signed Shopify deliveries (SHOPIFY_API_SECRET, SHOP) with unique webhook ids: orders/create of
4-6 KB, or the seeded returns/request payloads. Open loop measures each latency from the moment the request
was due, so a server that falls behind is charged for the wait (no coordinated omission).
"""

from __future__ import annotations

import asyncio
import base64
import copy
import hashlib
import hmac
import json
import os
import sys
import time
import urllib.parse
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SECRET = os.environ.get("SHOPIFY_API_SECRET", "bench-secret").encode()
SHOP = os.environ.get("SHOP", "bench-shop.myshopify.com")
TEMPLATE = json.loads((ROOT / "tests/fixtures/shopify/payloads/orders_create.json").read_text())
MAX_CONNECTIONS = 512
GRACE_SECONDS = 10.0


def _trimmed() -> dict[str, Any]:
    """The fixture's order trimmed of its largest parts to at most 6 KB (and padded to at least 4 KB)."""
    order: dict[str, Any] = copy.deepcopy(TEMPLATE)
    for key in sorted(order, key=lambda k: len(json.dumps(order[k])), reverse=True):
        if len(json.dumps(order)) <= 5800:
            break
        if key not in ("id", "admin_graphql_api_id", "name", "token"):
            order.pop(key)
    size = len(json.dumps(order))
    if size < 4200:
        order["note"] = "x" * (4500 - size)
    return order


TRIMMED = _trimmed()


def order_body(number: int) -> bytes:
    """A unique orders/create body of 4-6 KB: the trimmed order, renumbered, with a token of its own."""
    order = dict(TRIMMED)
    order["id"] = 10_000_000 + number
    order["admin_graphql_api_id"] = f"gid://shopify/Order/{order['id']}"
    order["name"] = f"#B{number}"
    order["token"] = uuid.uuid4().hex
    return json.dumps(order).encode()


def signed_request(host: str, topic: str, body: bytes) -> bytes:
    signature = base64.b64encode(hmac.new(SECRET, body, hashlib.sha256).digest()).decode()
    head = (f"POST /webhooks/shopify HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\nX-Shopify-Hmac-Sha256: {signature}\r\nX-Shopify-Topic: {topic}\r\n"
            f"X-Shopify-Shop-Domain: {SHOP}\r\nX-Shopify-Webhook-Id: {uuid.uuid4()}\r\n"
            f"X-Shopify-Triggered-At: 2026-03-10T10:00:00Z\r\n\r\n")
    return head.encode() + body


class Connection:
    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def send(self, request: bytes) -> int:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        self.writer.write(request)
        head = await self.reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:] if line)}
        await self.reader.readexactly(int(headers.get("content-length", "0")))
        if headers.get("connection", "").lower() == "close" or lines[0].startswith("HTTP/1.0"):
            self.writer.close()
            self.reader = self.writer = None
        return status


def summary(latencies: list[float], statuses: dict[int, int], seconds: float) -> dict[str, Any]:
    ordered = sorted(latencies)

    def pct(p: float) -> float:
        return ordered[min(len(ordered) - 1, int(p * len(ordered)))] * 1000 if ordered else float("nan")

    return {"requests": len(ordered), "per_second": len(ordered) / seconds, "p50_ms": pct(0.50), "p99_ms": pct(0.99),
            "max_ms": ordered[-1] * 1000 if ordered else float("nan"), "statuses": statuses}


async def closed(host: str, port: int, seconds: float, connections: int) -> dict[str, Any]:
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    deadline = time.perf_counter() + seconds
    counter = iter(range(10**9))

    async def loop() -> None:
        connection = Connection(host, port)
        while time.perf_counter() < deadline:
            request = signed_request(host, "orders/create", order_body(next(counter)))
            started = time.perf_counter()
            status = await connection.send(request)
            latencies.append(time.perf_counter() - started)
            statuses[status] = statuses.get(status, 0) + 1

    began = time.perf_counter()
    await asyncio.gather(*(loop() for _ in range(connections)))
    return summary(latencies, statuses, time.perf_counter() - began)


async def deliver(connection: Connection, request: bytes) -> int:
    """The answer's status, or 0 when the connection failed before one came."""
    try:
        return await connection.send(request)
    except (OSError, asyncio.IncompleteReadError):
        return 0


async def open_loop(host: str, port: int, requests: list[bytes], rate: float,
                    sent: list[float] | None = None) -> dict[str, Any]:
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    idle: list[Connection] = []
    opened = 0
    began = time.perf_counter()

    async def one(index: int, request: bytes) -> None:
        nonlocal opened
        due = began + index / rate
        await asyncio.sleep(max(0.0, due - time.perf_counter()))
        while not idle and opened >= MAX_CONNECTIONS:
            await asyncio.sleep(0.001)
        if idle:
            connection = idle.pop()
        else:
            opened += 1
            connection = Connection(host, port)
        if sent is not None:
            sent[index] = time.monotonic() - (time.perf_counter() - due)  # when it was due, on the shared clock
        status = await deliver(connection, request)
        if status == 0:  # a kept-alive connection the server had just closed: sent again on a new one, as Shopify
            connection = Connection(host, port)  # re-delivers what went unanswered (the same webhook id)
            status = await deliver(connection, request)
            if status == 0:
                connection = Connection(host, port)
        latencies.append(time.perf_counter() - due)
        statuses[status] = statuses.get(status, 0) + 1
        idle.append(connection)

    tasks = [asyncio.ensure_future(one(i, r)) for i, r in enumerate(requests)]
    # A server that fell behind is given GRACE_SECONDS past the last send; what it still owes is counted unanswered.
    await asyncio.wait(tasks, timeout=len(requests) / rate + GRACE_SECONDS)
    unanswered = sum(not task.done() for task in tasks)
    elapsed = time.perf_counter() - began
    for task in tasks:
        task.cancel()
    result = summary(latencies, statuses, elapsed)
    result["unanswered"] = unanswered
    return result


def main() -> int:
    mode, url = sys.argv[1], urllib.parse.urlsplit(sys.argv[2])
    host, port = url.hostname or "127.0.0.1", url.port or 80
    if mode == "closed":
        result = asyncio.run(closed(host, port, float(sys.argv[3]), int(sys.argv[4])))
    elif mode == "open":
        seconds, rate = float(sys.argv[3]), float(sys.argv[4])
        requests = [signed_request(host, "orders/create", order_body(i)) for i in range(int(seconds * rate))]
        result = asyncio.run(open_loop(host, port, requests, rate))
    else:
        seeded = json.loads(Path(sys.argv[3]).read_text())
        requests = [signed_request(host, "returns/request", json.dumps(p).encode()) for p in seeded["returns"]]
        sent = [0.0] * len(requests)
        result = asyncio.run(open_loop(host, port, requests, float(sys.argv[4]), sent))
        Path(sys.argv[5]).write_text(json.dumps(sent))
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
