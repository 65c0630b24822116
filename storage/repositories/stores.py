"""Stores and their credentials, which are encrypted on the way in and only decrypted on request."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.models import Platform, Store, StoreStatus
from storage.repositories.store_input import InvalidStore, secret, shopify_domain, site_domain, web_url
from storage.secrets import Cipher

_CREDENTIALS = ("access_token", "consumer_key", "consumer_secret", "webhook_secret")


@dataclass(frozen=True)
class StoreCredentials:
    """A store's decrypted secrets; repr=False keeps them out of tracebacks and log lines."""

    access_token: str | None = field(default=None, repr=False)
    consumer_key: str | None = field(default=None, repr=False)
    consumer_secret: str | None = field(default=None, repr=False)
    webhook_secret: str | None = field(default=None, repr=False)


def add_shopify_store(session: Session, cipher: Cipher, *, domain: str, access_token: str,
                      webhook_secret: str | None = None) -> Store:
    """Add a Shopify shop, reached at its own *.myshopify.com domain."""
    credentials = StoreCredentials(
        access_token=secret("access_token", access_token),
        webhook_secret=secret("webhook_secret", webhook_secret, required=False),
    )
    return _add(session, cipher, Platform.SHOPIFY, shopify_domain(domain), None, credentials)


def add_woocommerce_store(session: Session, cipher: Cipher, *, url: str, consumer_key: str, consumer_secret: str,
                          webhook_secret: str) -> Store:
    """Add a WooCommerce site by its URL, with a REST API key pair and the secret its webhooks are signed with."""
    base = web_url("url", url)
    credentials = StoreCredentials(
        consumer_key=secret("consumer_key", consumer_key, prefix="ck_"),
        consumer_secret=secret("consumer_secret", consumer_secret, prefix="cs_"),
        webhook_secret=secret("webhook_secret", webhook_secret),
    )
    return _add(session, cipher, Platform.WOOCOMMERCE, site_domain(base), base, credentials)


def _add(session: Session, cipher: Cipher, platform: Platform, domain: str, api_base_url: str | None,
         credentials: StoreCredentials) -> Store:
    if find_store(session, platform, domain) is not None:
        raise InvalidStore("domain", f"a {platform.value} store with domain {domain} already exists")
    store = Store(platform=platform.value, domain=domain, api_base_url=api_base_url)
    _encrypt_into(store, cipher, credentials)
    session.add(store)
    session.flush()
    return store


def set_store_credentials(store: Store, cipher: Cipher, credentials: StoreCredentials) -> None:
    """Replace the store's credentials (a reinstall or a new API key) and mark it active again."""
    _encrypt_into(store, cipher, credentials)
    store.status = StoreStatus.ACTIVE.value


def _encrypt_into(store: Store, cipher: Cipher, credentials: StoreCredentials) -> None:
    for name in _CREDENTIALS:
        value = getattr(credentials, name)
        setattr(store, f"{name}_encrypted", None if value is None else cipher.encrypt(value))


def store_credentials(store: Store, cipher: Cipher) -> StoreCredentials:
    """The store's secrets in plain text, for the connector about to call the platform."""
    values = {}
    for name in _CREDENTIALS:
        token = getattr(store, f"{name}_encrypted")
        values[name] = None if token is None else cipher.decrypt(token)
    return StoreCredentials(**values)


def rotate_store_secrets(session: Session, cipher: Cipher) -> int:
    """Re-encrypt every stored secret with the newest key, so older keys can be dropped; returns stores touched."""
    stores = session.scalars(select(Store).with_for_update()).all()
    for store in stores:
        for name in _CREDENTIALS:
            token = getattr(store, f"{name}_encrypted")
            if token is not None:
                setattr(store, f"{name}_encrypted", cipher.rotate(token))
        if store.refresh_token_encrypted is not None:
            store.refresh_token_encrypted = cipher.rotate(store.refresh_token_encrypted)
    session.flush()
    return len(stores)


def mark_store_uninstalled(store: Store) -> None:
    """The app was removed: its token no longer works, so forget it, but keep the store's history."""
    store.status = StoreStatus.UNINSTALLED.value
    store.access_token_encrypted = None
    # An expiring token's pair goes too: a reinstall exchanges a new session token for a new pair.
    store.access_token_expires_at = None
    store.refresh_token_encrypted = None
    store.refresh_token_expires_at = None


def find_store(session: Session, platform: str, domain: str) -> Store | None:
    return session.scalars(select(Store).where(Store.platform == platform, Store.domain == domain)).first()


def stored_domain(domain: str) -> str:
    """A domain or URL as stores keep it: lower case, a URL's host (and path), no trailing slash."""
    text = domain.strip().lower()
    if "://" in text:
        text = site_domain(text)
    return text.rstrip("/")


def find_stores_by_domain(session: Session, domain: str) -> Sequence[Store]:
    """Stores on any platform with this domain (or URL); usually one, two only if both platforms share a host."""
    return session.scalars(select(Store).where(Store.domain == stored_domain(domain)).order_by(Store.id)).all()


def list_stores(session: Session, *, status: str | None = None, platform: str | None = None) -> Sequence[Store]:
    query = select(Store).order_by(Store.platform, Store.domain)
    if status is not None:
        query = query.where(Store.status == status)
    if platform is not None:
        query = query.where(Store.platform == platform)
    return session.scalars(query).all()
