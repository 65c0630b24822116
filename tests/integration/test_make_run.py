"""The README's run command serves the demo store on a fresh copy of the project: no instance/, no configuration."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import time
from pathlib import Path

import httpx
import pytest
from support.project_copy import fresh_copy

pytestmark = pytest.mark.slow
ROOT = Path(__file__).parents[2]


def readme_run_command() -> str:
    """The first command of the README's "two commands" block: the one a newcomer types first."""
    block = re.search(r"## The two commands\n+```sh\n(.*?)```", (ROOT / "README.md").read_text(), re.S)
    assert block, "the README shows its two commands in a sh block"
    return block.group(1).splitlines()[0].split("#")[0].strip()


def visit(base_url: str) -> httpx.Response:
    """A browser's first visit to `/`: followed to the settings page, carrying the admin's cookie by hand (httpx keeps
    no Secure cookie for plain http; a browser does for 127.0.0.1)."""
    cookies: dict[str, str] = {}
    response = httpx.get(f"{base_url}/", timeout=5)
    for _ in range(10):
        if response.status_code not in (301, 302, 303, 307, 308):
            return response
        cookies.update(response.cookies.items())
        target = httpx.URL(base_url).join(response.headers["location"])
        response = httpx.get(target, headers={"Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items())}, timeout=5)
    raise AssertionError(f"more than 10 redirects, last to {response.headers.get('location')}")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_the_readmes_run_command_serves_the_demo_store_on_a_fresh_copy(tmp_path: Path) -> None:
    command = readme_run_command()
    assert command == "make run"
    fresh_copy(tmp_path)
    assert not (tmp_path / "instance").exists()
    port = free_port()
    # The project's own installed environment (a fresh clone would make it first: `make` does, once).
    # A newcomer's shell: none of the tests' settings, and not inside `make test` (whose MAKEFLAGS would pass down).
    environment = {key: value for key, value in os.environ.items()
                   if not key.startswith(("DATABASE_URL", "REDIS_URL", "SECRET_KEY", "ASSAY_", "SHOPIFY_", "MAKE",
                                          "MFLAGS"))}
    # The copy's own code (PYTHONPATH comes before the installed project), so the instance folder made is the copy's.
    environment.update(VENV=str(ROOT / ".venv"), PORT=str(port), PYTHONPATH=str(tmp_path))
    server = subprocess.Popen(command.split(), cwd=tmp_path, env=environment, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True, start_new_session=True)
    try:
        page = None
        deadline = time.monotonic() + 90
        while page is None and time.monotonic() < deadline and server.poll() is None:
            try:
                page = visit(f"http://127.0.0.1:{port}")
            except httpx.TransportError:
                time.sleep(0.5)
        assert page is not None, f"nothing served on port {port}"
        assert page.status_code == 200 and str(page.url).endswith("/admin/")
        assert "Pristine Crystals" in page.text, "the demo store's settings page"
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        output, _ = server.communicate(timeout=30)
    # Make's own "Terminated" aside (and its one line when it installs first), the run says where it serves.
    lines = [line for line in output.splitlines() if line.strip() and not line.startswith(("make", "Installing "))]
    assert lines == [f"Assay's demo store: http://127.0.0.1:{port} — Ctrl-C stops it"], output[:2000]
    assert (tmp_path / "instance" / "assay.sqlite3").is_file(), "the copy's database, in the copy's instance folder"
