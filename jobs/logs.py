"""One logging configuration for the web, the workers and the clock: a JSON object per line, with every field a
log call passes in `extra=` (store, topic, event id, case id, action key, error...) beside the event's name."""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import Any

# What every LogRecord has; anything else on a record came from `extra=` and is printed as a field.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime", "taskName"}
_CONFIGURED = "_assay_json_logging"


class JsonFormatter(logging.Formatter):
    """{"time", "level", "logger", "event", ...extra fields, "exception"}; values that JSON lacks become text."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "event": record.getMessage(),
        }
        line.update({key: value for key, value in vars(record).items() if key not in _STANDARD})
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str)


def configure_logging(level: str) -> None:
    """JSON lines on stderr for the root logger (RQ's own loggers too); once per process."""
    root = logging.getLogger()
    if getattr(root, _CONFIGURED, False):
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root.addHandler(handler)
    root.setLevel(level)
    for name in ("rq.worker", "rq.scheduler", "rq.cron", "rq.queue"):  # RQ adds its own plain handlers otherwise
        logging.getLogger(name).handlers = []
        logging.getLogger(name).propagate = True
    setattr(root, _CONFIGURED, True)
