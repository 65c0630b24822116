"""A real `assay worker` process for the tests that kill one mid-job, and the kill itself."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping

import pytest

ASSAY = os.path.join(os.path.dirname(sys.executable), "assay")
needs_proc = pytest.mark.skipif(not os.path.isdir("/proc"), reason="finds the worker's work horse through /proc")


def start_worker(environment: Mapping[str, str], log_path: str | None = None) -> subprocess.Popen[bytes]:
    """`assay worker` in a session of its own, so everything it forks can be found and killed with it; its JSON
    log lines (stderr) go to `log_path` when given."""
    log = open(log_path, "ab") if log_path else None  # noqa: SIM115 - the child holds it; closed here once started
    try:
        return subprocess.Popen([ASSAY, "worker"], env={**os.environ, **environment}, stdout=subprocess.DEVNULL,
                                stderr=log or subprocess.DEVNULL, start_new_session=True)
    finally:
        if log is not None:
            log.close()


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
