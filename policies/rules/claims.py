"""Something wrong with what arrived: damage, a defect, the wrong item."""

from __future__ import annotations

from policies.context import Context
from policies.decision import Finding
from policies.policy import Claims, Outcome
from policies.rules import Verdict
from policies.rules.common import check_evidence, check_window
from policies.rules.exclusions import check_exclusions

_SILENT = "We're sorry something is wrong. A member of our team will look at it and get back to you."


def check_claim_window(ctx: Context, claims: Claims) -> Finding | None:
    message = "Damage or errors must be reported {window}; this report came after that."
    if claims.after_window is Outcome.REVIEW:
        message += " A member of our team will decide."
    return check_window(ctx, claims.window, "claim_window_ended", message, claims.after_window)


def check_reason_covered(ctx: Context, claims: Claims) -> Finding | None:
    reason = ctx.case.request.reason
    if reason is not None and reason in claims.reasons:
        return None
    if claims.unlisted_reason is Outcome.DECLINE:
        message = "Our policy only covers damage, defects and wrong items."
        return Finding("not_covered", message, Outcome.DECLINE, ctx.line_ids)
    message = "Our policy doesn't list this kind of problem, so a member of our team will decide."
    return Finding("needs_review", message, Outcome.REVIEW, ctx.line_ids)


def judge_claim(ctx: Context) -> Verdict:
    claims = ctx.policy.claims
    if claims is None:
        return Verdict(Outcome.REVIEW, _SILENT)
    outcome = claims.reasons.get(ctx.case.request.reason, Outcome.REVIEW)  # type: ignore[arg-type]
    message = ("We're sorry something is wrong; your claim is accepted." if outcome is Outcome.APPROVE
               else "We're sorry something is wrong. Our team will assess it and decide on a repair, "
                    "replacement or refund.")
    verdict = Verdict(outcome, message, promise=claims.promise)
    verdict.add(check_reason_covered(ctx, claims))
    verdict.add(check_claim_window(ctx, claims))
    verdict.add(check_evidence(ctx, claims.photos_for(ctx.case.request.reason)))
    verdict.extend(check_exclusions(ctx, faulty=True))
    return verdict
