"""One rule, one function; each request kind has a module that runs its rules."""

from __future__ import annotations

from dataclasses import dataclass, field

from policies.decision import Finding
from policies.policy import Outcome, Promise


@dataclass(slots=True)
class Verdict:
    """What a kind's rules found, and the outcome for the lines nothing objected to."""

    outcome: Outcome
    message: str
    findings: list[Finding] = field(default_factory=list)
    promise: Promise | None = None

    def add(self, finding: Finding | None) -> None:
        if finding is not None:
            self.findings.append(finding)

    def extend(self, findings: list[Finding]) -> None:
        self.findings.extend(findings)
