"""Customer displays: screens paired with a till that mirror its bill without a login."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from posapp.extensions import Model
from posapp.models.base import utcnow
from posapp.models.users import User


class DisplayDevice(Model):
    """A paired customer display: it mirrors the till of `user_id` and nothing else.

    Only the SHA-256 of its token is stored (the device keeps the token in an HttpOnly
    cookie); `revoked_at` ends it for good and keeps the row for the audit trail.
    """

    __tablename__ = "display_devices"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(60))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime | None] = mapped_column(default=None)
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)

    user: Mapped[User] = relationship()
