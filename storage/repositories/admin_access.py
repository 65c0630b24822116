"""Signing in to the admin without an embedding platform: single-use login links, then a session with a CSRF token.
Only SHA-256 digests are stored, so a copy of the database opens no session."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from storage.columns import utc_now
from storage.models import AdminSession, LoginLink, Store, StoreStatus

LINK_LIFETIME = timedelta(minutes=15)
SESSION_LIFETIME = timedelta(hours=8)


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def csrf_token_for(session_secret: str) -> str:
    """The session's CSRF token: derived from the cookie's secret (no signing key that could be left empty),
    handed to the page by GET /admin/api/session, which another origin can't read."""
    return hashlib.sha256(f"assay-csrf:{session_secret}".encode()).hexdigest()


def issue_login_link(session: Session, store_id: int, person: str, *, lifetime: timedelta = LINK_LIFETIME) -> str:
    """A new link secret for the store (returned once, kept as a digest), valid for `lifetime`."""
    secret = secrets.token_urlsafe(32)
    session.add(LoginLink(store_id=store_id, token_hash=digest(secret), person=person,
                          expires_at=utc_now() + lifetime))
    session.flush()
    return secret


@dataclass(frozen=True)
class OpenedSession:
    """What a spent link gives: the cookie's and the CSRF token's secrets (shown once), and whose they are."""

    store_id: int
    person: str
    session_secret: str = field(repr=False)
    csrf_token: str = field(repr=False)


def spend_login_link(session: Session, secret: str, *, lifetime: timedelta = SESSION_LIFETIME) -> OpenedSession | None:
    """Open a session with the link, or None if it is unknown, spent or expired. One guarded UPDATE spends it, so
    two clicks at once open one session."""
    now = utc_now()
    spent = session.execute(
        update(LoginLink)
        .where(LoginLink.token_hash == digest(secret), LoginLink.used_at.is_(None), LoginLink.expires_at > now)
        .values(used_at=now).returning(LoginLink.store_id, LoginLink.person)
    ).first()
    if spent is None:
        return None
    store = session.get(Store, spent.store_id)
    if store is None or store.status != StoreStatus.ACTIVE.value:
        return None
    session_secret = secrets.token_urlsafe(32)
    opened = OpenedSession(spent.store_id, spent.person, session_secret, csrf_token_for(session_secret))
    session.add(AdminSession(store_id=opened.store_id, person=opened.person, session_hash=digest(opened.session_secret),
                             csrf_hash=digest(opened.csrf_token), expires_at=now + lifetime))
    session.flush()
    return opened


def find_admin_session(session: Session, session_secret: str) -> AdminSession | None:
    """The live session this cookie names, or None."""
    query = select(AdminSession).where(AdminSession.session_hash == digest(session_secret),
                                       AdminSession.expires_at > utc_now())
    return session.scalars(query).first()


def end_admin_session(session: Session, session_secret: str) -> None:
    session.execute(delete(AdminSession).where(AdminSession.session_hash == digest(session_secret)))
