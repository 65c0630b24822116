"""Shopify returns become the contract's request: kind and reason from the return reasons, lines traced to
the order's lines, and bad payloads refused naming their fields."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from support.shopify_payloads import payload

from connector.shopify.payloads import (
    ShopifyPayloadError,
    kind_and_reason,
    line_map_from_graphql,
    order_from_graphql,
    order_from_webhook,
    return_request_from_graphql,
    return_request_from_webhook,
)
from policies.case import Kind, Reason

PENDANT, EARRINGS = "14851429007434", "14851429040202"
SUBMITTED = "2026-03-09T18:45:03+01:00"


@pytest.fixture
def order() -> dict[str, Any]:
    return order_from_webhook(payload("orders_updated_fulfilled"), "DE").order


def test_a_returns_request_payload_becomes_the_contract_request(order: dict[str, Any]) -> None:
    made = return_request_from_webhook(payload("returns_request"), order, submitted_at=SUBMITTED)
    assert made.request == {
        "kind": "return",
        "submitted_at": "2026-03-09T17:45:03Z",
        "reason": "changed_mind",
        "lines": [{"line_id": EARRINGS, "quantity": 1, "condition": None}],
        "evidence": {"photos": 0},
        "note": "Doch nicht meine Farbe.",
    }
    assert (made.return_gid, made.order_gid) == ("gid://shopify/Return/3547267221", "gid://shopify/Order/5731562143766")
    assert made.line_reasons == {EARRINGS: ("return", "changed_mind")} and not made.mixed_reasons


@pytest.mark.parametrize(("given", "kind", "reason"), [
    # legacy ReturnReason enum, as the webhook (lower case) and GraphQL (upper case) spell it
    ("defective", Kind.CLAIM, Reason.DEFECTIVE),
    ("NOT_AS_DESCRIBED", Kind.CLAIM, Reason.NOT_AS_DESCRIBED),
    ("wrong_item", Kind.CLAIM, Reason.WRONG_ITEM),
    ("size_too_small", Kind.RETURN, Reason.WRONG_SIZE),
    ("SIZE_TOO_LARGE", Kind.RETURN, Reason.WRONG_SIZE),
    ("unwanted", Kind.RETURN, Reason.CHANGED_MIND),
    ("style", Kind.RETURN, Reason.CHANGED_MIND),
    ("color", Kind.RETURN, Reason.CHANGED_MIND),
    ("other", Kind.RETURN, Reason.OTHER),
    ("unknown", Kind.RETURN, Reason.OTHER),
    # ReturnReasonDefinition handles (2026-01 and later)
    ("damaged-or-defective", Kind.CLAIM, Reason.DEFECTIVE),
    ("item-not-as-described", Kind.CLAIM, Reason.NOT_AS_DESCRIBED),
    ("received-the-wrong-item", Kind.CLAIM, Reason.WRONG_ITEM),
    ("inscription", Kind.CLAIM, Reason.NOT_AS_DESCRIBED),
    ("condition", Kind.CLAIM, Reason.NOT_AS_DESCRIBED),
    ("too-small", Kind.RETURN, Reason.WRONG_SIZE),
    ("too-big", Kind.RETURN, Reason.WRONG_SIZE),
    ("too-tight", Kind.RETURN, Reason.WRONG_SIZE),
    ("length", Kind.RETURN, Reason.WRONG_SIZE),
    ("changed-my-mind", Kind.RETURN, Reason.CHANGED_MIND),
    ("other-reason", Kind.RETURN, Reason.OTHER),
    # a handle from the library's long tail, and no reason at all
    ("arrived-late", Kind.RETURN, Reason.OTHER),
    ("comfort", Kind.RETURN, Reason.OTHER),
    (None, Kind.RETURN, Reason.OTHER),
])
def test_return_reasons_map_to_a_kind_and_a_reason(given: str | None, kind: Kind, reason: Reason) -> None:
    assert kind_and_reason(given) == (kind, reason)


def test_the_reason_definition_wins_over_the_deprecated_enum(order: dict[str, Any]) -> None:
    body = payload("returns_request")
    body["return_line_items"][0]["return_reason_definition"] = {"handle": "received-the-wrong-item", "name": "x"}
    request = return_request_from_webhook(body, order, submitted_at=SUBMITTED).request
    assert (request["kind"], request["reason"]) == ("claim", "wrong_item")


def test_a_line_without_its_line_item_is_traced_through_the_line_map(order: dict[str, Any]) -> None:
    line_map = line_map_from_graphql(payload("return_for_case"))
    assert line_map == {"10736341385365": PENDANT, "10736341418133": EARRINGS}
    made = return_request_from_webhook(payload("returns_request_2026"), order, line_map, submitted_at=SUBMITTED)
    assert made.request["lines"] == [{"line_id": PENDANT, "quantity": 1, "condition": None},
                                     {"line_id": EARRINGS, "quantity": 1, "condition": None}]
    assert made.request["note"] == "Die Kette ist beim ersten Tragen gerissen.\nKette gerissen"


def test_a_request_mixing_a_fault_and_a_change_of_mind_is_a_claim_that_says_so(order: dict[str, Any]) -> None:
    line_map = line_map_from_graphql(payload("return_for_case"))
    made = return_request_from_webhook(payload("returns_request_2026"), order, line_map, submitted_at=SUBMITTED)
    assert (made.request["kind"], made.request["reason"]) == ("claim", "defective")
    assert made.line_reasons == {PENDANT: ("claim", "defective"), EARRINGS: ("return", "changed_mind")}
    assert made.mixed_reasons


def test_lines_from_split_fulfillments_add_up_to_one_request_line(order: dict[str, Any]) -> None:
    body = payload("returns_request")
    first = body["return_line_items"][0]
    second = {**first, "id": 6200524950, "return_reason": "defective",
              "fulfillment_line_item": {**first["fulfillment_line_item"], "id": 10736341352598}}
    body["return_line_items"].append(second)
    made = return_request_from_webhook(body, order, submitted_at=SUBMITTED)
    assert made.request["lines"] == [{"line_id": EARRINGS, "quantity": 2, "condition": None}]
    assert made.line_reasons == {EARRINGS: ("claim", "defective")}


def test_a_line_that_cannot_be_traced_names_the_payload_line(order: dict[str, Any]) -> None:
    with pytest.raises(ShopifyPayloadError) as raised:
        return_request_from_webhook(payload("returns_request_2026"), order, submitted_at=SUBMITTED)
    assert raised.value.errors == ["return_line_items.1: can't be traced to an order line "
                                   "(no line item id; pass line_map)"]


def test_a_line_or_an_order_other_than_the_one_given_is_refused(order: dict[str, Any]) -> None:
    body = payload("returns_request")
    body["return_line_items"][0]["fulfillment_line_item"]["line_item"]["id"] = 999
    with pytest.raises(ShopifyPayloadError, match="return_line_items.0: names line item 999, which is not on order"):
        return_request_from_webhook(body, order, submitted_at=SUBMITTED)
    with pytest.raises(ShopifyPayloadError, match="the return is for order 5731562143766, but the order given is '1'"):
        return_request_from_webhook(payload("returns_request"), {**order, "id": "1"}, submitted_at=SUBMITTED)


def test_the_submission_time_comes_from_the_payload_or_the_caller(order: dict[str, Any]) -> None:
    body = payload("returns_request")
    with pytest.raises(ShopifyPayloadError, match="created_at: is not in the payload; pass submitted_at"):
        return_request_from_webhook(body, order)
    at = datetime.fromisoformat("2026-03-09T17:45:03+00:00")
    assert return_request_from_webhook(body, order, submitted_at=at).request["submitted_at"] == "2026-03-09T17:45:03Z"
    body["created_at"] = "2026-03-08T10:00:00-05:00"
    assert return_request_from_webhook(body, order, submitted_at=at).request["submitted_at"] == "2026-03-08T15:00:00Z"


@pytest.mark.parametrize(("submitted_at", "message"), [
    ("yesterday", "submitted_at: must be an ISO 8601 time with an offset, got 'yesterday'"),
    ("2026-03-09T18:45:03", "submitted_at: must include a UTC offset"),
    (datetime(2026, 3, 9, 18, 45), "submitted_at: must include a UTC offset"),
])
def test_a_bad_submission_time_is_refused(order: dict[str, Any], submitted_at: Any, message: str) -> None:
    with pytest.raises(ShopifyPayloadError, match=message):
        return_request_from_webhook(payload("returns_request"), order, submitted_at=submitted_at)


@pytest.mark.parametrize(("change", "field"), [
    (lambda body: body.pop("id"), "id"),
    (lambda body: body.pop("order"), "order"),
    (lambda body: body.update(order={"id": "gid://shopify/Order/1"}), "order.id"),
    (lambda body: body.update(return_line_items=[]), "return_line_items"),
    (lambda body: body["return_line_items"][0].update(quantity=0), "return_line_items.0.quantity"),
    (lambda body: body["return_line_items"][0].update(quantity=None), "return_line_items.0.quantity"),
    (lambda body: body["return_line_items"][0]["fulfillment_line_item"].pop("id"),
     "return_line_items.0.fulfillment_line_item.id"),
    (lambda body: body["return_line_items"][0].update(return_reason_definition={"name": "Other"}),
     "return_line_items.0.return_reason_definition.handle"),
])
def test_a_bad_returns_payload_is_refused_naming_the_field(order: dict[str, Any], change: Any, field: str) -> None:
    body = payload("returns_request")
    change(body)
    with pytest.raises(ShopifyPayloadError) as raised:
        return_request_from_webhook(body, order, submitted_at=SUBMITTED)
    assert raised.value.fields == [field]


def test_a_returns_payload_naming_the_order_by_order_id_is_read_too(order: dict[str, Any]) -> None:
    body = payload("returns_request")
    body["order_id"] = body.pop("order")["id"]
    made = return_request_from_webhook(body, order, submitted_at=SUBMITTED)
    assert made.order_gid == "gid://shopify/Order/5731562143766"


def test_the_return_for_case_result_gives_the_same_request_as_the_webhook(order: dict[str, Any]) -> None:
    data = payload("return_for_case")
    admin = return_request_from_graphql(data, order_from_graphql(payload("order_for_case"), "DE").order)
    webhook = return_request_from_webhook(payload("returns_request_2026"), order, line_map_from_graphql(data),
                                          submitted_at="2026-03-09T17:45:03Z")
    assert admin == webhook


def test_an_unverified_return_line_has_no_order_line_and_is_refused(order: dict[str, Any]) -> None:
    data = payload("return_for_case")
    node = data["return"]["returnLineItems"]["nodes"][1]
    node["__typename"], node["fulfillmentLineItem"] = "UnverifiedReturnLineItem", None
    with pytest.raises(ShopifyPayloadError, match="return.returnLineItems.nodes.1: can't be traced"):
        return_request_from_graphql(data, order)
    assert line_map_from_graphql(data) == {"10736341385365": PENDANT}


@pytest.mark.parametrize(("data", "field"), [
    ({"return": None}, "return"),
    ({}, "return"),
    ({"return": {"id": "gid://shopify/Return/1", "createdAt": "2026-03-09T17:45:03Z", "order": {"id": "x"},
                 "returnLineItems": {"nodes": []}}}, "return.order.id"),
])
def test_a_bad_return_for_case_result_is_refused(order: dict[str, Any], data: dict[str, Any], field: str) -> None:
    with pytest.raises(ShopifyPayloadError) as raised:
        return_request_from_graphql(data, order)
    assert raised.value.fields[0] == field
