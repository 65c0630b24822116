"""Write-backs on the real shop when things go wrong, each decision still written exactly once: a 5xx on the refund,
a lost answer, a refusing gateway, the shop down (for a while, and for good), Assay down, an order trashed while a
person was to review it. The faults are the rig's own switches (woo_rig_* options); every scenario is a return of the
Silver Ring (89.00) under Pristine Crystals' policy unless it says otherwise."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator

import pytest

from realshop.shop import KIT, Shop, alive_in_group, run, wait_for
from realshop.written import Request, ask_in_turn, assert_written_as_decided, held_for, report, wait_until_written

pytestmark = [pytest.mark.realshop, pytest.mark.slow]

RING = [("ring", 1), ("pendant", 1)]
MAX_ATTEMPTS = 5  # tests/realshop/conftest.py's ASSAY_SETTINGS
EVERY_ROUTE = "#^(GET|POST|PUT|DELETE) /wc/v3/#"
# What the worker and the clock log, in this order, when a SIGTERM stops them (cli/work.py, jobs/clock.py).
STOP_LINES = {"assay-worker": ("worker.stop_requested", "worker.stopped"), "assay-clock": ("clock.stopped",)}


def refunds_of(order_id: int) -> str:
    return rf"#^POST /wc/v3/orders/{order_id}/refunds#"


@pytest.fixture(scope="module")
def orders(shop: Shop) -> Iterator[dict[str, dict[str, object]]]:
    """Every order the scenarios use, placed at once, seen by Assay, under Pristine Crystals' policy."""
    names = ["one-email", "5xx", "lost", "refused", "failing", "down-for-good", "ridden-out", "assay-down",
             "status-while-down", "trashed"]
    specs = [{"lines": RING} for _ in names]
    specs[names.index("trashed")] = {"lines": [("ring", 1), ("giftcard", 1)]}
    placed = dict(zip(names, shop.place_orders(specs), strict=True))
    shop.use_preset("pristine-crystals")
    wait_for("Assay has seen every order delivered", lambda: len(shop.query(
        "SELECT 1 FROM order_snapshots WHERE order_id = ANY(%s) AND platform_status = 'delivered'",
        [str(order["id"]) for order in placed.values()])) == len(placed))
    yield placed
    for option in ("woo_rig_rest_fault", "woo_rig_rest_fault_after", "woo_rig_refuse_refunds"):
        shop.option(option, None)


def request(name: str, order: dict[str, object], skus: list[str] | None = None) -> Request:
    return Request(name, order, "return", "changed_mind", ["RING-925"] if skus is None else skus)


def fault_hits(shop: Shop, option: str) -> list[str]:
    fault = json.loads(shop.wp_eval("echo wp_json_encode( get_option( $argv[2] ) );", option) or "null")
    return list((fault or {}).get("hits") or [])


def test_an_approved_return_emails_the_customer_once(shop: Shop, orders: dict[str, dict[str, object]]) -> None:
    approved = request("an approved return, and the customer's emails", orders["one-email"])
    before = len(shop.mails())
    ask_in_turn(shop, [approved])
    wait_until_written(shop, [approved])
    held = assert_written_as_decided(shop, approved)
    wait_for("the ticker sent what WooCommerce queued", lambda: "Refunded" in " ".join(held_for(shop, approved)
                                                                                           .private_notes))
    emails = [mail["subject"] for mail in shop.mails()[before:] if mail["to"] == "anna@rig.test"]
    report(approved.name, approved, held, emails=emails)
    assert len(emails) == 1, f"one email about one decision, got {emails}"


def test_a_5xx_and_a_lost_answer_still_refund_once(shop: Shop, orders: dict[str, dict[str, object]]) -> None:
    failing, lost = request("5xx on the refund, twice", orders["5xx"]), request("refund's answer lost", orders["lost"])
    shop.option("woo_rig_rest_fault", {"match": refunds_of(failing.order["id"]), "status": 503, "times": 2})
    shop.option("woo_rig_rest_fault_after", {"match": refunds_of(lost.order["id"]), "status": 504, "times": 1})
    ask_in_turn(shop, [failing, lost])
    wait_until_written(shop, [failing, lost])
    assert len(fault_hits(shop, "woo_rig_rest_fault")) == 2
    assert len(fault_hits(shop, "woo_rig_rest_fault_after")) == 1
    for each in (failing, lost):
        held = assert_written_as_decided(shop, each)
        assert held.refunds[0]["amount"] == "89.00" and held.refunds[0]["refunded_payment"] is True
        report(each.name, each, held, attempts=[a["attempts"] for a in each.actions])
    assert failing.actions[0]["attempts"] >= 3, "two 5xx, then written"
    assert lost.actions[0]["result"]["refund"]["refund_id"] == held_for(shop, lost).refunds[0]["id"]


