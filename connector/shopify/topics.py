"""The Shopify webhook topics Assay subscribes to and acts on."""

from __future__ import annotations

ORDER_TOPICS = ("orders/create", "orders/updated")
RETURN_TOPICS = ("returns/request", "returns/approve", "returns/decline", "returns/cancel", "returns/close",
                 "returns/reopen")
PRIVACY_TOPICS = ("customers/data_request", "customers/redact", "shop/redact")

HANDLED_TOPICS = frozenset(
    ORDER_TOPICS + RETURN_TOPICS + PRIVACY_TOPICS + ("orders/cancelled", "refunds/create", "app/uninstalled")
)
