"""A fault that appeared later, under the store's own warranty."""

from __future__ import annotations

from policies.context import Context
from policies.decision import Finding
from policies.policy import Outcome, Warranty
from policies.rules import Verdict
from policies.rules.common import check_evidence, check_window
from policies.rules.exclusions import check_exclusions


def check_warranty_period(ctx: Context, warranty: Warranty) -> Finding | None:
    return check_window(ctx, warranty.window, "warranty_expired",
                        "Our warranty covers manufacturing faults {window}; it has ended for this order.")


def judge_warranty(ctx: Context, warranty: Warranty) -> Verdict:
    message = ("Your warranty claim is accepted." if warranty.outcome is Outcome.APPROVE
               else "Your item is under warranty. Our team will assess the fault and arrange a repair "
                    "or replacement where it is covered.")
    verdict = Verdict(warranty.outcome, message, promise=warranty.promise)
    verdict.add(check_warranty_period(ctx, warranty))
    verdict.add(check_evidence(ctx, warranty.photos_required))
    verdict.extend(check_exclusions(ctx, faulty=True))
    return verdict
