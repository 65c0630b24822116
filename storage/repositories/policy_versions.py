"""A store's policy, versioned: every save is a new version, and decisions keep the label of the one they used."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from marshmallow import ValidationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from policies.fields import flatten_errors
from policies.policy import Policy
from policies.policy_schema import load_policy
from storage.models import PolicyVersion, Store


class InvalidPolicy(ValueError):
    """The document is not a valid policy; `errors` holds every "field: rule" line at once."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("; ".join(errors))
        self.errors = errors


def set_policy(session: Session, store_id: int, document: Mapping[str, Any]) -> PolicyVersion:
    """Validate `document` and save it as the store's next version (its own "version" replaced by that number, so
    labels count per store); its label (`.label`) reads like 'kestia@3'."""
    # Locking the store row serialises two saves for one store, so they cannot pick the same number.
    session.scalars(select(Store.id).where(Store.id == store_id).with_for_update()).one()
    latest = session.scalar(select(func.max(PolicyVersion.version)).where(PolicyVersion.store_id == store_id))
    version = (latest or 0) + 1
    saved = {**document, "version": version}
    try:
        load_policy(saved)
    except ValidationError as error:
        raise InvalidPolicy(flatten_errors(error.messages)) from None
    row = PolicyVersion(store_id=store_id, version=version, document=saved)
    session.add(row)
    session.flush()
    return row


def current_policy_version(session: Session, store_id: int) -> PolicyVersion | None:
    """The highest version, which is the policy in force."""
    query = (select(PolicyVersion).where(PolicyVersion.store_id == store_id)
             .order_by(PolicyVersion.version.desc()).limit(1))
    return session.scalars(query).first()


def find_policy_version(session: Session, store_id: int, version: int) -> PolicyVersion | None:
    query = select(PolicyVersion).where(PolicyVersion.store_id == store_id, PolicyVersion.version == version)
    return session.scalars(query).first()


def policy_history(session: Session, store_id: int) -> Sequence[PolicyVersion]:
    """Every version, newest first."""
    query = select(PolicyVersion).where(PolicyVersion.store_id == store_id).order_by(PolicyVersion.version.desc())
    return session.scalars(query).all()


def load_current_policy(session: Session, store_id: int) -> Policy | None:
    """The policy in force, ready for `policies.engine.decide`; None if the store has not set one."""
    row = current_policy_version(session, store_id)
    return None if row is None else load_policy(row.document)
