"""Change-of-mind returns and exchanges: accepted at all, window, exclusions, condition."""

from __future__ import annotations

from policies.case import Condition as ItemCondition
from policies.context import Context
from policies.decision import Finding
from policies.policy import Condition, Outcome, Returns
from policies.rules import Verdict
from policies.rules.cancellation import statutory_preface
from policies.rules.common import check_shipped, check_window
from policies.rules.exclusions import check_exclusions


def check_returns_accepted(ctx: Context, returns: Returns) -> Finding | None:
    if returns.accepted:
        return None
    message = "We don't accept returns or exchanges for a change of mind."
    return Finding("returns_not_accepted", message, Outcome.DECLINE, ctx.line_ids)


def check_return_window(ctx: Context, returns: Returns) -> Finding | None:
    return check_window(ctx, returns.window, "return_window_ended",
                        "Returns are accepted {window}; this request came after that.")


def describe_condition(condition: Condition) -> str:
    wants = ["unused"] if condition.unused else []
    if condition.tags:
        wants.append("with all tags")
    if condition.original_packaging:
        wants.append("in the original packaging")
    if condition.receipt:
        wants.append("with the receipt or dispatch note")
    return "Items must be returned " + ", ".join(wants) + "."


def check_condition(ctx: Context, returns: Returns) -> Finding | None:
    """condition_not_met for lines the customer says were used; an unstated condition is inspected later."""
    if not returns.condition.unused:
        return None
    used = tuple(asked.id for asked in ctx.lines if asked.condition is ItemCondition.USED)
    if not used:
        return None
    return Finding("condition_not_met", describe_condition(returns.condition), Outcome.DECLINE, used)


def judge_return(ctx: Context) -> Verdict:
    """A change of mind; a statutory cancel too, whose own window and right replace the return's (and its
    lines not yet sent are simply cancelled with the rest)."""
    returns = ctx.policy.returns
    statutory = ctx.statutory_cancel
    refused = None if statutory else check_returns_accepted(ctx, returns)
    if refused is not None:
        # Nothing else matters once returns are refused outright.
        return Verdict(Outcome.DECLINE, refused.message, [refused])
    approve = returns.outcome is Outcome.APPROVE
    message = "Your return is accepted." if approve else "A member of our team will review your return."
    if approve and returns.condition.required:
        message += " " + describe_condition(returns.condition)
    if statutory:
        message = f"{statutory_preface(ctx)} {message}"
    verdict = Verdict(returns.outcome, message, promise=returns.promise)
    if not statutory:
        verdict.add(check_return_window(ctx, returns))
        verdict.add(check_shipped(ctx))
    verdict.extend(check_exclusions(ctx, faulty=False))
    verdict.add(check_condition(ctx, returns))
    return verdict
