"""The append-only audit log, hash-chained so that any edit or deletion shows."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import bindparam, func, insert, select, text, update
from sqlalchemy.orm import Session

from posapp.models import AuditLog
from posapp.models.base import utcnow

GENESIS = "0" * 64
# Any constant works; it only keeps the chain's lock apart from other advisory locks.
_PG_LOCK_KEY = 0x71B0_A0D1


def entry_hash(previous: str, entry: Any) -> str:
    """Hash an entry's content (an AuditLog or a row of its columns) with the previous hash."""
    content = {
        "id": entry.id,
        "at": entry.created_at.isoformat(timespec="microseconds") if entry.created_at else None,
        "user_id": entry.user_id,
        "action": entry.action,
        "entity": entry.entity,
        "entity_id": entry.entity_id,
        "before": entry.before,
        "after": entry.after,
    }
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(f"{previous}|{canonical}".encode()).hexdigest()


class _Entry(NamedTuple):
    """The hashed content of an entry about to be written (the same fields as an AuditLog)."""

    id: int
    created_at: datetime
    user_id: int | None
    action: str
    entity: str
    entity_id: int | None
    before: str | None
    after: str | None


_AUDIT = AuditLog.__table__
# Statements built once: the audit entry is part of every sale, so its three statements go
# through Core (a fraction of the ORM unit of work's cost) with compiled forms cached.
_PREVIOUS = (
    select(_AUDIT.c.hash).where(_AUDIT.c.id < bindparam("before_id")).order_by(_AUDIT.c.id.desc())
).limit(1)
_SET_HASH = update(_AUDIT).where(_AUDIT.c.id == bindparam("entry_id")).values(hash=bindparam("h"))
_CHAIN_LOCK = text("SELECT pg_advisory_xact_lock(:key)")


def record(
    session: Session,
    action: str,
    *,
    user_id: int | None = None,
    entity: str = "",
    entity_id: int | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> int:
    """Add one chained audit entry to the current write transaction; return its id.

    The caller commits. The entry is written with Core statements on the session's
    connection, so it does not flush the caller's pending ORM objects.
    """
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        # SQLite's BEGIN IMMEDIATE already serialises writers; PostgreSQL needs this lock so two
        # transactions never chain onto the same previous entry.
        connection.execute(_CHAIN_LOCK, {"key": _PG_LOCK_KEY})
    values = {
        "created_at": utcnow(),
        "user_id": user_id,
        "action": action,
        "entity": entity,
        "entity_id": entity_id,
        "before": json.dumps(before, sort_keys=True, default=str) if before is not None else None,
        "after": json.dumps(after, sort_keys=True, default=str) if after is not None else None,
        "hash": "",
    }
    # The id is part of what is hashed, so the entry is inserted first and hashed after.
    entry_id = int(connection.execute(insert(_AUDIT), values).inserted_primary_key[0])
    previous = connection.execute(_PREVIOUS, {"before_id": entry_id}).scalar() or GENESIS
    del values["hash"]
    digest = entry_hash(previous, _Entry(id=entry_id, **values))
    connection.execute(_SET_HASH, {"entry_id": entry_id, "h": digest})
    return entry_id


@dataclass(frozen=True)
class ChainBreak:
    """The first audit entry whose hash does not follow from the entries before it."""

    entry_id: int
    action: str
    created_at: datetime | None


class _Chain:
    """Walks entries in id order, remembering the last good hash."""

    def __init__(self) -> None:
        self.previous = GENESIS

    def broken(self, entries: Iterable[Any]) -> ChainBreak | None:
        for entry in entries:
            if entry.hash != entry_hash(self.previous, entry):
                return ChainBreak(entry.id, entry.action, entry.created_at)
            self.previous = entry.hash
        return None


def verify_chain(entries: Iterable[Any]) -> ChainBreak | None:
    """Return the first entry (in id order) whose hash does not follow, or None."""
    return _Chain().broken(entries)


_COLUMNS = (
    AuditLog.id,
    AuditLog.created_at,
    AuditLog.user_id,
    AuditLog.action,
    AuditLog.entity,
    AuditLog.entity_id,
    AuditLog.before,
    AuditLog.after,
    AuditLog.hash,
)


def first_break(session: Session, batch: int = 5000) -> ChainBreak | None:
    """Verify the whole log in batches of plain rows (it grows for years)."""
    chain = _Chain()
    last_id = 0
    while True:
        rows = session.execute(
            select(*_COLUMNS).where(AuditLog.id > last_id).order_by(AuditLog.id).limit(batch)
        ).all()
        if not rows:
            return None
        found = chain.broken(rows)
        if found is not None:
            return found
        last_id = rows[-1].id


def count_entries(session: Session) -> int:
    """Return how many entries the log holds."""
    return int(session.scalar(select(func.count()).select_from(AuditLog)) or 0)


def actions(session: Session) -> list[str]:
    """Return every action name the log holds, for the filter."""
    return list(session.scalars(select(AuditLog.action).distinct().order_by(AuditLog.action)))


def list_entries(
    session: Session,
    *,
    action: str = "",
    user_id: int | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    page: int = 1,
    per_page: int = 100,
) -> tuple[list[AuditLog], int]:
    """Return a page of entries, newest first, filtered by action, user and time."""
    stmt = select(AuditLog)
    if action:
        stmt = stmt.where(AuditLog.action == action)
    if user_id is not None:
        stmt = stmt.where(AuditLog.user_id == user_id)
    if since is not None:
        stmt = stmt.where(AuditLog.created_at >= since)
    if until is not None:
        stmt = stmt.where(AuditLog.created_at < until)
    total = int(session.scalar(select(func.count()).select_from(stmt.subquery())) or 0)
    rows = session.scalars(
        stmt.order_by(AuditLog.id.desc()).limit(per_page).offset((page - 1) * per_page)
    )
    return list(rows), total
