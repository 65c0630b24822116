"""A delayed job is never due before its time: RQ's scheduled registry keeps whole seconds (truncated), so the
queue rounds the due time up; a write claimed early would be refused and wait for the relay."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from jobs.queue import run_at


def test_a_due_time_is_rounded_up_to_the_next_whole_second_never_down() -> None:
    before = datetime.now(UTC)
    due = run_at(2.3)
    assert due.microsecond == 0
    assert before + timedelta(seconds=2.3) <= due <= before + timedelta(seconds=3.31)


def test_a_negative_delay_is_due_now() -> None:
    before = datetime.now(UTC).replace(microsecond=0)
    assert before <= run_at(-5) <= before + timedelta(seconds=2)
