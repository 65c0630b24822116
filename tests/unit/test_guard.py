"""The input guard: JSON with a depth limit and without NaN, NUL or lone surrogates; texts and ids in range."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from connector.guard import InputRefused, check_id, check_text, nesting_depth, parse_json, scrub_json
from connector.personal import PREFIX, pseudonym, pseudonymize
from connector.ratelimit import RateLimiter


@pytest.mark.parametrize(("body", "rule"), [
    (b"[" * 200_000, "must be a JSON document"),
    (b"[" * 40 + b"]" * 40, "must nest at most 32 levels deep, got 40"),
    (b'{"a": NaN}', "must be a JSON document"),
    (b'[Infinity]', "must be a JSON document"),
    (b'[1e999]', "must be a JSON document"),
    (b'"\\ud800"', "must not contain the NUL character (U+0000) or a lone surrogate"),
    (b"\xff\xfe{}", "must be a JSON document"),
])
def test_a_body_storage_could_not_keep_is_refused_naming_the_rule(body: bytes, rule: str) -> None:
    with pytest.raises(InputRefused) as refused:
        parse_json(body)
    assert refused.value.field == "body" and rule in str(refused.value)


@pytest.mark.parametrize(("body", "field"), [
    (b'{"policy": {"name": "a\\u0000b"}}', "policy.name"),
    (b'{"policy": {"exclusions": [{"tags": ["ok", "\\udc00"]}]}}', "policy.exclusions.0.tags.1"),
    (b'{"note": "\\ud83d"}', "note"),
    (b'{"note": "\\ud83d", "deep": ' + b"[" * 40 + b"]" * 40 + b"}", "body"),
    (b'{"policy": {"k\\u0000": 1}}', "policy"),
])
def test_text_storage_cant_keep_is_refused_with_a_422_naming_its_field(body: bytes, field: str) -> None:
    with pytest.raises(InputRefused) as refused:
        parse_json(body)
    assert refused.value.field == field
    assert refused.value.status == (400 if field == "body" else 422)


def test_a_lone_surrogate_beside_nan_or_a_deep_body_is_still_refused_as_not_json() -> None:
    for body in (b'["\\ud800", NaN]', b'["\\ud800", ' + b"[" * 100_000 + b"]" * 100_000 + b"]"):
        with pytest.raises(InputRefused) as refused:
            parse_json(body)
        assert refused.value.reason == "not_json" and refused.value.status == 400


def test_a_signed_body_has_its_nuls_removed_and_lone_surrogates_replaced_not_refused() -> None:
    body = b'{"note": "a\\u0000b", "x\\u0000": "\\ud800", "pair": "\\ud83d\\ude00", "kept": "\\\\u0000"}'
    assert parse_json(body, scrub=True) == {"note": "ab", "x": "\ufffd", "pair": "\U0001f600", "kept": "\\u0000"}


@settings(max_examples=300, deadline=None)
@given(st.recursive(st.none() | st.integers() | st.text(), lambda inner: st.lists(inner, max_size=3)
                    | st.dictionaries(st.text(max_size=5), inner, max_size=3), max_leaves=10))
def test_scrubbing_a_body_without_nul_or_surrogates_changes_nothing(document: object) -> None:
    import json

    body = json.dumps(document).encode()
    if "\\u0000" not in body.decode() and "\\ud" not in body.decode().lower():
        assert scrub_json(body) == body


def test_nesting_is_measured_without_recursion() -> None:
    deep: list[object] = []
    for _ in range(5000):
        deep = [deep]
    assert nesting_depth(deep) == 5001 and nesting_depth(3) == 0


@pytest.mark.parametrize(("value", "rule"), [
    ("a" * 256, "must be at most 255 characters, got 256"),
    ("a\x00b", "must not contain the control or surrogate character U+0000"),
    ("\ud800", "U+D800"),
    (7, "must be a string, got int"),
    ("", "is required"),
])
def test_a_text_is_refused_naming_its_field_and_limit(value: object, rule: str) -> None:
    with pytest.raises(InputRefused) as refused:
        check_text("X-Shopify-Topic", value, max_length=255)
    assert str(refused.value) == f"X-Shopify-Topic {rule}" or rule in str(refused.value)


@pytest.mark.parametrize("value", ["0", "-1", "9" * 19, "9223372036854775808", "١٢", "1.5", True, None, ""])
def test_an_id_outside_the_database_s_range_is_refused(value: object) -> None:
    with pytest.raises(InputRefused) as refused:
        check_id("user_id", value)
    assert "from 1 to 9223372036854775807" in str(refused.value)


def test_an_id_in_range_is_an_int() -> None:
    assert check_id("order_id", "9223372036854775807") == 2**63 - 1 and check_id("order_id", 12) == 12


def test_contact_fields_become_pseudonyms_and_what_decides_stays() -> None:
    payload = {"id": 1, "email": "Ada@Example.com ", "order_key": "wc_order_x",
               "billing": {"email": "ada@example.com", "phone": "+44 20 7946 0958", "country": "GB"},
               "shipping_address": {"name": "Ada Lovelace", "country_code": "GB"},
               "line_items": [{"name": "Ring", "sku": "R1"}], "customer": {"id": 5, "first_name": "Ada"}}
    made = pseudonymize(payload, "key")
    assert made["email"] == made["billing"]["email"] == pseudonym("ada@example.com", "key")
    assert made["billing"]["phone"] == pseudonym("442079460958", "key")
    assert made["order_key"].startswith(PREFIX) and made["shipping_address"]["name"].startswith(PREFIX)
    assert (made["billing"]["country"], made["shipping_address"]["country_code"]) == ("GB", "GB")
    assert made["line_items"] == payload["line_items"] and made["customer"]["id"] == 5
    assert pseudonym("ada@example.com", "another key") != made["email"]


def test_the_rate_limit_counts_each_key_in_its_window_and_holds_a_bounded_number_of_keys() -> None:
    now = [0.0]
    limiter = RateLimiter(2, 60, max_keys=3, clock=lambda: now[0])
    assert [limiter.allow("ip:1", "site:a") for _ in range(3)] == [True, True, False]
    assert limiter.allow("ip:2", "site:a") is False  # the site has used its two
    assert limiter.allow("ip:2", "site:b") is True
    now[0] = 61
    assert limiter.allow("ip:1", "site:a") is True
    for n in range(10):
        limiter.allow(f"ip:{n + 10}")
    assert len(limiter._hits) <= 3
