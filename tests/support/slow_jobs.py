"""Jobs for the worker's own tests, importable by RQ by name (`support.slow_jobs.<name>`)."""

from __future__ import annotations

import socket

from flask import current_app
from sqlalchemy import text

from storage.db import storage_of


def read_from_a_silent_server(port: int) -> None:
    """Blocks in recv() on a server that accepted the connection and never answers: a hung platform."""
    with socket.create_connection(("127.0.0.1", port)) as connection:
        connection.recv(1)


def count_to_database() -> int:
    """A job that needs the database: it runs on whatever pool the worker holds after the job before it."""
    with storage_of(current_app).sessions() as session:
        return int(session.execute(text("SELECT 1")).scalar_one())
