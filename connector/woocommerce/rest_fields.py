"""marshmallow fields for WooCommerce REST values: ids, `*_gmt` times, signed amounts."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from marshmallow import ValidationError, fields

from policies.fields import MAX_AMOUNT


class WooId(fields.Field[str]):
    """A WooCommerce id: a JSON integer (or its digits), kept as its digits; "0" means none (no variation)."""

    def _deserialize(self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kw: Any) -> str:
        if isinstance(value, str) and value.isascii() and value.isdigit():
            value = int(value)
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise ValidationError(f"must be a numeric WooCommerce id, got {value!r}")
        return str(value)


class GmtTime(fields.Field[datetime]):
    """A `*_gmt` time: ISO 8601 in UTC with no offset ("2026-03-01T09:30:00")."""

    def _deserialize(self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kw: Any) -> datetime:
        try:
            parsed = datetime.fromisoformat(value)
        except (TypeError, ValueError):
            raise ValidationError(f"must be an ISO 8601 time such as \"2026-03-01T09:30:00\", got {value!r}") from None
        return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


class SignedMoney(fields.Field[Decimal]):
    """A decimal amount that may be negative (a refund's total, a discount given as a fee); "" is zero."""

    def _deserialize(self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kw: Any) -> Decimal:
        if value in ("", None):
            return Decimal(0)
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise ValidationError(f"must be a decimal amount such as \"-6.90\", got {value!r}")
        try:
            found = Decimal(str(value))
        except ArithmeticError:
            raise ValidationError(f"must be a decimal amount such as \"-6.90\", got {value!r}") from None
        if not found.is_finite() or abs(found) > MAX_AMOUNT:
            raise ValidationError(f"must be a finite amount of at most {MAX_AMOUNT:f} either way, got {value!r}")
        return found
