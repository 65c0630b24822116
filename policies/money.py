"""Money in `Decimal`, rounded to the currency's minor unit (JPY none, EUR two, KWD three)."""

from __future__ import annotations

from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from functools import lru_cache

from babel.core import get_global
from babel.numbers import get_currency_precision

# Since when a currency must have been legal tender somewhere to be one a shop can charge in: fixed, so the
# answer never depends on the day it is asked (the core has no clock of its own).
_TENDER_SINCE = (2020, 1, 1)


@lru_cache(maxsize=1)
def shop_currencies() -> frozenset[str]:
    """ISO 4217 codes that are some territory's legal tender (babel's CLDR data): not XXX, XTS, gold or old marks."""
    return frozenset(
        code
        for spans in get_global("territory_currencies").values()
        for code, _start, end, tender in spans
        if tender and (end is None or tuple(end) >= _TENDER_SINCE)
    )


def is_known_currency(code: str) -> bool:
    return code in shop_currencies()


@lru_cache(maxsize=512)
def minor_unit(currency: str) -> Decimal:
    """The smallest amount of the currency: Decimal('0.01') for EUR, Decimal('1') for JPY."""
    return Decimal(1).scaleb(-get_currency_precision(currency))


def round_money(amount: Decimal, currency: str) -> Decimal:
    return amount.quantize(minor_unit(currency), rounding=ROUND_HALF_UP)


def round_down_money(amount: Decimal, currency: str) -> Decimal:
    """Toward zero: a share of a line never rounds up past what its units were paid."""
    return amount.quantize(minor_unit(currency), rounding=ROUND_DOWN)
