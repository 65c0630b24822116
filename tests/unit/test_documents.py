"""Case and policy documents: every error at once, each naming the field, the rule and the value."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from marshmallow import ValidationError
from support.cases import case, decision, line

from policies.case_schema import load_case
from policies.fields import flatten_errors
from policies.policy_schema import dump_policy, load_policy
from policies.presets import preset, preset_document, preset_names

POLICY = {"key": "mine", "name": "Mine", "returns": {"accepted": True}}


def errors_of(loader: Callable[[Any], object], document: Any) -> list[str]:
    """The flattened errors, or none for a document the loader accepts."""
    try:
        loader(document)
    except ValidationError as error:
        return flatten_errors(error.messages)
    return []


def case_errors(document: Any) -> list[str]:
    with pytest.raises(ValidationError) as raised:
        load_case(document)
    return flatten_errors(raised.value.messages)


def policy_errors(document: Any) -> list[str]:
    with pytest.raises(ValidationError) as raised:
        load_policy(document)
    return flatten_errors(raised.value.messages)


def test_a_bad_case_gets_every_field_error_at_once() -> None:
    bad = case(store={"country": "de", "timezone": "Mars/Olympus"},
               order={"currency": "EURO", "placed_at": "2026-03-02T09:00:00",
                      "lines": [line(quantity=0, unit_price="-1", discount="abc")]},
               request={"kind": "refund", "reason": "bored", "submitted_at": "yesterday",
                        "lines": [{"line_id": "L1", "quantity": 0, "condition": "new"}], "evidence": {"photos": -1}})
    assert sorted(case_errors(bad)) == sorted([
        "store.country: must be an ISO 3166 alpha-2 country code such as \"DE\", got 'de'",
        "store.timezone: must be an IANA time zone such as \"Europe/Berlin\", got 'Mars/Olympus'",
        "order.placed_at: must include a UTC offset such as Z or +02:00, got '2026-03-02T09:00:00'",
        "order.currency: must be an ISO 4217 currency code such as \"EUR\", got 'EURO'",
        "order.lines.0.quantity: must be between 1 and 100000, got 0",
        "order.lines.0.unit_price: must be a finite amount of zero or more, got '-1'",
        "order.lines.0.discount: must be a decimal amount such as \"49.00\", got 'abc'",
        "request.kind: must be one of cancel, return, claim, warranty, got 'refund'",
        "request.submitted_at: must be an ISO 8601 time with an offset, got 'yesterday'",
        "request.reason: must be one of changed_mind, wrong_size, not_as_described, damaged_in_transit, "
        "defective, wrong_item, other, got 'bored'",
        "request.lines.0.quantity: must be between 1 and 100000, got 0",
        "request.lines.0.condition: must be one of unused, used, got 'new'",
        "request.evidence.photos: must be between 0 and 1000, got -1",
    ])


def test_a_case_with_a_bad_policy_and_a_bad_store_names_both() -> None:
    bad = case(policy={**POLICY, "colour": "red"}, store={"country": "Germany"})
    assert case_errors(bad) == [
        "policy.colour: is not a setting Assay knows",
        "store.country: must be an ISO 3166 alpha-2 country code such as \"DE\", got 'Germany'",
    ]


@pytest.mark.parametrize(("change", "error"), [
    ({"now": "2026-03-10T12:00:00"}, "now: must include a UTC offset such as Z or +02:00, got '2026-03-10T12:00:00'"),
    ({"order": {"delivered_at": "2026-03-05"}}, "order.delivered_at: must include a UTC offset such as Z or +02:00, "
                                                "got '2026-03-05'"),
    ({"request": {"submitted_at": 1773144000}},
     "request.submitted_at: must be an ISO 8601 time with an offset, got 1773144000"),
    ({"order": {"delivered_at": "2026-01-01T00:00:00Z"}},
     "order.delivered_at: must not be before placed_at (2026-03-02T09:00:00+00:00), got 2026-01-01T00:00:00+00:00"),
    ({"request": {"submitted_at": "2026-01-01T00:00:00Z"}},
     "request.submitted_at: must not be before order.placed_at, got 2026-01-01T00:00:00+00:00"),
    ({"request": {"lines": [{"line_id": "L9"}]}}, "request.lines.0.line_id: must be one of the order's line ids, "
                                                  "got 'L9'"),
    ({"request": {"lines": [{"line_id": "L1"}, {"line_id": "L1"}]}},
     "request.lines.1.line_id: names a line already asked for"),
    ({"request": {"lines": [{"line_id": "L1", "quantity": 2}]}},
     "request.lines.0.quantity: must be at most the line's quantity 1, got 2"),
    ({"request": {"lines": [{"line_id": "L1", "quantity": 0}]}},
     "request.lines.0.quantity: must be between 1 and 100000, got 0"),
    ({"request": {"lines": []}}, "request.lines: must name at least one line for a return"),
    ({"order": {"lines": [line(quantity=2, fulfilled_quantity=3)]}},
     "order.lines.0.fulfilled_quantity: must be at most the line's quantity 2, got 3"),
    ({"order": {"lines": [line(quantity=2, discount="99.00")]}},
     "order.lines.0.discount: must be at most the line's price times its quantity, got 99.00"),
    ({"order": {"lines": [line(), line()]}}, "order.lines: must have a different id on every line"),
    ({"order": {"lines": []}}, "order.lines: must list at least one line"),
    ({"policy": {"preset": "tiffany"}}, "policy.preset: must be one of five-elements-link, kestia, pandorana, "
                                        "passione-kustom, pristine-crystals, got 'tiffany'"),
    ({"policy": "kestia"}, 'policy: must be {"preset": NAME} or a policy document'),
])
def test_each_rule_of_a_case_is_named_with_its_field_and_value(change: dict[str, Any], error: str) -> None:
    parts = {k: v for k, v in change.items() if k in ("order", "request", "store")}
    top = {k: v for k, v in change.items() if k not in parts}
    assert case_errors(case(**parts, **top)) == [error]


@pytest.mark.parametrize("missing", ["policy", "store", "order", "request"])
def test_a_case_without_a_part_names_it_as_required(missing: str) -> None:
    document = case()
    del document[missing]
    assert case_errors(document) == [f"{missing}: is required"]


@pytest.mark.parametrize(("document", "kind"), [([case()], "list"), (None, "NoneType"), ("case", "str")])
def test_a_case_that_is_not_an_object_is_refused(document: Any, kind: str) -> None:
    assert case_errors(document) == [f"document: a case must be a JSON object, got {kind}"]


def test_unknown_case_fields_are_ignored() -> None:
    newer = case()
    newer["channel"] = "pos"
    newer["order"]["lines"][0]["weight_grams"] = 3
    newer["request"]["lines"][0]["photo_ids"] = [1, 2]
    newer["store"]["plan"] = "plus"
    assert decision(newer) == decision(case())


def test_a_line_quantity_unsaid_means_the_whole_line() -> None:
    loaded = load_case(case(order={"lines": [line(quantity=3, fulfilled_quantity=3)]},
                            request={"lines": [{"line_id": "L1"}]}))
    assert loaded.case.request.lines[0].quantity == 3


@pytest.mark.parametrize(("change", "error"), [
    ({"colour": "red"}, "colour: is not a setting Assay knows"),
    ({"returns": {"accepted": True, "windw": 14}}, "returns.windw: is not a setting Assay knows"),
    ({"exclusions": [{"kind": "sale", "color": 1}]}, "exclusions.0.color: is not a setting Assay knows"),
    ({"key": "My Store"}, "key: must be lower-case letters, digits and dashes, got 'My Store'"),
    ({"returns": {"accepted": True, "window": {"length": 4000, "unit": "days", "from": "delivery"}}},
     "returns.window.length: must be between 0 and 3650 days, got 4000"),
    ({"returns": {"accepted": True, "window": {"length": -1, "unit": "months", "from": "delivery"}}},
     "returns.window.length: must be between 0 and 120 months, got -1"),
    ({"returns": {"accepted": True, "window": {"length": 14, "unit": "weeks", "from": "delivery"}}},
     "returns.window.unit: must be one of hours, days, business_hours, business_days, months, got 'weeks'"),
    ({"returns": {"accepted": True, "window": {"length": 14, "unit": "days", "from": "request"}}},
     "returns.window.from: must be one of placement, fulfilment, delivery, got 'request'"),
    ({"returns": {}}, "returns.accepted: is required"),
    ({"returns": {"accepted": True, "window": {"length": 14, "unit": "days", "from": "delivery",
                                               "fallback_delay": {"length": 3, "unit": "days"}}}},
     'returns.window.fallback_delay: is a delay after the fallback, so it needs a "fallback" to count from'),
    ({"returns": {"accepted": True, "window": {"length": 14, "unit": "days", "from": "delivery",
                                               "fallback": "fulfilment",
                                               "fallback_delay": {"length": 400, "unit": "months"}}}},
     "returns.window.fallback_delay.length: must be between 0 and 120 months, got 400"),
    ({"refunds": {"restocking_fee_percent": "150"}}, "refunds.restocking_fee_percent: must be between 0 and 100, "
                                                     "got 150"),
    ({"refunds": {"return_label_fee": "-2"}}, "refunds.return_label_fee: must be a finite amount of zero or more, "
                                              "got '-2'"),
    ({"exclusions": [{"kind": "listed"}]},
     "exclusions.0.kind: a listed exclusion must name words, product_types, tags or skus"),
    ({"cancellation": {"outcome": "decline"}}, "cancellation.outcome: must be one of approve, review, got 'decline'"),
    ({"claims": {"reasons": {"defective": "maybe"}}},
     "claims.reasons.defective.value: must be one of approve, review, got 'maybe'"),
    ({"warranty": {}}, "warranty.window: is required"),
])
def test_each_rule_of_a_policy_is_named_with_its_setting_and_value(change: dict[str, Any], error: str) -> None:
    assert policy_errors({**POLICY, **change}) == [error]


def test_a_policy_given_inline_in_a_case_is_validated_with_the_policy_path() -> None:
    assert case_errors(case(policy={**POLICY, "returns": {"accepted": "maybe"}})) == [
        "policy.returns.accepted: must be true or false, got 'maybe'"]


def test_a_policy_missing_its_required_settings_names_each() -> None:
    assert policy_errors({}) == ["key: is required", "name: is required", "returns: is required"]


@pytest.mark.parametrize("name", preset_names())
def test_a_presets_document_survives_a_load_dump_load_round_trip(name: str) -> None:
    loaded = load_policy(preset_document(name))
    dumped = dump_policy(loaded)
    assert load_policy(dumped) == loaded == preset(name)
    assert dump_policy(load_policy(dumped)) == dumped


def test_the_five_seed_presets_are_shipped() -> None:
    assert preset_names() == ("five-elements-link", "kestia", "pandorana", "passione-kustom", "pristine-crystals")


@pytest.mark.parametrize(("document", "loader", "expected"), [
    (case(order={"lines": [line(quantity=2, fulfilled_quantity=3, discount="500")]}), load_case,
     {"order.lines.0.fulfilled_quantity", "order.lines.0.discount"}),
    ({**POLICY, "returns": {"accepted": True, "window": {"length": 99999, "unit": "days", "from": "request"}}},
     load_policy, {"returns.window.length", "returns.window.from"}),
    ({**POLICY, "refunds": {"restocking_fee_percent": "150", "return_label_fee": "x"}}, load_policy,
     {"refunds.restocking_fee_percent", "refunds.return_label_fee"}),
])
def test_every_broken_rule_in_one_object_is_reported_together(document: Any, loader: Any, expected: set[str]) -> None:
    assert {error.split(":")[0] for error in errors_of(loader, document)} == expected


@pytest.mark.parametrize(("document", "loader", "value"), [
    (case(order={"lines": [line(quantity="two")]}), load_case, "'two'"),
    (case(order={"lines": [line(quantity=1.5)]}), load_case, "1.5"),
    (case(order={"lines": [line(gift_card="maybe")]}), load_case, "'maybe'"),
    ({**POLICY, "version": 0}, load_policy, "got 0"),
    ({**POLICY, "name": ""}, load_policy, "got ''"),
    ({**POLICY, "claims": {"reasons": {}, "photos_required": 30}}, load_policy, "got 30"),
])
def test_an_error_for_a_wrong_type_or_range_names_the_value_given(document: Any, loader: Any, value: str) -> None:
    errors = errors_of(loader, document)
    assert len(errors) == 1 and value in errors[0]


def test_a_country_code_with_a_trailing_newline_is_refused() -> None:
    assert errors_of(load_case, case(store={"country": "DE\n"})) == [
        "store.country: must be an ISO 3166 alpha-2 country code such as \"DE\", got 'DE\\n'"]
