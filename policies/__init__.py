"""Assay's pure core: a case, a policy and a clock in, a decision out. No I/O, nothing of ours imported."""

from policies.case import Case
from policies.decision import Decision
from policies.engine import decide
from policies.policy import Policy

__all__ = ["Case", "Decision", "Policy", "decide"]
