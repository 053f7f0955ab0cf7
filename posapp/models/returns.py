"""Credit notes: returns against an invoice and their lines."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from posapp.extensions import Model
from posapp.models.base import utcnow
from posapp.models.customers import Customer
from posapp.models.sales import Invoice, InvoiceLine
from posapp.models.users import User

REFUND_METHODS = ("cash", "credit")


class CreditNote(Model):
    """A return against an invoice: what came back, what it was worth, where the money went.

    `total = Σ line totals + round_off` (the invoice's round-off comes back with the note that
    completes a full return). Of the total, `applied` reduced what the customer still owed on
    the invoice and `refund` went back to them (cash, or credit on their account).
    """

    __tablename__ = "credit_notes"
    __table_args__ = (
        UniqueConstraint("fy", "seq", name="uq_credit_notes_fy_seq"),
        CheckConstraint("refund_method IN ('cash', 'credit')", name="ck_credit_notes_refund"),
        CheckConstraint("applied >= 0 AND refund >= 0", name="ck_credit_notes_split"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    fy: Mapped[int] = mapped_column()
    seq: Mapped[int] = mapped_column()
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id"), index=True)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"), default=None)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    restock: Mapped[bool] = mapped_column(default=True)
    refund_method: Mapped[str] = mapped_column(String(8))
    taxable_total: Mapped[int] = mapped_column(BigInteger, default=0)
    tax_total: Mapped[int] = mapped_column(BigInteger, default=0)
    round_off: Mapped[int] = mapped_column(BigInteger, default=0)
    total: Mapped[int] = mapped_column(BigInteger)
    applied: Mapped[int] = mapped_column(BigInteger, default=0)
    refund: Mapped[int] = mapped_column(BigInteger, default=0)
    reason: Mapped[str] = mapped_column(String(200), default="")
    cash_session_id: Mapped[int | None] = mapped_column(
        ForeignKey("cash_sessions.id", name="fk_credit_notes_cash_session_id"),
        default=None,
        index=True,
    )
    # As on invoices (models/sales.py): the split, the place of supply, the halves rule and
    # the issued snapshot.
    tax_split: Mapped[str] = mapped_column(
        String(10), default="cgst_sgst", server_default="cgst_sgst"
    )
    place_of_supply: Mapped[str] = mapped_column(String(2), default="", server_default="")
    tax_rule: Mapped[int] = mapped_column(default=2, server_default="1")
    issued_as: Mapped[str | None] = mapped_column(Text, default=None)

    invoice: Mapped[Invoice] = relationship(back_populates="credit_notes")
    customer: Mapped[Customer | None] = relationship()
    user: Mapped[User] = relationship()
    lines: Mapped[list[CreditNoteLine]] = relationship(
        back_populates="credit_note", order_by="CreditNoteLine.position"
    )


class CreditNoteLine(Model):
    """One returned line: a quantity of an invoice line and its pro-rata share of the amounts."""

    __tablename__ = "credit_note_lines"
    __table_args__ = (CheckConstraint("qty_milli > 0", name="ck_credit_note_lines_qty"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    credit_note_id: Mapped[int] = mapped_column(ForeignKey("credit_notes.id"), index=True)
    invoice_line_id: Mapped[int] = mapped_column(ForeignKey("invoice_lines.id"), index=True)
    position: Mapped[int] = mapped_column()
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"))
    qty_milli: Mapped[int] = mapped_column(BigInteger)
    taxable: Mapped[int] = mapped_column(BigInteger)
    tax: Mapped[int] = mapped_column(BigInteger)
    cgst: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    sgst: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    igst: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    cess: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    total: Mapped[int] = mapped_column(BigInteger)

    credit_note: Mapped[CreditNote] = relationship(back_populates="lines")
    invoice_line: Mapped[InvoiceLine] = relationship(lazy="joined")

    @property
    def tax_rate_bp(self) -> int:
        return self.invoice_line.tax_rate_bp
