"""The Assay for WooCommerce plugin's secrets: made at connect, claimed once by the plugin, and the nonces of its
signed requests (kept for the timestamp window, so a request captured on the way can't be replayed).

Only SHA-256 digests of the connect code are stored; the secret is Fernet-encrypted, as every credential is.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from storage.models import PluginLink, PluginRequestNonce
from storage.repositories._once import insert_once
from storage.secrets import Cipher

CLAIM_LIFETIME = timedelta(hours=1)


def code_digest(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


def open_plugin_link(session: Session, cipher: Cipher, store_id: int, *, code: str, challenge: str,
                     now: datetime) -> None:
    """A new secret for the plugin that started this connect, claimable once with `code` and its verifier.

    The store's claimed secret stays in force until this one is claimed: a connect started by someone else
    (with a verifier of theirs) can't take the plugin's secret away.
    """
    session.add(PluginLink(store_id=store_id, code_hash=code_digest(code), challenge=challenge,
                           secret_encrypted=cipher.encrypt(secrets.token_urlsafe(32)),
                           expires_at=now + CLAIM_LIFETIME))
    session.flush()


def claim_plugin_link(session: Session, cipher: Cipher, code: str, now: datetime) -> tuple[int, str, str] | None:
    """Spend the code: (store id, the challenge it was opened with, the secret), or None if unknown, spent or
    expired. One guarded UPDATE spends it, so two claims at once get it once; older secrets are revoked."""
    claimed = session.execute(
        update(PluginLink)
        .where(PluginLink.code_hash == code_digest(code), PluginLink.claimed_at.is_(None), PluginLink.expires_at > now)
        .values(claimed_at=now).returning(PluginLink.id, PluginLink.store_id, PluginLink.challenge,
                                          PluginLink.secret_encrypted)
    ).first()
    if claimed is None:
        return None
    session.execute(delete(PluginLink).where(PluginLink.store_id == claimed.store_id, PluginLink.id != claimed.id,
                                             PluginLink.claimed_at.is_not(None)))
    return claimed.store_id, claimed.challenge, cipher.decrypt(claimed.secret_encrypted)


def plugin_secret(session: Session, cipher: Cipher, store_id: int) -> str | None:
    """The secret the store's plugin signs with: the one claimed last, or None before the plugin has claimed one."""
    query = (select(PluginLink.secret_encrypted).where(PluginLink.store_id == store_id,
                                                       PluginLink.claimed_at.is_not(None))
             .order_by(PluginLink.claimed_at.desc(), PluginLink.id.desc()).limit(1))
    token = session.scalars(query).first()
    return None if token is None else cipher.decrypt(token)


def spend_request_nonce(session: Session, store_id: int, nonce: str, now: datetime, window: timedelta) -> bool:
    """True the first time the store's plugin sends `nonce`; nonces older than the window are forgotten (a request
    that old is refused by its timestamp anyway)."""
    session.execute(delete(PluginRequestNonce).where(PluginRequestNonce.seen_at < now - window))
    _, created = insert_once(session, PluginRequestNonce, {"store_id": store_id, "nonce": nonce, "seen_at": now},
                             unique=("store_id", "nonce"))
    return created
