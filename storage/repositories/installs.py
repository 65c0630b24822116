"""Installs whose callback proved its ticket: a pending store and the spent nonce, kept only as its SHA-256 digest."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from storage.models import InstallNonce, Platform, Store, StoreStatus
from storage.repositories._once import insert_once
from storage.repositories.store_input import site_domain
from storage.secrets import Cipher

NONCE_BYTES = 32  # 43 url-safe characters
PRUNE_AFTER = timedelta(days=1)  # spent and expired nonces are kept this long, so a late repeat is named as such


class NonceRefused(Exception):
    """The nonce was spent already; `reason` is nonce_used."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def nonce_digest(nonce: str) -> str:
    # The nonce is 256 random bits: a plain hash is enough, no salt or slow hash needed.
    return hashlib.sha256(nonce.encode()).hexdigest()


def spend_install_nonce(session: Session, url: str, nonce: str, expires_at: datetime,
                        now: datetime) -> tuple[int, int]:
    """The first callback for a proven ticket: (store id, install id), a new store pending until its keys are proven;
    NonceRefused("nonce_used") after that. Nothing is stored before the ticket's MAC is checked."""
    prune_installs(session, now)
    # insert_once: two installs of a new site at the same moment share one store instead of one failing.
    # An existing store keeps its status and keys: only keys the site accepts change it (the install job).
    store, _ = insert_once(session, Store, {"platform": Platform.WOOCOMMERCE.value, "domain": site_domain(url),
                                            "api_base_url": url, "status": StoreStatus.PENDING.value},
                           unique=["platform", "domain"])
    install, created = insert_once(session, InstallNonce, {"store_id": store.id, "nonce_hash": nonce_digest(nonce),
                                                           "expires_at": expires_at, "used_at": now},
                                   unique=["nonce_hash"])
    if not created:
        raise NonceRefused("nonce_used")
    return store.id, install.id


def prune_installs(session: Session, now: datetime) -> None:
    """Forget nonces long expired, and the stores of installs that never got keys."""
    session.execute(delete(InstallNonce).where(InstallNonce.expires_at < now - PRUNE_AFTER))
    waiting = select(InstallNonce.id).where(InstallNonce.store_id == Store.id).exists()
    session.execute(delete(Store).where(
        Store.platform == Platform.WOOCOMMERCE.value, Store.status == StoreStatus.PENDING.value,
        Store.consumer_key_encrypted.is_(None), Store.created_at < now - PRUNE_AFTER, ~waiting,
    ).execution_options(synchronize_session=False))


def hold_granted_keys(session: Session, cipher: Cipher, install_id: int, consumer_key: str,
                      consumer_secret: str, plugin_challenge: str | None = None) -> None:
    """Keep the keys a callback brought on its install until the site has accepted them, with the challenge of the
    plugin that started the install, if one did."""
    session.execute(update(InstallNonce).where(InstallNonce.id == install_id).values(
        consumer_key_encrypted=cipher.encrypt(consumer_key),
        consumer_secret_encrypted=cipher.encrypt(consumer_secret),
        plugin_challenge=plugin_challenge,
    ).execution_options(synchronize_session=False))


@dataclass(frozen=True)
class WaitingKeys:
    """The key pair an install's callback brought, not yet proven; repr=False keeps the pair out of logs."""

    consumer_key: str = field(repr=False)
    consumer_secret: str = field(repr=False)
    plugin_challenge: str | None = None


def granted_keys(session: Session, cipher: Cipher, install_id: int) -> WaitingKeys | None:
    """The keys waiting on the install, or None once they have been taken (or never came)."""
    row = session.get(InstallNonce, install_id)
    if row is None or row.consumer_key_encrypted is None or row.consumer_secret_encrypted is None:
        return None
    return WaitingKeys(cipher.decrypt(row.consumer_key_encrypted), cipher.decrypt(row.consumer_secret_encrypted),
                       row.plugin_challenge)


def take_granted_keys(session: Session, install_id: int) -> bool:
    """Clear the install's waiting keys; False when another run took them first (one swap per install)."""
    taken = session.scalar(
        update(InstallNonce)
        .where(InstallNonce.id == install_id, InstallNonce.consumer_key_encrypted.is_not(None))
        .values(consumer_key_encrypted=None, consumer_secret_encrypted=None)
        .returning(InstallNonce.id)
        .execution_options(synchronize_session=False)
    )
    return taken is not None
