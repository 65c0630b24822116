"""The demo's adapter wrapper: a demo store's writes are recorded, every other store's pass through untouched."""

from __future__ import annotations

from connector.demo import DemoWrites, is_demo_store
from connector.shopify.adapter import ADAPTER as SHOPIFY
from connector.woocommerce import adapter as woocommerce


def test_what_a_platform_may_offer_is_still_offered_through_the_wrapper() -> None:
    # The clock runs the catch-up for missed webhooks (WooCommerce's poll, the Shopify reconciliation) by asking
    # each registered adapter for `catch_up`.
    assert DemoWrites(woocommerce.ADAPTER).catch_up == woocommerce.ADAPTER.catch_up
    assert DemoWrites(SHOPIFY).catch_up == SHOPIFY.catch_up


def test_only_a_domain_under_the_reserved_invalid_name_is_a_demo_store() -> None:
    assert is_demo_store("pristine-crystals-demo.invalid")
    assert not is_demo_store("pristine-crystals.myshopify.com")
    assert not is_demo_store("invalid.example")
