"""What can go wrong talking to a WooCommerce site, one type per thing the caller does about it."""

from __future__ import annotations

from connector.case_parts import PayloadError


class WooCommerceError(Exception):
    """Base of every REST API failure; names the site and the request, never a key or a signature."""

    retryable = False

    def __init__(self, message: str, *, site: str, operation: str, status: int | None = None,
                 code: str | None = None, detail: str | None = None) -> None:
        super().__init__(f"{operation} on {site}: {message}")
        self.site = site
        self.operation = operation
        self.status = status
        self.code = code  # WordPress's error code from the body, such as "woocommerce_rest_shop_order_invalid_id"
        self.detail = detail  # the site's own message with it, such as "Invalid refund amount."


class WooCommerceUnavailable(WooCommerceError):
    """A 5xx, 429, timeout or network error that outlasted the retries (or a write not resent, or a wait too
    long to spend inside a job, or a call the site's outage breaker held unsent): try later, not before
    `retry_after` seconds when the site said how long, nor before `held_for` when the breaker held it."""

    retryable = True
    retry_after: float | None = None
    held_for: float | None = None


class WooCommerceRejected(WooCommerceError):
    """A 4xx: the request is wrong for this site (an unknown order, an invalid status); retrying won't help."""


class WooCommerceAccessDenied(WooCommerceRejected):
    """401/403: the REST API key was revoked or lacks read/write permission."""


class WooCommercePayloadError(PayloadError):
    """A WooCommerce payload that can't become a case; `errors` name each field."""
