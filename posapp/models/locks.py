"""The writer lock row: how MariaDB serialises write transactions like SQLite's BEGIN IMMEDIATE."""

from __future__ import annotations

from sqlalchemy.orm import Mapped, mapped_column

from posapp.extensions import Model


class WriterLock(Model):
    """One row (id 1), locked FOR UPDATE at the start of every write transaction on MariaDB."""

    __tablename__ = "writer_lock"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
