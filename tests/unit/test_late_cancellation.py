"""A cancel after the parcel left, judged by what each store's text says (Cancellation.after_fulfilment)."""

from __future__ import annotations

from typing import Any

import pytest
from marshmallow import ValidationError
from support.cases import case, decision, line

from policies.fields import flatten_errors
from policies.policy import AfterFulfilment
from policies.policy_schema import dump_policy, load_policy
from policies.presets import preset

CANCEL = {"kind": "cancel", "reason": None, "lines": []}
STORES = {"kestia": {"country": "GB", "timezone": "Europe/London"}}
ORDERS = {"kestia": {"country": "GB", "currency": "GBP"}}
POLICY = {"key": "mine", "name": "Mine", "returns": {"accepted": True}}
STATUTORY = {"length": 14, "unit": "business_days", "from": "delivery"}


def by_code(made: dict[str, Any]) -> dict[str, list[str]]:
    return {reason["code"]: list(reason["lines"]) for reason in made["reasons"]}


def cancelled(preset_name: str, submitted_at: str, **order: Any) -> dict[str, Any]:
    """A cancel of BASE's order (sent 3 March, delivered 5 March unless `order` says otherwise)."""
    return decision(case(preset_name, store=STORES.get(preset_name), order={**ORDERS.get(preset_name, {}), **order},
                         request={**CANCEL, "submitted_at": submitted_at}))


# Each seed's reading of a cancel once the order has been sent, delivered 5 March and asked on Tuesday 10 March.
@pytest.mark.parametrize(("preset_name", "reading", "outcome", "codes", "respond_by"), [
    # "With online purchases, customers are legally entitled to cancel their order within 14 working days of receipt
    # of their product and return for a full refund" — the right, judged as a return.
    pytest.param("kestia", AfterFulfilment.STATUTORY, "approve", {"within_policy": ["L1"]}, None, id="kestia"),
    # "While we cannot guarantee that all modifications can be made, especially if the order has already entered the
    # shipping process, we will do our best to accommodate your request." — tried by a person, answered "within 24
    # business hours".
    pytest.param("pandorana", AfterFulfilment.REVIEW, "review", {"already_fulfilled": ["L1"], "needs_review": ["L1"]},
                 "2026-03-11T10:00:00Z", id="pandorana"),
    # "Orders may be cancelled within 24 hours of placement." — long past here, whatever processing has done.
    pytest.param("pristine-crystals", AfterFulfilment.REVIEW, "decline", {"cancellation_window_ended": ["L1"]}, None,
                 id="pristine-after-24-hours"),
    # Silent on cancellations: a person decides (no Cancellation at all).
    pytest.param("passione-kustom", None, "review", {"needs_review": ["L1"]}, None, id="passione"),
    pytest.param("five-elements-link", None, "review", {"needs_review": ["L1"]}, None, id="five-elements"),
])
def test_each_store_reads_a_cancel_after_delivery_as_its_text_says(
        preset_name: str, reading: AfterFulfilment | None, outcome: str, codes: dict[str, list[str]],
        respond_by: str | None) -> None:
    policy = preset(preset_name)
    assert policy is not None
    assert (policy.cancellation and policy.cancellation.after_fulfilment) == reading
    made = cancelled(preset_name, "2026-03-10T10:00:00Z")
    assert (made["outcome"], by_code(made), made["respond_by"]) == (outcome, codes, respond_by)


# "Orders may be cancelled within 24 hours of placement. Once processing has begun, cancellation may not be
# possible." Sent within the 24 hours: the second sentence, so a person decides; no answer time is promised.
def test_pristine_reads_an_order_sent_within_24_hours_as_may_not_be_possible() -> None:
    made = cancelled("pristine-crystals", "2026-03-02T20:00:00Z", fulfilled_at="2026-03-02T15:00:00Z",
                     delivered_at=None)
    assert made["outcome"] == "review"
    assert by_code(made) == {"already_fulfilled": ["L1"], "needs_review": ["L1"]}
    assert made["respond_by"] is None


# "...legally entitled to cancel their order within 14 working days of receipt of their product..." — the right
# exists from the contract to 14 working days after receipt, so a parcel in transit is inside it; with no delivery
# date the 14 days have not started (contract.md, "Time").
@pytest.mark.parametrize("submitted_at", ["2026-03-04T10:00:00Z", "2026-09-01T10:00:00Z"],
                         ids=["the-day-after-dispatch", "delivery-never-recorded"])
