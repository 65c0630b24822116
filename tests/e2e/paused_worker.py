"""`assay worker`, stopped at one step of a job: the tests that SIGKILL a worker there run this instead.

`python paused_worker.py <step> <marker file>` wraps the real function at the step's point so that a job reaching
it appends the step's name to the marker file and waits there (until the test kills the worker), then runs
`assay worker` as the console script does. The steps:

- `decided`: decide_case has committed the decision and its actions, and not yet queued their jobs;
- `taken`: a worker has taken perform_action's job off the queue, and not yet claimed the action;
- `answered`: the platform has answered the write, and the action is not yet recorded done.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from functools import wraps
from typing import Any

import jobs.actions
import jobs.cases
from cli.entry import main

# Each step: the module whose name is looked up at that point, and the name.
POINTS = {"decided": (jobs.cases, "queue_writes"), "taken": (jobs.actions, "claim_action"),
          "answered": (jobs.actions, "complete_action")}


def paused_before(function: Callable[..., Any], step: str, marker: str) -> Callable[..., Any]:
    @wraps(function)
    def wait_there(*args: Any, **kwargs: Any) -> Any:
        with open(marker, "a") as reached:
            reached.write(f"{step}\n")
        while True:
            time.sleep(1)

    return wait_there


if __name__ == "__main__":
    step, marker = sys.argv[1:3]
    module, name = POINTS[step]
    setattr(module, name, paused_before(getattr(module, name), step, marker))
    sys.argv = ["assay", "worker"]
    main()
