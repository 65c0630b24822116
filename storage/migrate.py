"""Alembic, driven from code: `upgrade(url)` brings a database to the newest schema (used by `assay db upgrade`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from storage.db import make_engine

if TYPE_CHECKING:
    from sqlalchemy import Connection

SCRIPT_LOCATION = "storage:migrations"


def alembic_config(connection: Connection | None = None) -> Config:
    """A Config with no alembic.ini: the scripts ship inside the package; the connection is handed over."""
    config = Config()
    config.set_main_option("script_location", SCRIPT_LOCATION)
    config.attributes["connection"] = connection
    return config


def upgrade(url: str, revision: str = "head") -> str | None:
    """Migrate the database at `url` to `revision`; returns the revision it is at afterwards."""
    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            command.upgrade(alembic_config(connection), revision)
            return MigrationContext.configure(connection).get_current_revision()
    finally:
        engine.dispose()


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()
