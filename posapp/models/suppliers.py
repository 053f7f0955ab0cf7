"""Suppliers and what the shop owes them: payments to suppliers and how they settle bills.

Each money event with a supplier is one row with its own id, date, amount and reference, so
the books can later point at it: the opening balance (on the supplier), a purchase bill
(`purchases`, its `payable` and the part `paid_now` at receipt), a payment
(`supplier_payments`). What is owed is never stored: it is summed from those rows.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from posapp.extensions import Model
from posapp.models.base import utcnow

SUPPLIER_PAYMENT_METHODS = ("cash", "bank", "upi")
MAX_CREDIT_DAYS = 365


class Supplier(Model):
    """A wholesaler or distributor the shop buys from; opening balance in minor units."""

    __tablename__ = "suppliers"
    __table_args__ = (
        CheckConstraint("opening_balance >= 0", name="ck_suppliers_opening_balance"),
        CheckConstraint("credit_days BETWEEN 0 AND 365", name="ck_suppliers_credit_days"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), index=True)
    # E.164 when given ("" = none): suppliers are often known by name alone.
    phone: Mapped[str] = mapped_column(String(20), default="")
    gstin: Mapped[str] = mapped_column(String(15), default="", index=True)
    state_code: Mapped[str] = mapped_column(String(2), default="")
    address: Mapped[str] = mapped_column(String(300), default="")
    # A bill is due this many days after its bill date.
    credit_days: Mapped[int] = mapped_column(default=0)
    # What the shop owed the supplier when it started keeping their khata here, and when.
    opening_balance: Mapped[int] = mapped_column(BigInteger, default=0)
    opening_date: Mapped[date | None] = mapped_column(default=None)
    archived: Mapped[bool] = mapped_column(default=False, index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class SupplierPayment(Model):
    """Money the shop paid a supplier on account (not the part paid when stock came in)."""

    __tablename__ = "supplier_payments"
    __table_args__ = (
        CheckConstraint("amount > 0", name="ck_supplier_payments_amount"),
        CheckConstraint("method IN ('cash', 'bank', 'upi')", name="ck_supplier_payments_method"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    supplier_id: Mapped[int] = mapped_column(ForeignKey("suppliers.id"), index=True)
    amount: Mapped[int] = mapped_column(BigInteger)
    method: Mapped[str] = mapped_column(String(8))
    # Cheque, UTR or UPI reference: what the supplier's statement will show.
    reference: Mapped[str] = mapped_column(String(64), default="")
    note: Mapped[str] = mapped_column(String(200), default="")
    paid_on: Mapped[date] = mapped_column()
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    supplier: Mapped[Supplier] = relationship()


class SupplierAllocation(Model):
    """The part of a supplier payment that settles one bill (no bill: the opening balance)."""

    __tablename__ = "supplier_allocations"
    __table_args__ = (CheckConstraint("amount > 0", name="ck_supplier_allocations_amount"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    payment_id: Mapped[int] = mapped_column(ForeignKey("supplier_payments.id"), index=True)
    purchase_id: Mapped[int | None] = mapped_column(
        ForeignKey("purchases.id"), default=None, index=True
    )
    amount: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
