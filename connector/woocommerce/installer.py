"""Installing Assay on a WooCommerce site: start the wc-auth flow, accept its keys, register the webhooks."""

from __future__ import annotations

import logging
import secrets
import time
from dataclasses import replace
from datetime import UTC, datetime

from flask import Flask, current_app

from connector.ratelimit import RateLimiter
from connector.woocommerce.access import woocommerce_api
from connector.woocommerce.errors import WooCommerceRejected
from connector.woocommerce.install import (
    CHALLENGE,
    InstallRefused,
    InstallTicket,
    RegisteredWebhooks,
    authorize_url,
    check_store_url,
    parse_user_id,
    read_callback,
    register_webhooks,
    user_id_for,
)
from connector.woocommerce.plugin_delivery import deliver_plugin_secret
from storage.columns import utc_now
from storage.db import storage_of
from storage.models import Platform, Store, StoreStatus
from storage.repositories import (
    NonceRefused,
    StoreCredentials,
    granted_keys,
    hold_granted_keys,
    set_store_credentials,
    spend_install_nonce,
    store_credentials,
    take_granted_keys,
)
from storage.repositories.installs import NONCE_BYTES
from storage.repositories.plugin_links import open_plugin_link
from storage.secret_key import Purpose, secret_keys_of
from storage.settings import Settings, settings_of

log = logging.getLogger("assay.jobs")
PUBLIC_URL_SETTING = "ASSAY_PUBLIC_URL"
CALLBACK_PATH = "/woocommerce/auth/callback"
RETURN_PATH = "/woocommerce/installed"
INTAKE_PATH = "/webhooks/woocommerce"
LIMITER = "assay.install_starts"


def public_url() -> str:
    """Where platforms reach Assay; installs can't start without it."""
    url = settings_of(current_app).public_url.rstrip("/")
    if not url:
        raise InstallRefused("not_configured", f"{PUBLIC_URL_SETTING} is not set: WooCommerce needs Assay's "
                                               "public https:// URL to send the store's keys to")
    return url


def init_app(app: Flask, settings: Settings) -> None:
    """The app's limit on install starts, per source address and per site, each an hour."""
    app.extensions[LIMITER] = RateLimiter(settings.install_starts_per_hour, 3600)


def _install_starts() -> RateLimiter:
    limiter: RateLimiter = current_app.extensions[LIMITER]
    return limiter


def _ticket_key() -> str:
    return secret_keys_of(current_app).key(Purpose.WOOCOMMERCE_INSTALL)


def start_install(store_url: str | None, source: str, plugin_challenge: str | None = None) -> str:
    """The URL where the merchant approves Assay, with a sealed ticket for the site; nothing is stored.

    `plugin_challenge` is the Assay plugin's base64url(SHA-256(verifier)): sealed into the ticket, it lets only
    the plugin that started this install accept the secret Assay delivers to the site (plugin_delivery.py).
    """
    site = check_store_url(store_url)
    if plugin_challenge is not None and not CHALLENGE.fullmatch(plugin_challenge):
        raise InstallRefused("invalid_store_url", "plugin_challenge must be 43 base64url characters",
                             {"plugin_challenge": "must be base64url(SHA-256(verifier)), 43 characters"})
    public = public_url()
    if not _install_starts().allow(f"source:{source}", f"site:{site}"):
        raise InstallRefused("too_many_installs", "too many installs were started from here or for this site; "
                                                  "try again in an hour")
    ttl = settings_of(current_app).install_ttl_seconds
    ticket = InstallTicket(site, secrets.token_urlsafe(NONCE_BYTES), int(time.time() + ttl), plugin_challenge)
    log.info("install.started", extra={"platform": Platform.WOOCOMMERCE.value})
    return authorize_url(site, user_id=user_id_for(ticket, _ticket_key()), return_url=f"{public}{RETURN_PATH}",
                         callback_url=f"{public}{CALLBACK_PATH}")


def accept_keys(document: object) -> tuple[int, int]:
    """Prove the ticket, spend its nonce and hold the key pair, encrypted, on the install; (store id, install id).

    The callback carries no signature: whoever holds its URL and a ticket could post any keys. So they change
    nothing yet, not even the plugin's link: complete_woocommerce_install swaps them in, and only then opens the
    plugin's secret, once the site has accepted them.
    """
    granted = read_callback(document, _ticket_key(),
                            previous=secret_keys_of(current_app).previous(Purpose.WOOCOMMERCE_INSTALL))
    ticket = granted.ticket
    now = utc_now()
    if ticket.expires <= now.timestamp():
        raise InstallRefused("nonce_expired", "this install was started too long ago; start it again")
    storage = storage_of(current_app)
    with storage.transaction() as session:
        try:
            store_id, install_id = spend_install_nonce(session, ticket.site, ticket.nonce,
                                                       datetime.fromtimestamp(ticket.expires, UTC), now)
        except NonceRefused as refused:
            raise InstallRefused(refused.reason, "this install's keys were already received") from None
        hold_granted_keys(session, storage.cipher, install_id, granted.consumer_key, granted.consumer_secret,
                          ticket.challenge)
    log.info("install.keys_received", extra={"platform": Platform.WOOCOMMERCE.value,
                                             "store_id": store_id, "install_id": install_id})
    return store_id, install_id


