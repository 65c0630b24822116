"""/health: liveness, with the work that failed for good or was set aside (a person must look) and whether the database
answers."""

from __future__ import annotations

import logging
from typing import Any

from flask import Blueprint, current_app
from sqlalchemy.exc import SQLAlchemyError

from storage.db import storage_of
from storage.repositories import failed_counts

bp = Blueprint("health", __name__)
log = logging.getLogger("assay.webhooks")


@bp.get("/health")
def health() -> dict[str, Any]:
    """Always 200 while the process serves: a database outage is reported, not a reason to restart the web."""
    try:
        with storage_of(current_app).sessions() as session:
            counts = failed_counts(session)
    except SQLAlchemyError as error:
        log.warning("health.database_unavailable", extra={"error": type(error).__name__})
        return {"status": "ok", "database": "unavailable"}
    return {"status": "ok", "database": "ok",
            "failed": {"events": counts.events, "actions": counts.actions, "cases": counts.cases}}
