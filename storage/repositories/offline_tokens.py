"""Shopify's expiring offline tokens: stored encrypted, replaced as one pair, and refreshed under the store's row
lock, so of two workers only one spends the rotating refresh token and the other finds the fresh pair."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.columns import utc_now
from storage.models import Store, StoreStatus
from storage.secrets import Cipher

# A token this close to its expiry is refreshed first: a request sent with it could land after it ends.
REFRESH_MARGIN = timedelta(minutes=5)


@dataclass(frozen=True)
class OfflineToken:
    """A store's offline token as stored; `expires_at` None is a non-expiring token (`assay stores add`)."""

    access_token: str | None = field(repr=False)
    expires_at: datetime | None
    refresh_token: str | None = field(repr=False)
    refresh_expires_at: datetime | None

    def usable(self, now: datetime | None = None, margin: timedelta = REFRESH_MARGIN) -> bool:
        """Good for a request now: present, and non-expiring or not within `margin` of its end."""
        if not self.access_token:
            return False
        return self.expires_at is None or self.expires_at > (now or utc_now()) + margin

    def refreshable(self, now: datetime | None = None) -> bool:
        if not self.refresh_token:
            return False
        return self.refresh_expires_at is None or self.refresh_expires_at > (now or utc_now())


def offline_token(store: Store, cipher: Cipher) -> OfflineToken:
    def plain(token: str | None) -> str | None:
        return None if token is None else cipher.decrypt(token)

    return OfflineToken(plain(store.access_token_encrypted), store.access_token_expires_at,
                        plain(store.refresh_token_encrypted), store.refresh_token_expires_at)


def lock_store_tokens(session: Session, store_id: int) -> Store:
    """The store's row, held until the transaction ends (the per-store refresh lock; SQLite locks the file)."""
    return session.scalars(select(Store).where(Store.id == store_id).with_for_update()).one()


def save_offline_token(store: Store, cipher: Cipher, token: OfflineToken) -> None:
    """Replace the whole pair at once (never the access token without its refresh token), and reactivate."""
    store.access_token_encrypted = None if token.access_token is None else cipher.encrypt(token.access_token)
    store.access_token_expires_at = token.expires_at
    store.refresh_token_encrypted = None if token.refresh_token is None else cipher.encrypt(token.refresh_token)
    store.refresh_token_expires_at = token.refresh_expires_at
    store.status = StoreStatus.ACTIVE.value


def forget_offline_token(store: Store) -> None:
    """The pair no longer works (refused by Shopify, or the app was removed): the next session token exchanges anew."""
    store.access_token_encrypted = None
    store.access_token_expires_at = None
    store.refresh_token_encrypted = None
    store.refresh_token_expires_at = None
