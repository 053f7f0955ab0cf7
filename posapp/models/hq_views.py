"""HQ mode's projections: typed tables read by HQ's reports, made from the records shops push.

`hq_records` holds each record's latest version as JSON; reports need sums by shop and day, so
services/hq_projections.py keeps these tables in the push's own transaction (and can rebuild
them from `hq_records`). Every row carries its shop (tenancy); ids are the shop's own, as text.
Money in paise, quantities in thousandths; `day` is the local day of the record's time.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Date, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from posapp.extensions import Model

SHOP_FK = "hq_shops.id"


class HqInvoice(Model):
    """One invoice of one shop with the figures the shop's daily summary takes from it."""

    __tablename__ = "hq_invoices"
    __table_args__ = (Index("ix_hq_invoices_shop_day", "shop_id", "day"),)

    shop_id: Mapped[str] = mapped_column(String(36), ForeignKey(SHOP_FK), primary_key=True)
    invoice_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    number: Mapped[str] = mapped_column(String(32), default="")
    day: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(10), default="paid")
    customer_id: Mapped[str | None] = mapped_column(String(64), default=None)
    total: Mapped[int] = mapped_column(BigInteger, default=0)
    tax: Mapped[int] = mapped_column(BigInteger, default=0)
    discount: Mapped[int] = mapped_column(BigInteger, default=0)
    net: Mapped[int] = mapped_column(BigInteger, default=0)  # the lines' taxable value
    cost: Mapped[int] = mapped_column(BigInteger, default=0)  # cost of goods sold
    # Settled at the sale (as the shop's summary counts them); the rest was left on credit.
    cash: Mapped[int] = mapped_column(BigInteger, default=0)
    card: Mapped[int] = mapped_column(BigInteger, default=0)
    upi: Mapped[int] = mapped_column(BigInteger, default=0)
    paid: Mapped[int] = mapped_column(BigInteger, default=0)  # paid by now (later payments too)


class HqDaily(Model):
    """One shop's local day: its bills' figures and its returns', summed from the two tables
    above (services/hq_projections.refresh_days) so a year of fifty shops is a few thousand
    rows for the dashboard, not millions of bills."""

    __tablename__ = "hq_daily"

    shop_id: Mapped[str] = mapped_column(String(36), ForeignKey(SHOP_FK), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    bills: Mapped[int] = mapped_column(BigInteger, default=0)  # void bills never count
    gross: Mapped[int] = mapped_column(BigInteger, default=0)
    tax: Mapped[int] = mapped_column(BigInteger, default=0)
    net: Mapped[int] = mapped_column(BigInteger, default=0)
    cost: Mapped[int] = mapped_column(BigInteger, default=0)
    paid: Mapped[int] = mapped_column(BigInteger, default=0)
    discount: Mapped[int] = mapped_column(BigInteger, default=0)
    returns: Mapped[int] = mapped_column(BigInteger, default=0)
    returns_tax: Mapped[int] = mapped_column(BigInteger, default=0)
    returns_taxable: Mapped[int] = mapped_column(BigInteger, default=0)
    returns_cost: Mapped[int] = mapped_column(BigInteger, default=0)
    returns_cash: Mapped[int] = mapped_column(BigInteger, default=0)
    returns_credit: Mapped[int] = mapped_column(BigInteger, default=0)


class HqInvoiceTax(Model):
    """An invoice's lines summed per tax rate, with the heads as issued."""

    __tablename__ = "hq_invoice_tax"
    __table_args__ = (Index("ix_hq_invoice_tax_shop_day", "shop_id", "day"),)

    shop_id: Mapped[str] = mapped_column(String(36), ForeignKey(SHOP_FK), primary_key=True)
    invoice_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    rate_bp: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    day: Mapped[date] = mapped_column(Date)
    void: Mapped[bool] = mapped_column(default=False)
    taxable: Mapped[int] = mapped_column(BigInteger, default=0)
    tax: Mapped[int] = mapped_column(BigInteger, default=0)
    cgst: Mapped[int] = mapped_column(BigInteger, default=0)
    sgst: Mapped[int] = mapped_column(BigInteger, default=0)
    igst: Mapped[int] = mapped_column(BigInteger, default=0)
    cess: Mapped[int] = mapped_column(BigInteger, default=0)


class HqCreditNote(Model):
    """A return: what it takes off its own day's figures."""

    __tablename__ = "hq_credit_notes"
    __table_args__ = (Index("ix_hq_credit_notes_shop_day", "shop_id", "day"),)

    shop_id: Mapped[str] = mapped_column(String(36), ForeignKey(SHOP_FK), primary_key=True)
    note_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    number: Mapped[str] = mapped_column(String(32), default="")
    invoice_id: Mapped[str] = mapped_column(String(64), default="")
    day: Mapped[date] = mapped_column(Date)
    total: Mapped[int] = mapped_column(BigInteger, default=0)
    taxable: Mapped[int] = mapped_column(BigInteger, default=0)
    tax: Mapped[int] = mapped_column(BigInteger, default=0)
    cost: Mapped[int] = mapped_column(BigInteger, default=0)  # restocked goods' cost
    cash: Mapped[int] = mapped_column(BigInteger, default=0)  # refunded in cash
    credit: Mapped[int] = mapped_column(BigInteger, default=0)  # off the credit column


class HqCreditNoteTax(Model):
    """A credit note's lines summed per tax rate (the rate of the invoice line returned)."""

    __tablename__ = "hq_credit_note_tax"
    __table_args__ = (Index("ix_hq_credit_note_tax_shop_day", "shop_id", "day"),)

    shop_id: Mapped[str] = mapped_column(String(36), ForeignKey(SHOP_FK), primary_key=True)
    note_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    rate_bp: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    day: Mapped[date] = mapped_column(Date)
    taxable: Mapped[int] = mapped_column(BigInteger, default=0)
    tax: Mapped[int] = mapped_column(BigInteger, default=0)
    cgst: Mapped[int] = mapped_column(BigInteger, default=0)
    sgst: Mapped[int] = mapped_column(BigInteger, default=0)
    igst: Mapped[int] = mapped_column(BigInteger, default=0)
    cess: Mapped[int] = mapped_column(BigInteger, default=0)


class HqLedgerEntry(Model):
    """One khata entry of a customer at a shop (a customer's balance is their sum)."""

    __tablename__ = "hq_ledger"
    __table_args__ = (Index("ix_hq_ledger_shop_customer", "shop_id", "customer_id"),)

    shop_id: Mapped[str] = mapped_column(String(36), ForeignKey(SHOP_FK), primary_key=True)
    entry_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    customer_id: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16), default="")
    amount: Mapped[int] = mapped_column(BigInteger, default=0)
    day: Mapped[date] = mapped_column(Date)


