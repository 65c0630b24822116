"""A verified delivery, before the inbox keeps it: its body parsed safely, bound to a shop of Assay's, and its
contact data made pseudonyms. Read-only, and no platform code runs here: the intake asks the platform in between."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

from connector.adapter import WebhookVerdict
from connector.guard import InputRefused, parse_json
from connector.personal import ALIASES, aliases, pseudonymize
from storage.db import Storage
from storage.models import StoreStatus
from storage.secret_key import Purpose, SecretKeys
from storage.store_directory import StoreFacts


@dataclass(frozen=True)
class Opened:
    """The body as a JSON object and the store its verdict names (None for a shop unknown to Assay), or why the
    body is refused."""

    payload: dict[str, Any] = field(default_factory=dict)
    store: StoreFacts | None = None
    refused: tuple[str, str] | None = None


@dataclass(frozen=True)
class Admission:
    """`refused` (reason, detail) for a 4xx; `dropped` (why) for a delivery answered but not kept; else the
    payload to record and the body's digest for the replay check."""

    refused: tuple[str, str] | None = None
    dropped: str | None = None
    payload: dict[str, Any] = field(default_factory=dict)
    digest: str = ""


def open_delivery(platform: str, verdict: WebhookVerdict, body: bytes, storage: Storage) -> Opened:
    assert verdict.shop_domain
    try:
        # Signed by the platform, so NULs and lone surrogates are scrubbed, not refused: it would resend forever.
        document = parse_json(body, scrub=True)
    except InputRefused as refused:
        return Opened(refused=("not_json", str(refused)))
    payload = document if isinstance(document, dict) else {"body": document}
    return Opened(payload, storage.store_facts(platform, verdict.shop_domain))


def admit(opened: Opened, verdict: WebhookVerdict, body: bytes, keys: SecretKeys, *, mismatch: str | None,
          privacy_topic: bool) -> Admission:
    """What the inbox keeps of an opened delivery; `mismatch` is the platform's reason the payload names another
    shop, and `privacy_topic` says the topic is kept for an uninstalled store too."""
    if opened.refused:
        return Admission(refused=opened.refused)
    if opened.store is None:
        return Admission(dropped="unknown_store")
    if mismatch:
        return Admission(refused=("wrong_shop", mismatch))
    if opened.store.status != StoreStatus.ACTIVE.value and not privacy_topic:
        return Admission(dropped=f"store_{opened.store.status}")
    kept = pseudonymize(opened.payload, keys.key(Purpose.PSEUDONYM))
    if privacy_topic:
        # Rows kept before a rotation of SECRET_KEY hold the older keys' pseudonyms: the request names those too.
        kept[ALIASES] = aliases(opened.payload, keys.older_pseudonym_keys())
    return Admission(payload=kept, digest=hashlib.sha256(body).hexdigest())
