"""The real shop judges the WooCommerce connect: WordPress 7.1 + WooCommerce 11 from ../shared/woocommerce, Assay
started the Procfile's way behind the rig's https, the plugin's zip uploaded and connected in Chromium as a merchant
does it (the session's `shop`, tests/realshop/conftest.py). Then a stranger tries the takeover of issue 21 against the
live store and gets nothing.

Skipped where the rig's kit is absent; CI has it."""

from __future__ import annotations

import base64
import hashlib
import json
from urllib.parse import parse_qs, urlsplit

import pytest

from realshop.shop import Shop, wait_for

pytestmark = [pytest.mark.realshop, pytest.mark.slow]


def challenge_of(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")


def test_a_merchant_connects_the_real_shop_and_a_stranger_then_gets_nothing(shop: Shop) -> None:
    assert "Connected\tYes" in shop.connect_output or "Connected Yes" in shop.connect_output.replace("\t", " ")
    assert "Healthy" in shop.connect_output
    option = json.loads(shop.wp_eval('echo wp_json_encode( get_option( "assay_for_woocommerce" ) );'))
    assert option["store_id"] > 0 and len(option["secret"]) >= 32 and option["verifier"] == ""

    # The five requests of issue 21, from a stranger holding nothing of the store's.
    assay, site = shop.assay_url, shop.url
    with shop.client(timeout=10) as stranger:
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

    worker_log = shop.logs / "assay-worker.log"
    wait_for("the site refused the made-up keys", lambda: "install.keys_refused_by_site" in worker_log.read_text())
    assert json.loads(shop.wp_eval('echo wp_json_encode( get_option( "assay_for_woocommerce" ) );')) == option
    status = json.loads(shop.wp_eval("echo wp_json_encode( Assay_Client::from_settings()->status() );"))
    assert status["status"] == 200 and status["body"]["connected"] is True, "the plugin still signs as the store"
    assert status["body"]["webhooks"]["healthy"] is True
