"""A verified delivery, before the inbox keeps it: its body parsed safely, bound to the shop that signed it,
dropped for a shop that is not Assay's (or no longer is), and its contact data made pseudonyms.

Read-only: the intake records what this admits, in one transaction with the replay check, so a delivery is
either wholly recorded or not at all.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

from connector.adapter import PlatformAdapter, WebhookVerdict
from connector.guard import InputRefused, parse_json
from connector.personal import ALIASES, aliases, pseudonymize
from storage.db import Storage
from storage.models import StoreStatus
from storage.secret_key import Purpose, SecretKeys


@dataclass(frozen=True)
class Admission:
    """`refused` (reason, detail) for a 4xx; `dropped` (why) for a delivery answered but not kept; else the
    payload to record and the body's digest for the replay check."""

    refused: tuple[str, str] | None = None
    dropped: str | None = None
    payload: dict[str, Any] = field(default_factory=dict)
    digest: str = ""


def admit(adapter: PlatformAdapter, verdict: WebhookVerdict, body: bytes, storage: Storage,
          keys: SecretKeys) -> Admission:
    assert verdict.topic and verdict.shop_domain
    try:
        # Signed by the platform, so NULs and lone surrogates are scrubbed, not refused: it would resend forever.
        document = parse_json(body, scrub=True)
    except InputRefused as refused:
        return Admission(refused=("not_json", str(refused)))
    payload = document if isinstance(document, dict) else {"body": document}
    store = storage.store_facts(adapter.name, verdict.shop_domain)
    if store is None:
        return Admission(dropped="unknown_store")
    mismatch = adapter.tenant_mismatch(verdict.topic, payload, store.domain)
    if mismatch:
        return Admission(refused=("wrong_shop", mismatch))
    if store.status != StoreStatus.ACTIVE.value and verdict.topic not in adapter.privacy_topics:
        return Admission(dropped=f"store_{store.status}")
    kept = pseudonymize(payload, keys.key(Purpose.PSEUDONYM))
    if verdict.topic in adapter.privacy_topics:
        # Rows kept before a rotation of SECRET_KEY hold the older keys' pseudonyms: the request names those too.
        kept[ALIASES] = aliases(payload, keys.older_pseudonym_keys())
    return Admission(payload=kept, digest=hashlib.sha256(body).hexdigest())
