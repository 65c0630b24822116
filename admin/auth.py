"""Who is asking, and for which store: a Shopify session token (a bearer token, so no CSRF token is needed) or a
login link's session cookie with its CSRF token on every change; that store is the request's only tenant."""

from __future__ import annotations

import hmac
from collections.abc import Callable
from functools import wraps
from typing import ParamSpec, TypeVar

from flask import Response, current_app, g, jsonify, request

from connector.sign_in import Principal, Refusal, sign_ins_of
from storage.db import storage_of
from storage.repositories.admin_access import csrf_token_for as csrf_token_for
from storage.repositories.admin_access import digest, find_admin_session
from storage.settings import settings_of

COOKIE = "assay_admin"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

P = ParamSpec("P")
R = TypeVar("R")


def current_principal() -> Principal:
    found: Principal = g.assay_principal
    return found


def _from_cookie() -> Principal | Refusal | None:
    secret = request.cookies.get(COOKIE)
    if not secret:
        return None
    with storage_of(current_app).sessions() as session:
        found = find_admin_session(session, secret)
        if found is None:
            return Refusal(401, "session_expired", "sign in again with a new login link")
        return Principal(found.store_id, found.person, "login_session", csrf_digest=found.csrf_hash)


def _authenticate() -> Principal | Refusal:
    headers = dict(request.headers)
    for sign_in in sign_ins_of(current_app):
        found = sign_in.authenticate(url=request.url, headers=headers, settings=settings_of(current_app),
                                     storage=storage_of(current_app))
        if found is not None:
            return found
    return _from_cookie() or Refusal(401, "not_signed_in", "send the session token, or sign in with a login link")


def _csrf_refused(principal: Principal) -> bool:
    if request.method in SAFE_METHODS or principal.via != "login_session":
        return False
    given = request.headers.get(CSRF_HEADER, "")
    return not (given and principal.csrf_digest and hmac.compare_digest(digest(given), principal.csrf_digest))


def refused(refusal: Refusal) -> Response:
    answer = jsonify(error=refusal.reason, detail=refusal.detail)
    answer.status_code = refusal.status
    answer.headers.update(dict(refusal.headers))
    return answer


def signed_in(view: Callable[P, R]) -> Callable[P, R | Response]:
    """The view runs with `current_principal()` set, or the request is refused (401/403/503, with the reason)."""

    @wraps(view)
    def guarded(*args: P.args, **kwargs: P.kwargs) -> R | Response:
        found = _authenticate()
        if isinstance(found, Refusal):
            return refused(found)
        if _csrf_refused(found):
            return refused(Refusal(403, "csrf_token_missing", f"send the session's CSRF token in {CSRF_HEADER}"))
        g.assay_principal = found
        return view(*args, **kwargs)

    return guarded
