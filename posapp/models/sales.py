"""Invoices, their lines and payments, and the gapless document counters."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import BigInteger, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from posapp.extensions import Model
from posapp.models.base import utcnow
from posapp.models.users import User

if TYPE_CHECKING:
    from posapp.models.customers import Customer, PaymentAllocation
    from posapp.models.returns import CreditNote

INVOICE_STATUSES = ("paid", "partial", "unpaid", "void", "returned")
PAYMENT_METHODS = ("cash", "card", "upi", "credit")


class DocumentCounter(Model):
    """The last number used per document kind and financial year (gapless numbering)."""

    __tablename__ = "document_counters"

    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    fy: Mapped[int] = mapped_column(primary_key=True)
    last: Mapped[int] = mapped_column(default=0)


class Invoice(Model):
    """A completed sale with its totals (minor units) and status."""

    __tablename__ = "invoices"
    __table_args__ = (
        UniqueConstraint("fy", "seq", name="uq_invoices_fy_seq"),
        # Every date range reads this; with the status in it (and the id, SQLite's rowid)
        # the reports pick a range's bills without touching the table.
        Index("ix_invoices_created_at_status", "created_at", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    fy: Mapped[int] = mapped_column()
    seq: Mapped[int] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    cashier_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    customer_id: Mapped[int | None] = mapped_column(
        ForeignKey("customers.id", name="fk_invoices_customer_id"), default=None, index=True
    )
    prices_include_tax: Mapped[bool] = mapped_column(default=True)
    subtotal: Mapped[int] = mapped_column(BigInteger)
    discount_total: Mapped[int] = mapped_column(BigInteger, default=0)
    bill_discount: Mapped[int] = mapped_column(BigInteger, default=0)
    tax_total: Mapped[int] = mapped_column(BigInteger, default=0)
    round_off: Mapped[int] = mapped_column(BigInteger, default=0)
    total: Mapped[int] = mapped_column(BigInteger)
    paid: Mapped[int] = mapped_column(BigInteger, default=0)
    tendered: Mapped[int] = mapped_column(BigInteger, default=0)
    change: Mapped[int] = mapped_column(BigInteger, default=0)
    status: Mapped[str] = mapped_column(String(10), default="paid", index=True)
    note: Mapped[str] = mapped_column(String(500), default="")
    # The sum of this invoice's credit notes: what was taken back (lines and round-off).
    returned_total: Mapped[int] = mapped_column(BigInteger, default=0)
    voided_at: Mapped[datetime | None] = mapped_column(default=None)
    voided_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", name="fk_invoices_voided_by_id"), default=None
    )
    void_reason: Mapped[str] = mapped_column(String(200), default="")
    # The cashier's open drawer session at the sale (null: sold outside any session).
    cash_session_id: Mapped[int | None] = mapped_column(
        ForeignKey("cash_sessions.id", name="fk_invoices_cash_session_id"), default=None, index=True
    )
    # How the tax was charged: "cgst_sgst" (intra-state), "igst" (inter-state) or "none" (a bill
    # of supply: composition scheme or unregistered shop). place_of_supply is the two-digit GST
    # state code of where the supply was made ("" when the shop's state was not set).
    tax_split: Mapped[str] = mapped_column(
        String(10), default="cgst_sgst", server_default="cgst_sgst"
    )
    place_of_supply: Mapped[str] = mapped_column(String(2), default="", server_default="")
    # 1: rows issued before the halves were stored per line (a rate row's odd paisa went to
    # CGST); 2: each line's CGST and SGST are stored, equal, and summed as they are.
    tax_rule: Mapped[int] = mapped_column(default=2, server_default="1")
    # What the document was issued with (seller, buyer, title, layout, logo), as JSON text;
    # every reprint, PDF and API read shows this, never today's settings.
    issued_as: Mapped[str | None] = mapped_column(Text, default=None)

    cashier: Mapped[User] = relationship(foreign_keys=[cashier_id])
    voided_by: Mapped[User | None] = relationship(foreign_keys=[voided_by_id])
    customer: Mapped[Customer | None] = relationship(lazy="joined")
    lines: Mapped[list[InvoiceLine]] = relationship(
        back_populates="invoice", order_by="InvoiceLine.position"
    )
    payments: Mapped[list[Payment]] = relationship(back_populates="invoice", order_by="Payment.id")
    allocations: Mapped[list[PaymentAllocation]] = relationship(
        order_by="PaymentAllocation.id", viewonly=True
    )
    credit_notes: Mapped[list[CreditNote]] = relationship(
        back_populates="invoice", order_by="CreditNote.id"
    )

    @property
    def net_total(self) -> int:
        """What the customer pays for what they kept: the total less its credit notes."""
        return self.total - self.returned_total

    @property
    def balance_due(self) -> int:
        return 0 if self.status == "void" else self.net_total - self.paid


class InvoiceLine(Model):
    """A line of an invoice: a snapshot of the product as sold, with its pricing."""

    __tablename__ = "invoice_lines"
    # Covering index for the line reports (product, category, tax, HSN, GSTR-1): a year of
    # lines is read from it alone, in invoice order; it also serves "the lines of invoice N".
    __table_args__ = (
        Index(
            "ix_invoice_lines_report",
            "invoice_id",
            "tax_rate_bp",
            "product_id",
            "qty_milli",
            "total",
            "taxable",
            "tax",
            "unit_cost",
            "hsn",
            "unit",
            "cgst",
            "sgst",
            "igst",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id"))
    position: Mapped[int] = mapped_column()
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), index=True)
    code: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(160))
    unit: Mapped[str] = mapped_column(String(8))
    hsn: Mapped[str] = mapped_column(String(16), default="")
    unit_price: Mapped[int] = mapped_column(BigInteger)
    qty_milli: Mapped[int] = mapped_column(BigInteger)
    gross: Mapped[int] = mapped_column(BigInteger)
    line_discount: Mapped[int] = mapped_column(BigInteger, default=0)
    bill_discount_share: Mapped[int] = mapped_column(BigInteger, default=0)
    tax_rate_bp: Mapped[int] = mapped_column()
    taxable: Mapped[int] = mapped_column(BigInteger)
    tax: Mapped[int] = mapped_column(BigInteger)
    # tax = cgst + sgst + igst + cess; on an intra-state line cgst == sgst (tax_rule 2).
    cgst: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    sgst: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    igst: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    cess: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    total: Mapped[int] = mapped_column(BigInteger)
    unit_cost: Mapped[int] = mapped_column(BigInteger, default=0)

    invoice: Mapped[Invoice] = relationship(back_populates="lines")

    @property
    def discount(self) -> int:
        return self.line_discount + self.bill_discount_share


class Payment(Model):
    """Money received: at the till for an invoice (after change), or on a customer's account.

    Account payments have no invoice; their PaymentAllocation rows say which invoices they
    settle, and whatever is not allocated is the customer's advance.
    """

    __tablename__ = "payments"
    # The invoice list's "paid by" filter reads this index only.
    __table_args__ = (Index("ix_payments_method_invoice", "method", "invoice_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int | None] = mapped_column(ForeignKey("invoices.id"), index=True)
    customer_id: Mapped[int | None] = mapped_column(
        ForeignKey("customers.id", name="fk_payments_customer_id"), default=None, index=True
    )
    method: Mapped[str] = mapped_column(String(8))
    amount: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    note: Mapped[str] = mapped_column(String(200), default="")
    # What the cashier typed when the money arrived (a UPI payment's 12-digit UTR, a card
    # slip's reference), and the `tr` the till's UPI QR carried: the shop's UPI statement
    # repeats it, so a payment can be matched to its bill (docs/DESIGN.md "UPI").
    reference: Mapped[str] = mapped_column(String(35), default="", server_default="")
    upi_tr: Mapped[str] = mapped_column(String(35), default="", server_default="")
    # Set on refund records of a credit note (negative amounts, or store credit on account).
    credit_note_id: Mapped[int | None] = mapped_column(
        ForeignKey("credit_notes.id", name="fk_payments_credit_note_id"), default=None, index=True
    )
    # The receiving user's open drawer session (till payments, refunds, account payments).
    cash_session_id: Mapped[int | None] = mapped_column(
        ForeignKey("cash_sessions.id", name="fk_payments_cash_session_id"), default=None, index=True
    )

    invoice: Mapped[Invoice | None] = relationship(back_populates="payments")
