"""Shop settings as key/value rows, and the audit log."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from posapp.extensions import Model
from posapp.models.base import utcnow


class Setting(Model):
    """One shop setting; values are text, typed by services/settings.py."""

    __tablename__ = "settings"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text, default="")


class AuditLog(Model):
    """Append-only record of who did what, when, with before/after as JSON text."""

    __tablename__ = "audit_log"
    # The invoice page reads one invoice's history.
    __table_args__ = (Index("ix_audit_log_entity", "entity", "entity_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    action: Mapped[str] = mapped_column(String(64), index=True)
    entity: Mapped[str] = mapped_column(String(32), default="")
    entity_id: Mapped[int | None] = mapped_column(default=None)
    before: Mapped[str | None] = mapped_column(Text, default=None)
    after: Mapped[str | None] = mapped_column(Text, default=None)
    # SHA-256 over this entry and the previous entry's hash: editing or deleting any row
    # breaks every hash after it (services/audit.py; verified by `app.py check`).
    hash: Mapped[str] = mapped_column(String(64), default="", server_default="")
    # HMAC-SHA256 of `hash` with the data folder's audit key: the chain cannot be recomputed
    # without it. NULL on entries written before keyed hashes existed.
    mac: Mapped[str | None] = mapped_column(String(64), default=None)
