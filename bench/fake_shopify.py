"""The test suite's fake Shopify Admin API (tests/e2e/fakes/shopify.py), served standalone for bench/throughput.py.

usage: .venv/bin/python bench/fake_shopify.py SEED_FILE RETURNS
Seeds RETURNS orders (each with one requested return) and writes {"origin", "shop", "token", "returns": [payload]}
to SEED_FILE, then serves until killed. Zero latency and no throttle: its bucket never runs dry, so what is
measured is Assay (and the fake's own GraphQL validation, which costs CPU on the same machine). It writes
each mutation's arrival (monotonic clock, shared by every process on the machine) to SEED_FILE.mutations.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "tests"), str(ROOT)]

from e2e.fakes import shopify as fake_module  # noqa: E402
from e2e.fakes.shopify import FakeShopify  # noqa: E402
from e2e.shopify_app import ORDER, return_payload  # noqa: E402

MUTATION = "ReturnProcess"  # the last write of an approved return (pristine-crystals)


def main() -> int:
    seed_file, count = Path(sys.argv[1]), int(sys.argv[2])
    # No throttle: every shop's bucket (one per shop, made on its first request) is too big to empty.
    fake = FakeShopify(shop_domain="bench-shop.myshopify.com", maximum_available=1e12, restore_rate=1e12).start()
    arrivals: list[tuple[str, float]] = []
    lock = threading.Lock()
    recorder_call = fake_module._Recorder.__call__

    def timed(self: object, status: int, payload: dict, fault: str | None = None, headers: dict | None = None):
        name = getattr(self, "operation_name", None)
        if name == MUTATION:
            order = (getattr(self, "variables", {}) or {}).get("input", {}).get("returnId", "")
            with lock:
                arrivals.append((str(order), time.monotonic()))
        return recorder_call(self, status, payload, fault, headers)  # type: ignore[arg-type]

    fake_module._Recorder.__call__ = timed  # type: ignore[method-assign]
    payloads = []
    for _ in range(count):
        order = fake.seed_order(ORDER)
        return_gid = fake.seed_return(order, [{"reason": "changed-my-mind"}])
        payloads.append(return_payload(fake, return_gid, order.gid, "unwanted"))
    seed_file.write_text(json.dumps({"origin": fake.origin, "shop": fake.shop_domain, "token": fake.access_token,
                                     "returns": payloads}))
    mutations = seed_file.with_suffix(".mutations")
    while True:
        time.sleep(0.5)
        with lock:
            mutations.write_text(json.dumps(arrivals))
        fake.requests.clear()  # the log the tests read would only grow


if __name__ == "__main__":
    raise SystemExit(main())
