"""The decision: the outcome, every reason for it, each line's outcome and the refund."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import NamedTuple

from policies.case import Kind
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
class RefundLine:
    """One line's part of a refund: what its units were paid and the tax that belongs to them."""

    line_id: str
    quantity: int
    amount: Decimal
    tax: Decimal  # charged on top where the order's taxes are added, inside `amount` where included


@dataclass(frozen=True, slots=True)
class Refund:
    """`total = items + shipping + tax + fees`; `tax` is only what was charged on top of the prices."""

    currency: str
    items: Decimal
    shipping: Decimal
    tax: Decimal
    fees: Decimal
    total: Decimal
    to_gift_card: Decimal = Decimal(0)
    lines: tuple[RefundLine, ...] = ()
    shipping_tax: Decimal = Decimal(0)


@dataclass(frozen=True, slots=True)
class Decision:
    outcome: Outcome
    reasons: tuple[ReasonOut, ...]
    lines: tuple[LineOutcome, ...]
    refund: Refund | None
    respond_by: datetime | None
    resolve_by: datetime | None
    policy_version: str
    # The clause the request was judged under, which the write-back follows: a statutory cancel of a sent
    # order is a return (the goods come back before the money), a "return" of a broken item a claim.
    judged_as: Kind
