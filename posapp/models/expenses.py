"""The shop's expenses (rent, salaries, ...), entered by an admin for net profit."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Date, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from posapp.extensions import Model
from posapp.models.base import utcnow

EXPENSE_CATEGORIES = (
    "rent",
    "salaries",
    "electricity",
    "transport",
    "repairs",
    "supplies",
    "other",
)


class Expense(Model):
    """A shop expense entered by the admin (for net profit in the profit-and-loss report)."""

    __tablename__ = "expenses"

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(Date, index=True)
    category: Mapped[str] = mapped_column(String(32))
    amount: Mapped[int] = mapped_column(BigInteger)
    note: Mapped[str] = mapped_column(String(200), default="")
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
