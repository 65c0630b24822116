"""One Chromium for the browser tests: Debian's `chromium` (installed with apt-get when missing, never a browser
Playwright downloads), driven by Playwright for Python; axe-core (as axe-playwright-python ships it) checks pages."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe  # type: ignore[import-untyped]
from playwright.sync_api import Browser, Page, Route, sync_playwright

SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"  # written by every run; git-ignored
SHOPIFY_CDN = "https://cdn.shopify.com/**"
BLOCKING = ("serious", "critical")


def debian_chromium() -> str:
    found = shutil.which("chromium")
    if found is None and os.geteuid() == 0 and shutil.which("apt-get"):
        subprocess.run(["apt-get", "update", "-qq"], check=True, capture_output=True)
        subprocess.run(["apt-get", "install", "-y", "-qq", "chromium"], check=True, capture_output=True,
                       env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"})
        found = shutil.which("chromium")
    if found is None:
        pytest.skip("Debian's chromium can't be installed here (not root, or no apt-get)")
    return found


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=debian_chromium(), args=["--no-sandbox"])
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A fresh context per test, with Shopify's CDN unreachable: the page must stand on its own."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    opened = context.new_page()
    opened.route(SHOPIFY_CDN, unreachable)
    errors: list[str] = []
    opened.on("pageerror", lambda error: errors.append(str(error)))
    yield opened
    context.close()
    assert errors == [], "the page's script failed"


def screenshot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def serious_violations(page: Page) -> list[dict[str, Any]]:
    """axe-core's serious and critical findings on the page as it is now, each with the nodes it names."""
    found = Axe().run(page).response["violations"]
    return [{"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]]}
            for v in found if v["impact"] in BLOCKING]


def unreachable(route: Route) -> None:
    route.abort("internetdisconnected")
