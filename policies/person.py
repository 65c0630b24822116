"""A person's decision on a case the engine left to the merchant (`review`): approve or decline, with a note.

Pure, like the engine: the same case and policy give the same lines and refund. An approval refunds exactly what
the engine would have refunded had the policy approved it (the same lines, shipping rule, fees and ceiling), so
the write-back a person's decision makes is the one an engine approval makes.
"""

from __future__ import annotations

from policies.case import Case
from policies.context import Context
from policies.decision import Decision, LineOutcome, ReasonOut
from policies.engine import asked_lines, judged_kind, store_calendar
from policies.policy import Outcome, Policy
from policies.refund import compute_refund

PERSON_CODE = "merchant_decision"
DEFAULT_MESSAGE = {Outcome.APPROVE: "The store has approved your request.",
                   Outcome.DECLINE: "The store has declined your request."}


def person_decision(case: Case, policy: Policy, outcome: Outcome, note: str | None) -> Decision:
    """Every asked line takes `outcome` (approve or decline); the note, when given, is the reason's message."""
    if outcome is Outcome.REVIEW:
        raise ValueError("a person's decision is approve or decline, got review")
    store = case.store
    ctx = Context(case=case, policy=policy, calendar=store_calendar(store.timezone, store.country, store.subdivision),
                  now=case.now, kind=case.request.kind, lines=asked_lines(case))
    ctx.kind = judged_kind(ctx)
    line_ids = tuple(asked.id for asked in ctx.lines)
    message = (note or "").strip() or DEFAULT_MESSAGE[outcome]
    return Decision(
        outcome=outcome,
        reasons=(ReasonOut(PERSON_CODE, message, line_ids),),
        lines=tuple(LineOutcome(line_id, outcome) for line_id in line_ids),
        refund=compute_refund(ctx) if outcome is Outcome.APPROVE else None,
        respond_by=None,
        resolve_by=None,
        policy_version=policy.version_label,
        judged_as=ctx.kind,
    )
