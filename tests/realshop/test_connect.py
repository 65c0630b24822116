"""The real shop judges the WooCommerce connect: WordPress 7.1 + WooCommerce 11 from ../shared/woocommerce, Assay
started the Procfile's way behind the rig's https, the plugin's zip uploaded and connected in Chromium as a merchant
does it. Then a stranger tries the takeover of issue 21 against the live store and gets nothing.

Skipped where the rig's kit is absent; CI has it. About a minute (setup ~25 s, connect ~15 s)."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
import ssl
import subprocess
import sys
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from support.database import run_sql

pytestmark = [pytest.mark.realshop, pytest.mark.slow]
ROOT = Path(__file__).parents[2]



def find_kit() -> Path:
    """The rig's kit: $ASSAY_SHARED_DIR, else the `shared/` beside this checkout or beside one of its parents (the
    workplace keeps it at ../shared)."""
    places = [Path(os.environ["ASSAY_SHARED_DIR"])] if os.environ.get("ASSAY_SHARED_DIR") else []
    places += [folder / "shared" for folder in ROOT.parents] + [Path("/work/shared")]
    found = next((place for place in places if (place / "woocommerce" / "rig" / "setup.sh").exists()), places[0])
    return found / "woocommerce" / "rig"


KIT = find_kit()
PLUGIN = ROOT / "connector" / "woocommerce" / "plugin" / "assay-for-woocommerce"
SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432"


def run(script: str, env: dict[str, str], *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([str(KIT / script), *args], env=env, capture_output=True, text=True, timeout=timeout,
                          check=False)
    assert done.returncode == 0, f"{script} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done


def plugin_zip(target: Path) -> Path:
    """What `make plugin` builds: the plugin's folder at the zip's top level, without its tests."""
    archive = target / "assay-for-woocommerce.zip"
    with zipfile.ZipFile(archive, "w") as bundle:
        for path in sorted(PLUGIN.rglob("*")):
            bundle.write(path, path.relative_to(PLUGIN.parent))
    return archive


def sql(statement: str) -> None:
    run_sql(f"{SERVER}/postgres", statement)


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """The running shop and Assay: rig.env's values, plus the plugin zip and the environment to call the kit with."""
    if not (KIT / "setup.sh").exists():
        pytest.skip(f"the real shop's kit is not at {KIT}")
    rig_dir = tmp_path_factory.mktemp("rig")
    database = f"assay_realshop_{os.getpid()}"
    env = {**os.environ, "RIG_DIR": str(rig_dir), "RIG_PYTHON": sys.executable}
    sql(f'DROP DATABASE IF EXISTS "{database}"')
    sql(f'CREATE DATABASE "{database}"')
    try:
        run("setup.sh", env, timeout=600)
        env.update(ASSAY_DIR=str(ROOT), ASSAY_VENV=str(Path(sys.executable).parents[1]),
                   DATABASE_URL=f"{SERVER}/{database}", REDIS_URL="redis://127.0.0.1:6379/13",
                   RQ_QUEUE=f"realshop{os.getpid()}")
        run("assay-start.sh", env)
        values = dict(line.split("=", 1) for line in (rig_dir / "rig.env").read_text().splitlines() if "=" in line)
        yield {**values, "zip": str(plugin_zip(rig_dir)), "env": json.dumps(env)}
    finally:
        subprocess.run([str(KIT / "stop.sh")], env=env, capture_output=True, timeout=120, check=False)
        sql(f'DROP DATABASE IF EXISTS "{database}"')
        shutil.rmtree(rig_dir, ignore_errors=True)


def wp_eval(shop: dict[str, str], php: str) -> str:
    return run("wp-eval.sh", json.loads(shop["env"]), php).stdout.strip()


def challenge_of(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")


def test_a_merchant_connects_the_real_shop_and_a_stranger_then_gets_nothing(shop: dict[str, str]) -> None:
    connected = run("connect.sh", json.loads(shop["env"]), shop["zip"], timeout=300)
    assert "Connected\tYes" in connected.stdout or "Connected Yes" in connected.stdout.replace("\t", " ")
    assert "Healthy" in connected.stdout
    option = json.loads(wp_eval(shop, 'echo wp_json_encode( get_option( "assay_for_woocommerce" ) );'))
    assert option["store_id"] > 0 and len(option["secret"]) >= 32 and option["verifier"] == ""

    # The five requests of issue 21, from a stranger holding nothing of the store's.
    assay, site = shop["RIG_ASSAY_URL"], shop["RIG_SHOP_URL"]
    with httpx.Client(verify=ssl.create_default_context(cafile=shop["RIG_CA"]), timeout=10) as stranger:
        started = stranger.get(f"{assay}/woocommerce/install",
                               params={"store_url": site, "plugin_challenge": challenge_of("s" * 64)})
        assert started.status_code == 302
        ticket = parse_qs(urlsplit(started.headers["location"]).query)["user_id"][0]
        callback = stranger.post(f"{assay}/woocommerce/auth/callback", json={
            "key_id": 1, "user_id": ticket, "consumer_key": "ck_made_up", "consumer_secret": "cs_made_up",
            "key_permissions": "read_write"})
        assert callback.status_code == 200
        back = stranger.get(f"{assay}/woocommerce/installed", params={"success": "1", "user_id": ticket})
        assert back.headers["location"] == f"{site}/wp-admin/admin.php?page=assay&assay_connecting=1"
        assert stranger.post(f"{assay}/woocommerce/plugin/claim", json={}).status_code == 404

    worker_log = Path(shop["RIG_LOGS"]) / "assay-worker.log"
    deadline = time.monotonic() + 60
    while "install.keys_refused_by_site" not in worker_log.read_text() and time.monotonic() < deadline:
        time.sleep(0.5)
    assert "install.keys_refused_by_site" in worker_log.read_text(), "the site refused the made-up keys"
    assert json.loads(wp_eval(shop, 'echo wp_json_encode( get_option( "assay_for_woocommerce" ) );')) == option
    status = json.loads(wp_eval(shop, "echo wp_json_encode( Assay_Client::from_settings()->status() );"))
    assert status["status"] == 200 and status["body"]["connected"] is True, "the plugin still signs as the store"
    assert status["body"]["webhooks"]["healthy"] is True
