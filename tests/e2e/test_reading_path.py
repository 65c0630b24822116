"""How many of Assay's files a reader walks, one way, from a webhook's route to the write-back it causes.

The walk is measured, not listed: every file of the request's path (`webhooks/`, `jobs/`, `connector/`) in which code
runs between the webhook and its write-back. The policy engine (`policies/`) and the database (`storage/`) are where
the path goes, stepped over as a reader steps over a library. A Shopify return ends in `returnProcess`, a WooCommerce
cancel in its refund; issue 22 asks for at most ten files each, so a newcomer can follow one request.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType

import pytest
from flask import Flask

from .fakes.shopify import FakeShopify
from .fakes.woocommerce import FakeWooCommerce
from .shopify_app import ORDER, ask_return, mutations, placed_order, run_worker
from .woocommerce import steps

ROOT = Path(__file__).parents[2]
MOST_FILES = 10


ROOMS = ("webhooks", "jobs", "connector", "policies", "storage", "admin")


@contextmanager
def path_walked(platform: str) -> Iterator[list[str]]:
    """The path's files in the order first met: ours on the stack whenever the platform's own code is entered."""
    walked: list[str] = []
    room = ROOT / "connector" / platform
    ours: dict[str, str | None] = {}  # a code file's path from the root, None if not ours

    def of_ours(filename: str) -> str | None:
        if filename not in ours:
            path = Path(filename)
            inside = path.is_relative_to(ROOT) and path.relative_to(ROOT).parts[0] in ROOMS
            ours[filename] = str(path.relative_to(ROOT)) if inside else None
        return ours[filename]

    def profile(frame: FrameType, event: str, arg: object) -> None:
        if event != "call" or not frame.f_code.co_filename.startswith(str(room)):
            return
        stack: FrameType | None = frame
        files = []
        while stack is not None:
            file = of_ours(stack.f_code.co_filename)
            if file is not None and file not in files:
                files.append(file)
            stack = stack.f_back
        walked.extend(file for file in reversed(files) if file not in walked)

    threading.setprofile(profile)
    sys.setprofile(profile)
    try:
        yield walked
    finally:
        sys.setprofile(None)
        threading.setprofile(None)


def report(walked: list[str]) -> str:
    return f"{len(walked)} files:\n  " + "\n  ".join(walked)


@pytest.mark.integration
def test_a_shopify_return_reads_through_few_files(app: Flask, base_url: str, fake_shopify: FakeShopify) -> None:
    order = placed_order(app, base_url, fake_shopify, "pristine-crystals", ORDER)
    with path_walked("shopify") as walked:
        ask_return(base_url, fake_shopify, order, "return-1")
        run_worker(app)
    assert "ReturnProcess" in mutations(fake_shopify), "the return was not processed"
    print(report(walked))
    assert len(walked) <= MOST_FILES, report(walked)


@pytest.mark.integration
def test_a_woocommerce_refund_reads_through_few_files(app: Flask, base_url: str,
                                                      fake_woocommerce: FakeWooCommerce) -> None:
    order_id = steps.placed_order(app, base_url, fake_woocommerce, created="2026-03-01T09:30:00",
                                  lines=[{"name": "Rose quartz pendant", "price": "49.00"}])
    with path_walked("woocommerce") as walked:
        steps.move(base_url, fake_woocommerce, order_id, "cancel-request", "2026-03-01T12:00:00")
        steps.run_worker(app)
    assert fake_woocommerce.state.refunds, "the order was not refunded"
    print(report(walked))
    assert len(walked) <= MOST_FILES, report(walked)
