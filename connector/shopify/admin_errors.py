"""What can go wrong talking to Shopify's Admin API, one type per thing the caller does about it."""

from __future__ import annotations

from typing import Any


class ShopifyAdminError(Exception):
    """Base of every Admin API failure; says which shop and operation, never the token."""

    retryable = False

    def __init__(self, message: str, *, shop: str, operation: str) -> None:
        super().__init__(f"{operation} on {shop}: {message}")
        self.shop = shop
        self.operation = operation


class ShopifyUnavailable(ShopifyAdminError):
    """Retries ran out on outages, timeouts or throttling (or the wait was too long to spend inside a job, or the
    shop's outage breaker held the call unsent); the job may try again later, not before `retry_after` seconds when
    Shopify said how long (a pause, not a failure), nor before `held_for` when the breaker held it."""

    retryable = True

    def __init__(self, message: str, *, shop: str, operation: str, retry_after: float | None = None,
                 held_for: float | None = None) -> None:
        super().__init__(message, shop=shop, operation=operation)
        self.retry_after = retry_after
        self.held_for = held_for


class ShopifyAccessDenied(ShopifyAdminError):
    """401/403: the token was revoked (app uninstalled) or lacks a scope; retrying won't help."""

    def __init__(self, message: str, *, shop: str, operation: str, status: int) -> None:
        super().__init__(message, shop=shop, operation=operation)
        self.status = status


class ShopifyRequestRejected(ShopifyAdminError):
    """Another 4xx (bad request, shop frozen 402, locked 423, not found 404)."""

    def __init__(self, message: str, *, shop: str, operation: str, status: int) -> None:
        super().__init__(message, shop=shop, operation=operation)
        self.status = status


class ShopifyGraphQLError(ShopifyAdminError):
    """Top-level GraphQL `errors`: an invalid document or variables, an idempotency conflict, an access error."""

    def __init__(self, errors: list[dict[str, Any]], *, shop: str, operation: str) -> None:
        super().__init__("; ".join(_describe(error) for error in errors), shop=shop, operation=operation)
        self.errors = errors

    @property
    def codes(self) -> list[str]:
        return [str((error.get("extensions") or {}).get("code", "")) for error in self.errors]


class ShopifyUserErrors(ShopifyAdminError):
    """A mutation ran but refused: its payload's userErrors, with the data for callers that inspect state."""

    def __init__(self, user_errors: list[dict[str, Any]], data: dict[str, Any], *, shop: str, operation: str) -> None:
        super().__init__("; ".join(_describe(error) for error in user_errors), shop=shop, operation=operation)
        self.user_errors = user_errors
        self.data = data

    @property
    def codes(self) -> list[str]:
        return [str(error.get("code") or "") for error in self.user_errors]


def errors_list(errors: Any) -> list[dict[str, Any]]:
    """Shopify's `errors` is a list of objects, except a bare string on some auth failures."""
    if isinstance(errors, list):
        return [e if isinstance(e, dict) else {"message": str(e)} for e in errors]
    return [{"message": str(errors)}] if errors else []


def _describe(error: dict[str, Any]) -> str:
    code = error.get("code") or (error.get("extensions") or {}).get("code")
    field = ".".join(str(part) for part in error.get("field") or ())
    return " ".join(part for part in (f"[{code}]" if code else "", field, str(error.get("message", ""))) if part)
