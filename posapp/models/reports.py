"""Reporting tables: the per-day sales summary kept by checkout (expenses: models/expenses.py)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import BigInteger, Date
from sqlalchemy.orm import Mapped, mapped_column

from posapp.extensions import Model


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
