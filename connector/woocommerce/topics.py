"""The WooCommerce webhook topics Assay subscribes to and acts on."""

from __future__ import annotations

HANDLED_TOPICS = frozenset({"order.created", "order.updated", "order.deleted", "order.restored"})
