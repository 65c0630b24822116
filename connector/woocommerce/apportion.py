"""Splitting an amount over parts in proportion to their weights, to the minor unit, adding up exactly."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_FLOOR, Decimal


def apportion(amount: Decimal, weights: Sequence[Decimal], unit: Decimal) -> list[Decimal]:
    """`amount` split by `weights` in steps of `unit` (largest remainders first), so the parts add up to it.

    All parts are zero where the weights are; a weight of zero gets nothing while another weight isn't.
    """
    if amount < 0 or any(weight < 0 for weight in weights):
        raise ValueError(f"`amount` and `weights` must be zero or more, got {amount} and {list(weights)}")
    whole = sum(weights, Decimal(0))
    if not weights:
        return []
    if whole == 0:
        return [Decimal(0) * unit for _ in weights]
    steps = (amount / unit).to_integral_value(rounding=ROUND_FLOOR)
    exact = [steps * weight / whole for weight in weights]
    floors = [share.to_integral_value(rounding=ROUND_FLOOR) for share in exact]
    left = int(steps - sum(floors, Decimal(0)))
    by_remainder = sorted(range(len(weights)), key=lambda i: (-(exact[i] - floors[i]), i))
    for index in by_remainder[:left]:
        floors[index] += 1
    return [steps_of * unit for steps_of in floors]
