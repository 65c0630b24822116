"""What every platform's write-back planning shares: the planned action, its idempotency key, note text helpers."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

# Case keys made only of these stay readable inside the key; anything else is hashed to keep keys short
# and safe to search for in an order note. "~" never appears in a readable key, so the two can't collide.
_READABLE_CASE_KEY = re.compile(r"[A-Za-z0-9._:/-]{1,64}")


@dataclass(frozen=True)
class PlannedAction:
    """One platform write for the outbox: what to do, with what, and the key that makes it happen once."""

    kind: str
    payload: dict[str, Any]
    idempotency_key: str


def idempotency_key(case_key: str, action_kind: str) -> str:
    """'assay:<case key>:<action kind>', the case key hashed when it is long or has unusual characters."""
    if not case_key:
        raise ValueError("`case_key` must be a non-empty string, got ''")
    if _READABLE_CASE_KEY.fullmatch(case_key):
        return f"assay:{case_key}:{action_kind}"
    return f"assay:~{hashlib.sha256(case_key.encode()).hexdigest()[:32]}:{action_kind}"


def shorten(text: str, limit: int) -> str:
    """`text` cut to at most `limit` characters at a word boundary, with an ellipsis when cut."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    if " " in cut:
        cut = cut[: cut.rindex(" ")]
    return cut.rstrip(" ,;:") + "…"


def one_line(text: str) -> str:
    return " ".join(text.split())


def unique_texts(items: Sequence[str]) -> list[str]:
    """In order, without repeats or blanks: several lines declined for one reason share its message."""
    return [item for item in dict.fromkeys(items) if item]
