"""Database fixtures for integration and e2e tests: a private PostgreSQL schema per session, built by Alembic."""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Iterator

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ProgrammingError

from storage.db import Storage
from storage.migrate import upgrade
from storage.models import Base


def ensure_database(url: str) -> None:
    """Create the test database if this machine has never run the tests."""
    target = make_url(url)
    engine = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            exists = connection.scalar(text("SELECT 1 FROM pg_database WHERE datname = :name"),
                                       {"name": target.database})
            if not exists:
                try:
                    connection.execute(text(f'CREATE DATABASE "{target.database}"'))
                except ProgrammingError:
                    pass  # another test run created it a moment ago
    finally:
        engine.dispose()


def is_running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def drop_abandoned_schemas(url: str) -> None:
    """Schemas left by test runs that were killed before they could clean up."""
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            names = connection.scalars(text(
                "SELECT nspname FROM pg_namespace WHERE nspname LIKE 'assay\\_test\\_%'")).all()
            for name in names:
                pid = name.split("_")[2]
                if pid.isdigit() and not is_running(int(pid)):
                    connection.execute(text(f'DROP SCHEMA IF EXISTS "{name}" CASCADE'))
    finally:
        engine.dispose()


def url_in_schema(url: str, schema: str) -> str:
    """The same database with `schema` first on the search path, so the app, Alembic and the CLI all use it."""
    return make_url(url).update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(
        hide_password=False)


def run_sql(url: str, statement: str) -> None:
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            connection.execute(text(statement))
    finally:
        engine.dispose()


@pytest.fixture(scope="session")
def fresh_schema(database_url: str) -> Iterator[Callable[[], str]]:
    """Makes empty schemas (each test session's own, so parallel runs never meet) and drops them at the end."""
    ensure_database(database_url)
    drop_abandoned_schemas(database_url)
    made: list[str] = []

    def make() -> str:
        schema = f"assay_test_{os.getpid()}_{secrets.token_hex(3)}"
        run_sql(database_url, f'CREATE SCHEMA "{schema}"')
        made.append(schema)
        return url_in_schema(database_url, schema)

    yield make
    for schema in made:
        run_sql(database_url, f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


@pytest.fixture(scope="session")
def storage_url(fresh_schema: Callable[[], str]) -> str:
    url = fresh_schema()
    upgrade(url)
    return url


@pytest.fixture(scope="session")
def encryption_keys() -> str:
    return Fernet.generate_key().decode()


@pytest.fixture(scope="session")
def session_storage(storage_url: str, encryption_keys: str) -> Iterator[Storage]:
    storage = Storage(storage_url, encryption_keys=encryption_keys)
    yield storage
    storage.dispose()


@pytest.fixture
def storage(session_storage: Storage) -> Iterator[Storage]:
    """The session's migrated database, emptied after each test."""
    yield session_storage
    # DELETE beats TRUNCATE on tables this small; children go first for the foreign keys.
    with session_storage.engine.begin() as connection:
        for table in reversed(Base.metadata.sorted_tables):
            connection.execute(table.delete())
    session_storage.forget_store_facts()  # the tables were emptied behind the ORM, which would have said so
