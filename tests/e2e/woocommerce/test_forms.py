"""The storefront request form for stores without a request-status plugin: recorded and answered at once (no site
is called on the request), then checked against the site by a job, and decided."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from flask import Flask
from sqlalchemy import select
from support.settings import change_settings

from connector.outages import FIRST_COOL_DOWN_SECONDS
from connector.registry import runner_of
from storage.db import storage_of
from storage.models import CaseRecord, DecisionRecord, Event

from ..fakes.woocommerce import FakeWooCommerce
from .steps import form_for, install, run_worker

pytestmark = pytest.mark.integration


def just_placed(fake: FakeWooCommerce) -> dict[str, Any]:
    placed = (datetime.now(UTC) - timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M:%S")
    return fake.state.add_order(created=placed)


def test_a_cancel_asked_through_the_form_is_decided_and_written_back_once(
    app: Flask, base_url: str, fake_woocommerce: FakeWooCommerce
) -> None:
    store_id = install(app, fake_woocommerce, "pristine-crystals")
    order = just_placed(fake_woocommerce)
    url = f"{base_url}/forms/woocommerce/{store_id}/request"

    first = httpx.post(url, data=form_for(order))
    again = httpx.post(url, json=form_for(order))
    run_worker(app)

    assert (first.status_code, again.status_code) == (202, 202)
    assert first.json()["request_id"] == again.json()["request_id"]  # the same form twice is one request
    assert fake_woocommerce.writes() == [("POST", "orders/101/refunds"), ("PUT", "orders/101")]


def request_event(app: Flask, answer: httpx.Response) -> Event:
    with storage_of(app).sessions() as session:
        return session.get_one(Event, answer.json()["request_id"])


def test_the_form_is_answered_without_calling_the_site(
    app: Flask, base_url: str, fake_woocommerce: FakeWooCommerce
) -> None:
    store_id = install(app, fake_woocommerce, "pristine-crystals")
    order = just_placed(fake_woocommerce)
    fake_woocommerce.requests.clear()
    answer = httpx.post(f"{base_url}/forms/woocommerce/{store_id}/request", data=form_for(order))
    assert (answer.status_code, answer.json()["status"]) == (202, "received")
    assert fake_woocommerce.requests == []
    assert request_event(app, answer).status == "received"


def test_every_missing_or_malformed_field_is_named_in_a_400(
    app: Flask, base_url: str, fake_woocommerce: FakeWooCommerce
) -> None:
    store_id = install(app, fake_woocommerce)
    answer = httpx.post(f"{base_url}/forms/woocommerce/{store_id}/request",
                        data={"email": "not an email", "kind": "refund"})
    assert answer.status_code == 400
    assert answer.json()["fields"] == {
        "order_number": "is required", "order_key": "is required",
        "email": "must be the email address the order was placed with",
        "kind": "must be one of cancel, return, claim, warranty, got 'refund'"}
    assert fake_woocommerce.requests == []


@pytest.mark.parametrize("change", [{"email": "eve@example.com"}, {"order_key": "wc_order_guessed"},
                                    {"order_number": "999"}])
def test_a_wrong_email_key_or_number_fails_the_request_with_the_same_error(
    app: Flask, base_url: str, fake_woocommerce: FakeWooCommerce, change: dict[str, str]
) -> None:
    store_id = install(app, fake_woocommerce)
    order = just_placed(fake_woocommerce)
    answer = httpx.post(f"{base_url}/forms/woocommerce/{store_id}/request", data=form_for(order, **change))
    run_worker(app)
    assert answer.status_code == 202
    event = request_event(app, answer)
    assert (event.status, event.error) == (
        "failed", "unknown_order: no order matches this order_number, email and order_key")
    with storage_of(app).sessions() as session:
        assert session.query(CaseRecord).count() == 0


def test_a_store_assay_does_not_know_is_404(app: Flask, base_url: str, fake_woocommerce: FakeWooCommerce) -> None:
    order = just_placed(fake_woocommerce)
    answer = httpx.post(f"{base_url}/forms/woocommerce/999/request", data=form_for(order))
    assert (answer.status_code, answer.json()["error"]) == (404, "unknown_store")


def test_a_store_that_cannot_be_reached_is_tried_again_later_and_then_decided(
    app: Flask, base_url: str, fake_woocommerce: FakeWooCommerce
) -> None:
    store_id = install(app, fake_woocommerce, "pristine-crystals")
    order = just_placed(fake_woocommerce)
    fake_woocommerce.fail_next(1, "5xx")  # a job asks once; its retry is a job of its own
    answer = httpx.post(f"{base_url}/forms/woocommerce/{store_id}/request", data=form_for(order))
    assert answer.status_code == 202
    run_worker(app)
    waiting = request_event(app, answer)
    assert (waiting.status, waiting.attempts) == ("received", 1)
    assert "http 503" in (waiting.error or "") and waiting.next_attempt_at is not None

    change_settings(app, ASSAY_RELAY_GRACE_SECONDS=0)
    time.sleep(FIRST_COOL_DOWN_SECONDS)  # the site's outage breaker lets a probe go again
    with storage_of(app).transaction() as session:  # its retry time has come
        session.get_one(Event, waiting.id).next_attempt_at = waiting.received_at
    with app.app_context():
        from jobs.relay import relay

        assert relay().events == [waiting.id]
    run_worker(app)
    assert request_event(app, answer).status == "processed"
    assert fake_woocommerce.writes() == [("POST", "orders/101/refunds"), ("PUT", "orders/101")]


def test_a_return_of_one_line_names_that_line(app: Flask, base_url: str, fake_woocommerce: FakeWooCommerce) -> None:
    store_id = install(app, fake_woocommerce, "pandorana")  # returns go to review: a private note
    order = fake_woocommerce.state.add_order(lines=[{"name": "Ring"}, {"name": "Chain"}], status="completed",
                                             completed="2026-03-02T10:00:00")
    url = f"{base_url}/forms/woocommerce/{store_id}/request"
    wrong = httpx.post(url, data=form_for(order, kind="return", line_id="77"))
    right = httpx.post(url, data=form_for(order, kind="return", reason="wrong_size", line_id="2"))
    run_worker(app)
    assert (wrong.status_code, right.status_code) == (202, 202)
    failed = request_event(app, wrong)
    assert (failed.status, failed.error) == ("failed", "line_id: must name lines of this order, got 77")
    [note] = fake_woocommerce.state.notes[order["id"]]
    assert note["customer_note"] is False and "the customer's return request needs a decision" in note["note"]


def test_the_sender_reads_the_answer_pending_then_decided_and_a_refusal_in_their_words(
    app: Flask, base_url: str, fake_woocommerce: FakeWooCommerce
) -> None:
    store_id = install(app, fake_woocommerce, "pristine-crystals")
    order = just_placed(fake_woocommerce)
    asked = httpx.post(f"{base_url}/forms/woocommerce/{store_id}/request", data=form_for(order)).json()
    wrong = httpx.post(f"{base_url}/forms/woocommerce/{store_id}/request",
                       data=form_for(order, email="eve@example.com")).json()
    assert httpx.get(base_url + asked["answer_url"]).json()["status"] == "pending"
    run_worker(app)

    decided = httpx.get(base_url + asked["answer_url"]).json()
    refused = httpx.get(base_url + wrong["answer_url"]).json()
    assert (decided["status"], decided["outcome"]) == ("decided", "approve")
    assert refused == {"status": "refused", "request_id": wrong["request_id"],
                       "messages": ["We couldn't find an order with this order number, email and order key."]}
    forged = asked["answer_url"].replace(f"/request/{asked['request_id']}", f"/request/{wrong['request_id']}")
    assert httpx.get(base_url + forged).status_code == 404  # a token answers for its own request only


def test_the_form_is_never_kept_in_plain_text(app: Flask, base_url: str, fake_woocommerce: FakeWooCommerce) -> None:
    store_id = install(app, fake_woocommerce)
    order = just_placed(fake_woocommerce)
    answer = httpx.post(f"{base_url}/forms/woocommerce/{store_id}/request", data=form_for(order))
    stored = str(request_event(app, answer).payload)
    assert order["billing"]["email"] not in stored and order["order_key"] not in stored


ENGRAVED = {"Engraving ($10.00)": "A+B", "_reduced_stock": "1"}


def delivered_two_items(fake: FakeWooCommerce) -> dict[str, Any]:
    """An order of an engraved ring (item 1: Kestia takes it back only if faulty) and a plain necklace (item 2)."""
    fake.state.add_product(11, regular_price="49.00", categories=["Rings"])
    fake.state.add_product(12, regular_price="39.00", categories=["Necklaces"])
    placed, completed = (datetime.now(UTC) - timedelta(days=days) for days in (4, 2))
    return fake.state.add_order(created=placed.strftime("%Y-%m-%dT%H:%M:%S"), status="completed",
                                completed=completed.strftime("%Y-%m-%dT%H:%M:%S"),
                                lines=[{"product_id": 11, "name": "Ring", "meta": ENGRAVED},
                                       {"product_id": 12, "name": "Necklace"}])


def cases(app: Flask) -> list[tuple[int, str, list[str]]]:
    """Each case's id, the outcome in force and its reason codes, oldest first."""
    with storage_of(app).sessions() as session:
        return [(case.id, str(case.outcome), [reason["code"] for reason in
                                              session.scalars(select(DecisionRecord.document).where(
                                                  DecisionRecord.case_id == case.id)).one()["reasons"]])
                for case in session.scalars(select(CaseRecord).order_by(CaseRecord.id))]


