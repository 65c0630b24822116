"""Each seed store's preset on the real shop, the way its customers and merchant act: orders (one through the
storefront's checkout in Chromium, the rest through WooCommerce's REST API as the admin), delivered or not, then
requests through the plugin's My Account form; afterwards WooCommerce holds each decision exactly once and exactly as
decided (tests/realshop/written.py), a merchant's Approve of a review included. All orders are placed, and all requests
sent, in batches, with one wait."""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal

import pytest

from realshop.shop import Shop, wait_for
from realshop.written import (
    Request,
    ask_in_turn,
    assert_written_as_decided,
    held_for,
    refund_lines,
    report,
    wait_until_written,
)

pytestmark = [pytest.mark.realshop, pytest.mark.slow]

PRESETS = ["pristine-crystals", "kestia", "passione-kustom", "five-elements-link", "pandorana"]
# The orders, by name: what the admin creates through REST (bought by anna in Berlin unless said otherwise).
ORDERS = {
    "pc-ring-earrings": {"lines": [("ring", 1), ("earrings", 1)]},
    "pc-sale-engraved": {"lines": [("pendant", 1), ("signet", 1)], "engraving": "A & B"},
    "pc-unshipped": {"lines": [("ring", 1), ("stack:54", 2)], "status": "processing"},
    "ke-delivered": {"lines": [("ring", 1), ("stack:56", 1)]},
    "ke-two-asks": {"lines": [("ring", 1), ("earrings", 1)]},
    "ke-engraved": {"lines": [("ring", 1), ("signet", 1)], "engraving": "J & K"},
    "pk-ring": {"lines": [("ring", 1)]},
    "pk-damaged": {"lines": [("signet", 1)], "engraving": "Forever"},
    "fe-wrong": {"lines": [("pendant", 1), ("stack:52", 1)], "customer": "camille"},
    "fe-mind": {"lines": [("ring", 1)]},
    "pa-unshipped": {"lines": [("earrings", 1)], "status": "processing"},
    "pa-delivered": {"lines": [("ring", 1)], "coupon": "welcome10"},
}
CHECKOUT = ("camille", ["ring", "signet"])  # through the storefront, then delivered


@dataclass(frozen=True)
class Ask:
    name: str
    preset: str
    order: str
    kind: str
    reason: str
    skus: list[str] | None
    outcome: str
    refund: str | None = None  # the refund total the decision states (None: none)
    photos: int = 0


ASKS = [
    Ask("pristine: return of the ring, changed mind", "pristine-crystals", "pc-ring-earrings", "return",
        "changed_mind", ["RING-925"], "approve", "89.00"),
    Ask("pristine: return of a sale item and an engraved one", "pristine-crystals", "pc-sale-engraved", "return",
        "changed_mind", None, "decline"),
    Ask("pristine: cancel before shipping", "pristine-crystals", "pc-unshipped", "cancel", "changed_mind", None,
        "approve", "172.83"),
    Ask("pristine: return from France, checkout order", "pristine-crystals", "checkout", "return", "wrong_size",
        ["RING-925"], "approve", "89.75"),
    Ask("kestia: statutory cancel of a delivered order", "kestia", "ke-delivered", "cancel", "changed_mind", None,
        "approve", "128.00"),
    Ask("kestia: earrings back, changed mind", "kestia", "ke-two-asks", "return", "changed_mind", ["EAR-PRL"],
        "decline"),
    Ask("kestia: then the ring of the same order", "kestia", "ke-two-asks", "return", "changed_mind", ["RING-925"],
        "approve", "89.00"),
    Ask("kestia: the ring and an engraved ring back, for a person", "kestia", "ke-engraved", "return",
        "changed_mind", None, "review"),
    Ask("passione: return, changed mind", "passione-kustom", "pk-ring", "return", "changed_mind", None, "decline"),
    Ask("passione: damaged engraved ring, with photos", "passione-kustom", "pk-damaged", "claim",
        "damaged_in_transit", None, "review", photos=2),
    Ask("five elements: wrong item, with photos", "five-elements-link", "fe-wrong", "claim", "wrong_item",
        ["STACK-52"], "review", photos=2),
    Ask("five elements: return, changed mind", "five-elements-link", "fe-mind", "return", "changed_mind", None,
        "decline"),
    Ask("pandorana: cancel before shipping", "pandorana", "pa-unshipped", "cancel", "changed_mind", None, "review"),
    Ask("pandorana: return with a coupon", "pandorana", "pa-delivered", "return", "changed_mind", None, "review"),
]


