"""Gapless counters (invoice, credit note, purchase numbers, internal codes) on every backend.

Also the financial year a document is numbered in: invoice and credit-note series restart
every financial year, so the year and the counter are taken together.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import bindparam, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from posapp.models import DocumentCounter
from posapp.models.base import table


def financial_year(moment: datetime, start_month: int) -> int:
    """Return the starting calendar year of the financial year holding a local date."""
    return moment.year if moment.month >= start_month else moment.year - 1


def next_number(session: Session, kind: str, fy: int) -> int:
    """Take the next gapless sequence number of a kind and year (inside the caller's tx)."""
    return advance(session, kind, fy)


def advance(session: Session, kind: str, fy: int, by: int = 1) -> int:
    """Add `by` to a counter inside the caller's write transaction; return its new value.

    The UPDATE takes the counter row's write lock, so concurrent tills queue on it and each
    gets its own numbers (SQLite's BEGIN IMMEDIATE already serialises writers; PostgreSQL and
    MariaDB lock the row until commit). A rollback gives the numbers back: no gaps.
    """
    for _attempt in range(2):
        top = _bump(session, kind, fy, by)
        if top is not None:
            return top
        try:
            # The first number of a kind and year: two tills may race to create the row; the
            # loser's insert fails on the primary key and it bumps the winner's row instead.
            with session.begin_nested():
                session.add(DocumentCounter(kind=kind, fy=fy, last=by))
            return by
        except IntegrityError:
            continue
    raise RuntimeError(f"counter {kind}/{fy} could be neither updated nor created")


_COUNTERS = table(DocumentCounter)
# Built once (Core): every sale and return takes a number.
_BUMP = (
    update(_COUNTERS)
    .where(_COUNTERS.c.kind == bindparam("the_kind"), _COUNTERS.c.fy == bindparam("the_fy"))
    .values(last=_COUNTERS.c.last + bindparam("by"))
)
_BUMP_RETURNING = _BUMP.returning(_COUNTERS.c.last)
_READ = select(_COUNTERS.c.last).where(
    _COUNTERS.c.kind == bindparam("the_kind"), _COUNTERS.c.fy == bindparam("the_fy")
)


def _bump(session: Session, kind: str, fy: int, by: int) -> int | None:
    """Increment an existing counter row; None when there is none yet."""
    connection = session.connection()
    params = {"the_kind": kind, "the_fy": fy, "by": by}
    if connection.dialect.update_returning:
        top = connection.execute(_BUMP_RETURNING, params).scalar()
        return None if top is None else int(top)
    # MariaDB has no UPDATE ... RETURNING. Its UPDATE still holds the row lock, and a
    # transaction reads its own change back even under REPEATABLE READ.
    if connection.execute(_BUMP, params).rowcount == 0:
        return None
    top = connection.execute(_READ, params).scalar()
    return None if top is None else int(top)
