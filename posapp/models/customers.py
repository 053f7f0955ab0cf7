"""Customers, their immutable credit ledger (khata) and how payments are allocated to invoices."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, String, Text, event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from posapp.extensions import Model
from posapp.models.base import utcnow
from posapp.models.sales import Invoice, Payment

LEDGER_KINDS = ("opening", "credit_sale", "payment", "return", "adjustment", "void")


class Customer(Model):
    """Someone the shop knows by phone; credit limit in minor units (None = no limit, 0 = none)."""

    __tablename__ = "customers"
    __table_args__ = (CheckConstraint("credit_limit >= 0", name="ck_customers_credit_limit"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), index=True)
    # E.164 (+919876543210): one spelling per number, so the unique index catches duplicates.
    phone: Mapped[str] = mapped_column(String(20), unique=True)
    # The same number as bare digits (919876543210) for partial-digit search.
    phone_digits: Mapped[str] = mapped_column(String(20), index=True)
    email: Mapped[str] = mapped_column(String(120), default="")
    address: Mapped[str] = mapped_column(String(300), default="")
    # A registered business customer: GSTIN (15 characters, checked), legal name as registered,
    # and the two-digit GST state code that decides the place of supply ("" = the shop's state).
    gstin: Mapped[str] = mapped_column(String(15), default="", server_default="", index=True)
    legal_name: Mapped[str] = mapped_column(String(120), default="", server_default="")
    state_code: Mapped[str] = mapped_column(String(2), default="", server_default="")
    # The language of reminders and order texts sent to them ("" = the shop's documents').
    language: Mapped[str] = mapped_column(String(12), default="", server_default="")
    notes: Mapped[str] = mapped_column(Text, default="")
    # None: no limit; 0: no credit allowed; N: the balance may reach N (docs/DESIGN.md).
    credit_limit: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    archived: Mapped[bool] = mapped_column(default=False, index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow, index=True)


class LedgerEntry(Model):
    """One immutable line of a customer's ledger; positive = the customer owes more.

    The balance is never stored: it is the sum of these entries (an indexed SUM).
    """

    __tablename__ = "ledger_entries"
    __table_args__ = (
        # Covering: balances, running balances and FIFO aging are answered from the index.
        Index("ix_ledger_entries_customer_cover", "customer_id", "id", "amount", "created_at"),
        CheckConstraint(
            "kind IN ('opening', 'credit_sale', 'payment', 'return', 'adjustment', 'void')",
            name="ck_ledger_entries_kind",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    kind: Mapped[str] = mapped_column(String(16))
    amount: Mapped[int] = mapped_column(BigInteger)
    invoice_id: Mapped[int | None] = mapped_column(
        ForeignKey("invoices.id"), default=None, index=True
    )
    payment_id: Mapped[int | None] = mapped_column(
        ForeignKey("payments.id"), default=None, index=True
    )
    note: Mapped[str] = mapped_column(String(200), default="")
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class PaymentAllocation(Model):
    """The part of an account payment (or advance) that settles one invoice."""

    __tablename__ = "payment_allocations"
    __table_args__ = (CheckConstraint("amount > 0", name="ck_payment_allocations_amount"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    payment_id: Mapped[int] = mapped_column(ForeignKey("payments.id"), index=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id"), index=True)
    amount: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    payment: Mapped[Payment] = relationship(lazy="joined")
    invoice: Mapped[Invoice] = relationship(viewonly=True)


@event.listens_for(LedgerEntry, "before_update")
@event.listens_for(LedgerEntry, "before_delete")
def _ledger_is_append_only(_mapper: Any, _connection: Any, target: LedgerEntry) -> None:
    """Refuse to change or delete a ledger entry: corrections are new entries."""
    raise RuntimeError(f"ledger entry {target.id} is immutable; add an adjustment instead")
