"""Handing the Assay plugin its secret: only to the site, with the REST keys the site has just proven.

The secret signs as the store (login links, disconnect), so it must come only from proof that the site itself took
part. The merchant's browser carries nothing back (a stranger who started the install could read anything sent that
way); instead Assay POSTs the secret to the plugin's own route on the site, over https, authenticated by the keys
the site's admin approved. The plugin takes it only if the challenge is that of the verifier it kept when its own
Connect started this install; it answers 409 otherwise, and 404 means no Assay plugin is there to take it.
"""

from __future__ import annotations

import logging

from flask import current_app

from connector.woocommerce.access import woocommerce_api
from connector.woocommerce.errors import WooCommerceRejected
from storage.columns import utc_now
from storage.db import storage_of
from storage.models import Store
from storage.repositories import store_credentials
from storage.repositories.plugin_links import drop_plugin_link, mark_plugin_link_delivered, pending_plugin_link
from storage.settings import settings_of

log = logging.getLogger("assay.jobs")
CONNECTION_ROUTE = "connection"


def deliver_plugin_secret(store_id: int) -> bool:
    """Deliver the store's pending plugin secret, if any; True once the site's plugin holds it.

    Safe to run again: the plugin takes the same secret twice alike. A site that can't be reached raises
    WooCommerceUnavailable and the secret stays pending (until it expires, or the merchant connects again).
    """
    storage = storage_of(current_app)
    with storage.sessions() as session:
        store = session.get(Store, store_id)
        link = pending_plugin_link(session, storage.cipher, store_id, utc_now()) if store is not None else None
        if store is None or link is None:
            return False
        credentials = store_credentials(store, storage.cipher)
        session.expunge(store)
    try:
        with woocommerce_api(store, credentials, settings_of(current_app)) as api:
            api.post_to_plugin(CONNECTION_ROUTE, {"store_id": store_id, "secret": link.secret,
                                                  "challenge": link.challenge})
    except WooCommerceRejected as refused:
        with storage.transaction() as session:
            drop_plugin_link(session, link)
        log.warning("plugin.secret_refused_by_site", extra={"store_id": store_id, "status": refused.status,
                                                            "code": refused.code})
        return False
    with storage.transaction() as session:
        mark_plugin_link_delivered(session, link, utc_now())
    log.info("plugin.secret_delivered", extra={"store_id": store_id})
    return True
