"""What every rule is handed: the case, the policy, the store's calendar and the clock."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

from policies.calendar import StoreCalendar
from policies.case import Case, Condition, Kind, Line
from policies.policy import Anchor, Period, Policy, Unit, Window


class AskedLine(NamedTuple):
    """A line the request is about, with how many and in what state."""

    id: str
    line: Line
    quantity: int
    condition: Condition | None


@dataclass(slots=True)
class Context:
    case: Case
    policy: Policy
    calendar: StoreCalendar
    now: datetime
    # The kind the request is judged as (engine.judged_kind): a "return" of a broken item is a claim.
    kind: Kind
    lines: tuple[AskedLine, ...]

    @property
    def statutory_cancel(self) -> bool:
        """A cancel judged under another clause: the statutory right to cancel, exercised by sending it back."""
        return self.case.request.kind is Kind.CANCEL and self.kind is not Kind.CANCEL

    @property
    def line_ids(self) -> tuple[str, ...]:
        return tuple(asked.id for asked in self.lines)

    @property
    def submitted_at(self) -> datetime:
        return self.case.request.submitted_at

    def anchor(self, anchor: Anchor) -> datetime | None:
        order = self.case.order
        if anchor is Anchor.PLACEMENT:
            return order.placed_at
        if anchor is Anchor.FULFILMENT:
            return order.fulfilled_at
        if anchor is Anchor.DELIVERY:
            return order.delivered_at
        return self.case.request.submitted_at

    def window_end(self, window: Window) -> datetime | None:
        """When the window closes; None while its starting event has not happened (nor a fallback)."""
        start = self.anchor(window.start)
        if start is None and window.fallback is not None:
            start = self.anchor(window.fallback)
            if start is not None and window.fallback_delay is not None:
                start = self.calendar.later(start, window.fallback_delay)
        return None if start is None else self.calendar.window_end(start, window.period)

    def after(self, window: Window) -> bool:
        """The request came after the window closed (a request at its very end is inside)."""
        end = self.window_end(window)
        return end is not None and self.submitted_at > end


_UNIT_WORDS = {
    Unit.HOURS: ("hour", "hours"),
    Unit.DAYS: ("day", "days"),
    Unit.BUSINESS_HOURS: ("business hour", "business hours"),
    Unit.BUSINESS_DAYS: ("business day", "business days"),
    Unit.MONTHS: ("month", "months"),
}

_ANCHOR_WORDS = {
    Anchor.PLACEMENT: "of placing the order",
    Anchor.FULFILMENT: "of dispatch",
    Anchor.DELIVERY: "of receiving it",
    Anchor.REQUEST: "of your request",
}


def describe_period(period: Period) -> str:
    singular, plural = _UNIT_WORDS[period.unit]
    return f"{period.length} {singular if period.length == 1 else plural}"


def describe_window(window: Window) -> str:
    return f"within {describe_period(window.period)} {_ANCHOR_WORDS[window.start]}"