def test_a_statutory_cancel_of_a_parcel_in_transit_is_inside_the_right(submitted_at: str) -> None:
    made = cancelled("kestia", submitted_at, delivered_at=None)
    assert (made["outcome"], by_code(made)) == ("approve", {"within_policy": ["L1"]})


# A store whose cancellations end when the order ships ("decline", the default) still refuses, naming why.
def test_a_store_whose_cancellation_ends_at_shipping_declines_as_already_fulfilled() -> None:
    policy = {**POLICY, "cancellation": {"outcome": "approve"}}
    made = decision(case(policy=policy, request=CANCEL))
    assert (made["outcome"], by_code(made)) == ("decline", {"already_fulfilled": ["L1"]})
    assert "return it instead" in made["reasons"][0]["message"]


# A statutory right outlasts a store's own returns clause: judged in its own window, even where the store takes no
# change-of-mind returns or its return window has closed.
@pytest.mark.parametrize("returns", [
    pytest.param({"accepted": False}, id="no-returns"),
    pytest.param({"accepted": True, "window": {"length": 1, "unit": "days", "from": "delivery"}}, id="short-returns"),
])
def test_a_statutory_cancel_is_judged_in_its_own_window_not_the_return_window(returns: dict[str, Any]) -> None:
    policy = {**POLICY, "returns": returns, "cancellation": {
        "outcome": "approve", "after_fulfilment": "statutory", "statutory_window": STATUTORY}}
    made = decision(case(policy=policy, request={**CANCEL, "submitted_at": "2026-03-10T10:00:00Z"}))
    assert (made["outcome"], by_code(made)) == ("approve", {"within_policy": ["L1"]})


# A store that lets cancellations through regardless of shipping (until_fulfilment false) is untouched.
def test_a_store_where_fulfilment_does_not_end_cancellation_approves_within_its_window() -> None:
    policy = {**POLICY, "cancellation": {"outcome": "approve", "until_fulfilment": False}}
    made = decision(case(policy=policy, order={"lines": [line()]}, request=CANCEL))
    assert (made["outcome"], by_code(made)) == ("approve", {"within_policy": ["L1"]})


def policy_errors(cancellation: dict[str, Any]) -> list[str]:
    with pytest.raises(ValidationError) as raised:
        load_policy({**POLICY, "cancellation": cancellation})
    return flatten_errors(raised.value.messages)


@pytest.mark.parametrize(("cancellation", "error"), [
    ({"outcome": "approve", "after_fulfilment": "statutory"},
     'cancellation.statutory_window: is required where after_fulfilment is "statutory": how long the right lasts'),
    ({"outcome": "approve", "statutory_window": STATUTORY},
     'cancellation.statutory_window: only applies where after_fulfilment is "statutory", got "decline"'),
    ({"outcome": "approve", "after_fulfilment": "review", "until_fulfilment": False},
     'cancellation.after_fulfilment: only applies where until_fulfilment is true (false: fulfilment changes nothing), '
     'got "review"'),
    ({"outcome": "approve", "after_fulfilment": "refund"},
     "cancellation.after_fulfilment: must be one of decline, review, statutory, got 'refund'"),
    ({"outcome": "approve", "after_fulfilment": "statutory",
      "statutory_window": {"length": 14, "unit": "fortnights", "from": "delivery"}},
     "cancellation.statutory_window.unit: must be one of hours, days, business_hours, business_days, months, "
     "got 'fortnights'"),
])
def test_each_rule_of_after_fulfilment_is_named_with_its_setting_and_value(cancellation: dict[str, Any],
                                                                           error: str) -> None:
    assert policy_errors(cancellation) == [error]


@pytest.mark.parametrize("cancellation", [
    {"outcome": "review", "after_fulfilment": "review"},
    {"outcome": "approve", "after_fulfilment": "statutory", "statutory_window": STATUTORY},
    {"outcome": "approve", "until_fulfilment": False},
], ids=["review", "statutory", "not-until-fulfilment"])
def test_a_cancellation_setting_survives_a_load_dump_load_round_trip(cancellation: dict[str, Any]) -> None:
    loaded = load_policy({**POLICY, "cancellation": cancellation})
    assert load_policy(dump_policy(loaded)) == loaded
