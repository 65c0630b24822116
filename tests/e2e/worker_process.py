"""Real `assay worker` and `assay clock` processes for the tests that kill one mid-job, and the kill itself."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping

import pytest
from support import shop_routes

from .shopify_app import SECRET

ASSAY = os.path.join(os.path.dirname(sys.executable), "assay")
needs_proc = pytest.mark.skipif(not os.path.isdir("/proc"), reason="finds the worker's work horse through /proc")


def assay_environment(database_url: str, redis_url: str, encryption_keys: str, queue_name: str,
                      **settings: str) -> dict[str, str]:
    """What `assay worker` and `assay clock` need to serve the test's app: its database, Redis, keys and queue."""
    return {"DATABASE_URL": database_url, "REDIS_URL": redis_url, "ASSAY_ENCRYPTION_KEYS": encryption_keys,
            "SHOPIFY_API_SECRET": SECRET, "RQ_QUEUE": queue_name, "SHOPIFY_TIMEOUT_SECONDS": "5", **settings}


def process_environment(environment: Mapping[str, str]) -> dict[str, str]:
    """This process's environment, its shops' routes (see support/shop_routes.py) and `environment` over them."""
    return {**os.environ, **shop_routes.environment(), **environment}


def start_worker(environment: Mapping[str, str], log_path: str | None = None) -> subprocess.Popen[bytes]:
    """`assay worker` in a session of its own, so everything it forks can be found and killed with it; its JSON
    log lines (stderr) go to `log_path` when given."""
    log = open(log_path, "ab") if log_path else None  # noqa: SIM115 - the child holds it; closed here once started
    try:
        return subprocess.Popen([ASSAY, "worker"], env=process_environment(environment), stdout=subprocess.DEVNULL,
                                stderr=log or subprocess.DEVNULL, start_new_session=True)
    finally:
        if log is not None:
            log.close()


def start_paused_worker(environment: Mapping[str, str], step: str, marker: str) -> subprocess.Popen[bytes]:
    """`assay worker` whose job stops at `step` (tests/e2e/paused_worker.py), in a session of its own."""
    script = os.path.join(os.path.dirname(__file__), "paused_worker.py")
    # -P: the script's folder (tests/e2e, whose woocommerce/ would hide the SDK) stays off sys.path.
    return subprocess.Popen([sys.executable, "-P", script, step, marker], env=process_environment(environment),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)


def start_clock(environment: Mapping[str, str]) -> subprocess.Popen[bytes]:
    """`assay clock` (RQ's cron) in a session of its own, as the Procfile's `clock:` runs it."""
    return subprocess.Popen([ASSAY, "clock"], env=process_environment(environment), stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)


def session_processes(session_id: int) -> list[int]:
    """The live (not zombie) processes of a session, read from /proc."""
    found = []
    for entry in os.listdir("/proc"):
        try:
            with open(f"/proc/{entry}/stat") as handle:
                state, _parent, _group, session = handle.read().rsplit(")", 1)[1].split()[:4]
        except (OSError, IndexError):  # not a process, or it ended meanwhile
            continue
        if int(session) == session_id and state != "Z":
            found.append(int(entry))
    return found


def kill_worker(worker: subprocess.Popen[bytes]) -> None:
    """SIGKILL the worker and everything it forked, as when its machine dies: RQ runs each job in a work
    horse in a process group of its own, which outlives a kill of the worker alone."""
    worker.kill()
    worker.wait()
    deadline = time.monotonic() + 10
    while (left := session_processes(worker.pid)) and time.monotonic() < deadline:
        for pid in left:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        time.sleep(0.01)
    assert not session_processes(worker.pid), "a process of the worker's outlived it"
