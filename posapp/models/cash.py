"""Cash sessions (shifts) of a till drawer and the pay-ins and pay-outs made during them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from posapp.extensions import Model
from posapp.models.base import utcnow
from posapp.models.users import User

MOVEMENT_KINDS = ("pay_in", "pay_out")


class CashSession(Model):
    """One cashier's drawer from opening float to blind count; figures in minor units.

    `expected`, `counted` and `over_short` stay null while the session is open; closing fixes
    them once. `denominations` is the optional count per note/coin as JSON ({"500": 3, ...}).
    """

    __tablename__ = "cash_sessions"
    __table_args__ = (
        CheckConstraint("opening_float >= 0", name="ck_cash_sessions_float"),
        # One open session per cashier, enforced by the database as well as the service.
        Index(
            "uq_cash_sessions_open_user",
            "user_id",
            unique=True,
            sqlite_where=text("closed_at IS NULL"),
            postgresql_where=text("closed_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    opened_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    opened_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    opening_float: Mapped[int] = mapped_column(BigInteger, default=0)
    closed_at: Mapped[datetime | None] = mapped_column(default=None)
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    counted: Mapped[int | None] = mapped_column(BigInteger, default=None)
    denominations: Mapped[str | None] = mapped_column(Text, default=None)
    expected: Mapped[int | None] = mapped_column(BigInteger, default=None)
    over_short: Mapped[int | None] = mapped_column(BigInteger, default=None)
    note: Mapped[str] = mapped_column(String(200), default="")

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    opened_by: Mapped[User] = relationship(foreign_keys=[opened_by_id])
    closed_by: Mapped[User | None] = relationship(foreign_keys=[closed_by_id])
    movements: Mapped[list[CashMovement]] = relationship(
        back_populates="cash_session", order_by="CashMovement.id"
    )

    @property
    def is_open(self) -> bool:
        return self.closed_at is None


class CashMovement(Model):
    """Cash put into (pay_in) or taken out of (pay_out) the drawer, with the reason."""

    __tablename__ = "cash_movements"
    __table_args__ = (
        CheckConstraint("kind IN ('pay_in', 'pay_out')", name="ck_cash_movements_kind"),
        CheckConstraint("amount > 0", name="ck_cash_movements_amount"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    cash_session_id: Mapped[int] = mapped_column(ForeignKey("cash_sessions.id"), index=True)
    kind: Mapped[str] = mapped_column(String(8))
    amount: Mapped[int] = mapped_column(BigInteger)
    reason: Mapped[str] = mapped_column(String(200))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    cash_session: Mapped[CashSession] = relationship(back_populates="movements")
    user: Mapped[User] = relationship()