def test_a_second_return_on_one_order_is_judged_on_its_own_and_each_answer_is_its_own(
    app: Flask, base_url: str, fake_woocommerce: FakeWooCommerce
) -> None:
    """Issue 23, 1: the ring refused as final sale, then the necklace of the same order asked back."""
    store_id = install(app, fake_woocommerce, "kestia")
    order = delivered_two_items(fake_woocommerce)
    url = f"{base_url}/forms/woocommerce/{store_id}/request"
    ring = httpx.post(url, data=form_for(order, kind="return", reason="changed_mind", line_id="1")).json()
    run_worker(app)
    necklace = httpx.post(url, data=form_for(order, kind="return", reason="changed_mind", line_id="2")).json()
    run_worker(app)

    [(ring_case, *ring_decision), (necklace_case, *necklace_decision)] = cases(app)
    assert (ring_decision, necklace_decision) == (["decline", ["final_sale"]], ["approve", ["within_policy"]])
    ring_answer, necklace_answer = (httpx.get(base_url + asked["answer_url"]).json() for asked in (ring, necklace))
    assert (ring_answer["case_id"], ring_answer["outcome"]) == (ring_case, "decline")
    assert (necklace_answer["case_id"], necklace_answer["outcome"]) == (necklace_case, "approve")
    assert ring_answer["messages"] != necklace_answer["messages"]