class HqCustomer(Model):
    """A shop's customer; `phone_digits` ties one person's khatas across shops."""

    __tablename__ = "hq_customers"
    __table_args__ = (Index("ix_hq_customers_phone", "phone_digits"),)

    shop_id: Mapped[str] = mapped_column(String(36), ForeignKey(SHOP_FK), primary_key=True)
    customer_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(120), default="")
    phone: Mapped[str] = mapped_column(String(20), default="")
    phone_digits: Mapped[str] = mapped_column(String(20), default="")
    archived: Mapped[bool] = mapped_column(default=False)


class HqStock(Model):
    """A shop's product and its stock on hand (the shop owns its stock figure)."""

    __tablename__ = "hq_stock"
    __table_args__ = (Index("ix_hq_stock_code", "code"),)

    shop_id: Mapped[str] = mapped_column(String(36), ForeignKey(SHOP_FK), primary_key=True)
    product_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    code: Mapped[str] = mapped_column(String(64), default="")
    name: Mapped[str] = mapped_column(String(160), default="")
    unit: Mapped[str] = mapped_column(String(8), default="")
    stock_milli: Mapped[int] = mapped_column(BigInteger, default=0)
    # The shop's own low-stock level for the product (low: stock at or below it, as the shop
    # counts it for its badge).
    low_stock_milli: Mapped[int] = mapped_column(BigInteger, default=0)
    price: Mapped[int] = mapped_column(BigInteger, default=0)
    is_service: Mapped[bool] = mapped_column(default=False)
    archived: Mapped[bool] = mapped_column(default=False)


class HqJournalLine(Model):
    """One line of a journal entry of a shop's books (account by the shop's own id)."""

    __tablename__ = "hq_journal_lines"
    __table_args__ = (Index("ix_hq_journal_lines_shop_day", "shop_id", "day"),)

    shop_id: Mapped[str] = mapped_column(String(36), ForeignKey(SHOP_FK), primary_key=True)
    line_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    entry_id: Mapped[str] = mapped_column(String(64))
    day: Mapped[date] = mapped_column(Date)
    account_id: Mapped[str] = mapped_column(String(64))
    debit: Mapped[int] = mapped_column(BigInteger, default=0)
    credit: Mapped[int] = mapped_column(BigInteger, default=0)


class HqAudit(Model):
    """One entry of a shop's audit log, for the audit across shops."""

    __tablename__ = "hq_audit"
    __table_args__ = (Index("ix_hq_audit_created", "created_at"),)

    shop_id: Mapped[str] = mapped_column(String(36), ForeignKey(SHOP_FK), primary_key=True)
    audit_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    created_at: Mapped[datetime] = mapped_column()
    user_id: Mapped[str | None] = mapped_column(String(64), default=None)
    action: Mapped[str] = mapped_column(String(64), default="")
    entity: Mapped[str] = mapped_column(String(32), default="")
    entity_id: Mapped[str | None] = mapped_column(String(64), default=None)


PROJECTIONS = (
    HqInvoice,
    HqDaily,
    HqInvoiceTax,
    HqCreditNote,
    HqCreditNoteTax,
    HqLedgerEntry,
    HqCustomer,
    HqStock,
    HqJournalLine,
    HqAudit,
)
