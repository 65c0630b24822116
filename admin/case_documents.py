"""The admin API's documents: a case, its decisions and its write-backs as the settings page shows them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from storage.models import Action, DecisionRecord
from storage.repositories.admin_queries import CaseLine


def _iso(at: datetime | None) -> str | None:
    return None if at is None else at.isoformat()


def case_row(case: CaseLine) -> dict[str, Any]:
    return {"id": case.id, "order_id": case.order_id, "kind": case.kind, "status": case.status,
            "created_at": _iso(case.created_at), "outcome": case.outcome, "reason": case.reason,
            "submitted_at": case.submitted_at}


def decision_view(decision: DecisionRecord) -> dict[str, Any]:
    document = decision.document
    return {"id": decision.id, "outcome": decision.outcome, "reasons": document.get("reasons", []),
            "lines": document.get("lines", []), "refund": document.get("refund"),
            "respond_by": document.get("respond_by"), "resolve_by": document.get("resolve_by"),
            "policy_version": decision.policy_version, "judged_as": document.get("judged_as"),
            "decided_at": _iso(decision.decided_at),
            "decided_by": decision.decided_by or "assay", "by_person": decision.decided_by is not None,
            "note": decision.note}


def action_view(action: Action) -> dict[str, Any]:
    return {"id": action.id, "case_id": action.case_id, "kind": action.kind, "state": action.state,
            "attempts": action.attempts, "last_error": action.last_error, "created_at": _iso(action.created_at),
            "claimed_at": _iso(action.claimed_at), "done_at": _iso(action.done_at)}