def test_the_same_line_asked_again_after_its_answer_is_a_new_request_and_a_new_case(
    app: Flask, base_url: str, fake_woocommerce: FakeWooCommerce
) -> None:
    store_id = install(app, fake_woocommerce, "kestia")
    order = delivered_two_items(fake_woocommerce)
    url = f"{base_url}/forms/woocommerce/{store_id}/request"
    form = form_for(order, kind="return", reason="changed_mind", line_id="1")
    first, double_click = httpx.post(url, data=form).json(), httpx.post(url, data=form).json()
    run_worker(app)
    again = httpx.post(url, data=form).json()  # refused, the customer asks once more
    assert httpx.get(base_url + again["answer_url"]).json()["status"] == "pending"
    run_worker(app)

    assert double_click["request_id"] == first["request_id"]  # sent twice before its answer: one request
    assert again["request_id"] != first["request_id"]
    [(first_case, *first_decision), (second_case, *second_decision)] = cases(app)
    assert first_decision == second_decision == ["decline", ["final_sale"]]  # judged again, on its own
    assert [httpx.get(base_url + asked["answer_url"]).json()["case_id"] for asked in (first, again)] == [
        first_case, second_case]


def test_a_request_handled_twice_opens_one_case(app: Flask, base_url: str, fake_woocommerce: FakeWooCommerce) -> None:
    store_id = install(app, fake_woocommerce, "kestia")
    order = delivered_two_items(fake_woocommerce)
    asked = httpx.post(f"{base_url}/forms/woocommerce/{store_id}/request",
                       data=form_for(order, kind="return", reason="changed_mind", line_id="2")).json()
    run_worker(app)
    with storage_of(app).transaction() as session:  # handed out again (a replay, a relay that lost its answer)
        session.get_one(Event, asked["request_id"]).status = "received"
    runner_of(app).process_event(asked["request_id"], job_id="event-again")
    run_worker(app)

    [(case_id, *decision)] = cases(app)
    assert decision == ["approve", ["within_policy"]]
    assert request_event(app, httpx.Response(200, json=asked)).payload["case_id"] == case_id
    assert httpx.get(base_url + asked["answer_url"]).json()["case_id"] == case_id


def test_after_a_failed_write_back_the_answer_promises_no_refund(
    app: Flask, base_url: str, fake_woocommerce: FakeWooCommerce
) -> None:
    store_id = install(app, fake_woocommerce, "pristine-crystals")
    order = just_placed(fake_woocommerce)
    fake_woocommerce.fail_next(1, "5xx", status=400, method="POST", path=r"orders/\d+/refunds")  # refused for good
    asked = httpx.post(f"{base_url}/forms/woocommerce/{store_id}/request", data=form_for(order)).json()
    run_worker(app)

    answer = httpx.get(base_url + asked["answer_url"]).json()
    assert (answer["status"], answer["outcome"], answer["refund_total"]) == ("decided", "approve", None)
    assert answer["messages"][-1].startswith("We could not complete this in the shop yet.")


