"""The database handle an app or a worker holds: engine, session factory and cipher, each built on first use."""

from __future__ import annotations

import os
import time
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cached_property
from typing import TYPE_CHECKING, Any

from storage.secrets import Cipher, load_cipher
from storage.settings import Settings
from storage.store_directory import StoreDirectory, StoreFacts, read_store_facts

if TYPE_CHECKING:
    from flask import Flask
    from sqlalchemy import URL, Connection, Engine
    from sqlalchemy.orm import Session, sessionmaker

EXTENSION = "assay.storage"
# A pooled connection idle longer than this is pinged before use (the server may have closed it meanwhile);
# one reused within it is not: under load that is every request, and a ping on each was a round trip each.
IDLE_PING_SECONDS = 2.0


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
    engine = create_engine(url, **options)
    _ping_when_idle(engine)
    _forget_pool_in_forked_children(engine)
    return engine


def _ping_when_idle(engine: Engine) -> None:
    """pool_pre_ping, for connections that sat idle: a failed ping makes the pool connect afresh (and a
    connection lost under load fails its statement, which invalidates the whole pool: see webhooks/intake.py)."""
    from sqlalchemy import event
    from sqlalchemy.exc import DisconnectionError

    @event.listens_for(engine, "checkin")
    def idle_from(dbapi_connection: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def ping_if_idle(dbapi_connection: Any, record: Any, proxy: Any) -> None:
        idle_since = record.info.get("idle_since")
        if idle_since is None or time.monotonic() - idle_since < IDLE_PING_SECONDS:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except Exception as error:
            raise DisconnectionError("a pooled connection failed its ping") from error


def _forget_pool_in_forked_children(engine: Engine) -> None:
    """A forked child (RQ's scheduler, a gunicorn worker forked after use) must never talk on its parent's
    sockets: it drops the inherited pool without closing it, and connects on its own (SQLAlchemy's advice)."""
    reference = weakref.ref(engine)

    def forget() -> None:
        forked = reference()
        if forked is not None:
            forked.dispose(close=False)

    os.register_at_fork(after_in_child=forget)


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
    def is_postgresql(self) -> bool:
        return database_url(self.url).get_backend_name() == "postgresql"

    @cached_property
    def sessions(self) -> sessionmaker[Session]:
        from sqlalchemy.orm import sessionmaker

        # Rows stay readable after commit, so a caller can return what it just saved.
        return sessionmaker(self.engine, expire_on_commit=False)

    @cached_property
    def _reader(self) -> sessionmaker[Session]:
        from sqlalchemy.orm import sessionmaker

        return sessionmaker(self._autocommit, expire_on_commit=False)

    @contextmanager
    def reads(self) -> Iterator[Session]:
        """A session for a lookup that writes nothing: each statement is its own transaction, so a read costs
        one round trip instead of BEGIN, the query and the ROLLBACK the pool does on return."""
        with self._reader() as session:
            yield session

    @contextmanager
    def single_statements(self) -> Iterator[Connection]:
        """A connection whose every statement is its own transaction, committed when it returns: a write whole in one
        statement (the intake's) costs one round trip and no ORM session."""
        with self._autocommit.connect() as connection:
            yield connection

    @cached_property
    def _autocommit(self) -> Engine:
        return self.engine.execution_options(isolation_level="AUTOCOMMIT")

    @cached_property
    def cipher(self) -> Cipher:
        return load_cipher(self._encryption_keys, self._key_folder)

    @cached_property
    def _directory(self) -> StoreDirectory:
        return StoreDirectory()

    def store_facts(self, platform: str, domain: str) -> StoreFacts | None:
        """The intake's few facts of a store, kept a moment (storage/store_directory.py); None for an unknown one."""
        def read() -> StoreFacts | None:
            with self.reads() as session:  # only on a miss: a kept store opens no session
                return read_store_facts(session, self.cipher, platform, domain)

        return self._directory.facts(platform, domain, read)

    def forget_store_facts(self) -> None:
        """After stores changed behind the ORM's back (a raw statement, a table emptied): look them up again."""
        self._directory.forget()

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session whose work is committed on leaving the block, or rolled back on an exception."""
        with self.sessions.begin() as session:
            yield session

    def dispose(self) -> None:
        if "engine" in self.__dict__:
            self.engine.dispose()


def init_app(app: Flask, settings: Settings) -> Storage:
    """Put the app's Storage on `app.extensions["assay.storage"]`, for DATABASE_URL and ASSAY_ENCRYPTION_KEYS."""
    storage = Storage(settings.database_url, encryption_keys=settings.encryption_keys, key_folder=app.instance_path)
    app.extensions[EXTENSION] = storage
    return storage


def storage_of(app: Flask) -> Storage:
    storage: Storage = app.extensions[EXTENSION]
    return storage