def test_a_refusing_gateway_gets_a_refund_by_hand_and_the_merchant_its_reason(
        shop: Shop, orders: dict[str, dict[str, object]]) -> None:
    refused = request("the gateway refuses the refund", orders["refused"])
    shop.option("woo_rig_refuse_refunds", 1)
    try:
        ask_in_turn(shop, [refused])
        wait_until_written(shop, [refused])
    finally:
        shop.option("woo_rig_refuse_refunds", None)
    held = assert_written_as_decided(shop, refused)
    assert held.refunds[0]["refunded_payment"] is False, "recorded by hand: the card was not refunded"
    by_hand = [note for note in held.private_notes if "refund the customer by hand" in note]
    assert len(by_hand) == 1
    assert "the processor declined the refund" in by_hand[0], "the gateway's own reason, for the merchant"
    assert "the processor declined the refund" in (shop.logs / "assay-worker.log").read_text()
    report(refused.name, refused, held, merchant_note=by_hand[0][:200])


def test_a_write_the_shop_keeps_refusing_ends_failed_and_the_customer_is_not_told_it_is_paid(
        shop: Shop, orders: dict[str, dict[str, object]]) -> None:
    failing = request("5xx on every try of the refund", orders["failing"])
    shop.option("woo_rig_rest_fault", {"match": refunds_of(failing.order["id"]), "status": 503, "times": 100})
    try:
        ask_in_turn(shop, [failing])
        assert "approved" in failing.answer
        wait_until_written(shop, [failing], seconds=120)
    finally:
        shop.option("woo_rig_rest_fault", None)
    action = failing.actions[0]
    assert (action["state"], action["attempts"]) == ("failed", MAX_ATTEMPTS), "counted, then set aside for a person"
    held = held_for(shop, failing)
    assert held.refunds == [] and held.customer_notes == []
    page = shop.customer_session("anna").get(f"{shop.url}/my-account/assay-request/{failing.order['id']}/").text
    assert "We are refunding" not in page, "the customer's page must not promise a refund that was not paid"
    report(failing.name, failing, held, action=f"{action['state']} after {action['attempts']} attempts")


def event_of(shop: Shop, order: dict[str, object]) -> dict[str, object]:
    """The newest form request's event for this order: the plugin keeps its answer URL, /request/<event id>, in the
    order's meta (read inside the shop: its REST API may be the thing that is down)."""
    url = shop.wp_eval('echo wc_get_order( (int) $argv[2] )->get_meta( "_assay_request_answer_url" );',
                       str(order["id"]))
    found = re.search(r"/request/(\d+)", url)
    if not found:
        return {}
    rows = shop.query("SELECT id, status, attempts, error FROM events WHERE id = %s", int(found.group(1)))
    return rows[0] if rows else {}


def test_a_shop_down_for_good_is_asked_a_bounded_number_of_times_then_the_request_fails(
        shop: Shop, orders: dict[str, dict[str, object]]) -> None:
    down = request("the shop down for good", orders["down-for-good"])
    shop.option("woo_rig_rest_fault", {"match": EVERY_ROUTE, "status": 503, "times": 10_000})
    try:
        ask_in_turn(shop, [down])
        event = wait_for("the request's event failed", lambda: (lambda e: e if e.get("status") == "failed" else None)(
            event_of(shop, down.order)), seconds=90)
        order_read = f"GET /wc/v3/orders/{down.order['id']}"
        asked = [hit for hit in fault_hits(shop, "woo_rig_rest_fault") if hit == order_read]
    finally:
        shop.option("woo_rig_rest_fault", None)
    assert event["attempts"] == MAX_ATTEMPTS
    assert len(asked) <= MAX_ATTEMPTS, f"asked {len(asked)} times for {MAX_ATTEMPTS} attempts"
    report(down.name, down, held_for(shop, down), event=f"failed after {event['attempts']} attempts, "
                                                         f"the shop asked {len(asked)} times")


