"""A person's decision on a case the engine left to the merchant (`review`), as pure as the engine: an approval
approves the lines the policy did not refuse, and refunds what an engine approval of those lines would."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from policies.case import Case
from policies.context import Context
from policies.decision import Decision, LineOutcome, ReasonOut
from policies.engine import asked_lines, judged_kind, store_calendar
from policies.policy import Outcome, Policy
from policies.refund import compute_refund

PERSON_CODE = "merchant_decision"
DEFAULT_MESSAGE = {Outcome.APPROVE: "The store has approved your request.",
                   Outcome.DECLINE: "The store has declined your request."}


def person_decision(case: Case, policy: Policy, outcome: Outcome, note: str | None,
                    engine: Sequence[LineOutcome] = (), engine_reasons: Sequence[ReasonOut] = ()) -> Decision:
    """The person's `outcome` (approve or decline), the note as the reason's message: an approval keeps the engine's
    declined lines declined (`engine`, `engine_reasons`) and refunds the rest; a decline declines every line."""
    if outcome is Outcome.REVIEW:
        raise ValueError("a person's decision is approve or decline, got review")
    store = case.store
    ctx = Context(case=case, policy=policy, calendar=store_calendar(store.timezone, store.country, store.subdivision),
                  now=case.now, kind=case.request.kind, lines=asked_lines(case))
    ctx.kind = judged_kind(ctx)
    line_ids = ctx.line_ids
    refused = {lo.line_id for lo in engine if lo.outcome is Outcome.DECLINE} if outcome is Outcome.APPROVE else set()
    if refused >= set(line_ids):
        raise ValueError("an approval needs a line the policy did not decline; every asked line was declined")
    chosen = tuple(line_id for line_id in line_ids if line_id not in refused)
    message = (note or "").strip() or DEFAULT_MESSAGE[outcome]
    kept = _kept_reasons(case, engine_reasons, refused)
    if kept:
        message = f"{message} Approved: {_titles(case, chosen)}."
    if outcome is Outcome.APPROVE:
        ctx.lines = tuple(asked for asked in ctx.lines if asked.id in chosen)
    return Decision(
        outcome=outcome,
        reasons=(ReasonOut(PERSON_CODE, message, chosen), *kept),
        lines=tuple(LineOutcome(line_id, Outcome.DECLINE if line_id in refused else outcome) for line_id in line_ids),
        refund=compute_refund(ctx) if outcome is Outcome.APPROVE else None,
        respond_by=None,
        resolve_by=None,
        policy_version=policy.version_label,
        judged_as=ctx.kind,
    )


def _kept_reasons(case: Case, reasons: Iterable[ReasonOut], refused: set[str]) -> tuple[ReasonOut, ...]:
    """The engine's reasons for the lines that stay declined, in the policy's words, naming those lines."""
    kept = []
    for reason in reasons:
        lines = tuple(line_id for line_id in reason.lines if line_id in refused)
        if lines:
            kept.append(ReasonOut(reason.code, f"Still declined ({_titles(case, lines)}): {reason.message}", lines))
    return tuple(kept)


def _titles(case: Case, line_ids: Iterable[str]) -> str:
    return ", ".join(case.order.line(line_id).title or line_id for line_id in line_ids)
