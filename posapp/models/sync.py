"""The shop's outbox of changesets for HQ (docs: issue 24, the HQ sync protocol)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Text
from sqlalchemy.orm import Mapped, mapped_column

from posapp.extensions import Model
from posapp.models.base import utcnow


class SyncOutbox(Model):
    """One committed write transaction's synced records, waiting for (or acked by) HQ.

    `seq` is the order of commit: HQ acknowledges the highest contiguous seq it stored, and
    the shop pushes from there. Written only while the shop is enrolled at an HQ.
    """

    __tablename__ = "sync_outbox"
    # Acked rows are pruned: without AUTOINCREMENT SQLite would hand out a pruned seq again,
    # and HQ skips a seq it already holds as a duplicate.
    __table_args__ = ({"sqlite_autoincrement": True},)

    seq: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    payload: Mapped[str] = mapped_column(Text)  # JSON: {"records": [...]}
    size: Mapped[int] = mapped_column(default=0)  # how many records the payload holds