def test_a_shop_down_for_a_while_is_ridden_out(shop: Shop, orders: dict[str, dict[str, object]]) -> None:
    later = request("the shop down for a while", orders["ridden-out"])
    shop.option("woo_rig_rest_fault", {"match": EVERY_ROUTE, "status": 503, "times": 10_000})
    try:
        ask_in_turn(shop, [later])
        wait_for("a try counted while the shop is down",
                 lambda: int(event_of(shop, later.order).get("attempts") or 0) >= 1, seconds=30)
    finally:
        shop.option("woo_rig_rest_fault", None)
    wait_until_written(shop, [later], seconds=60)
    held = assert_written_as_decided(shop, later)
    report(later.name, later, held, event=f"processed after {event_of(shop, later.order)['attempts']} failed tries")


def assert_stopped_on_sigterm(shop: Shop, said: str, took: float, left: dict[str, list[int]],
                              since: dict[str, int]) -> None:
    """assay-stop.sh's SIGTERM ended web, worker and clock well inside its grace, with no SIGKILL and no process of
    theirs left (the worker's RQ scheduler included), and the worker and the clock each logged their own stop."""
    grace = float(shop.env.get("RIG_STOP_GRACE") or 10)
    assert "SIGKILL" not in said and took < grace / 2, f"stopped in {took:.1f} s of a {grace:g} s grace: {said}"
    assert not any(left.values()), f"still running after the stop: {left}"
    for name, lines in STOP_LINES.items():
        events = [line["event"] for line in shop.logged(name, since[name])]
        assert [event for event in events if event in lines] == list(lines), f"{name}: {events}"


def test_assay_down_the_customer_is_told_and_a_status_set_meanwhile_is_caught_up(
        shop: Shop, orders: dict[str, dict[str, object]]) -> None:
    asking, by_status = request("asked while Assay is down", orders["assay-down"]), orders["status-while-down"]
    groups, since = shop.assay_groups(), {name: (shop.logs / f"{name}.log").stat().st_size for name in STOP_LINES}
    started = time.monotonic()
    stopping = run("assay-stop.sh", shop.env, timeout=60)
    took = time.monotonic() - started
    try:
        left = {name: alive_in_group(group) for name, group in groups.items()}
        while_down = asking.ask(shop)
        shop.rest("PUT", f"orders/{by_status['id']}", {"status": "return-requested"})
    finally:
        run("assay-start.sh", shop.env, timeout=120)
    assert_stopped_on_sigterm(shop, stopping.stdout, took, left, since)
    assert "We couldn't send your request just now; please try again" in while_down, "told to try again soon"
    ask_in_turn(shop, [asking])
    status_case = wait_for("the poll found the status set while Assay was down", lambda: shop.query(
        "SELECT id FROM cases WHERE order_id = %s AND request_key NOT LIKE 'form:%%'", str(by_status["id"])),
        seconds=60)
    wait_until_written(shop, [asking])
    held = assert_written_as_decided(shop, asking)
    report(asking.name, asking, held, while_down=while_down[:120], stopped=f"on SIGTERM in {took:.1f} s")
    decided = wait_for("the status request decided", lambda: shop.query(
        "SELECT outcome FROM cases WHERE id = %s AND outcome IS NOT NULL", status_case[0]["id"]), seconds=30)
    assert decided[0]["outcome"] in ("approve", "decline", "review")


def test_a_trashed_order_leaves_the_review_queue(shop: Shop, orders: dict[str, dict[str, object]]) -> None:
    trashed = request("a review whose order is trashed", orders["trashed"], skus=[])
    trashed.skus = None
    ask_in_turn(shop, [trashed])
    wait_until_written(shop, [trashed])
    assert trashed.outcome == "review"
    shop.rest("DELETE", f"orders/{trashed.order['id']}")
    closed = wait_for("the case left the review queue", lambda: shop.query(
        "SELECT status FROM cases WHERE id = %s AND status = 'closed'", trashed.case_id), seconds=30)
    assert closed


def test_no_customer_reads_assays_marker(shop: Shop, orders: dict[str, dict[str, object]]) -> None:
    """Runs last: every note, refund reason and email a customer could read in this suite."""
    visible = [mail["subject"] + mail["body"] for mail in shop.mails() if not mail["to"].startswith("admin@")]
    for order in orders.values():
        visible += [n["note"] for n in shop.rest("GET", f"orders/{order['id']}/notes") if n["customer_note"]]
        visible += [r["reason"] for r in shop.rest("GET", f"orders/{order['id']}/refunds")]
    assert not [text for text in visible if re.search(r"assay-ref", text)]
    assert KIT.exists()
