"""Time rules: where a window of hours, days, business days or months ends, in the store's calendar."""

from __future__ import annotations

from calendar import monthrange
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

from policies.policy import Period, Unit

_ONE_DAY = timedelta(days=1)


@lru_cache(maxsize=256)
def public_holidays(country: str, subdivision: str | None = None) -> holidays.HolidayBase | frozenset[date]:
    """The country's public holidays; a country `holidays` does not know has none."""
    try:
        return holidays.country_holidays(country, subdiv=subdivision)
    except NotImplementedError:
        return frozenset()


class StoreCalendar:
    """The store's zone and working days: weekdays that are not public holidays in its country."""

    __slots__ = ("zone", "_holidays")

    def __init__(self, timezone: str, country: str, subdivision: str | None = None) -> None:
        self.zone = ZoneInfo(timezone)
        self._holidays = public_holidays(country, subdivision)

    def is_business_day(self, day: date) -> bool:
        return day.weekday() < 5 and day not in self._holidays

    def local_date(self, instant: datetime) -> date:
        return instant.astimezone(self.zone).date()

    def midnight(self, day: date) -> datetime:
        """The instant the local day begins, in UTC (so arithmetic on it is real elapsed time)."""
        return datetime.combine(day, time(0), tzinfo=self.zone).astimezone(UTC)

    def end_of(self, day: date) -> datetime:
        """24:00 of a local day."""
        return self.midnight(day + _ONE_DAY)

    def next_business_day(self, day: date) -> date:
        day += _ONE_DAY
        while not self.is_business_day(day):
            day += _ONE_DAY
        return day

    def window_end(self, start: datetime, period: Period) -> datetime:
        """The last instant inside a period that starts at `start` (contract.md, "Time")."""
        end = self.later(start, period)
        if period.unit in (Unit.HOURS, Unit.BUSINESS_HOURS):
            return end
        return self.end_of(self.local_date(end))  # a period counted in days runs to the end of its last day

    def later(self, start: datetime, period: Period) -> datetime:
        """The moment `period` after `start`: hours are counted as such, days and months land at the same
        local time of day."""
        unit, n = period.unit, period.length
        if unit is Unit.HOURS:
            return start.astimezone(UTC) + timedelta(hours=n)  # real hours, whatever zone `start` carries
        if unit is Unit.BUSINESS_HOURS:
            return self._add_business_hours(start, n)
        day = self.local_date(start)
        if unit is Unit.DAYS:
            day += timedelta(days=n)
        elif unit is Unit.BUSINESS_DAYS:
            for _ in range(n):
                day = self.next_business_day(day)
        else:
            day = add_months(day, n)
        wall_clock = start.astimezone(self.zone).time()
        return datetime.combine(day, wall_clock, tzinfo=self.zone).astimezone(UTC)

    def _add_business_hours(self, start: datetime, hours: int) -> datetime:
        remaining = timedelta(hours=hours)
        at = start.astimezone(UTC)
        day = self.local_date(at)
        if not self.is_business_day(day):
            day = self.next_business_day(day)
            at = self.midnight(day)
        while True:
            day_left = self.end_of(day) - at
            if remaining <= day_left:
                return at + remaining
            remaining -= day_left
            day = self.next_business_day(day)
            at = self.midnight(day)


def add_months(day: date, months: int) -> date:
    """The same date `months` later; the month's last day where that date does not exist."""
    year, month = divmod(day.month - 1 + months, 12)
    year, month = day.year + year, month + 1
    return date(year, month, min(day.day, monthrange(year, month)[1]))
