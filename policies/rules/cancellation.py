"""Cancelling an order: a window from placement, and what the store's text makes of a cancel once the order is sent
(policy.AfterFulfilment): refused, left to a person, or judged as a return under a legal right."""

from __future__ import annotations

from policies.context import Context, describe_window
from policies.decision import Finding
from policies.policy import AfterFulfilment, Cancellation, Outcome
from policies.rules import Verdict
from policies.rules.common import check_window

_SILENT = "Our policy doesn't cover cancellations, so a member of our team will decide."
_DO_OUR_BEST = "We'll do our best to cancel your order; a member of our team will confirm."


def sent_lines(ctx: Context) -> tuple[str, ...]:
    """The asked lines already on their way: judged now, since a sent parcel can't be stopped."""
    fulfilled_at = ctx.case.order.fulfilled_at
    if fulfilled_at is not None and fulfilled_at > ctx.now:
        return ()
    return tuple(asked.id for asked in ctx.lines if asked.line.fulfilled_quantity > 0)


def exercises_statutory_right(ctx: Context) -> bool:
    """A cancel of a sent order inside the legal window after receipt (which includes a parcel in transit)."""
    cancellation = ctx.policy.cancellation
    if cancellation is None or not cancellation.until_fulfilment or cancellation.statutory_window is None:
        return False
    if cancellation.after_fulfilment is not AfterFulfilment.STATUTORY:
        return False
    return bool(sent_lines(ctx)) and not ctx.after(cancellation.statutory_window)


def statutory_preface(ctx: Context) -> str:
    """What a cancel judged as a return tells the customer first: which right it is."""
    cancellation = ctx.policy.cancellation
    window = cancellation.statutory_window if cancellation is not None else None
    within = "" if window is None else f" {describe_window(window)}"
    return f"You may cancel your order{within} by sending it back, as a return."


def check_cancellation_window(ctx: Context, cancellation: Cancellation) -> Finding | None:
    return check_window(ctx, cancellation.window, "cancellation_window_ended",
                        "Orders can be cancelled {window}; this request came after that.")


def check_not_fulfilled(ctx: Context, cancellation: Cancellation) -> list[Finding]:
    """What the text makes of a cancel of lines already sent: refused, left to a person, or too late."""
    if not cancellation.until_fulfilment:
        return []
    sent = sent_lines(ctx)
    if not sent:
        return []
    offer = " You can ask to return it instead." if ctx.policy.returns.accepted else ""
    after = cancellation.after_fulfilment
    if after is AfterFulfilment.REVIEW:
        message = "Your order has already been sent, so it may no longer be possible to cancel it."
        return [Finding("already_fulfilled", message, Outcome.REVIEW, sent),
                Finding("needs_review", _DO_OUR_BEST, Outcome.REVIEW, sent)]
    if after is AfterFulfilment.STATUTORY and cancellation.statutory_window is not None:
        # Inside the window the engine judged the cancel as a return; here the right has run out.
        window = describe_window(cancellation.statutory_window)
        message = f"Your order could be cancelled {window}; this request came after that.{offer}"
        return [Finding("cancellation_window_ended", message, Outcome.DECLINE, sent)]
    message = f"Your order has already been sent, so it can no longer be cancelled.{offer}"
    return [Finding("already_fulfilled", message, Outcome.DECLINE, sent)]


def judge_cancel(ctx: Context) -> Verdict:
    cancellation = ctx.policy.cancellation
    if cancellation is None:
        return Verdict(Outcome.REVIEW, _SILENT)
    verdict = Verdict(
        cancellation.outcome,
        "Your order can be cancelled and refunded in full." if cancellation.outcome is Outcome.APPROVE
        else _DO_OUR_BEST,
        promise=cancellation.promise,
    )
    verdict.add(check_cancellation_window(ctx, cancellation))
    verdict.extend(check_not_fulfilled(ctx, cancellation))
    return verdict
