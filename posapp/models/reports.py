"""Reporting tables: the per-day sales summary kept by checkout, and the shop's expenses."""

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


class DailySales(Model):
    """One local day of sales (minor units), updated in the same transaction as each sale.

    `sales` is the sum of invoice totals, `net` their taxable value (revenue without tax),
    `cost` the cost of goods sold from the lines' cost snapshots; the method columns split
    `sales` by how it was settled (cash net of change, card, UPI, and the part left on
    credit). Void invoices are not counted. `services.summaries` is the only writer.
    """

    __tablename__ = "daily_sales"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    invoices: Mapped[int] = mapped_column(default=0)
    sales: Mapped[int] = mapped_column(BigInteger, default=0)
    net: Mapped[int] = mapped_column(BigInteger, default=0)
    tax: Mapped[int] = mapped_column(BigInteger, default=0)
    discount: Mapped[int] = mapped_column(BigInteger, default=0)
    cost: Mapped[int] = mapped_column(BigInteger, default=0)
    cash: Mapped[int] = mapped_column(BigInteger, default=0)
    card: Mapped[int] = mapped_column(BigInteger, default=0)
    upi: Mapped[int] = mapped_column(BigInteger, default=0)
    credit: Mapped[int] = mapped_column(BigInteger, default=0)


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
