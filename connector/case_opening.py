"""Turning a customer's request into a stored, open case: shared by every platform's handlers and routes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from storage.models import Store
from storage.repositories import add_case


class CancelRequestRefused(Exception):
    """The request can't become a case; `reason` and `status` say why, in words fit for the customer."""

    def __init__(self, reason: str, message: str, status: int) -> None:
        super().__init__(message)
        self.reason, self.status = reason, status


@dataclass(frozen=True)
class OpenedCase:
    case_id: int
    created: bool  # False: the same request was asked before; its case was queued then


def case_document(store: Store, order: dict[str, Any], request: dict[str, Any],
                  refs: dict[str, Any]) -> dict[str, Any]:
    """The contract's case, less its policy (the store's current one is used when it is decided)."""
    return {
        "store": {"country": store.country, "timezone": store.timezone},
        "order": order,
        "request": request,
        "platform": refs,  # where to write the decision back; the engine ignores it
    }


def open_case(session: Session, store: Store, *, order: dict[str, Any], request: dict[str, Any],
              request_key: str, refs: dict[str, Any]) -> tuple[int, bool]:
    record, created = add_case(session, store_id=store.id, order_id=order["id"], kind=request["kind"],
                               request_key=request_key, document=case_document(store, order, request, refs))
    return record.id, created
