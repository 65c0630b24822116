"""503 when the database can't be reached: nothing was recorded, so the platform (or the customer) must send
again, and a 503 says exactly that; a 500 would say Assay is broken."""

from __future__ import annotations

import logging

from flask import Flask, Response, jsonify, request
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

log = logging.getLogger("assay.webhooks")
RETRY_AFTER_SECONDS = 5


def _unavailable(error: Exception) -> tuple[Response, int, dict[str, str]]:
    log.error("storage.unavailable", extra={"path": request.path, "error": type(error).__name__})
    body = jsonify(error="storage_unavailable", detail="the request could not be recorded; send it again shortly")
    return body, 503, {"Retry-After": str(RETRY_AFTER_SECONDS)}


def init_app(app: Flask) -> None:
    for error in (OperationalError, PoolTimeout):
        app.register_error_handler(error, _unavailable)

    def disconnected(error: DBAPIError) -> tuple[Response, int, dict[str, str]]:
        if error.connection_invalidated:
            return _unavailable(error)
        raise error

    app.register_error_handler(DBAPIError, disconnected)
