"""Who a delivery's shop is, for the intake: a store's few facts, read once and kept for FACTS_SECONDS, forgotten at
once when this process changes a store (docs/decisions/0008)."""

from __future__ import annotations

import threading
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from storage.models import Store

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from storage.secrets import Cipher

FACTS_SECONDS = 2.0
# Every directory in this process, so a store change reaches them all (weakly: a test makes many apps).
_directories: weakref.WeakSet[StoreDirectory] = weakref.WeakSet()
_CHANGED = "assay.stores_changed"
_listening = threading.Lock()
_listener_installed = False


@dataclass(frozen=True)
class StoreFacts:
    """What the intake needs of a store; the webhook secret decrypted, kept out of repr."""

    id: int
    platform: str
    domain: str
    status: str
    webhook_secret: str | None = field(default=None, repr=False)


class StoreDirectory:
    """A read-through cache of StoreFacts by (platform, domain); unknown shops are looked up every time."""

    def __init__(self, lookup_seconds: float = FACTS_SECONDS) -> None:
        self.lookup_seconds = lookup_seconds
        self._facts: dict[tuple[str, str], tuple[float, StoreFacts]] = {}
        _forget_on_store_changes(self)

    def facts(self, platform: str, domain: str, read: Callable[[], StoreFacts | None]) -> StoreFacts | None:
        """The facts kept for this store while fresh; else `read()` now, and kept unless the shop is unknown."""
        key = (platform, domain)
        kept = self._facts.get(key)
        now = time.monotonic()
        if kept is not None and now - kept[0] < self.lookup_seconds:
            return kept[1]
        facts = read()
        if facts is None:
            self._facts.pop(key, None)
        elif self.lookup_seconds > 0:
            self._facts[key] = (now, facts)
        return facts

    def forget(self) -> None:
        self._facts.clear()


def read_store_facts(session: Session, cipher: Cipher, platform: str, domain: str) -> StoreFacts | None:
    """The store's facts as the database holds them now; None for a shop that is not a store."""
    from sqlalchemy import select

    row = session.execute(select(Store.id, Store.status, Store.webhook_secret_encrypted)
                          .where(Store.platform == platform, Store.domain == domain)).first()
    if row is None:
        return None
    secret = None if row.webhook_secret_encrypted is None else cipher.decrypt(row.webhook_secret_encrypted)
    return StoreFacts(int(row.id), platform, domain, str(row.status), secret)


def _forget_on_store_changes(directory: StoreDirectory) -> None:
    """A Store row this process inserts, updates or deletes through the ORM (rows or bulk statements) empties every
    directory, at the flush and again at the commit: a lookup between the two would have kept the old row."""
    global _listener_installed
    with _listening:
        _directories.add(directory)
        if _listener_installed:
            return
        from sqlalchemy import event
        from sqlalchemy.orm import ORMExecuteState, Session, object_session

        def forget_all(session: Session | None = None) -> None:
            if session is not None:
                session.info[_CHANGED] = True
            for each in list(_directories):
                each.forget()

        def row_changed(_mapper: object, _connection: object, store: Store) -> None:
            forget_all(object_session(store))

        def bulk_statement(state: ORMExecuteState) -> None:
            if (state.is_update or state.is_delete) and state.bind_mapper is not None \
                    and state.bind_mapper.class_ is Store:
                forget_all(state.session)

        def committed(session: Session) -> None:
            if session.info.pop(_CHANGED, False):
                forget_all()

        for change in ("after_insert", "after_update", "after_delete"):
            event.listen(Store, change, row_changed)
        event.listen(Session, "do_orm_execute", bulk_statement)
        event.listen(Session, "after_commit", committed)
        _listener_installed = True
