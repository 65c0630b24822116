"""The decision: the outcome, every reason for it, each line's outcome and the refund."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import NamedTuple

from policies.policy import Outcome


class Finding(NamedTuple):
    """One rule's verdict on some lines: a reason code, the customer's message and its outcome."""

    code: str
    message: str
    outcome: Outcome
    lines: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ReasonOut:
    code: str
    message: str
    lines: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class LineOutcome:
    line_id: str
    outcome: Outcome


@dataclass(frozen=True, slots=True)
class Refund:
    currency: str
    items: Decimal
    shipping: Decimal
    fees: Decimal
    total: Decimal


@dataclass(frozen=True, slots=True)
class Decision:
    outcome: Outcome
    reasons: tuple[ReasonOut, ...]
    lines: tuple[LineOutcome, ...]
    refund: Refund | None
    respond_by: datetime | None
    resolve_by: datetime | None
    policy_version: str
