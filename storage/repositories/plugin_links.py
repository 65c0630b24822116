"""The Assay for WooCommerce plugin's secrets (opened once the site proved the install's keys, delivered to it alone,
Fernet-encrypted) and the nonces of its signed requests, kept for the timestamp window so none is replayed."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from storage.models import PluginLink, PluginRequestNonce
from storage.repositories._once import insert_once
from storage.secrets import Cipher

DELIVERY_LIFETIME = timedelta(hours=1)


@dataclass(frozen=True)
class PendingPluginLink:
    """A secret waiting to be delivered to the plugin that started the connect; repr=False keeps it out of logs."""

    id: int
    store_id: int
    challenge: str
    secret: str = field(repr=False)


def open_plugin_link(session: Session, cipher: Cipher, store_id: int, *, challenge: str, now: datetime) -> None:
    """A new secret for the plugin that started this connect, to be delivered to the site."""
    session.add(PluginLink(store_id=store_id, challenge=challenge,
                           secret_encrypted=cipher.encrypt(secrets.token_urlsafe(32)),
                           expires_at=now + DELIVERY_LIFETIME))
    session.flush()


def pending_plugin_link(session: Session, cipher: Cipher, store_id: int, now: datetime) -> PendingPluginLink | None:
    """The store's newest secret not yet delivered, if it has not expired."""
    row = session.scalars(select(PluginLink).where(
        PluginLink.store_id == store_id, PluginLink.delivered_at.is_(None), PluginLink.expires_at > now,
    ).order_by(PluginLink.id.desc()).limit(1)).first()
    return None if row is None else PendingPluginLink(row.id, row.store_id, row.challenge,
                                                      cipher.decrypt(row.secret_encrypted))


def mark_plugin_link_delivered(session: Session, link: PendingPluginLink, now: datetime) -> None:
    """The site's plugin took the secret: it signs from now on, and every other secret of the store is revoked."""
    session.execute(update(PluginLink).where(PluginLink.id == link.id).values(delivered_at=now)
                    .execution_options(synchronize_session=False))
    session.execute(delete(PluginLink).where(PluginLink.store_id == link.store_id, PluginLink.id != link.id)
                    .execution_options(synchronize_session=False))


def drop_plugin_link(session: Session, link: PendingPluginLink) -> None:
    """The site's plugin refused the secret (another connect is under way there, or no plugin): forget it."""
    session.execute(delete(PluginLink).where(PluginLink.id == link.id, PluginLink.delivered_at.is_(None))
                    .execution_options(synchronize_session=False))


def plugin_secret(session: Session, cipher: Cipher, store_id: int) -> str | None:
    """The secret the store's plugin signs with: the one delivered last, or None before one was delivered."""
    query = (select(PluginLink.secret_encrypted).where(PluginLink.store_id == store_id,
                                                       PluginLink.delivered_at.is_not(None))
             .order_by(PluginLink.delivered_at.desc(), PluginLink.id.desc()).limit(1))
    token = session.scalars(query).first()
    return None if token is None else cipher.decrypt(token)


def spend_request_nonce(session: Session, store_id: int, nonce: str, now: datetime, window: timedelta) -> bool:
    """True the first time the store's plugin sends `nonce`; nonces older than the window are forgotten (a request
    that old is refused by its timestamp anyway)."""
    session.execute(delete(PluginRequestNonce).where(PluginRequestNonce.seen_at < now - window))
    _, created = insert_once(session, PluginRequestNonce, {"store_id": store_id, "nonce": nonce, "seen_at": now},
                             unique=("store_id", "nonce"))
    return created
