"""The books: a chart of accounts, an immutable double-entry journal, and per-day totals.

Every event that moves money or stock posts one balanced `JournalEntry` in the same
transaction as the event (services/books.py). Lines name one account and, on the control
accounts, the customer or supplier whose sub-ledger they belong to. `AccountDay` keeps each
account's debits and credits per business day, maintained with every posting, so a trial
balance or balance sheet at any date sums a few thousand rows, not every journal line.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Date, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from posapp.extensions import Model
from posapp.models.base import utcnow

# The five kinds of the balance sheet and P&L, and the control kinds (each also an asset or
# a liability, named so the books know where the khata, stock and cash live).
ACCOUNT_KINDS = (
    "asset",
    "liability",
    "equity",
    "income",
    "expense",
    "cash",
    "bank",
    "receivable",
    "inventory",
    "payable",
)
# Kinds whose normal balance is a debit (assets and expenses); the rest are credit-normal.
DEBIT_KINDS = frozenset({"asset", "expense", "cash", "bank", "receivable", "inventory"})
# Where each kind sits in the statements.
BALANCE_SHEET_KINDS = frozenset(ACCOUNT_KINDS) - {"income", "expense"}

# What posted an entry: `source_kind` + `source_id` lead back to the event's own row.
SOURCE_KINDS = (
    "sale",  # invoices.id
    "void",  # invoices.id (reverses the sale)
    "return",  # credit_notes.id
    "payment",  # payments.id (a customer's payment on account, or a refund)
    "ledger",  # ledger_entries.id (opening balance, adjustment of a customer's dues)
    "purchase",  # purchases.id
    "supplier_payment",  # supplier_payments.id
    "supplier_opening",  # suppliers.id
    "debit_note",  # debit_notes.id
    "expense",  # expenses.id
    "stock",  # stock_movements.id (opening stock, damage, loss, count, revaluation)
    "cash_move",  # cash_movements.id (pay-in, pay-out)
    "over_short",  # cash_sessions.id
    "manual",  # none: an admin's entry
    "reversal",  # journal_entries.id of the entry it reverses
    "history",  # none: posted once when the books were first opened on an existing shop
)


class Account(Model):
    """One account of the chart. Never deleted once it has entries; renaming keeps its code."""

    __tablename__ = "accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(12))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"), default=None)
    # The stable name posting code uses for a standard account ("cash", "sales", ...);
    # NULL for accounts the admin adds.
    system_key: Mapped[str | None] = mapped_column(String(32), unique=True, default=None)
    # Bank accounts: the payment methods that settle into this account ("card,upi").
    methods: Mapped[str] = mapped_column(String(40), default="", server_default="")
    archived: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    parent: Mapped[Account | None] = relationship(remote_side=[id])


class JournalEntry(Model):
    """One balanced, immutable entry: corrections are reversing entries, never edits."""

    __tablename__ = "journal_entries"
    __table_args__ = (
        Index("ix_journal_entries_source", "source_kind", "source_id"),
        Index("ix_journal_entries_day", "day", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # The shop's local business day the entry belongs to.
    day: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    source_kind: Mapped[str] = mapped_column(String(20))
    source_id: Mapped[int | None] = mapped_column(default=None)
    # The document's own number where it has one (INV/…, CN/…, PUR/…), for day book and Tally.
    reference: Mapped[str] = mapped_column(String(64), default="")
    narration: Mapped[str] = mapped_column(String(300), default="")
    reverses_id: Mapped[int | None] = mapped_column(
        ForeignKey("journal_entries.id"), default=None, index=True
    )
    # The cash session whose drawer the entry's cash lines moved (cash check per session).
    cash_session_id: Mapped[int | None] = mapped_column(
        ForeignKey("cash_sessions.id"), default=None, index=True
    )
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)

    lines: Mapped[list[JournalLine]] = relationship(
        back_populates="entry", order_by="JournalLine.id"
    )


class JournalLine(Model):
    """One debit or credit of an entry (exactly one of the two is non-zero)."""

    __tablename__ = "journal_lines"
    __table_args__ = (
        Index("ix_journal_lines_account", "account_id", "entry_id"),
        Index("ix_journal_lines_customer", "customer_id"),
        Index("ix_journal_lines_supplier", "supplier_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("journal_entries.id"), index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    debit: Mapped[int] = mapped_column(BigInteger, default=0)
    credit: Mapped[int] = mapped_column(BigInteger, default=0)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"), default=None)
    supplier_id: Mapped[int | None] = mapped_column(ForeignKey("suppliers.id"), default=None)

    entry: Mapped[JournalEntry] = relationship(back_populates="lines")
    account: Mapped[Account] = relationship()


class AccountDay(Model):
    """An account's debits and credits of one business day, kept with every posting."""

    __tablename__ = "account_days"

    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    debit: Mapped[int] = mapped_column(BigInteger, default=0)
    credit: Mapped[int] = mapped_column(BigInteger, default=0)
