"""Shared fixtures: where the real PostgreSQL and Redis are for the integration and e2e tests."""

from __future__ import annotations

import os

import pytest

TEST_DATABASE_URL = os.environ.get(
    "TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/assay_test"
)
TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


@pytest.fixture(scope="session")
def database_url() -> str:
    return TEST_DATABASE_URL


@pytest.fixture(scope="session")
def redis_url() -> str:
    return TEST_REDIS_URL

# The database fixtures (storage_url, storage, …) are shared by integration and end-to-end tests.
pytest_plugins = ["support.database"]
