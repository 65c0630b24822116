"""Signing in with a login link (`assay stores login-link`): the link is spent once and becomes a session cookie."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, jsonify, redirect
from werkzeug.wrappers import Response as BaseResponse

from admin.auth import COOKIE
from storage.db import storage_of
from storage.repositories.admin_access import SESSION_LIFETIME, spend_login_link

bp = Blueprint("admin_login", __name__)


@bp.get("/admin/login/<secret>")
def sign_in(secret: str) -> BaseResponse | tuple[Response, int]:
    with storage_of(current_app).transaction() as session:
        opened = spend_login_link(session, secret)
    if opened is None:
        return jsonify(error="invalid_login_link", detail="this link is unknown, used or expired; ask for a new one"
                       ), 401
    answer = redirect("/admin/", code=303)
    # HttpOnly: no script reads it; Secure: https only; SameSite=Lax: other sites' forms and fetches don't carry it.
    answer.set_cookie(COOKIE, opened.session_secret, max_age=int(SESSION_LIFETIME.total_seconds()), path="/admin",
                      secure=True, httponly=True, samesite="Lax")
    return answer