KEY = "5f0c2a9e7d1b4c3a8e6f9d2b1a0c7e4f"  # as the plugin draws it: 32 hex characters


def test_the_form_sent_again_with_its_key_after_its_answer_is_that_request_and_no_second_case(
    app: Flask, base_url: str, fake_woocommerce: FakeWooCommerce
) -> None:
    """Assay answered too late for the plugin; the customer, told to try again, sends the form minutes later."""
    store_id = install(app, fake_woocommerce, "pristine-crystals")
    order = just_placed(fake_woocommerce)
    url = f"{base_url}/forms/woocommerce/{store_id}/request"
    lost = httpx.post(url, json=form_for(order, request_key=KEY)).json()  # recorded and decided; the plugin gave up
    run_worker(app)
    retried = httpx.post(url, json=form_for(order, request_key=KEY))
    run_worker(app)

    assert retried.status_code == 202
    assert retried.json()["request_id"] == lost["request_id"]
    [(case_id, outcome, _)] = cases(app)
    answer = httpx.get(base_url + retried.json()["answer_url"]).json()
    assert (answer["status"], answer["case_id"], answer["outcome"]) == ("decided", case_id, outcome)
    assert answer == httpx.get(base_url + lost["answer_url"]).json()
    assert fake_woocommerce.writes() == [("POST", "orders/101/refunds"), ("PUT", "orders/101")]  # written once


def test_another_key_is_another_request(app: Flask, base_url: str, fake_woocommerce: FakeWooCommerce) -> None:
    store_id = install(app, fake_woocommerce, "kestia")
    order = delivered_two_items(fake_woocommerce)
    url = f"{base_url}/forms/woocommerce/{store_id}/request"
    form = form_for(order, kind="return", reason="changed_mind", line_id="1")
    first = httpx.post(url, data={**form, "request_key": KEY}).json()
    second = httpx.post(url, data={**form, "request_key": KEY[::-1]}).json()  # a new page view's form
    run_worker(app)

    assert first["request_id"] != second["request_id"]
    assert [case_id for case_id, *_ in cases(app)] == [
        httpx.get(base_url + asked["answer_url"]).json()["case_id"] for asked in (first, second)]


@pytest.mark.parametrize("key", ["short-key", "k" * 65, "has spaces in it ok", "semi;colon;is;not;allowed"])
def test_a_malformed_request_key_is_a_400_naming_it_and_records_nothing(
    app: Flask, base_url: str, fake_woocommerce: FakeWooCommerce, key: str
) -> None:
    store_id = install(app, fake_woocommerce)
    order = just_placed(fake_woocommerce)
    answer = httpx.post(f"{base_url}/forms/woocommerce/{store_id}/request", data=form_for(order, request_key=key))
    assert answer.status_code == 400
    assert answer.json()["fields"] == {"request_key": f"must be 16 to 64 letters, digits, '-' or '_', got {key!r}"}
    with storage_of(app).sessions() as session:
        assert session.query(Event).filter(Event.topic == "assay/form_request").count() == 0


def test_a_key_sent_for_another_order_is_refused_and_reads_nothing_of_the_first(
    app: Flask, base_url: str, fake_woocommerce: FakeWooCommerce
) -> None:
    store_id = install(app, fake_woocommerce)
    order, other = just_placed(fake_woocommerce), just_placed(fake_woocommerce)
    url = f"{base_url}/forms/woocommerce/{store_id}/request"
    assert httpx.post(url, data=form_for(order, request_key=KEY)).status_code == 202
    borrowed = httpx.post(url, data=form_for(other, request_key=KEY))
    assert (borrowed.status_code, borrowed.json()["fields"]) == (
        400, {"request_key": "was already used for a request on another order"})
    assert "answer_url" not in borrowed.json()


def test_without_a_key_a_form_sent_after_its_answer_is_still_a_new_request(
    app: Flask, base_url: str, fake_woocommerce: FakeWooCommerce
) -> None:
    """Older plugins send no key: the form's own digest keeps telling a retry from a new request."""
    store_id = install(app, fake_woocommerce, "kestia")
    order = delivered_two_items(fake_woocommerce)
    url = f"{base_url}/forms/woocommerce/{store_id}/request"
    form = form_for(order, kind="return", reason="changed_mind", line_id="1", request_key="")
    first, double_click = httpx.post(url, data=form).json(), httpx.post(url, data=form).json()
    run_worker(app)
    again = httpx.post(url, data=form).json()
    run_worker(app)

    assert double_click["request_id"] == first["request_id"] != again["request_id"]
    assert len(cases(app)) == 2
