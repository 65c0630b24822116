"""Shared fixtures: where the real PostgreSQL and Redis are for the integration and e2e tests."""

from __future__ import annotations

import os

import pytest
from support import shop_routes

TEST_DATABASE_URL = os.environ.get(
    "TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/assay_test"
)
TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
# The apps the tests build on PostgreSQL or Redis, and the `assay` processes they start, are production: each needs
# a real secret (one for the whole run, so every process agrees) and must not have the demo's sign-in on. (Its
# pseudonyms of test_tenancy_and_privacy's person happen not to hold "ada", a plain value that test looks for.)
os.environ.setdefault("SECRET_KEY", "tests-only-7d2e9b41c08f5a36e1b4d7c29a0f6e83")
os.environ.pop("ASSAY_DEMO", None)
shop_routes.install()  # every shop's calls go to its fake, never to the real *.myshopify.com


@pytest.fixture(scope="session")
def database_url() -> str:
    return TEST_DATABASE_URL


@pytest.fixture(scope="session")
def redis_url() -> str:
    return TEST_REDIS_URL

# The database fixtures (storage_url, storage, …) are shared by integration and end-to-end tests.
pytest_plugins = ["support.database"]
