"""The database handle an app or a worker holds: engine, session factory and cipher, each built on first use.

Nothing here imports SQLAlchemy or cryptography until a database is actually used, so commands that never
touch one (`assay decide`) start as fast as before.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cached_property
from typing import TYPE_CHECKING, Any

from storage.settings import KEYS_SETTING

if TYPE_CHECKING:
    from flask import Flask
    from sqlalchemy import URL, Engine
    from sqlalchemy.orm import Session, sessionmaker

    from storage.secrets import Cipher

EXTENSION = "assay.storage"


class DatabaseUrlError(ValueError):
    """DATABASE_URL is not a URL storage can use; the message never repeats the URL, which may hold a password."""


def database_url(url: str | URL) -> URL:
    """The parsed URL, with a bare postgres:// or postgresql:// given the psycopg 3 driver Assay installs."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        parsed = make_url(url)
    except ArgumentError:
        raise DatabaseUrlError("DATABASE_URL must be a URL such as postgresql+psycopg://user@host/assay "
                               "or sqlite:///path/assay.sqlite3") from None
    if parsed.drivername in ("postgres", "postgresql"):
        return parsed.set(drivername="postgresql+psycopg")
    if parsed.drivername not in ("postgresql+psycopg", "sqlite", "sqlite+pysqlite"):
        raise DatabaseUrlError(f"DATABASE_URL must start postgresql+psycopg:// or sqlite:///, "
                               f"got {parsed.drivername}://")
    return parsed


def make_engine(url: str | URL, **options: Any) -> Engine:
    """An engine for `url`; SQLite gets foreign keys turned on, which it leaves off by default."""
    from sqlalchemy import create_engine, event

    url = database_url(url)
    if url.get_backend_name() == "sqlite":
        # A webhook and a worker may write at once; wait for the other writer instead of failing at once.
        options.setdefault("connect_args", {}).setdefault("timeout", 15)
        engine = create_engine(url, **options)

        @event.listens_for(engine, "connect")
        def enable_foreign_keys(connection: Any, record: Any) -> None:
            cursor = connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

        return engine
    options.setdefault("pool_pre_ping", True)
    return create_engine(url, **options)


class Storage:
    """One database and the key to its secrets."""

    def __init__(self, url: str, *, encryption_keys: str | None = None, key_folder: str | None = None) -> None:
        self.url = url
        self._encryption_keys = encryption_keys
        self._key_folder = key_folder

    def __repr__(self) -> str:
        return f"<Storage {self.safe_url}>"

    @property
    def safe_url(self) -> str:
        """The URL with any password masked, fit for messages and logs."""
        try:
            return database_url(self.url).render_as_string(hide_password=True)
        except DatabaseUrlError:
            return "(DATABASE_URL, unusable)"

    @cached_property
    def engine(self) -> Engine:
        return make_engine(self.url)

    @cached_property
    def sessions(self) -> sessionmaker[Session]:
        from sqlalchemy.orm import sessionmaker

        # Rows stay readable after commit, so a caller can return what it just saved.
        return sessionmaker(self.engine, expire_on_commit=False)

    @cached_property
    def cipher(self) -> Cipher:
        from storage.secrets import load_cipher  # cryptography: kept out of `assay decide`'s start-up

        return load_cipher(self._encryption_keys, self._key_folder)

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session whose work is committed on leaving the block, or rolled back on an exception."""
        with self.sessions.begin() as session:
            yield session

    def dispose(self) -> None:
        if "engine" in self.__dict__:
            self.engine.dispose()


def init_app(app: Flask) -> Storage:
    """Put the app's Storage on `app.extensions["assay.storage"]`, for DATABASE_URL and ASSAY_ENCRYPTION_KEYS."""
    storage = Storage(
        app.config["DATABASE_URL"],
        encryption_keys=app.config.get(KEYS_SETTING) or os.environ.get(KEYS_SETTING),
        key_folder=app.instance_path,
    )
    app.extensions[EXTENSION] = storage
    return storage


def storage_of(app: Flask) -> Storage:
    storage: Storage = app.extensions[EXTENSION]
    return storage
