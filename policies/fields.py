"""marshmallow fields for Assay's documents, whose errors name the rule and the value given."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sized
from datetime import datetime
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from marshmallow import ValidationError, fields, validate

from policies.money import is_known_currency

_COUNTRY = re.compile(r"[A-Z]{2}")
# What no stored text may hold: NUL (PostgreSQL refuses it), the other C0 controls but tab and line breaks, and
# lone surrogates (not UTF-8, so not storable).
_UNSTORABLE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
# Past these, amounts overflow Decimal's 28 digits and dates run off the calendar's end: no shop has them.
MAX_AMOUNT = Decimal(10) ** 12
FIRST_YEAR, LAST_YEAR = 1970, 2200


def between(low: int, high: int) -> validate.Range:
    return validate.Range(low, high, error="must be between {min} and {max}, got {input!r}")


def at_least(low: int) -> validate.Range:
    return validate.Range(min=low, error="must be at least {min}, got {input!r}")


class Whole(fields.Integer):
    """A whole number given as a JSON integer: "2" and 1.5 are refused by name."""

    default_error_messages = {"invalid": "must be a whole number, got {input!r}"}

    def __init__(self, **kw: Any) -> None:
        super().__init__(strict=True, **kw)


class Text(fields.String):
    """A string of at most `max_length` characters that storage can keep: errors name the limit or the character."""

    def __init__(self, max_length: int, *, min_length: int = 0, **kw: Any) -> None:
        super().__init__(**kw)
        self.max_length, self.min_length = max_length, min_length

    def _deserialize(self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kw: Any) -> str:
        if not isinstance(value, str):
            raise ValidationError("must be a string")
        if not self.min_length <= len(value) <= self.max_length:
            given = repr(value) if len(value) <= 80 else f"{len(value)} characters"
            raise ValidationError(f"must be {self.min_length} to {self.max_length} characters long, got {given}")
        check_storable(value)
        return value


def check_storable(value: str) -> None:
    found = _UNSTORABLE.search(value)
    if found:
        raise ValidationError(f"must not contain the control or surrogate character U+{ord(found.group()):04X}")


def at_most(count: int, things: str) -> Callable[[Sized], None]:
    """A list's bound: "must list at most 250 tags, got 100000"."""

    def check(value: Sized) -> None:
        if len(value) > count:
            raise ValidationError(f"must list at most {count} {things}, got {len(value)}")

    return check


class Flag(fields.Boolean):
    default_error_messages = {"invalid": "must be true or false, got {input!r}"}


class Instant(fields.Field[datetime]):
    """An ISO 8601 time with an offset ("2026-03-10T12:00:00Z"); a time with no offset is ambiguous."""

    def _deserialize(self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kw: Any) -> datetime:
        try:
            parsed = datetime.fromisoformat(value)
        except (TypeError, ValueError):
            raise ValidationError(f"must be an ISO 8601 time with an offset, got {value!r}") from None
        if parsed.tzinfo is None:
            raise ValidationError(f"must include a UTC offset such as Z or +02:00, got {value!r}")
        if not FIRST_YEAR <= parsed.year <= LAST_YEAR:
            raise ValidationError(f"must be between the years {FIRST_YEAR} and {LAST_YEAR}, got {value!r}")
        return parsed

    def _serialize(self, value: datetime | None, attr: str | None, obj: Any, **kw: Any) -> str | None:
        if value is None:
            return None
        text = value.isoformat()
        return text[:-6] + "Z" if text.endswith("+00:00") else text


class Money(fields.Field[Decimal]):
    """A non-negative decimal amount, given as a string ("49.00"); numbers are accepted too."""

    def _deserialize(self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kw: Any) -> Decimal:
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise ValidationError(f"must be a decimal amount such as \"49.00\", got {value!r}")
        try:
            amount = Decimal(str(value))
        except InvalidOperation:
            raise ValidationError(f"must be a decimal amount such as \"49.00\", got {value!r}") from None
        if not amount.is_finite() or amount < 0:
            raise ValidationError(f"must be a finite amount of zero or more, got {value!r}")
        if amount > MAX_AMOUNT:
            raise ValidationError(f"must be at most {MAX_AMOUNT:f}, got {value!r}")
        return amount

    def _serialize(self, value: Decimal | None, attr: str | None, obj: Any, **kw: Any) -> str | None:
        return None if value is None else str(value)


class Identifier(fields.Field[str]):
    """A platform id: a non-empty string, or a whole number (Shopify's numeric ids) taken as its digits."""

    def _deserialize(self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kw: Any) -> str:
        if isinstance(value, int) and not isinstance(value, bool):
            return str(value)
        if not isinstance(value, str) or not value.strip():
            raise ValidationError(f"must be a non-empty string, got {value!r}")
        return value


class CountryCode(fields.Field[str]):
    def _deserialize(self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kw: Any) -> str:
        if not isinstance(value, str) or not _COUNTRY.fullmatch(value):
            raise ValidationError(f"must be an ISO 3166 alpha-2 country code such as \"DE\", got {value!r}")
        return value


class CurrencyCode(fields.Field[str]):
    def _deserialize(self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kw: Any) -> str:
        if not isinstance(value, str) or not is_known_currency(value):
            raise ValidationError(f"must be an ISO 4217 currency code such as \"EUR\", got {value!r}")
        return value


class TimeZone(fields.Field[str]):
    def _deserialize(self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kw: Any) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError, TypeError):
            raise ValidationError(f"must be an IANA time zone such as \"Europe/Berlin\", got {value!r}") from None
        return str(value)


class Choice(fields.Field[Any]):
    """One of an enumeration's values, loaded as the enum member."""

    def __init__(self, enum: type[StrEnum], allowed: Iterable[StrEnum] | None = None, **kw: Any) -> None:
        super().__init__(**kw)
        self.enum = enum
        self.allowed = tuple(allowed or enum)
        self._by_value = {member.value: member for member in self.allowed}

    def _deserialize(self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kw: Any) -> Any:
        member = self._by_value.get(value) if isinstance(value, str) else None
        if member is None:
            choices = ", ".join(m.value for m in self.allowed)
            raise ValidationError(f"must be one of {choices}, got {value!r}")
        return member

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kw: Any) -> Any:
        return None if value is None else value.value


def flatten_errors(messages: Any, prefix: str = "") -> list[str]:
    """marshmallow's nested error dict as lines: "request.lines.0.quantity: must be at least 1, got 0"."""
    if isinstance(messages, dict):
        out = []
        for key, value in messages.items():
            path = key if not prefix else f"{prefix}.{key}"
            if key == "_schema":
                path = prefix or "document"
            out.extend(flatten_errors(value, path))
        return out
    if isinstance(messages, list):
        out = []
        for item in messages:
            out.extend(flatten_errors(item, prefix) if isinstance(item, dict | list) else
                       [f"{prefix or 'document'}: {_plain(str(item))}"])
        return out
    return [f"{prefix or 'document'}: {_plain(str(messages))}"]


_PLAIN = {
    "Missing data for required field.": "is required",
    "Unknown field.": "is not a setting Assay knows",
    "Field may not be null.": "may not be null",
    "Invalid input type.": "must be an object",
    "Not a valid integer.": "must be a whole number",
    "Not a valid boolean.": "must be true or false",
    "Not a valid string.": "must be a string",
    "Not a valid list.": "must be a list",
    "Not a valid mapping type.": "must be an object",
}


def _plain(message: str) -> str:
    return _PLAIN.get(message, message)
