"""Append entries to the audit log."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy.orm import Session

from posapp.models import AuditLog


def record(
    session: Session,
    action: str,
    *,
    user_id: int | None = None,
    entity: str = "",
    entity_id: int | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> None:
    """Add one audit entry to the current transaction (the caller commits)."""
    session.add(
        AuditLog(
            action=action,
            user_id=user_id,
            entity=entity,
            entity_id=entity_id,
            before=json.dumps(before, sort_keys=True, default=str) if before is not None else None,
            after=json.dumps(after, sort_keys=True, default=str) if after is not None else None,
        )
    )
