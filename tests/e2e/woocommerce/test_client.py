"""The REST client against the fake site: Basic auth over HTTPS, retries only where resending is safe, no secrets."""

from __future__ import annotations

import pytest

from connector.woocommerce.api import (
    RetryPolicy,
    WooCommerceAccessDenied,
    WooCommerceApi,
    WooCommerceRejected,
    WooCommerceUnavailable,
)

from ..fakes.woocommerce import FakeWooCommerce


def test_a_read_is_retried_after_a_5xx_with_backoff(fake_woocommerce: FakeWooCommerce, woo_api: WooCommerceApi,
                                                     sleeps: list[float]) -> None:
    order = fake_woocommerce.state.add_order()
    fake_woocommerce.fail_next(2, "5xx", method="GET")
    assert woo_api.get(f"orders/{order['id']}")["id"] == order["id"]
    assert sleeps == [0.5, 1.0]
    assert [r.status for r in fake_woocommerce.requests] == [503, 503, 200]


def test_a_read_that_keeps_timing_out_gives_up_naming_the_request(fake_woocommerce: FakeWooCommerce,
                                                                   woo_api: WooCommerceApi) -> None:
    fake_woocommerce.fail_next(3, "hang", method="GET")
    with pytest.raises(WooCommerceUnavailable, match=r"GET orders/101 on https://127\.0\.0\.1:\d+: gave up after 3"):
        woo_api.get("orders/101")


def test_a_post_is_never_resent_after_a_lost_answer(fake_woocommerce: FakeWooCommerce,
                                                    woo_api: WooCommerceApi) -> None:
    order = fake_woocommerce.state.add_order()
    fake_woocommerce.fail_next(1, "hang_after_execute", method="POST")
    with pytest.raises(WooCommerceUnavailable, match="not resent, it may have been applied"):
        woo_api.post(f"orders/{order['id']}/notes", {"note": "hello"})
    assert len(fake_woocommerce.calls("POST")) == 1
    assert len(fake_woocommerce.state.notes[order["id"]]) == 1  # it was made; the caller must look for it


def test_a_put_sets_state_so_it_is_retried(fake_woocommerce: FakeWooCommerce, woo_api: WooCommerceApi) -> None:
    order = fake_woocommerce.state.add_order()
    fake_woocommerce.fail_next(1, "5xx", method="PUT")
    assert woo_api.put(f"orders/{order['id']}", {"status": "on-hold"})["status"] == "on-hold"


def test_a_4xx_is_rejected_at_once_with_wordpress_error_code(fake_woocommerce: FakeWooCommerce,
                                                            woo_api: WooCommerceApi) -> None:
    with pytest.raises(WooCommerceRejected) as raised:
        woo_api.get("orders/999")
    assert (raised.value.status, raised.value.code) == (404, "woocommerce_rest_shop_order_invalid_id")
    assert len(fake_woocommerce.requests) == 1


def test_wrong_keys_are_access_denied_and_no_credential_appears_anywhere(fake_woocommerce: FakeWooCommerce) -> None:
    api = WooCommerceApi(fake_woocommerce.url, "ck_wrong_key", "cs_wrong_secret", timeout_seconds=0.5)
    with pytest.raises(WooCommerceAccessDenied) as raised:
        api.get("orders")
    for text in (str(raised.value), repr(api)):
        assert "ck_wrong_key" not in text and "cs_wrong_secret" not in text


def test_a_list_is_read_page_by_page(fake_woocommerce: FakeWooCommerce, woo_api: WooCommerceApi) -> None:
    for _ in range(120):
        fake_woocommerce.state.add_order()
    assert len(woo_api.get_all("orders")) == 120
    assert [r.query["page"] for r in fake_woocommerce.calls("GET", "orders")] == ["1", "2"]


def test_the_wordpress_index_needs_no_credentials(fake_woocommerce: FakeWooCommerce, woo_api: WooCommerceApi) -> None:
    assert woo_api.site_index()["timezone_string"] == "Europe/Berlin"


def test_a_backoff_too_long_to_wait_in_place_is_a_failure_and_not_a_pause_the_site_asked_for(
        fake_woocommerce: FakeWooCommerce, sleeps: list[float]) -> None:
    """A job counts a failure only when `retry_after` is unset: the client's own backoff must not pass for the site's
    Retry-After, or a site that is down is asked again and again with no attempt ever counted."""
    api = WooCommerceApi(fake_woocommerce.url, fake_woocommerce.consumer_key, fake_woocommerce.consumer_secret,
                         retry=RetryPolicy(max_inline_wait_seconds=0.6), sleep=sleeps.append)
    fake_woocommerce.fail_next(3, "5xx", method="GET")
    with pytest.raises(WooCommerceUnavailable, match="wait 1.0s before trying again") as raised:
        api.get("orders/101")
    assert raised.value.retry_after is None
    assert sleeps == [0.5]
