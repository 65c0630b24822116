"""Insert-if-absent that stays correct when two transactions insert the same row at the same moment."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.models import Base

Row = TypeVar("Row", bound=Base)


def insert_once(session: Session, model: type[Row], values: Mapping[str, Any],
                unique: Sequence[str]) -> tuple[Row, bool]:
    """The row with `values`, inserted unless one with the same `unique` columns exists; True if inserted here. ON
    CONFLICT DO NOTHING lets the database settle a race without an IntegrityError aborting the loser's transaction."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    elif dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert  # type: ignore[assignment]
    else:
        raise NotImplementedError(f"storage supports postgresql and sqlite, not {dialect}")
    statement = insert(model).values(**values).on_conflict_do_nothing(index_elements=list(unique)).returning(model)
    row = session.scalars(statement).first()
    if row is not None:
        return row, True
    existing = session.scalars(select(model).filter_by(**{column: values[column] for column in unique})).one()
    return existing, False
