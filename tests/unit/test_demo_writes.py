"""The demo store: its writes are recorded, never sent; the platforms' adapters are registered as they are."""

from __future__ import annotations

from pathlib import Path

from connector.demo import is_demo_store, recorded_write
from connector.registry import platforms_of
from connector.shopify.adapter import ADAPTER as SHOPIFY
from connector.woocommerce.adapter import ADAPTER as WOOCOMMERCE
from storage.models import Store
from webhooks.app import create_app


def test_what_a_platform_may_offer_is_offered_by_the_adapter_the_app_registered(tmp_path: Path) -> None:
    # The clock runs the catch-up for missed webhooks (WooCommerce's poll, the Shopify reconciliation) by asking
    # each registered adapter for `catch_up`.
    app = create_app({"TESTING": True, "DATABASE_URL": f"sqlite:///{tmp_path / 'assay.sqlite3'}"})
    assert platforms_of(app)["woocommerce"].catch_up == WOOCOMMERCE.catch_up  # type: ignore[attr-defined]
    assert platforms_of(app)["shopify"].catch_up == SHOPIFY.catch_up  # type: ignore[attr-defined]


def test_only_a_domain_under_the_reserved_invalid_name_is_a_demo_store() -> None:
    assert is_demo_store("pristine-crystals-demo.invalid")
    assert not is_demo_store("pristine-crystals.myshopify.com")
    assert not is_demo_store("invalid.example")


def test_a_demo_store_s_write_is_recorded_with_what_it_would_have_sent_and_marked_not_sent() -> None:
    store = Store(id=7, domain="pristine-crystals-demo.invalid")
    payload = {"note": "Assay: approved"}
    assert recorded_write(store, "shopify.order_note", payload, "7:assay:r-1:note") == {
        "recorded": True, "sent": False, "kind": "shopify.order_note", "payload": payload}
