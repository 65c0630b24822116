"""decide(case, policy, now) -> Decision: run every rule for the request's kind, keep every reason."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import lru_cache

from policies.calendar import StoreCalendar
from policies.case import Case, Kind, Reason
from policies.context import AskedLine, Context
from policies.decision import Decision, LineOutcome, ReasonOut
from policies.policy import Outcome, Policy, Promise
from policies.refund import compute_refund
from policies.rules import Verdict
from policies.rules.cancellation import exercises_statutory_right, judge_cancel
from policies.rules.claims import judge_claim
from policies.rules.returns import judge_return
from policies.rules.warranty import judge_warranty

# The clause each reason belongs to: a change of mind is a return, a fault a claim. `other` names none.
REASON_CLAUSE: dict[Reason, Kind] = {
    Reason.CHANGED_MIND: Kind.RETURN,
    Reason.WRONG_SIZE: Kind.RETURN,
    Reason.NOT_AS_DESCRIBED: Kind.CLAIM,
    Reason.DAMAGED_IN_TRANSIT: Kind.CLAIM,
    Reason.DEFECTIVE: Kind.CLAIM,
    Reason.WRONG_ITEM: Kind.CLAIM,
}
_SEVERITY = {Outcome.APPROVE: 0, Outcome.REVIEW: 1, Outcome.DECLINE: 2}
_SETTLED_CODE = {Outcome.APPROVE: "within_policy", Outcome.REVIEW: "needs_review"}


def _judge_warranty_or_claim(ctx: Context) -> Verdict:
    """A store with no warranty of its own still hears about faults: under its claims clause."""
    warranty = ctx.policy.warranty
    return judge_claim(ctx) if warranty is None else judge_warranty(ctx, warranty)


def _judge_claim_or_warranty(ctx: Context) -> Verdict:
    """A defect reported after the claims window is still a manufacturing fault under the warranty."""
    warranty, claims = ctx.policy.warranty, ctx.policy.claims
    late = claims is not None and claims.window is not None and ctx.after(claims.window)
    if warranty is not None and late and ctx.case.request.reason is Reason.DEFECTIVE:
        return judge_warranty(ctx, warranty)
    return judge_claim(ctx)


HANDLERS: dict[Kind, Callable[[Context], Verdict]] = {
    Kind.CANCEL: judge_cancel,
    Kind.RETURN: judge_return,
    Kind.CLAIM: _judge_claim_or_warranty,
    Kind.WARRANTY: _judge_warranty_or_claim,
}


def route(kind: Kind, reason: Reason | None) -> Kind:
    """The clause a request is judged under: its reason's where the reason names one (a change of mind is a return, a
    broken item a claim; a fault keeps a warranty), else the customer's kind; a cancel's reason routes nothing."""
    clause = REASON_CLAUSE.get(reason) if reason is not None else None
    if kind is Kind.CANCEL or clause is None:
        return kind
    if kind is Kind.WARRANTY and clause is Kind.CLAIM:
        return Kind.WARRANTY
    return clause


def judged_kind(ctx: Context) -> Kind:
    """A cancel under a statutory right after receipt is a return (then routed by its reason like any)."""
    request = ctx.case.request
    kind = Kind.RETURN if request.kind is Kind.CANCEL and exercises_statutory_right(ctx) else request.kind
    return route(kind, request.reason)


def asked_lines(case: Case) -> tuple[AskedLine, ...]:
    """The lines the request names; a cancel that names none is about the whole order."""
    order = case.order
    if not case.request.lines:
        return tuple(AskedLine(line.id, line, line.quantity, None) for line in order.lines)
    return tuple(AskedLine(r.line_id, order.line(r.line_id), r.quantity, r.condition) for r in case.request.lines)


@lru_cache(maxsize=1024)
def store_calendar(timezone: str, country: str, subdivision: str | None) -> StoreCalendar:
    return StoreCalendar(timezone, country, subdivision)


def decide(case: Case, policy: Policy, now: datetime | None = None) -> Decision:
    store = case.store
    ctx = Context(
        case=case,
        policy=policy,
        calendar=store_calendar(store.timezone, store.country, store.subdivision),
        now=now or case.now,
        kind=case.request.kind,
        lines=asked_lines(case),
    )
    ctx.kind = judged_kind(ctx)
    verdict = HANDLERS[ctx.kind](ctx)
    line_outcomes, reasons = settle(ctx, verdict)
    outcomes = {lo.outcome for lo in line_outcomes}
    outcome = outcomes.pop() if len(outcomes) == 1 else Outcome.REVIEW
    respond_by = resolve_by = None
    if outcome is Outcome.REVIEW:
        promise = merge_promises(verdict.promise, policy.promise)
        respond_by, resolve_by = deadlines(ctx, promise)
    return Decision(
        outcome=outcome,
        reasons=reasons,
        lines=line_outcomes,
        refund=compute_refund(ctx) if outcome is Outcome.APPROVE else None,
        respond_by=respond_by,
        resolve_by=resolve_by,
        policy_version=policy.version_label,
        judged_as=ctx.kind,
    )


def settle(ctx: Context, verdict: Verdict) -> tuple[tuple[LineOutcome, ...], tuple[ReasonOut, ...]]:
    """Each line takes its gravest finding, else the verdict's outcome; the reasons are those that decided."""
    explained: dict[tuple[str, str], list[str]] = {}
    line_outcomes = []
    for line_id in ctx.line_ids:
        mine = [finding for finding in verdict.findings if line_id in finding.lines]
        worst = max((finding.outcome for finding in mine), key=_SEVERITY.__getitem__, default=verdict.outcome)
        if _SEVERITY[worst] < _SEVERITY[verdict.outcome]:
            worst = verdict.outcome
        deciding = [(f.code, f.message) for f in mine if f.outcome is worst]
        if not deciding:
            deciding = [(_SETTLED_CODE.get(verdict.outcome, "needs_review"), verdict.message)]
        for code_and_message in deciding:
            explained.setdefault(code_and_message, []).append(line_id)
        line_outcomes.append(LineOutcome(line_id, worst))
    reasons = tuple(ReasonOut(code, message, tuple(ids)) for (code, message), ids in explained.items())
    return tuple(line_outcomes), reasons


def merge_promises(section: Promise | None, store_wide: Promise | None) -> Promise | None:
    if section is None or store_wide is None:
        return section or store_wide
    return Promise(
        respond_within=section.respond_within or store_wide.respond_within,
        resolve_within=section.resolve_within or store_wide.resolve_within,
    )


def deadlines(ctx: Context, promise: Promise | None) -> tuple[datetime | None, datetime | None]:
    """When the store promised to answer, and to resolve, counted from the request."""
    if promise is None:
        return None, None
    start, calendar = ctx.submitted_at, ctx.calendar
    respond = promise.respond_within
    resolve = promise.resolve_within
    return (
        None if respond is None else calendar.window_end(start, respond),
        None if resolve is None else calendar.window_end(start, resolve),
    )
