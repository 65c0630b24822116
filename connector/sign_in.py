"""Who is signed in to the admin, as each platform tells it: each registered `SignIn` is asked in turn, and its
`Principal` (the one store a request may touch) or `Refusal` answers, so admin/ names no platform."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from storage.settings import Settings

if TYPE_CHECKING:
    from flask import Flask

    from storage.db import Storage

SIGN_INS = "assay.sign_ins"


@dataclass(frozen=True)
class Principal:
    store_id: int
    person: str  # who acts, as recorded on a person's decision ("shopify-user:42", "anna@shop.example")
    via: str  # "session_token" (no ambient credential: CSRF-proof) or "login_session" (a cookie: needs CSRF)
    csrf_digest: str | None = field(default=None, repr=False)
    headers: Mapping[str, str] = field(default_factory=dict)  # to add to a document's answer (CSP)


@dataclass(frozen=True)
class Refusal:
    status: int
    reason: str
    detail: str = ""
    headers: Mapping[str, str] = field(default_factory=dict)


class SignIn(Protocol):
    def authenticate(self, *, url: str, headers: Mapping[str, str], settings: Settings,
                     storage: Storage) -> Principal | Refusal | None:
        """The request's principal, a refusal, or None when the request carries nothing of this platform's."""


def add_sign_in(app: Flask, sign_in: SignIn) -> None:
    app.extensions.setdefault(SIGN_INS, []).append(sign_in)


def sign_ins_of(app: Flask) -> Sequence[SignIn]:
    found: list[SignIn] = app.extensions.get(SIGN_INS, [])
    return found
