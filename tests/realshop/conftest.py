"""One real shop for every real-shop test module: the rig's ports are fixed, so tests/conftest.py runs all of
tests/realshop/ in one xdist worker, one module after another, and they share the session's rig, Assay and connect."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from support.database import run_sql

from realshop.shop import KIT, ROOT, SERVER, Shop, plugin_zip, run

# Assay's retry settings for the suite: a failing write or request is tried 5 times, 1 s apart and doubling, so
# the faults' scenarios end (written, or failed and set aside) in seconds, not the production's minutes.
# The catch-up poll every 10 s, so an order changed while Assay was down is found within the test's wait.
ASSAY_SETTINGS = {"ASSAY_MAX_ATTEMPTS": "5", "ASSAY_RETRY_BASE_SECONDS": "1", "ASSAY_POLL_INTERVAL_SECONDS": "10",
                  "ASSAY_LOG_LEVEL": "INFO"}


def sql(statement: str) -> None:
    run_sql(f"{SERVER}/postgres", statement)


# The package's: stopped once its last test has run, so the rig and Assay burn no CPU under the rest of the suite.
@pytest.fixture(scope="package")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Shop]:
    """The rig's WordPress 7.1 + WooCommerce 11 shop on the ports the environment gives the kit (RIG_DB_PORT,
    RIG_SHOP_PORT, RIG_ASSAY_TLS_PORT, RIG_ASSAY_PORT; else its defaults), Assay started the Procfile's way behind
    its https (web, worker, clock; a PostgreSQL database and Redis queue of its own; ASSAY_SETTINGS), and the plugin
    zip uploaded, activated and connected in wp-admin by connect.sh (Chromium), healthy. Yields a `Shop`
    (tests/realshop/shop.py): the rig's values (rig.env), the kit's environment, connect.sh's output, Assay's
    database and CLI, the admin's REST API and the customers' ways in. Stopped with stop.sh at the end.

    Skipped without the kit. REALSHOP_RIG_DIR names a rig already running with Assay (assay-start.sh) to use
    instead, left running: for working on the tests, not for CI."""
    if not (KIT / "setup.sh").exists():
        pytest.skip(f"the real shop's kit is not at {KIT}")
    if os.environ.get("REALSHOP_RIG_DIR"):
        shop = connected(Path(os.environ["REALSHOP_RIG_DIR"]), {**os.environ, "RIG_PYTHON": sys.executable})
        yield shop
        shop.close()
        return
    rig_dir = tmp_path_factory.mktemp("rig")
    database = f"assay_realshop_{os.getpid()}"
    env = {**os.environ, "RIG_DIR": str(rig_dir), "RIG_PYTHON": sys.executable}
    sql(f'DROP DATABASE IF EXISTS "{database}"')
    sql(f'CREATE DATABASE "{database}"')
    try:
        run("setup.sh", env, timeout=600)
        env.update(ASSAY_DIR=str(ROOT), ASSAY_VENV=str(Path(sys.executable).parents[1]),
                   DATABASE_URL=f"{SERVER}/{database}", REDIS_URL="redis://127.0.0.1:6379/13",
                   RQ_QUEUE=f"realshop{os.getpid()}", **ASSAY_SETTINGS)
        run("assay-start.sh", env)
        shop = connected(rig_dir, env)
        yield shop
        shop.close()
    finally:
        subprocess.run([str(KIT / "stop.sh")], env=env, capture_output=True, timeout=120, check=False)
        sql(f'DROP DATABASE IF EXISTS "{database}"')
        shutil.rmtree(rig_dir, ignore_errors=True)


def connected(rig_dir: Path, env: dict[str, str]) -> Shop:
    """The plugin zip connected to the rig's Assay by connect.sh, and the shop as the tests see it."""
    values = dict(line.split("=", 1) for line in (rig_dir / "rig.env").read_text().splitlines() if "=" in line)
    settings = dict(line.split("=", 1) for line in (rig_dir / "assay.env").read_text().splitlines() if "=" in line)
    env = {**env, "RIG_DIR": str(rig_dir), **values, **ASSAY_SETTINGS}
    archive = plugin_zip(rig_dir)
    connect = run("connect.sh", env, str(archive), timeout=300)
    shop = Shop(rig_dir=rig_dir, env=env, values=values, database=settings["DATABASE_URL"], zip=archive,
                connect_output=connect.stdout, products=json.loads((rig_dir / "products.json").read_text()))
    shop.store_domain = shop.query("SELECT domain FROM stores WHERE platform = 'woocommerce'")[0]["domain"]
    return shop
