"""The Alembic migrations build exactly the schema the models describe, and can be run again safely."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from storage.db import make_engine
from storage.migrate import alembic_config, head_revision, upgrade
from storage.models import Base

pytestmark = pytest.mark.integration


def schema_differences(url: str) -> list[object]:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            return list(compare_metadata(context, Base.metadata))
    finally:
        engine.dispose()


def test_the_migrated_schema_matches_the_models(storage_url: str) -> None:
    assert schema_differences(storage_url) == []


def test_upgrading_an_up_to_date_database_changes_nothing(storage_url: str) -> None:
    assert upgrade(storage_url) == head_revision() == "0010_admin_indexes"
    assert schema_differences(storage_url) == []


def test_downgrade_removes_every_table_and_upgrade_restores_them(fresh_schema: Callable[[], str]) -> None:
    url = fresh_schema()
    upgrade(url)
    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            command.downgrade(alembic_config(connection), "base")
        assert set(inspect(engine).get_table_names()) == {"alembic_version"}
    finally:
        engine.dispose()
    upgrade(url)
    assert schema_differences(url) == []
