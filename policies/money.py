"""Money in `Decimal`, rounded to the currency's minor unit (JPY none, EUR two, KWD three)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache

from babel.numbers import get_currency_precision, is_currency


def is_known_currency(code: str) -> bool:
    return is_currency(code)


@lru_cache(maxsize=512)
def minor_unit(currency: str) -> Decimal:
    """The smallest amount of the currency: Decimal('0.01') for EUR, Decimal('1') for JPY."""
    return Decimal(1).scaleb(-get_currency_precision(currency))


def round_money(amount: Decimal, currency: str) -> Decimal:
    return amount.quantize(minor_unit(currency), rounding=ROUND_HALF_UP)
