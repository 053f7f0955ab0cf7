"""Users, their API tokens, and the failed login attempts that throttle logins."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import BigInteger, ForeignKey, Index, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from posapp.extensions import Model
from posapp.models.base import utcnow

ROLES = ("admin", "cashier")

if TYPE_CHECKING:
    # Flask-Login ships no type information; this is the part of its mixin the app uses.
    class UserMixin:
        @property
        def is_authenticated(self) -> bool: ...
        @property
        def is_anonymous(self) -> bool: ...
        def get_id(self) -> str: ...

else:
    from flask_login import UserMixin


class User(UserMixin, Model):
    """A person who logs in: an admin (everything) or a cashier (till, own invoices)."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(256))
    role: Mapped[str] = mapped_column(String(16), default="cashier")
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(default=None)
    # Set when an admin resets the password: the user must choose a new one at next login.
    must_change_password: Mapped[bool] = mapped_column(default=False, server_default=false())
    # Copied into the session cookie at login and compared on every request: bumping it
    # (logout, password change or reset, deactivation) ends every session of the user, which
    # a client-side cookie alone cannot do.
    session_version: Mapped[int] = mapped_column(default=0, server_default="0")
    # The language of this user's screens ("" = the browser's): posapp/i18n.py LANGUAGES.
    language: Mapped[str] = mapped_column(String(8), default="", server_default="")
    # Two-step login (services/two_step.py): the TOTP secret (set while enrolling, used once
    # enabled), the last time step accepted (a code works once), and the SHA-256 hashes of the
    # unused recovery codes as a JSON list.
    totp_secret: Mapped[str | None] = mapped_column(String(64), default=None)
    totp_enabled: Mapped[bool] = mapped_column(default=False, server_default=false())
    totp_last_step: Mapped[int | None] = mapped_column(BigInteger, default=None)
    recovery_codes: Mapped[str | None] = mapped_column(Text, default=None)
    # An admin's till PIN (hashed like a password): approves a cashier's sale at the till.
    pin_hash: Mapped[str | None] = mapped_column(String(256), default=None)

    tokens: Mapped[list[ApiToken]] = relationship(back_populates="user")

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return self.active

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


class ApiToken(Model):
    """A bearer token for the JSON API; only its SHA-256 is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    name: Mapped[str] = mapped_column(String(80), default="login")
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(default=None)
    revoked: Mapped[bool] = mapped_column(default=False)
    expires_at: Mapped[datetime | None] = mapped_column(default=None)  # None: never
    # Login tokens slide: each use (at most once a minute) moves expires_at on.
    sliding: Mapped[bool] = mapped_column(default=False, server_default=false())

    user: Mapped[User] = relationship(back_populates="tokens")


class LoginAttempt(Model):
    """One failed login, by the username tried (lower case) and the client address.

    Kept in the database, not in memory, so throttling holds across threads and restarts.
    """

    __tablename__ = "login_attempts"
    __table_args__ = (
        Index("ix_login_attempts_address", "address", "created_at"),
        Index("ix_login_attempts_user_address", "username", "address", "created_at"),
        Index("ix_login_attempts_created_at", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64))
    address: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
