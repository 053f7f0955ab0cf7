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


class DebitNote(Model):
    """Goods sent back to a supplier against one bill (a purchase return), numbered DN-000001.

    Its amount (the returned goods' value with their tax) lowers what the shop owes.
    """

    __tablename__ = "debit_notes"
    __table_args__ = (CheckConstraint("amount > 0", name="ck_debit_notes_amount"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    supplier_id: Mapped[int] = mapped_column(ForeignKey("suppliers.id"), index=True)
    purchase_id: Mapped[int] = mapped_column(ForeignKey("purchases.id"), index=True)
    returned_on: Mapped[date] = mapped_column()
    taxable: Mapped[int] = mapped_column(BigInteger)
    cgst: Mapped[int] = mapped_column(BigInteger, default=0)
    sgst: Mapped[int] = mapped_column(BigInteger, default=0)
    igst: Mapped[int] = mapped_column(BigInteger, default=0)
    amount: Mapped[int] = mapped_column(BigInteger)
    note: Mapped[str] = mapped_column(String(200), default="")
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    lines: Mapped[list[DebitNoteLine]] = relationship(order_by="DebitNoteLine.id")


class DebitNoteLine(Model):
    """One purchase line's goods sent back, at that line's unit cost and tax rate."""

    __tablename__ = "debit_note_lines"
    __table_args__ = (CheckConstraint("qty_milli > 0", name="ck_debit_note_lines_qty"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    debit_note_id: Mapped[int] = mapped_column(ForeignKey("debit_notes.id"), index=True)
    purchase_line_id: Mapped[int] = mapped_column(ForeignKey("purchase_lines.id"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), index=True)
    qty_milli: Mapped[int] = mapped_column(BigInteger)
    unit_cost: Mapped[int] = mapped_column(BigInteger)
    taxable: Mapped[int] = mapped_column(BigInteger)
    cgst: Mapped[int] = mapped_column(BigInteger, default=0)
    sgst: Mapped[int] = mapped_column(BigInteger, default=0)
    igst: Mapped[int] = mapped_column(BigInteger, default=0)
