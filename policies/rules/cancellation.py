"""Cancelling an order: a window from placement, and only until fulfilment begins."""

from __future__ import annotations

from policies.context import Context
from policies.decision import Finding
from policies.policy import Cancellation, Outcome
from policies.rules import Verdict
from policies.rules.common import check_window

_SILENT = "Our policy doesn't cover cancellations, so a member of our team will decide."


def check_cancellation_window(ctx: Context, cancellation: Cancellation) -> Finding | None:
    return check_window(ctx, cancellation.window, "cancellation_window_ended",
                        "Orders can be cancelled {window}; this request came after that.")


def check_not_fulfilled(ctx: Context, cancellation: Cancellation) -> Finding | None:
    """already_fulfilled for lines already on their way: judged now, since a sent parcel can't be stopped."""
    if not cancellation.until_fulfilment:
        return None
    fulfilled_at = ctx.case.order.fulfilled_at
    if fulfilled_at is not None and fulfilled_at > ctx.now:
        return None
    sent = tuple(asked.id for asked in ctx.lines if asked.line.fulfilled_quantity > 0)
    if not sent:
        return None
    message = "Your order has already been sent, so it can no longer be cancelled."
    if ctx.policy.returns.accepted:
        message += " You can ask to return it instead."
    return Finding("already_fulfilled", message, Outcome.DECLINE, sent)


def judge_cancel(ctx: Context) -> Verdict:
    cancellation = ctx.policy.cancellation
    if cancellation is None:
        return Verdict(Outcome.REVIEW, _SILENT)
    verdict = Verdict(
        cancellation.outcome,
        "Your order can be cancelled and refunded in full." if cancellation.outcome is Outcome.APPROVE
        else "We'll do our best to cancel your order; a member of our team will confirm.",
        promise=cancellation.promise,
    )
    verdict.add(check_cancellation_window(ctx, cancellation))
    verdict.add(check_not_fulfilled(ctx, cancellation))
    return verdict
