"""Fuzzing `decide_json`: any input gives decisions or a CaseError; valid cases keep the decision's invariants."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from support.cases import BASE, case, line

from policies.batch import CaseError, decide_json
from policies.money import minor_unit

FUZZ = settings(deadline=None, max_examples=200)
OUTCOMES = {"approve", "decline", "review"}
# The contract's codes, and those the engine adds (the contract allows more).
CODES = {"within_policy", "cancellation_window_ended", "already_fulfilled", "return_window_ended",
         "claim_window_ended", "warranty_expired", "returns_not_accepted", "final_sale", "condition_not_met",
         "evidence_required", "needs_review", "not_fulfilled", "not_covered"}
PRESETS = ["five-elements-link", "kestia", "pandorana", "passione-kustom", "pristine-crystals"]
KINDS = ["cancel", "return", "claim", "warranty"]
REASONS = ["changed_mind", "wrong_size", "not_as_described", "damaged_in_transit", "defective", "wrong_item", "other"]
FAULTS = ["not_as_described", "damaged_in_transit", "defective", "wrong_item"]
STORES = [("DE", "Europe/Berlin"), ("GB", "Europe/London"), ("US", "America/New_York"), ("JP", "Asia/Tokyo"),
          ("KW", "Asia/Kuwait"), ("AU", "Australia/Sydney")]
CURRENCIES = ["EUR", "GBP", "USD", "JPY", "KWD"]
ZONES = [UTC, timezone(timedelta(hours=2)), timezone(timedelta(hours=-5)), timezone(timedelta(hours=9, minutes=30))]

times = st.builds(lambda at, tz: at.astimezone(tz).isoformat(),
                  st.datetimes(datetime(2000, 1, 1), datetime(2100, 1, 1), timezones=st.just(UTC)),
                  st.sampled_from(ZONES))
words = st.sampled_from(["", " ", "0", "-1", "49.00", "1e3", "NaN", "Infinity", "DE", "de", "EUR", "Europe/Berlin",
                         "L1", "L2", "return", "cancel", "defective", "used", "preset", "kestia", "2026-03-10",
                         "2026-03-10T12:00:00", "days", "delivery"])
# Magnitudes stay moderate here: absurd amounts and far-off dates are refused, as the tests below show.
scalars = (st.none() | st.booleans() | st.integers(-10**9, 10**9) | st.floats(-1e9, 1e9, allow_nan=False)
           | st.text(max_size=12) | words | times)
json_values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4)
                           | st.dictionaries(st.text(max_size=8) | words, inner, max_size=4), max_leaves=16)


def check_any(payload: bytes) -> None:
    """decide_json either decides or says, in words, what is wrong: never any other exception."""
    try:
        out = decide_json(payload)
    except CaseError as error:
        assert error.errors and all(isinstance(e, str) and e.strip() for e in error.errors)
        return
    parsed = orjson.loads(out)
    for made in parsed if isinstance(parsed, list) else [parsed]:
        assert made["outcome"] in OUTCOMES


def paths(document: Any, here: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [here] if here else []
    if isinstance(document, dict):
        for key, value in document.items():
            found += paths(value, (*here, key))
    elif isinstance(document, list):
        for index, value in enumerate(document):
            found += paths(value, (*here, index))
    return found


def mutate(document: Any, path: tuple[Any, ...], replacement: Any, drop: bool) -> None:
    parent = document
    for step in path[:-1]:
        parent = parent[step]
    if drop:
        del parent[path[-1]]
    else:
        parent[path[-1]] = replacement


@FUZZ
@given(json_values)
def test_any_json_document_is_decided_or_refused_with_reasons(document: Any) -> None:
    check_any(orjson.dumps(document))


@FUZZ
@given(st.binary(max_size=200))
def test_any_bytes_are_decided_or_refused_with_reasons(payload: bytes) -> None:
    check_any(payload)


BASES = [case(p, request={"kind": k, "reason": r}) for p in PRESETS for k, r in
         [("return", "changed_mind"), ("claim", "defective"), ("warranty", "defective")]]
BASES.append(case(request={"kind": "cancel", "reason": None, "lines": []}))


@FUZZ
@given(st.sampled_from(BASES), st.data(), st.booleans())
def test_a_valid_case_with_fields_dropped_or_replaced_is_decided_or_refused(
        base: dict[str, Any], data: st.DataObject, in_array: bool) -> None:
    document = copy.deepcopy(base)
    for _ in range(data.draw(st.integers(1, 4), label="mutations")):
        where = paths(document)
        if not where:
            break
        path = data.draw(st.sampled_from(where), label="path")
        mutate(document, path, data.draw(json_values, label="value"), data.draw(st.booleans(), label="drop"))
    check_any(orjson.dumps([copy.deepcopy(BASE), document] if in_array else document))


def money(draw: st.DrawFn, currency: str, most: int) -> str:
    return str(minor_unit(currency) * draw(st.integers(0, most)))


window = st.fixed_dictionaries({"length": st.integers(0, 60), "from": st.sampled_from(["placement", "fulfilment",
                                "delivery"]), "unit": st.sampled_from(["hours", "days", "business_days",
                                                                       "business_hours", "months"])})
outcome = st.sampled_from(["approve", "review"])


@st.composite
def policies(draw: st.DrawFn) -> dict[str, Any]:
    if draw(st.booleans()):
        return {"preset": draw(st.sampled_from(PRESETS))}
    exclusions = [{"kind": "sale"}, {"kind": "gift_card"}, {"kind": "personalized"},
                  {"kind": "discounted", "unless_faulty": False}, {"kind": "listed", "tags": ["earrings"]}]
    return {
        "key": "fuzz", "name": "Fuzz",
        "promise": draw(st.none() | st.just({"respond_within": {"length": 24, "unit": "business_hours"}})),
        "cancellation": draw(st.none() | st.fixed_dictionaries({
            "outcome": outcome, "until_fulfilment": st.booleans(), "window": st.none() | window})),
        "returns": draw(st.fixed_dictionaries({"accepted": st.booleans(), "outcome": outcome,
                                               "window": st.none() | window,
                                               "condition": st.fixed_dictionaries({"unused": st.booleans()})})),
        "exclusions": draw(st.lists(st.sampled_from(exclusions), max_size=3)),
        "claims": draw(st.none() | st.fixed_dictionaries({
            "reasons": st.dictionaries(st.sampled_from(FAULTS), outcome), "window": st.none() | window,
            "photos_required": st.integers(0, 2)})),
        "warranty": draw(st.none() | st.fixed_dictionaries({"window": window, "outcome": outcome})),
        "refunds": {
            "original_shipping": draw(st.sampled_from(["always", "if_faulty", "never"])),
            "international_shipping_refunded": draw(st.booleans()),
            "return_shipping": draw(st.sampled_from(["customer", "merchant", "merchant_if_faulty"])),
            "return_label_fee": str(Decimal(draw(st.integers(0, 3000))) / 100),
            "restocking_fee_percent": str(Decimal(draw(st.integers(0, 1000))) / 10),
        },
    }


@st.composite
def valid_cases(draw: st.DrawFn) -> dict[str, Any]:
    country, zone = draw(st.sampled_from(STORES))
    currency = draw(st.sampled_from(CURRENCIES))
    placed = draw(st.datetimes(datetime(2024, 1, 1), datetime(2027, 12, 31), timezones=st.just(UTC)))
    fulfilled = draw(st.none() | st.builds(lambda h: placed + timedelta(hours=h), st.integers(0, 500)))
    delivered = draw(st.none() | st.builds(lambda h: (fulfilled or placed) + timedelta(hours=h), st.integers(0, 500)))
    submitted = placed + timedelta(minutes=draw(st.integers(0, 60 * 24 * 40) | st.integers(0, 60 * 24 * 500)))
    tz = draw(st.sampled_from(ZONES))
    lines = []
    for number in range(1, draw(st.integers(1, 3)) + 1):
        quantity = draw(st.integers(1, 4))
        price = draw(st.integers(0, 100_000))
        discount = draw(st.integers(0, price * quantity))
        lines.append(line(
            f"L{number}", quantity=quantity, unit_price=str(minor_unit(currency) * price),
            compare_at_price=draw(st.sampled_from([None, None, None, str(minor_unit(currency) * (price + 500))])),
            discount=str(minor_unit(currency) * discount),
            tax=money(draw, currency, (price * quantity - discount) // 4),
            refunded_quantity=draw(st.integers(0, quantity)),
            gift_card=draw(st.sampled_from([False, False, False, True])),
            tags=draw(st.lists(st.sampled_from(["custom", "engraved", "earrings", "special-order"]), max_size=1)),
            properties=draw(st.sampled_from([{}, {"Engraving": "A+B"}, {"_hidden": "x"}])),
            product_type=draw(st.sampled_from(["Necklace", "Earrings", "Ring", None])),
            fulfilled_quantity=draw(st.none() | st.integers(0, quantity))))
    kind = draw(st.sampled_from(KINDS))
    asked = draw(st.lists(st.sampled_from(lines), unique_by=lambda made: made["id"],
                          min_size=0 if kind == "cancel" else 1))
    shipping = draw(st.integers(0, 3000))
    paid = draw(st.none() | st.integers(0, 500_000))
    payments = {} if paid is None else {
        "paid": str(minor_unit(currency) * paid), "refunded": money(draw, currency, paid),
        "gift_card_paid": money(draw, currency, paid)}
    return {
        "policy": draw(policies()),
        "store": {"country": country, "timezone": zone},
        "order": {"id": "1001", "placed_at": placed.astimezone(tz).isoformat(), "currency": currency,
                  "country": draw(st.sampled_from([country, "FR", "US", None])),
                  "shipping": {"amount": str(minor_unit(currency) * shipping), "international": draw(st.booleans()),
                               "tax": money(draw, currency, shipping // 4)},
                  "taxes_included": draw(st.booleans()), **payments,
                  "fulfilled_at": fulfilled and fulfilled.isoformat(),
                  "delivered_at": delivered and delivered.isoformat(), "lines": lines},
        "request": {"kind": kind, "submitted_at": submitted.astimezone(tz).isoformat(),
                    "reason": draw(st.sampled_from(REASONS + ([None] if kind == "cancel" else []))),
                    "lines": [{"line_id": made["id"], "quantity": draw(st.none() | st.integers(1, made["quantity"])),
                               "condition": draw(st.sampled_from([None, "unused", "used"]))} for made in asked],
                    "evidence": {"photos": draw(st.integers(0, 3))}},
    }


def in_minor_unit(amount: str, currency: str) -> bool:
    return Decimal(amount).as_tuple().exponent == minor_unit(currency).as_tuple().exponent


@FUZZ
@given(valid_cases())
def test_every_valid_case_gets_a_decision_that_keeps_the_contracts_invariants(document: dict[str, Any]) -> None:
    made = orjson.loads(decide_json(orjson.dumps(document)))
    asked = [r["line_id"] for r in document["request"]["lines"]] or [x["id"] for x in document["order"]["lines"]]
    per_line = {lo["line_id"]: lo["outcome"] for lo in made["lines"]}
    assert [lo["line_id"] for lo in made["lines"]] == asked
    assert set(per_line.values()) <= OUTCOMES
    assert made["outcome"] == (per_line[asked[0]] if len(set(per_line.values())) == 1 else "review")
    assert made["reasons"] and all(r["code"] in CODES and r["message"] and r["lines"] for r in made["reasons"])
    for line_id, line_outcome in per_line.items():
        mine = {r["code"] for r in made["reasons"] if line_id in r["lines"]}
        assert mine, f"{line_id} has no reason"
        if line_outcome == "approve":
            assert mine == {"within_policy"}
        if line_outcome == "decline":
            assert not mine & {"within_policy", "needs_review"}
    assert all(set(r["lines"]) <= set(asked) for r in made["reasons"])
    assert made["respond_by"] is None or made["outcome"] == "review"
    refund = made["refund"]
    assert (refund is not None) == (made["outcome"] == "approve")
    if refund is not None:
        currency = document["order"]["currency"]
        amounts = ("items", "shipping", "tax", "fees", "total", "to_gift_card")
        items, shipping, tax, fees, total, to_gift_card = (Decimal(refund[k]) for k in amounts)
        order = document["order"]
        assert refund["currency"] == currency
        assert all(in_minor_unit(refund[k], currency) for k in amounts)
        assert total == items + shipping + tax + fees
        assert total >= 0 and fees <= 0 and items >= 0 and shipping >= 0 and tax >= 0
        assert 0 <= to_gift_card <= total
        if order["taxes_included"]:
            assert tax == 0
        if "paid" in order:
            assert total <= Decimal(order["paid"]) - Decimal(order["refunded"])


@settings(deadline=None, max_examples=50)
@given(st.lists(valid_cases(), min_size=2, max_size=4))
def test_an_array_of_valid_cases_is_decided_one_by_one_in_order(documents: list[dict[str, Any]]) -> None:
    together = orjson.loads(decide_json(orjson.dumps(documents)))
    assert together == [orjson.loads(decide_json(orjson.dumps(document))) for document in documents]


@pytest.mark.parametrize("document", [
    case(order={"lines": [line(unit_price="1e30")]}),
    case(order={"lines": [line(unit_price=1e300)]}),
    case(order={"shipping": {"amount": "1e30"}}, request={"kind": "claim", "reason": "defective"}),
    case(order={"lines": [line(quantity=10**15, unit_price=10**15, fulfilled_quantity=None)]},
         request={"lines": [{"line_id": "L1"}]}),
], ids=["price-1e30", "price-float-1e300", "shipping-1e30", "quantity-and-price-1e15"])
def test_an_absurd_amount_is_refused_as_an_invalid_case(document: dict[str, Any]) -> None:
    with pytest.raises(CaseError):
        decide_json(orjson.dumps(document))


@pytest.mark.parametrize("document", [
    case(order={"placed_at": "9999-12-30T00:00:00Z", "fulfilled_at": None, "delivered_at": "9999-12-30T00:00:00Z"},
         request={"submitted_at": "9999-12-31T00:00:00Z"}),
    case("kestia", order={"placed_at": "9999-05-01T00:00:00Z", "fulfilled_at": None, "delivered_at": None},
         request={"kind": "warranty", "reason": "defective", "submitted_at": "9999-06-01T00:00:00Z"}),
    case("pandorana", order={"placed_at": "9999-12-30T00:00:00Z", "fulfilled_at": None, "delivered_at": None,
                             "lines": [line(fulfilled_quantity=0)]},
         request={"kind": "cancel", "reason": None, "lines": [], "submitted_at": "9999-12-31T12:00:00Z"}),
], ids=["return-window", "warranty-months", "promise-business-hours"])
def test_a_date_near_the_end_of_the_calendar_is_refused_as_an_invalid_case(document: dict[str, Any]) -> None:
    with pytest.raises(CaseError):
        decide_json(orjson.dumps(document))