@pytest.fixture(scope="module")
def asked(shop: Shop) -> dict[str, Request]:
    """Every order placed and every request sent, preset by preset; returned once all are decided and written."""
    placed = dict(zip(ORDERS, shop.place_orders(list(ORDERS.values())), strict=True))
    checked_out = shop.checkout(*CHECKOUT)
    placed["checkout"] = shop.rest("PUT", f"orders/{checked_out['id']}", {"status": "delivered"})

    def all_seen() -> bool:  # Assay knows each order as it stands (delivered ones as delivered) before any request
        seen = shop.query("SELECT order_id, platform_status FROM order_snapshots")
        known = {row["order_id"]: row["platform_status"] for row in seen}
        return all(known.get(str(order["id"])) == order["status"] for order in placed.values())

    wait_for("Assay has seen every order in its status", all_seen, seconds=60)
    requests = {ask.name: Request(ask.name, placed[ask.order], ask.kind, ask.reason, ask.skus, ask.photos)
                for ask in ASKS}
    for preset in PRESETS:
        shop.use_preset(preset)
        ask_in_turn(shop, [requests[ask.name] for ask in ASKS if ask.preset == preset])
    wait_until_written(shop, list(requests.values()))
    return requests


@pytest.mark.parametrize("preset", PRESETS)
def test_each_decision_is_written_once_and_as_decided(shop: Shop, asked: dict[str, Request], preset: str) -> None:
    for ask in (ask for ask in ASKS if ask.preset == preset):
        request = asked[ask.name]
        assert request.outcome == ask.outcome, f"{ask.name}: {request.outcome} ({request.answer})"
        assert (request.decision.get("refund") or {}).get("total") == ask.refund or ask.refund is None, ask.name
        held = assert_written_as_decided(shop, request)
        report(ask.name, request, held)


def test_a_cancel_before_shipping_cancels_and_restocks_once(shop: Shop, asked: dict[str, Request]) -> None:
    held = held_for(shop, asked["pristine: cancel before shipping"])
    assert held.status == "cancelled"
    assert set(held.reduced.values()) == {""}, "WooCommerce put the items back as the order was cancelled"
    assert set(held.restocked.values()) == {""}, "and the refund restocked nothing a second time"


def test_a_return_is_refunded_without_putting_the_items_back(shop: Shop, asked: dict[str, Request]) -> None:
    held = held_for(shop, asked["pristine: return of the ring, changed mind"])
    assert held.status == "delivered"
    assert set(held.restocked.values()) == {""} and "" not in held.reduced.values(), "not back on the shelf yet"
    made = held.refunds[0]
    assert made["refunded_payment"] is True, "paid back through the card's gateway"
    assert [line["total_tax"] for line in made["line_items"]] == ["-14.21"], "19 % VAT on 89.00"


def test_a_statutory_cancel_of_a_delivered_order_is_written_as_a_return(shop: Shop,
                                                                        asked: dict[str, Request]) -> None:
    request = asked["kestia: statutory cancel of a delivered order"]
    assert request.decision["judged_as"] == "return"
    held = held_for(shop, request)
    assert held.status != "cancelled", "a delivered order's items are not back: WooCommerce must not restock them"
    assert "" not in held.reduced.values()


def test_a_second_request_on_one_order_is_judged_on_its_own(asked: dict[str, Request]) -> None:
    first, second = asked["kestia: earrings back, changed mind"], asked["kestia: then the ring of the same order"]
    assert first.case_id != second.case_id
    assert "hygiene" in first.answer and "approved" in second.answer


def test_a_merchants_approve_refunds_only_the_line_the_policy_did_not_decline(shop: Shop,
                                                                             asked: dict[str, Request]) -> None:
    """Kestia: the engraved signet ring is excluded and the silver ring within the policy, so a person decides; their
    Approve on the settings page refunds the silver ring alone, once, and the signet ring stays declined."""
    review = asked["kestia: the ring and an engraved ring back, for a person"]
    line_of = {line["sku"]: str(line["id"]) for line in review.order["line_items"]}
    ring, signet = line_of["RING-925"], line_of["SIGNET-1"]
    by_line = {line["line_id"]: line["outcome"] for line in review.decision["lines"]}
    assert by_line == {ring: "approve", signet: "decline"}, "the policy declines the engraved ring alone"
    with shop.merchant() as merchant:
        queue = merchant.get(f"{shop.assay_url}/admin/api/reviews").json()["reviews"]
        assert review.case_id in [row["id"] for row in queue]
        answer = merchant.post(f"{shop.assay_url}/admin/api/reviews/{review.case_id}/approve",
                               json={"note": "Happy to take the silver ring back."})
    assert answer.status_code == 201, answer.text

    approved = replace(review, name="kestia: the merchant approves the review")
    wait_until_written(shop, [approved])
    assert approved.outcome == "approve"
    assert {line["line_id"]: line["outcome"] for line in approved.decision["lines"]} == by_line
    held = assert_written_as_decided(shop, approved)
    refunds = shop.rest("GET", f"orders/{review.order['id']}/refunds")
    assert len(refunds) == 1, f"one refund on the order, of the approved line; got {len(refunds)}"
    assert refunds[0]["amount"] == "89.00", "the silver ring, not 239.00 with the engraved ring"
    assert refund_lines(refunds[0]) == {ring: (1, Decimal("89.00"), Decimal("14.21"))}, "no line of the signet ring"
    assert "Still declined (Signet Ring)" in refunds[0]["reason"], "the customer is told the engraved ring is not"
    report(approved.name, approved, held)
