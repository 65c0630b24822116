"""Rules shared by several kinds of request."""

from __future__ import annotations

from policies.context import Context, describe_window
from policies.decision import Finding
from policies.policy import Outcome, Window


def check_window(ctx: Context, window: Window | None, code: str, message: str,
                 outcome: Outcome = Outcome.DECLINE) -> Finding | None:
    """`code` when the request came after `window`; "{window}" in the message reads "within 14 days of …"."""
    if window is None or not ctx.after(window):
        return None
    return Finding(code, message.format(window=describe_window(window)), outcome, ctx.line_ids)


def check_evidence(ctx: Context, photos_required: int) -> Finding | None:
    """evidence_required when the policy asks for photos and fewer came."""
    if ctx.case.request.photos >= photos_required:
        return None
    wanted = "a photo" if photos_required == 1 else f"{photos_required} photos"
    message = f"Please send {wanted} or a video showing the problem so we can assess it."
    return Finding("evidence_required", message, Outcome.DECLINE, ctx.line_ids)


def check_shipped(ctx: Context) -> Finding | None:
    """not_fulfilled for lines asked back in greater number than were sent."""
    unsent = tuple(asked.id for asked in ctx.lines if asked.quantity > asked.line.fulfilled_quantity)
    if not unsent:
        return None
    message = "This item hasn't been sent yet, so it can't be returned; ask to cancel it instead."
    return Finding("not_fulfilled", message, Outcome.DECLINE, unsent)