def returned_ticket(user_id: str | None) -> InstallTicket | None:
    """The ticket in the user_id WooCommerce hands back on the merchant's return, if it is one Assay sealed."""
    try:
        return parse_user_id(user_id, _ticket_key(),
                             previous=secret_keys_of(current_app).previous(Purpose.WOOCOMMERCE_INSTALL))
    except InstallRefused:
        return None


def complete_woocommerce_install(store_id: int, install_id: int) -> None:
    """Job: prove the install's keys on the site, swap them in, register Assay's webhooks, then hand the plugin
    that started the install (if one did) its secret, on the site, with the keys just proven."""
    if swap_in_proven_keys(store_id, install_id):
        register_woocommerce_webhooks(store_id)
        deliver_plugin_secret(store_id)


def swap_in_proven_keys(store_id: int, install_id: int) -> bool:
    """True when the store now holds keys the site accepts; keys the site refuses are dropped, changing nothing.

    Keys the site accepts prove the site's own admin approved this install: only then is a secret opened for the
    plugin whose challenge the install carried. A WooCommerceUnavailable propagates, keeping the keys for a retry.
    """
    storage = storage_of(current_app)
    with storage.sessions() as session:
        store = session.get(Store, store_id)
        keys = granted_keys(session, storage.cipher, install_id)
        if store is None:
            return False
        if keys is None:  # an earlier run swapped them in (or dropped them)
            return store.status == StoreStatus.ACTIVE.value
        session.expunge(store)
    proposed = StoreCredentials(consumer_key=keys.consumer_key, consumer_secret=keys.consumer_secret)
    refused: WooCommerceRejected | None = None
    try:
        with woocommerce_api(store, proposed, settings_of(current_app)) as api:
            api.get("webhooks", {"per_page": 1})  # what registering needs: read access to the site's webhooks
    except WooCommerceRejected as error:
        refused = error
    with storage.transaction() as session:
        if not take_granted_keys(session, install_id):
            return False  # another run of this job got here first and did the swap
        if refused is not None:
            log.warning("install.keys_refused_by_site", extra={"store_id": store_id, "install_id": install_id,
                                                               "status": refused.status})
            return False
        store = session.get_one(Store, store_id, with_for_update=True)
        kept = store_credentials(store, storage.cipher)  # a reinstall keeps the webhook secret in use
        set_store_credentials(store, storage.cipher, replace(kept, consumer_key=proposed.consumer_key,
                                                             consumer_secret=proposed.consumer_secret))
        if keys.plugin_challenge:
            open_plugin_link(session, storage.cipher, store_id, challenge=keys.plugin_challenge, now=utc_now())
    log.info("install.keys_stored", extra={"store_id": store_id, "install_id": install_id})
    return True


def register_woocommerce_webhooks(store_id: int) -> RegisteredWebhooks | None:
    """Job: Assay's webhooks on the site, signed with the store's webhook secret (made here the first time); what
    it created and updated, or None for a store that is gone or not active."""
    storage = storage_of(current_app)
    delivery_url = f"{public_url()}{INTAKE_PATH}"
    with storage.transaction() as session:
        # FOR UPDATE: two jobs for one store agree on one secret instead of each saving its own.
        store = session.get(Store, store_id, with_for_update=True)
        if store is None or store.status != StoreStatus.ACTIVE.value:
            log.info("install.webhooks_skipped", extra={"store_id": store_id})
            return None
        credentials = store_credentials(store, storage.cipher)
        if not credentials.webhook_secret:
            # Saved before the site knows it: a delivery signed with it must never meet an older secret here.
            credentials = replace(credentials, webhook_secret=secrets.token_urlsafe(32))
            set_store_credentials(store, storage.cipher, credentials)
            session.flush()  # before expunge, which would drop the change
        session.expunge(store)
    assert credentials.webhook_secret is not None
    with woocommerce_api(store, credentials, settings_of(current_app)) as api:
        done = register_webhooks(api, delivery_url, credentials.webhook_secret)
    log.info("install.webhooks_registered", extra={"store_id": store_id, "webhooks_created": done.created,
                                                   "webhooks_updated": done.updated})
    return done
