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


REAL_SHOP_TESTS = "tests/realshop/"


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: object) -> object | None:
    """Under --dist loadfile, every real-shop module goes to one worker, one after another: they share one rig on
    fixed ports (tests/realshop/conftest.py)."""
    if config.getvalue("dist") != "loadfile":
        return None
    from collections import OrderedDict

    from xdist.scheduler import LoadFileScheduling

    class RealShopFirst(OrderedDict[str, dict[str, bool]]):
        """The work queue, with the real shop's unit handed out first: it is the longest, mostly waiting on the shop,
        so the other worker runs the rest beside it instead of after it."""

        def __setitem__(self, scope: str, tests: dict[str, bool]) -> None:
            super().__setitem__(scope, tests)
            if scope == REAL_SHOP_TESTS:
                self.move_to_end(scope, last=False)

    class RealShopTogether(LoadFileScheduling):
        """A file per work unit, except tests/realshop/, which is one unit."""

        def __init__(self, config: pytest.Config, log: object) -> None:
            super().__init__(config, log)
            self.workqueue = RealShopFirst()

        def _split_scope(self, nodeid: str) -> str:
            scope = super()._split_scope(nodeid)
            return REAL_SHOP_TESTS if scope.startswith(REAL_SHOP_TESTS) else scope

    return RealShopTogether(config, log)
