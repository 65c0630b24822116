"""Pause points, for the tests that SIGKILL a worker at a given step of a job (tests/e2e/test_worker_killed.py).

With ASSAY_TEST_PAUSE_AT=<step> in a worker's environment, a job reaching that step appends the step's
name to the file ASSAY_TEST_PAUSE_FILE and waits there (until its job timeout, or the test kills it). Unset, as
it always is in production, a pause point is one dictionary lookup. The steps:

- `decided`: decide_case has committed the decision and its actions, and not yet queued their jobs;
- `taken`: a worker has taken perform_action's job off the queue, and not yet claimed the action;
- `answered`: the platform has answered the write, and the action is not yet recorded done.
"""

from __future__ import annotations

import logging
import time

from flask import current_app

from storage.settings import settings_of

log = logging.getLogger("assay.jobs")


def pause_point(step: str) -> None:
    settings = settings_of(current_app)
    if settings.test_pause_at != step or settings.test_pause_file is None:
        return
    log.warning("job.paused", extra={"step": step})
    with open(settings.test_pause_file, "a") as marker:
        marker.write(f"{step}\n")
    while True:
        time.sleep(1)
