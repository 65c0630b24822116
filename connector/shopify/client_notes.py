"""What every Shopify writer shares: the refusal it raises, the key's marker in a note, and the tag-and-note write.

A write whose effect can't be read back from Shopify's own state (a tag, a line in the order's note) carries
the action's idempotency key as a marker, and finding the marker is how a retry knows it already happened.
"""

from __future__ import annotations

from typing import Any

from connector.planning import shorten
from connector.shopify.admin_api import AdminApi
from connector.shopify.documents import ORDER_NOTE, ORDER_NOTE_UPDATE, TAGS_ADD

Payload = dict[str, Any]


class Refused(Exception):
    """A writer found the write impossible (a missing order, a return in the wrong state)."""


def annotate_order(api: AdminApi, payload: Payload, idempotency_key: str) -> Payload:
    """Tag the order and append one line to its note, unless the note already carries this action's key."""
    order_gid, tag = payload["order_gid"], payload["tag"]
    order = api.execute(ORDER_NOTE, {"id": order_gid})["order"]
    if order is None:
        raise Refused(f"order {order_gid} does not exist")
    note: str = order["note"] or ""
    summary = {"order_gid": order_gid, "tag": tag}
    if marker(idempotency_key) in note:  # the tag went on before the note, so both are there
        return {**summary, "already_done": True}
    api.execute(TAGS_ADD, {"id": order_gid, "tags": [tag]})
    line = f"{payload['note_line']} {marker(idempotency_key)}"
    # orderUpdate overwrites the note; appending keeps the customer's checkout note and earlier lines.
    api.execute(ORDER_NOTE_UPDATE, {"id": order_gid, "note": f"{note.rstrip()}\n{line}" if note.strip() else line})
    return {**summary, "already_done": False}


def marker(idempotency_key: str) -> str:
    """How a key appears in a note; brackets keep one key from matching inside a longer one."""
    return f"[{idempotency_key}]"


def with_marker(text: str, idempotency_key: str, limit: int) -> str:
    mark = marker(idempotency_key)
    return f"{shorten(text, limit - len(mark) - 1)} {mark}"
