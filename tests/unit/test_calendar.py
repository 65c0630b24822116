"""The time rules of contract.md ("Time"): where windows of hours, days, business days and months end."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from support.cases import case, codes, decision, line

from policies.calendar import StoreCalendar, add_months
from policies.policy import Period, Unit


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def end(zone: str, country: str, start: str, length: int, unit: Unit) -> datetime:
    return StoreCalendar(zone, country).window_end(at(start), Period(length, unit))


@pytest.mark.parametrize(("zone", "start", "hours", "expected"), [
    ("Europe/Berlin", "2026-03-10T12:00:00Z", 24, "2026-03-11T12:00:00Z"),
    # The clocks go forward on 2026-03-29 in Berlin: 24 hours are still 24 real hours.
    ("Europe/Berlin", "2026-03-28T11:00:00Z", 24, "2026-03-29T11:00:00Z"),
    ("Europe/Berlin", "2026-03-28T12:00:00+01:00", 24, "2026-03-29T13:00:00+02:00"),
    # ... and back on 2026-10-25.
    ("Europe/Berlin", "2026-10-24T10:00:00Z", 48, "2026-10-26T10:00:00Z"),
    ("America/New_York", "2026-03-07T17:00:00Z", 36, "2026-03-09T05:00:00Z"),
])
def test_an_hour_window_ends_exactly_that_many_real_hours_after_its_start(
        zone: str, start: str, hours: int, expected: str) -> None:
    assert end(zone, "DE", start, hours, Unit.HOURS) == at(expected)


def test_an_hour_window_from_a_zone_aware_start_counts_real_hours_across_a_dst_change() -> None:
    start = datetime(2026, 3, 28, 12, tzinfo=ZoneInfo("Europe/Berlin"))
    ends = StoreCalendar("Europe/Berlin", "DE").window_end(start, Period(24, Unit.HOURS))
    assert ends == at("2026-03-29T11:00:00Z")


@pytest.mark.parametrize(("zone", "start", "days", "expected"), [
    # 13:00 on 10 March in Berlin: day 1 is 11 March, day 14 is 24 March, which ends at 24:00 CET.
    ("Europe/Berlin", "2026-03-10T12:00:00Z", 14, "2026-03-24T23:00:00Z"),
    # 23:30 on 10 March in Berlin, though already 22:30 UTC: still the 10th locally.
    ("Europe/Berlin", "2026-03-10T22:30:00Z", 1, "2026-03-11T23:00:00Z"),
    # 00:30 on 11 March in Berlin, though still the 10th in UTC: the window counts from the 11th.
    ("Europe/Berlin", "2026-03-10T23:30:00Z", 1, "2026-03-12T23:00:00Z"),
    # A week with the spring change: the last day ends at 24:00 CEST.
    ("Europe/Berlin", "2026-03-27T12:00:00Z", 3, "2026-03-30T22:00:00Z"),
    # A week with the autumn change: the last day ends at 24:00 CET.
    ("Europe/Berlin", "2026-10-23T12:00:00Z", 3, "2026-10-26T23:00:00Z"),
    # 22:00 on 5 March in New York (03:00 UTC on the 6th); the US changes on 8 March.
    ("America/New_York", "2026-03-06T03:00:00Z", 7, "2026-03-13T04:00:00Z"),
    # 01:00 on 11 March in Tokyo (16:00 UTC on the 10th).
    ("Asia/Tokyo", "2026-03-10T16:00:00Z", 1, "2026-03-12T15:00:00Z"),
])
def test_a_day_window_starts_the_next_local_day_and_ends_at_midnight_of_its_last_day(
        zone: str, start: str, days: int, expected: str) -> None:
    assert end(zone, "DE", start, days, Unit.DAYS) == at(expected)


@pytest.mark.parametrize(("zone", "country", "start", "days", "expected"), [
    # Friday to Monday.
    ("Europe/Berlin", "DE", "2026-03-06T10:00:00Z", 1, "2026-03-09T23:00:00Z"),
    # Wednesday + 3: Thursday, Friday, Monday.
    ("Europe/Berlin", "DE", "2026-03-04T10:00:00Z", 3, "2026-03-09T23:00:00Z"),
    # A Saturday: the next business day is Monday.
    ("Europe/Berlin", "DE", "2026-03-07T10:00:00Z", 1, "2026-03-09T23:00:00Z"),
    # Maundy Thursday: Good Friday (3 April) and Easter Monday (6 April) are German holidays.
    ("Europe/Berlin", "DE", "2026-04-02T10:00:00Z", 1, "2026-04-07T22:00:00Z"),
    ("Europe/Berlin", "DE", "2026-04-02T10:00:00Z", 2, "2026-04-08T22:00:00Z"),
    # Christmas Eve in Britain: Christmas Day, the weekend and Boxing Day observed on Monday 28th.
    ("Europe/London", "GB", "2026-12-24T10:00:00Z", 1, "2026-12-30T00:00:00Z"),
    # The day before Thanksgiving (26 November) in the US.
    ("America/New_York", "US", "2026-11-25T15:00:00Z", 1, "2026-11-28T05:00:00Z"),
    # Good Friday is not a US federal holiday: the holidays are the store's country's.
    ("America/New_York", "US", "2026-04-02T15:00:00Z", 1, "2026-04-04T04:00:00Z"),
])
def test_business_days_skip_weekends_and_the_store_countrys_public_holidays(
        zone: str, country: str, start: str, days: int, expected: str) -> None:
    assert end(zone, country, start, days, Unit.BUSINESS_DAYS) == at(expected)


@pytest.mark.parametrize(("zone", "country", "start", "hours", "expected"), [
    # contract.md: 15:00 on a Friday + 24 business hours = 15:00 on Monday.
    ("Europe/Berlin", "DE", "2026-03-06T14:00:00Z", 24, "2026-03-09T14:00:00Z"),
    # Started on a Saturday: the count begins at Monday 00:00.
    ("Europe/Berlin", "DE", "2026-03-07T10:00:00Z", 8, "2026-03-09T07:00:00Z"),
    ("Europe/Berlin", "DE", "2026-03-07T10:00:00Z", 24, "2026-03-09T23:00:00Z"),
    # Started on Good Friday: the count begins on Tuesday after Easter Monday.
    ("Europe/Berlin", "DE", "2026-04-03T08:00:00Z", 8, "2026-04-07T06:00:00Z"),
    # 22:00 on Maundy Thursday + 4: two hours on Thursday, two on Tuesday.
    ("Europe/Berlin", "DE", "2026-04-02T20:00:00Z", 4, "2026-04-07T00:00:00Z"),
    # Over the US autumn change (Sunday 1 November): 15:00 EDT Friday -> 15:00 EST Monday.
    ("America/New_York", "US", "2026-10-30T19:00:00Z", 24, "2026-11-02T20:00:00Z"),
    ("Europe/London", "GB", "2026-12-24T15:00:00Z", 24, "2026-12-29T15:00:00Z"),
])
def test_business_hours_count_only_the_hours_of_business_days(
        zone: str, country: str, start: str, hours: int, expected: str) -> None:
    assert end(zone, country, start, hours, Unit.BUSINESS_HOURS) == at(expected)


@pytest.mark.parametrize(("day", "months", "expected"), [
    (date(2026, 1, 31), 1, date(2026, 2, 28)),
    (date(2024, 1, 31), 1, date(2024, 2, 29)),
    (date(2024, 2, 29), 12, date(2025, 2, 28)),
    (date(2027, 8, 31), 6, date(2028, 2, 29)),
    (date(2026, 3, 31), 1, date(2026, 4, 30)),
    (date(2026, 12, 15), 1, date(2027, 1, 15)),
    (date(2026, 1, 15), 24, date(2028, 1, 15)),
    (date(2026, 5, 20), 0, date(2026, 5, 20)),
])
def test_adding_months_keeps_the_date_or_takes_the_months_last_day(day: date, months: int, expected: date) -> None:
    assert add_months(day, months) == expected


@pytest.mark.parametrize(("start", "months", "expected"), [
    ("2026-01-31T12:00:00Z", 1, "2026-02-28T23:00:00Z"),
    # 00:30 on 1 February in Berlin.
    ("2026-01-31T23:30:00Z", 1, "2026-03-01T23:00:00Z"),
    ("2027-03-01T10:00:00Z", 12, "2028-03-01T23:00:00Z"),
])
def test_a_month_window_ends_at_midnight_of_the_same_date_months_later(start: str, months: int, expected: str) -> None:
    assert end("Europe/Berlin", "DE", start, months, Unit.MONTHS) == at(expected)


# Pristine Crystals: cancel within 24 hours of placing (02 March 09:00Z); return within 14 days of
# receipt (05 March 10:00Z), so by 24:00 on 19 March in Berlin, 23:00Z.
@pytest.mark.parametrize(("submitted_at", "inside"), [
    ("2026-03-19T23:00:00Z", True),
    ("2026-03-20T00:00:00+01:00", True),
    ("2026-03-19T23:00:00.000001Z", False),
    ("2026-03-20T00:00:01+01:00", False),
])
def test_a_return_at_the_very_end_of_its_window_is_inside(submitted_at: str, inside: bool) -> None:
    made = decision(case(request={"submitted_at": submitted_at}))
    assert (made["outcome"] == "approve") is inside
    assert ("return_window_ended" in codes(made)) is not inside


@pytest.mark.parametrize(("submitted_at", "inside"), [
    ("2026-03-03T09:00:00Z", True),
    ("2026-03-03T09:00:01Z", False),
])
def test_a_cancel_at_the_very_end_of_an_hour_window_is_inside(submitted_at: str, inside: bool) -> None:
    unsent = {"fulfilled_at": None, "delivered_at": None, "lines": [line(fulfilled_quantity=0)]}
    made = decision(case(order=unsent,
                         request={"kind": "cancel", "reason": None, "lines": [], "submitted_at": submitted_at}))
    assert (made["outcome"] == "approve") is inside
    assert ("cancellation_window_ended" in codes(made)) is not inside


def test_a_window_from_receipt_has_not_started_while_delivery_is_unknown() -> None:
    made = decision(case(order={"delivered_at": None}, request={"submitted_at": "2027-01-01T10:00:00Z"}))
    assert made["outcome"] == "approve"


def test_a_window_from_receipt_counts_from_the_policys_fallback_while_delivery_is_unknown() -> None:
    policy = {"key": "fallback", "name": "Fallback", "returns": {
        "accepted": True, "window": {"length": 14, "unit": "days", "from": "delivery", "fallback": "fulfilment"}}}
    late = case(order={"delivered_at": None}, request={"submitted_at": "2026-03-17T23:00:01Z"}, policy=policy)
    in_time = case(order={"delivered_at": None}, request={"submitted_at": "2026-03-17T23:00:00Z"}, policy=policy)
    assert codes(decision(late)) == {"return_window_ended"}
    assert decision(in_time)["outcome"] == "approve"


@pytest.mark.parametrize(("delay", "last_inside"), [
    # Sent Tuesday 3 March 08:00Z; assumed received 3 days later, so 14 days run to 24:00 on 20 March.
    ({"length": 3, "unit": "days"}, "2026-03-20T23:00:00Z"),
    # 4 business days from a Tuesday land on Monday 9 March: the window runs to 24:00 on 23 March.
    ({"length": 4, "unit": "business_days"}, "2026-03-23T23:00:00Z"),
])
def test_a_fallback_with_a_delay_counts_from_the_assumed_day_of_receipt(delay: dict[str, Any],
                                                                       last_inside: str) -> None:
    policy = {"key": "fallback", "name": "Fallback", "returns": {"accepted": True, "window": {
        "length": 14, "unit": "days", "from": "delivery", "fallback": "fulfilment", "fallback_delay": delay}}}
    just_after = (at(last_inside) + timedelta(seconds=1)).isoformat()
    in_time = case(order={"delivered_at": None}, request={"submitted_at": last_inside}, policy=policy)
    late = case(order={"delivered_at": None}, request={"submitted_at": just_after}, policy=policy)
    assert decision(in_time)["outcome"] == "approve"
    assert codes(decision(late)) == {"return_window_ended"}


def test_a_known_delivery_date_is_used_whatever_the_fallback_says() -> None:
    policy = {"key": "fallback", "name": "Fallback", "returns": {"accepted": True, "window": {
        "length": 14, "unit": "days", "from": "delivery", "fallback": "fulfilment",
        "fallback_delay": {"length": 30, "unit": "days"}}}}
    # Received 5 March: 14 days end at 24:00 on 19 March in Berlin, however long the fallback would allow.
    assert codes(decision(case(request={"submitted_at": "2026-03-20T09:00:00Z"}, policy=policy))) == {
        "return_window_ended"}


@pytest.mark.parametrize(("start", "period", "expected"), [
    ("2026-03-06T15:30:00Z", Period(1, Unit.BUSINESS_DAYS), "2026-03-09T15:30:00Z"),  # Friday -> Monday
    ("2026-03-27T12:00:00Z", Period(3, Unit.DAYS), "2026-03-30T11:00:00Z"),  # same wall clock across DST
    ("2026-01-31T09:00:00Z", Period(1, Unit.MONTHS), "2026-02-28T09:00:00Z"),
    ("2026-03-10T12:00:00Z", Period(5, Unit.HOURS), "2026-03-10T17:00:00Z"),
])
def test_later_lands_at_the_same_local_time_of_day(start: str, period: Period, expected: str) -> None:
    assert StoreCalendar("Europe/Berlin", "DE").later(at(start), period) == at(expected)


def test_a_promise_in_business_hours_is_due_after_the_weekend() -> None:
    # Pandorana promises an answer within 24 business hours; a return there always goes to a person.
    made = decision(case("pandorana", request={"submitted_at": "2026-03-06T14:00:00Z"}))
    assert made["outcome"] == "review"
    assert made["respond_by"] == "2026-03-09T14:00:00Z"
