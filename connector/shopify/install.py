"""Managed install: the first visit's session token becomes the store (token exchange, no OAuth redirect).

Shopify installs the app with the scopes of shopify.app.toml; the embedded app's first document load carries a
session token. If the shop has no usable offline token (new, uninstalled, or its pair refused), the token is
exchanged for an expiring offline token with its refresh token, the shop's country, zone and currency are read,
and the store is created or reactivated. A store with a usable token — including a non-expiring one from
`assay stores add` — is left as it is.
"""

from __future__ import annotations

import logging

from sqlalchemy import select

from connector.shopify.admin_api import AdminApi
from connector.shopify.app_config import ShopifyApp
from connector.shopify.documents import SHOP_FACTS
from connector.shopify.offline_tokens import exchange_offline_token
from connector.shopify.schemas import shop_facts
from connector.shopify.session_tokens import SessionCheck
from storage.db import Storage
from storage.models import Platform, Store, StoreStatus
from storage.repositories.offline_tokens import offline_token, save_offline_token

log = logging.getLogger("assay.shopify.install")


def installed_store(storage: Storage, app: ShopifyApp, check: SessionCheck) -> int:
    """The signed-in shop's store id, installing it first where it has no usable offline token."""
    assert check.ok and check.shop_domain and check.id_token is not None
    domain = check.shop_domain
    with storage.sessions() as session:
        store = session.scalars(select(Store).where(Store.platform == Platform.SHOPIFY.value,
                                                    Store.domain == domain)).first()
        if store is not None and store.status == StoreStatus.ACTIVE.value:
            token = offline_token(store, storage.cipher)
            if token.usable() or token.refreshable():
                return store.id
    pair = exchange_offline_token(app, check.id_token)
    assert pair.access_token is not None
    with AdminApi(domain, pair.access_token, admin_origin=app.api_origin, timeout_seconds=app.timeout_seconds) as api:
        facts = shop_facts(api.execute(SHOP_FACTS))
    with storage.transaction() as session:
        store = session.scalars(select(Store).where(Store.platform == Platform.SHOPIFY.value, Store.domain == domain)
                                .with_for_update()).first()
        created = store is None
        if store is None:
            store = Store(platform=Platform.SHOPIFY.value, domain=domain, api_base_url=app.api_origin)
            session.add(store)
        save_offline_token(store, storage.cipher, pair)
        store.country, store.timezone, store.currency = facts.country, facts.timezone, facts.currency
        session.flush()
        store_id = store.id
    log.info("shopify.installed", extra={"store_id": store_id, "new": created})
    return store_id
