"""CSV exports of every table, and "Export everything": a dated folder (or ZIP) of them all.

One writer for every CSV the app makes: UTF-8 with a BOM (Excel then reads ₹ and accents),
ISO 8601 dates and times with the local offset, plain decimal amounts (`1234.50`), and every
cell neutralised against formula injection. Report CSVs go through the same `csv_io.csv_text`.

"Export everything" also writes the same tables as one .xlsx workbook (services/workbook.py):
a README sheet explaining every column (`COLUMN_NOTES`), then one sheet per table in `TABLES`
order, masters first, then documents, then the books.
"""

from __future__ import annotations

import contextlib
import io
import shutil
import tempfile
import zipfile
from collections.abc import Callable, Iterable, Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from posapp.errors import ValidationError
from posapp.i18n import LazyString, _, lazy
from posapp.models import (
    Account,
    CashMovement,
    CashSession,
    CreditNote,
    CreditNoteLine,
    Customer,
    DebitNote,
    DebitNoteLine,
    Expense,
    Invoice,
    InvoiceLine,
    JournalEntry,
    JournalLine,
    LedgerEntry,
    Order,
    OrderLine,
    Payment,
    PaymentAllocation,
    Product,
    Purchase,
    PurchaseLine,
    StockMovement,
    Supplier,
    SupplierAllocation,
    SupplierPayment,
    User,
)
from posapp.models.base import to_local, utcnow, write_transaction
from posapp.money import money_str, percent_str, qty_str
from posapp.services import audit, catalog_csv
from posapp.services.csv_io import csv_text, safe_rows
from posapp.services.ledger import balances as customer_balances
from posapp.services.settings import load_settings
from posapp.services.suppliers import balances as supplier_balances
from posapp.services.workbook import Book

Rows = Iterator[list[str]]
NO_LIMIT = "no limit"  # a customer's credit limit when there is none
BATCH = 5000


def when(moment: datetime | None) -> str:
    """A stored UTC time as local ISO 8601 with its offset (empty for none)."""
    return to_local(moment).isoformat(timespec="seconds") if moment else ""


def day(value: date | None) -> str:
    """A calendar date as ISO 8601 (empty for none)."""
    return value.isoformat() if value else ""


def _stream(session: Session, stmt: Any) -> Iterator[Any]:
    return iter(session.execute(stmt.execution_options(yield_per=BATCH)))


def _pages(session: Session, model: Any) -> Iterator[list[Any]]:
    """Every row of a table in id order, a page at a time.

    No cursor stays open between pages, so each page's own look-ups (balances) can run on the
    same connection on every backend (MariaDB's streamed results allow no second query).
    """
    last = 0
    while page := list(
        session.scalars(select(model).where(model.id > last).order_by(model.id).limit(BATCH))
    ):
        yield page
        last = page[-1].id


def _usernames(session: Session) -> dict[int | None, str]:
    """Every user's name by id (a handful of rows), so a table names its users without joins."""
    names: dict[int | None, str] = {None: ""}
    names.update((uid, name) for uid, name in session.execute(select(User.id, User.username)))
    return names


def customers(session: Session) -> Rows:
    """Every customer (archived too): credit limit, GST identity, balance and notes."""
    yield [
        "id",
        "name",
        "phone",
        "email",
        "address",
        "credit_limit",
        "archived",
        "created_at",
        "gstin",
        "legal_name",
        "state_code",
        "balance",
        "notes",
    ]
    for page in _pages(session, Customer):
        owed = customer_balances(session, [c.id for c in page])
        yield from safe_rows(
            # "no limit" in words (the import reads it back; an empty cell there means the
            # shop's limit for new customers); 0.00 is "no credit allowed".
            [c.id, c.name, c.phone, c.email, c.address,
             NO_LIMIT if c.credit_limit is None else money_str(c.credit_limit),
             "yes" if c.archived else "no", when(c.created_at), c.gstin, c.legal_name,
             c.state_code, money_str(owed[c.id]), c.notes]
            for c in page
        )  # fmt: skip


def suppliers(session: Session) -> Rows:
    """Every supplier (archived too): terms, opening balance and what the shop owes them now."""
    yield ["id", "name", "phone", "gstin", "state_code", "address", "credit_days",
           "opening_balance", "opening_date", "balance", "archived", "created_at"]  # fmt: skip
    for page in _pages(session, Supplier):
        owed = supplier_balances(session, [s.id for s in page])
        yield from safe_rows(
            [s.id, s.name, s.phone, s.gstin, s.state_code, s.address, s.credit_days,
             money_str(s.opening_balance), day(s.opening_date), money_str(owed[s.id]),
             "yes" if s.archived else "no", when(s.created_at)]
            for s in page
        )  # fmt: skip


def invoices(session: Session) -> Rows:
    """Every invoice with its totals, cashier and customer."""
    yield ["id", "number", "created_at", "cashier", "customer_id", "status", "subtotal",
           "discount", "tax", "round_off", "total", "paid", "tendered", "change",
           "prices_include_tax", "note"]  # fmt: skip
    stmt = select(Invoice, User.username).join(User, User.id == Invoice.cashier_id)
    yield from safe_rows(
        [i.id, i.number, when(i.created_at), who, i.customer_id, i.status,
         money_str(i.subtotal), money_str(i.discount_total), money_str(i.tax_total),
         money_str(i.round_off), money_str(i.total), money_str(i.paid), money_str(i.tendered),
         money_str(i.change), "yes" if i.prices_include_tax else "no", i.note]
        for i, who in _stream(session, stmt.order_by(Invoice.id))
    )  # fmt: skip


def invoice_lines(session: Session) -> Rows:
    """Every invoice line: the product as sold, pricing, tax and the cost snapshot."""
    yield ["id", "invoice_id", "invoice_number", "position", "product_id", "code", "name",
           "hsn", "unit", "quantity", "unit_price", "gross", "line_discount",
           "bill_discount_share", "tax_rate", "taxable", "tax", "total", "unit_cost"]  # fmt: skip
    stmt = select(InvoiceLine, Invoice.number).join(Invoice, Invoice.id == InvoiceLine.invoice_id)
    yield from safe_rows(
        [ln.id, ln.invoice_id, number, ln.position, ln.product_id, ln.code, ln.name, ln.hsn,
         ln.unit, qty_str(ln.qty_milli, ln.unit), money_str(ln.unit_price), money_str(ln.gross),
         money_str(ln.line_discount), money_str(ln.bill_discount_share),
         percent_str(ln.tax_rate_bp), money_str(ln.taxable), money_str(ln.tax),
         money_str(ln.total), money_str(ln.unit_cost)]
        for ln, number in _stream(session, stmt.order_by(InvoiceLine.id))
    )  # fmt: skip


def payments(session: Session) -> Rows:
    """Every payment: at the till (invoice) or on a customer's account."""
    yield ["id", "created_at", "invoice_id", "customer_id", "method", "amount", "user", "note"]
    stmt = select(Payment, User.username).outerjoin(User, User.id == Payment.user_id)
    yield from safe_rows(
        [p.id, when(p.created_at), p.invoice_id, p.customer_id, p.method, money_str(p.amount),
         who, p.note]
        for p, who in _stream(session, stmt.order_by(Payment.id))
    )  # fmt: skip


def allocations(session: Session) -> Rows:
    """Which invoices each account payment settled."""
    yield ["id", "created_at", "payment_id", "invoice_id", "amount"]
    yield from safe_rows(
        [a.id, when(a.created_at), a.payment_id, a.invoice_id, money_str(a.amount)]
        for (a,) in _stream(session, select(PaymentAllocation).order_by(PaymentAllocation.id))
    )


def ledger(session: Session) -> Rows:
    """The customer ledger (positive = the customer owes more)."""
    yield ["id", "created_at", "customer_id", "kind", "amount", "invoice_id", "payment_id",
           "note"]  # fmt: skip
    yield from safe_rows(
        [e.id, when(e.created_at), e.customer_id, e.kind, money_str(e.amount), e.invoice_id,
         e.payment_id, e.note]
        for (e,) in _stream(session, select(LedgerEntry).order_by(LedgerEntry.id))
    )  # fmt: skip


def movements(session: Session) -> Rows:
    """Every stock movement."""
    yield ["id", "created_at", "product_id", "code", "reason", "change", "unit", "unit_cost",
           "ref", "note", "user"]  # fmt: skip
    stmt = (
        select(StockMovement, Product.code, Product.unit, User.username)
        .join(Product, Product.id == StockMovement.product_id)
        .outerjoin(User, User.id == StockMovement.user_id)
        .order_by(StockMovement.id)
    )
    yield from safe_rows(
        [m.id, when(m.created_at), m.product_id, code, m.reason, qty_str(m.delta_milli, unit),
         unit, money_str(m.unit_cost) if m.unit_cost is not None else "", m.ref, m.note, who]
        for m, code, unit, who in _stream(session, stmt)
    )  # fmt: skip


def expenses(session: Session) -> Rows:
    """Every expense entered."""
    yield ["id", "date", "category", "amount", "note", "user_id", "created_at"]
    yield from safe_rows(
        [e.id, e.day.isoformat(), e.category, money_str(e.amount), e.note, e.user_id,
         when(e.created_at)]
        for (e,) in _stream(session, select(Expense).order_by(Expense.id))
    )  # fmt: skip


def credit_notes(session: Session) -> Rows:
    """Every credit note (a return against an invoice) and where its money went."""
    yield ["id", "number", "created_at", "invoice_id", "invoice_number", "customer_id", "user",
           "restock", "refund_method", "taxable", "tax", "round_off", "total", "applied",
           "refund", "reason", "cash_session_id", "tax_split", "place_of_supply"]  # fmt: skip
    users = _usernames(session)
    stmt = select(CreditNote, Invoice.number).join(Invoice, Invoice.id == CreditNote.invoice_id)
    yield from safe_rows(
        [n.id, n.number, when(n.created_at), n.invoice_id, number, n.customer_id,
         users.get(n.user_id, ""), "yes" if n.restock else "no", n.refund_method,
         money_str(n.taxable_total), money_str(n.tax_total), money_str(n.round_off),
         money_str(n.total), money_str(n.applied), money_str(n.refund), n.reason,
         n.cash_session_id, n.tax_split, n.place_of_supply]
        for n, number in _stream(session, stmt.order_by(CreditNote.id))
    )  # fmt: skip


def credit_note_lines(session: Session) -> Rows:
    """Every returned line: which invoice line, how much came back and its share of the tax."""
    yield ["id", "credit_note_id", "position", "invoice_line_id", "product_id", "code", "name",
           "quantity", "unit", "tax_rate", "taxable", "tax", "cgst", "sgst", "igst", "cess",
           "total"]  # fmt: skip
    stmt = select(
        CreditNoteLine, InvoiceLine.code, InvoiceLine.name, InvoiceLine.unit,
        InvoiceLine.tax_rate_bp,
    ).join(InvoiceLine, InvoiceLine.id == CreditNoteLine.invoice_line_id)  # fmt: skip
    yield from safe_rows(
        [ln.id, ln.credit_note_id, ln.position, ln.invoice_line_id, ln.product_id, code, name,
         qty_str(ln.qty_milli, unit), unit, percent_str(rate), money_str(ln.taxable),
         money_str(ln.tax), money_str(ln.cgst), money_str(ln.sgst), money_str(ln.igst),
         money_str(ln.cess), money_str(ln.total)]
        for ln, code, name, unit, rate in _stream(session, stmt.order_by(CreditNoteLine.id))
    )  # fmt: skip


def orders(session: Session) -> Rows:
    """Every order for pickup or delivery, where it stands and the invoice it became."""
    yield ["id", "number", "created_at", "customer_id", "status", "fulfilment", "address",
           "slot_date", "slot", "delivery_charge", "estimate", "payment_plan",
           "advance_payment_id", "invoice_id", "source", "note", "cancel_reason", "user",
           "updated_at", "delivered_at", "cancelled_at"]  # fmt: skip
    users = _usernames(session)
    yield from safe_rows(
        [o.id, o.number, when(o.created_at), o.customer_id, o.status, o.fulfilment, o.address,
         day(o.slot_date), o.slot, money_str(o.delivery_charge), money_str(o.estimate),
         o.payment_plan, o.advance_payment_id, o.invoice_id, o.source, o.note, o.cancel_reason,
         users.get(o.created_by, ""), when(o.updated_at), when(o.delivered_at),
         when(o.cancelled_at)]
        for (o,) in _stream(session, select(Order).order_by(Order.id))
    )  # fmt: skip


def order_lines(session: Session) -> Rows:
    """Every line of every order: the product as ordered and the stock it holds reserved."""
    yield ["id", "order_id", "order_number", "position", "product_id", "code", "name",
           "quantity", "unit", "discount", "reserved"]  # fmt: skip
    stmt = (
        select(OrderLine, Order.number, Product.code, Product.unit)
        .join(Order, Order.id == OrderLine.order_id)
        .join(Product, Product.id == OrderLine.product_id)
        .order_by(OrderLine.id)
    )
    yield from safe_rows(
        [ln.id, ln.order_id, number, ln.position, ln.product_id, code, ln.name,
         qty_str(ln.qty_milli, unit), unit, money_str(ln.discount),
         qty_str(ln.reserved_milli, unit)]
        for ln, number, code, unit in _stream(session, stmt)
    )  # fmt: skip


def purchases(session: Session) -> Rows:
    """Every stock receipt (purchase bill) with its payment terms and what is paid of it."""
    yield ["id", "number", "created_at", "supplier_id", "supplier", "supplier_gstin",
           "supplier_state", "reference", "bill_date", "due_date", "taxable", "payable",
           "paid_now", "paid_method", "paid", "returned", "note", "user"]  # fmt: skip
    users = _usernames(session)
    yield from safe_rows(
        [p.id, p.number, when(p.created_at), p.supplier_id, p.supplier, p.supplier_gstin,
         p.supplier_state, p.reference, day(p.bill_date), day(p.due_date), money_str(p.total),
         money_str(p.payable), money_str(p.paid_now), p.paid_method, money_str(p.paid),
         money_str(p.returned), p.note, users.get(p.user_id, "")]
        for (p,) in _stream(session, select(Purchase).order_by(Purchase.id))
    )  # fmt: skip


def purchase_lines(session: Session) -> Rows:
    """Every product received on a purchase: quantity, cost, input tax, expiry and batch."""
    yield ["id", "purchase_id", "purchase_number", "product_id", "code", "quantity", "unit",
           "unit_cost", "tax_rate", "taxable", "cgst", "sgst", "igst", "cess", "expiry_date",
           "batch"]  # fmt: skip
    stmt = (
        select(PurchaseLine, Purchase.number, Product.code, Product.unit)
        .join(Purchase, Purchase.id == PurchaseLine.purchase_id)
        .join(Product, Product.id == PurchaseLine.product_id)
        .order_by(PurchaseLine.id)
    )
    yield from safe_rows(
        [ln.id, ln.purchase_id, number, ln.product_id, code, qty_str(ln.qty_milli, unit), unit,
         money_str(ln.unit_cost), percent_str(ln.tax_rate_bp), money_str(ln.taxable),
         money_str(ln.cgst), money_str(ln.sgst), money_str(ln.igst), money_str(ln.cess),
         day(ln.expiry_date), ln.batch]
        for ln, number, code, unit in _stream(session, stmt)
    )  # fmt: skip


def debit_notes(session: Session) -> Rows:
    """Every debit note: goods sent back to a supplier against one purchase bill."""
    yield ["id", "number", "returned_on", "supplier_id", "purchase_id", "taxable", "cgst",
           "sgst", "igst", "amount", "note", "user", "created_at"]  # fmt: skip
    users = _usernames(session)
    yield from safe_rows(
        [n.id, n.number, day(n.returned_on), n.supplier_id, n.purchase_id, money_str(n.taxable),
         money_str(n.cgst), money_str(n.sgst), money_str(n.igst), money_str(n.amount), n.note,
         users.get(n.user_id, ""), when(n.created_at)]
        for (n,) in _stream(session, select(DebitNote).order_by(DebitNote.id))
    )  # fmt: skip


def debit_note_lines(session: Session) -> Rows:
    """Every line sent back: the purchase line, quantity, its unit cost and the tax on it."""
    yield ["id", "debit_note_id", "purchase_line_id", "product_id", "code", "quantity", "unit",
           "unit_cost", "taxable", "cgst", "sgst", "igst"]  # fmt: skip
    stmt = (
        select(DebitNoteLine, Product.code, Product.unit)
        .join(Product, Product.id == DebitNoteLine.product_id)
        .order_by(DebitNoteLine.id)
    )
    yield from safe_rows(
        [ln.id, ln.debit_note_id, ln.purchase_line_id, ln.product_id, code,
         qty_str(ln.qty_milli, unit), unit, money_str(ln.unit_cost), money_str(ln.taxable),
         money_str(ln.cgst), money_str(ln.sgst), money_str(ln.igst)]
        for ln, code, unit in _stream(session, stmt)
    )  # fmt: skip


def supplier_payments(session: Session) -> Rows:
    """Every payment the shop made to a supplier on account."""
    yield ["id", "paid_on", "supplier_id", "amount", "method", "reference", "note", "user",
           "created_at"]  # fmt: skip
    users = _usernames(session)
    yield from safe_rows(
        [p.id, day(p.paid_on), p.supplier_id, money_str(p.amount), p.method, p.reference,
         p.note, users.get(p.user_id, ""), when(p.created_at)]
        for (p,) in _stream(session, select(SupplierPayment).order_by(SupplierPayment.id))
    )  # fmt: skip


def supplier_allocations(session: Session) -> Rows:
    """Which purchase bills (or the opening balance) each supplier payment settled."""
    yield ["id", "created_at", "payment_id", "purchase_id", "amount"]
    yield from safe_rows(
        [a.id, when(a.created_at), a.payment_id, a.purchase_id, money_str(a.amount)]
        for (a,) in _stream(session, select(SupplierAllocation).order_by(SupplierAllocation.id))
    )


def cash_sessions(session: Session) -> Rows:
    """Every drawer session (shift): float, what was expected, counted and over or short."""
    yield ["id", "user", "opened_at", "opened_by", "opening_float", "closed_at", "closed_by",
           "expected", "counted", "over_short", "denominations", "note"]  # fmt: skip
    users = _usernames(session)

    def amount(value: int | None) -> str:
        return "" if value is None else money_str(value)

    yield from safe_rows(
        [c.id, users.get(c.user_id, ""), when(c.opened_at), users.get(c.opened_by_id, ""),
         money_str(c.opening_float), when(c.closed_at), users.get(c.closed_by_id, ""),
         amount(c.expected), amount(c.counted), amount(c.over_short), c.denominations or "",
         c.note]
        for (c,) in _stream(session, select(CashSession).order_by(CashSession.id))
    )  # fmt: skip


def cash_movements(session: Session) -> Rows:
    """Every pay-in and pay-out of a drawer, with its reason."""
    yield ["id", "created_at", "cash_session_id", "kind", "amount", "reason", "user"]
    users = _usernames(session)
    yield from safe_rows(
        [m.id, when(m.created_at), m.cash_session_id, m.kind, money_str(m.amount), m.reason,
         users.get(m.user_id, "")]
        for (m,) in _stream(session, select(CashMovement).order_by(CashMovement.id))
    )  # fmt: skip


def accounts(session: Session) -> Rows:
    """The chart of accounts."""
    yield ["id", "code", "name", "kind", "parent_id", "system_key", "methods", "archived",
           "created_at"]  # fmt: skip
    yield from safe_rows(
        [a.id, a.code, a.name, a.kind, a.parent_id, a.system_key or "", a.methods,
         "yes" if a.archived else "no", when(a.created_at)]
        for (a,) in _stream(session, select(Account).order_by(Account.id))
    )  # fmt: skip


def journal_entries(session: Session) -> Rows:
    """Every journal entry of the books: its day, what posted it and its reference."""
    yield ["id", "day", "created_at", "source_kind", "source_id", "reference", "narration",
           "reverses_id", "cash_session_id", "user"]  # fmt: skip
    users = _usernames(session)
    yield from safe_rows(
        [e.id, day(e.day), when(e.created_at), e.source_kind, e.source_id, e.reference,
         e.narration, e.reverses_id, e.cash_session_id, users.get(e.user_id, "")]
        for (e,) in _stream(session, select(JournalEntry).order_by(JournalEntry.id))
    )  # fmt: skip


def journal_lines(session: Session) -> Rows:
    """Every debit and credit of the journal, with the account's code and the party."""
    yield ["id", "entry_id", "account_id", "account_code", "debit", "credit", "customer_id",
           "supplier_id"]  # fmt: skip
    stmt = (
        select(JournalLine, Account.code)
        .join(Account, Account.id == JournalLine.account_id)
        .order_by(JournalLine.id)
    )
    yield from safe_rows(
        [ln.id, ln.entry_id, ln.account_id, code, money_str(ln.debit), money_str(ln.credit),
         ln.customer_id, ln.supplier_id]
        for ln, code in _stream(session, stmt)
    )  # fmt: skip


# Masters first, then the documents, then the books: the order of the workbook's sheets.
TABLES: dict[str, Callable[[Session], Rows]] = {
    "products": catalog_csv.export_rows,
    "customers": customers,
    "suppliers": suppliers,
    "invoices": invoices,
    "invoice_lines": invoice_lines,
    "payments": payments,
    "payment_allocations": allocations,
    "ledger": ledger,
    "credit_notes": credit_notes,
    "credit_note_lines": credit_note_lines,
    "orders": orders,
    "order_lines": order_lines,
    "purchases": purchases,
    "purchase_lines": purchase_lines,
    "debit_notes": debit_notes,
    "debit_note_lines": debit_note_lines,
    "supplier_payments": supplier_payments,
    "supplier_allocations": supplier_allocations,
    "stock_movements": movements,
    "expenses": expenses,
    "cash_sessions": cash_sessions,
    "cash_movements": cash_movements,
    "accounts": accounts,
    "journal_entries": journal_entries,
    "journal_lines": journal_lines,
}


# Each table's name on the export page (the files and sheets keep the table's own name).
TABLE_TITLES: dict[str, LazyString] = {
    "products": lazy("Products"),
    "customers": lazy("Customers"),
    "suppliers": lazy("Suppliers"),
    "invoices": lazy("Invoices"),
    "invoice_lines": lazy("Invoice lines"),
    "payments": lazy("Payments"),
    "payment_allocations": lazy("Payment allocations"),
    "ledger": lazy("Ledger"),
    "credit_notes": lazy("Credit notes"),
    "credit_note_lines": lazy("Credit note lines"),
    "orders": lazy("Orders"),
    "order_lines": lazy("Order lines"),
    "purchases": lazy("Purchases"),
    "purchase_lines": lazy("Purchase lines"),
    "debit_notes": lazy("Debit notes"),
    "debit_note_lines": lazy("Debit note lines"),
    "supplier_payments": lazy("Supplier payments"),
    "supplier_allocations": lazy("Supplier allocations"),
    "stock_movements": lazy("Stock movements"),
    "expenses": lazy("Expenses"),
    "cash_sessions": lazy("Cash sessions"),
    "cash_movements": lazy("Cash movements"),
    "accounts": lazy("Accounts"),
    "journal_entries": lazy("Journal entries"),
    "journal_lines": lazy("Journal lines"),
}


# What each table holds, one line each, for the workbook's README sheet.
TABLE_NOTES: dict[str, str] = {
    "products": "The catalogue: prices, cost, tax, stock now (the product import's columns).",
    "customers": "Customers, their credit limit and what each owes now (the khata balance).",
    "suppliers": "Suppliers, their terms and what the shop owes each now.",
    "invoices": "Bills: totals, how much was paid, voids.",
    "invoice_lines": "What each bill sold, priced and taxed as printed.",
    "payments": "Money received: at the till, on customers' accounts, and refunds.",
    "payment_allocations": "Which bills each payment on account settled.",
    "ledger": "The customers' khata, entry by entry (the balances add these up).",
    "credit_notes": "Returns against bills and where their money went.",
    "credit_note_lines": "What each return brought back.",
    "orders": "Orders for pickup or delivery and where each stands.",
    "order_lines": "What each order asks for.",
    "purchases": "Stock received from suppliers (purchase bills) and what is paid of each.",
    "purchase_lines": "What each purchase brought in, with cost, tax, expiry and batch.",
    "debit_notes": "Goods sent back to suppliers against a bill.",
    "debit_note_lines": "What each debit note sent back.",
    "supplier_payments": "Money paid to suppliers on account.",
    "supplier_allocations": "Which bills (or opening balance) each supplier payment settled.",
    "stock_movements": "Every change of stock, with its reason (stock now adds these up).",
    "expenses": "Shop expenses paid from the drawer.",
    "cash_sessions": "Drawer sessions (shifts): float, expected, counted, over or short.",
    "cash_movements": "Money put into or taken out of a drawer, with the reason.",
    "accounts": "The books: the chart of accounts.",
    "journal_entries": "The books: every journal entry (one per sale, payment, purchase...).",
    "journal_lines": "The books: the debits and credits of each entry (they balance).",
}
# What every column means, for the workbook's README sheet. A column meaning the same in every
# table is explained once in COMMON_NOTES; a table's own entry wins. A test holds every exported
# column to having a note, so a new column cannot ship unexplained.
COMMON_NOTES: dict[str, str] = {
    "id": "TillBook's number for the row; other tables' *_id columns point at it.",
    "created_at": "When the row was written (local time, ISO 8601 with the UTC offset).",
    "user": "The user (login name) who did it; empty when none was recorded.",
    "note": "Free text typed with it.",
    "archived": "yes: hidden from everyday lists but kept with its history; no: in use.",
    "code": "The product's code (barcode or SKU).",
    "unit": "The product's unit: pcs, kg, g, l, ml, m (quantities are in this unit).",
    "product_id": "The product (products sheet has its code; the id is TillBook's own).",
    "customer_id": "The customer (customers.id); empty for a walk-in customer.",
    "supplier_id": "The supplier (suppliers.id); empty when none.",
    "invoice_id": "The invoice (invoices.id).",
    "amount": "Rupees, plain decimal (1234.50).",
    "taxable": "The taxable value in rupees (before GST).",
    "tax": "GST in rupees (all heads together).",
    "cgst": "Central GST in rupees.",
    "sgst": "State GST in rupees.",
    "igst": "Integrated GST (inter-state) in rupees.",
    "cess": "Compensation cess in rupees.",
    "tax_rate": "The GST rate in percent (18.00 = 18 %).",
    "quantity": "The quantity in the unit named (pieces whole, kg/l/m with 3 decimals).",
    "unit_cost": "Cost price of one unit, in rupees.",
    "total": "Rupees, tax included.",
    "round_off": "Rupees added or taken off to round the total.",
    "position": "The line's place on its document (1 = first).",
    "cash_session_id": "The drawer session (cash_sessions.id) the cash went through; empty: none.",
    "reference": "The document's or the payment's own reference (number, cheque, UTR, UPI).",
    "method": "How the money moved: cash, card, upi, bank, credit.",
    "name": "The name.",
    "phone": "Phone number (international form, +91...).",
    "address": "Postal address.",
    "gstin": "GST identification number (15 characters); empty if unregistered.",
    "state_code": "Two-digit GST state code (27 = Maharashtra); empty: the shop's own state.",
}
COLUMN_NOTES: dict[str, dict[str, str]] = {
    "products": {
        "code": "The product's code (barcode or SKU); unique.",
        "name": "The product's name.",
        "category": "The category's name; empty: none.",
        "price": "Selling price of one unit in rupees (with or without tax as the shop sells).",
        "mrp": "Maximum retail price in rupees; empty: not set.",
        "cost": "Cost price of one unit in rupees (moving average of purchases).",
        "tax_rate": "The GST rate in percent (5 = 5 %).",
        "hsn": "HSN or SAC code for GST.",
        "stock": "Stock on hand now, in the product's unit.",
        "low_stock_threshold": "Stock at or below this shows as low.",
        "supplier": "The usual supplier's name (free text).",
        "location": "Where it is kept (shelf, rack).",
        "color": "The colour of its button on the till.",
        "scale_plu": "The weighing scale's PLU number; empty: not on the scale.",
        "aliases": "Other words that find it at the till (namak, salt), separated by commas.",
        "perishable": "yes: a returned one goes back on the shelf only if the cashier says so.",
        "stock_value": "What the stock on hand is worth in the books, in rupees.",
    },
    "customers": {
        "credit_limit": 'How much the customer may owe, in rupees; "no limit", or 0.00: none.',
        "email": "Email address.",
        "legal_name": "The business's legal name as registered for GST.",
        "balance": "The khata now: positive = the customer owes the shop, negative = the shop "
        "holds an advance for them.",
        "notes": "The shop's notes about the customer.",
    },
    "suppliers": {
        "credit_days": "A bill from this supplier is due this many days after its bill date.",
        "opening_balance": "What the shop owed them when their khata started here, in rupees.",
        "opening_date": "The day of the opening balance (YYYY-MM-DD).",
        "balance": "What the shop owes them now in rupees (negative: an advance with them).",
    },
    "invoices": {
        "number": "The invoice number as printed (prefix, financial year, sequence).",
        "cashier": "The cashier's login name.",
        "status": "paid, partial, unpaid (on the khata) or void.",
        "subtotal": "Rupees: the lines before the bill discount.",
        "discount": "Rupees of discount given (lines and bill).",
        "tax": "GST in rupees.",
        "total": "What the bill came to, in rupees.",
        "paid": "Rupees received for it so far (cash net of change, card, UPI, later payments).",
        "tendered": "Rupees the customer handed over.",
        "change": "Rupees given back.",
        "prices_include_tax": "yes: prices included GST; no: GST was added on top.",
    },
    "invoice_lines": {
        "invoice_number": "The invoice's number.",
        "name": "The product's name as sold.",
        "hsn": "HSN or SAC code as sold.",
        "unit_price": "Price of one unit in rupees, as sold.",
        "gross": "Quantity × unit price in rupees.",
        "line_discount": "Rupees of discount on this line.",
        "bill_discount_share": "This line's share of the bill discount, in rupees.",
        "total": "The line's amount in rupees, tax included.",
        "unit_cost": "Cost price of one unit when sold (for the profit).",
    },
    "payments": {
        "invoice_id": "The invoice paid at the till; empty: a payment on the customer's account.",
        "method": "cash, card, upi, or credit.",
        "amount": "Rupees (negative: money given back).",
    },
    "payment_allocations": {
        "payment_id": "The account payment (payments.id).",
        "invoice_id": "The invoice it settled (invoices.id).",
        "amount": "Rupees of the payment that went to this invoice.",
    },
    "ledger": {
        "kind": "opening, credit_sale, payment, return, adjustment or void.",
        "amount": "Rupees: positive = the customer owes more, negative = owes less.",
        "invoice_id": "The invoice it belongs to; empty: none.",
        "payment_id": "The payment it belongs to (payments.id); empty: none.",
    },
    "credit_notes": {
        "number": "The credit note's number as printed.",
        "invoice_number": "The number of the invoice it reduces.",
        "restock": "yes: the goods went back on the shelf; no: damaged, not restocked.",
        "refund_method": "cash: refunded in cash; credit: credited to the customer's account.",
        "total": "What was returned, in rupees with tax.",
        "applied": "Rupees of it that reduced what was still owed on the invoice.",
        "refund": "Rupees of it given back (cash, or credit on the account).",
        "reason": "Why it came back.",
        "tax_split": "cgst_sgst (within the state) or igst (inter-state).",
        "place_of_supply": "Two-digit GST state code of the place of supply.",
    },
    "credit_note_lines": {
        "credit_note_id": "The credit note (credit_notes.id).",
        "invoice_line_id": "The invoice line returned (invoice_lines.id).",
        "name": "The product's name as sold.",
        "total": "Rupees returned on this line, tax included.",
    },
    "orders": {
        "number": "The order's number.",
        "status": "pending, confirmed, packed, ready_for_pickup, out_for_delivery, delivered "
        "or cancelled.",
        "fulfilment": "pickup or delivery.",
        "address": "Where to deliver.",
        "slot_date": "The day asked for (YYYY-MM-DD); empty: any.",
        "slot": "The time window asked for, as said.",
        "delivery_charge": "Rupees charged for delivery.",
        "estimate": "What the order came to at the prices of the day it was taken, in rupees.",
        "payment_plan": "on_delivery, khata (on the account) or prepaid.",
        "advance_payment_id": "A prepaid order's advance (payments.id); empty: none.",
        "invoice_id": "The invoice it became when delivered; empty: not yet.",
        "source": "Where it was taken: till, orders (the orders page) or api.",
        "cancel_reason": "Why it was cancelled.",
        "user": "Who took the order.",
        "updated_at": "When it last changed (local time, ISO 8601).",
        "delivered_at": "When it was delivered; empty: not yet.",
        "cancelled_at": "When it was cancelled; empty: not cancelled.",
    },
    "order_lines": {
        "order_id": "The order (orders.id).",
        "order_number": "The order's number.",
        "name": "The product's name as ordered.",
        "discount": "Rupees of discount on the line.",
        "reserved": "Stock held for the order now, in the product's unit.",
    },
    "purchases": {
        "number": "The stock receipt's number (PUR-...).",
        "created_at": "When the stock was received (local time, ISO 8601).",
        "supplier": "The supplier's name as written on the receipt.",
        "supplier_gstin": "The supplier's GSTIN on the bill (its tax is claimable only with it).",
        "supplier_state": "The supplier's two-digit GST state code.",
        "reference": "The supplier's bill number.",
        "bill_date": "The supplier's bill date (YYYY-MM-DD); empty: the day received.",
        "due_date": "When the bill falls due (bill date + the supplier's credit days).",
        "taxable": "The goods' value before tax, in rupees.",
        "payable": "What the bill comes to with tax, in rupees.",
        "paid_now": "Rupees paid when the stock came in.",
        "paid_method": "How the part paid now was paid (cash, bank, upi).",
        "paid": "Rupees paid so far (paid now and supplier payments settling it).",
        "returned": "Rupees of it sent back by debit notes.",
    },
    "purchase_lines": {
        "purchase_id": "The stock receipt (purchases.id).",
        "purchase_number": "The stock receipt's number.",
        "unit_cost": "Cost of one unit before tax, in rupees.",
        "expiry_date": "The batch's expiry (YYYY-MM-DD); empty: none.",
        "batch": "The batch or lot number.",
    },
    "debit_notes": {
        "number": "The debit note's number (DN-...).",
        "returned_on": "The day the goods went back (YYYY-MM-DD).",
        "purchase_id": "The bill they were bought on (purchases.id).",
        "amount": "What it takes off the bill, in rupees with tax.",
    },
    "debit_note_lines": {
        "debit_note_id": "The debit note (debit_notes.id).",
        "purchase_line_id": "The bill's line the goods came on (purchase_lines.id).",
        "unit_cost": "Cost of one unit on that bill line, in rupees.",
    },
    "supplier_payments": {
        "paid_on": "The day it was paid (YYYY-MM-DD).",
        "amount": "Rupees paid.",
        "method": "cash, bank or upi.",
        "reference": "The cheque, UTR or UPI reference.",
    },
    "supplier_allocations": {
        "payment_id": "The supplier payment (supplier_payments.id).",
        "purchase_id": "The bill it settled (purchases.id); empty: the opening balance.",
        "amount": "Rupees of the payment that went to it.",
    },
    "stock_movements": {
        "reason": "opening, sale, return, purchase, adjust_damage, adjust_loss, adjust_count, "
        "void or supplier_return.",
        "change": "The change in stock in the product's unit (negative: stock went out).",
        "unit_cost": "Cost of one unit for this movement, in rupees; empty: not recorded.",
        "ref": "The document it belongs to (invoice, credit note, receipt number).",
    },
    "expenses": {
        "date": "The day of the expense (YYYY-MM-DD).",
        "category": "The expense head.",
        "amount": "Rupees spent.",
        "user_id": "The user who entered it (TillBook's user number).",
    },
    "cash_sessions": {
        "user": "The cashier whose drawer it is.",
        "opened_at": "When the drawer was opened (local time, ISO 8601).",
        "opened_by": "Who opened it.",
        "opening_float": "Rupees in the drawer at the start.",
        "closed_at": "When it was closed; empty: still open.",
        "closed_by": "Who closed it.",
        "expected": "Rupees the drawer should have held at the close.",
        "counted": "Rupees counted at the close.",
        "over_short": "counted − expected, in rupees (negative: short).",
        "denominations": 'The count per note and coin, as JSON ({"500": 3, ...}).',
    },
    "cash_movements": {
        "cash_session_id": "The drawer session (cash_sessions.id).",
        "kind": "pay_in (money put in) or pay_out (money taken out).",
        "amount": "Rupees.",
        "reason": "Why.",
    },
    "accounts": {
        "code": "The account's code (kept when it is renamed).",
        "name": "The account's name.",
        "kind": "asset, liability, equity, income, expense, or the control kinds cash, bank, "
        "receivable, inventory, payable.",
        "parent_id": "The account it is grouped under (accounts.id); empty: none.",
        "system_key": "The standard account's fixed name (cash, sales...); empty: one you added.",
        "methods": "A bank account's payment methods that settle into it (card,upi).",
    },
    "journal_entries": {
        "day": "The business day it belongs to (YYYY-MM-DD).",
        "source_kind": "What posted it: sale, void, return, payment, ledger, purchase, "
        "supplier_payment, supplier_opening, debit_note, expense, stock, cash_move, "
        "over_short, manual, reversal or history.",
        "source_id": "The id of that event's row in its own table; empty: none.",
        "reference": "The document's number (INV..., CN..., PUR...).",
        "narration": "The entry's description.",
        "reverses_id": "The entry it reverses (journal_entries.id); empty: none.",
    },
    "journal_lines": {
        "entry_id": "The journal entry (journal_entries.id).",
        "account_id": "The account (accounts.id).",
        "account_code": "The account's code.",
        "debit": "Rupees debited (0.00 when this line is a credit).",
        "credit": "Rupees credited (0.00 when this line is a debit).",
        "customer_id": "The customer whose khata the line is on; empty: none.",
        "supplier_id": "The supplier whose account the line is on; empty: none.",
    },
}
# Columns holding amounts or quantities: numbers in the workbook (the CSVs are all text).
NUMBER_COLUMNS: dict[str, frozenset[str]] = {
    "products": frozenset({"price", "mrp", "cost", "stock", "low_stock_threshold", "stock_value"}),
    "customers": frozenset({"credit_limit", "balance"}),
    "suppliers": frozenset({"opening_balance", "balance"}),
    "invoices": frozenset({"subtotal", "discount", "tax", "round_off", "total", "paid",
                           "tendered", "change"}),
    "invoice_lines": frozenset({"quantity", "unit_price", "gross", "line_discount",
                                "bill_discount_share", "taxable", "tax", "total", "unit_cost"}),
    "payments": frozenset({"amount"}),
    "payment_allocations": frozenset({"amount"}),
    "ledger": frozenset({"amount"}),
    "credit_notes": frozenset({"taxable", "tax", "round_off", "total", "applied", "refund"}),
    "credit_note_lines": frozenset({"quantity", "taxable", "tax", "cgst", "sgst", "igst", "cess",
                                    "total"}),
    "orders": frozenset({"delivery_charge", "estimate"}),
    "order_lines": frozenset({"quantity", "discount", "reserved"}),
    "purchases": frozenset({"taxable", "payable", "paid_now", "paid", "returned"}),
    "purchase_lines": frozenset({"quantity", "unit_cost", "taxable", "cgst", "sgst", "igst",
                                 "cess"}),
    "debit_notes": frozenset({"taxable", "cgst", "sgst", "igst", "amount"}),
    "debit_note_lines": frozenset({"quantity", "unit_cost", "taxable", "cgst", "sgst", "igst"}),
    "supplier_payments": frozenset({"amount"}),
    "supplier_allocations": frozenset({"amount"}),
    "stock_movements": frozenset({"change", "unit_cost"}),
    "expenses": frozenset({"amount"}),
    "cash_sessions": frozenset({"opening_float", "expected", "counted", "over_short"}),
    "cash_movements": frozenset({"amount"}),
    "accounts": frozenset(),
    "journal_entries": frozenset(),
    "journal_lines": frozenset({"debit", "credit"}),
}  # fmt: skip


def column_note(table: str, column: str) -> str:
    """What a column of an exported table means (empty when nobody explained it)."""
    return COLUMN_NOTES.get(table, {}).get(column) or COMMON_NOTES.get(column, "")


def table_rows(session: Session, table: str) -> Rows:
    """The rows of one exportable table; unknown names are a 404-worthy error."""
    if table not in TABLES:
        raise ValidationError(_("No such table to export."), field="table")
    return TABLES[table](session)


def csv_bytes(rows: Iterable[list[str]]) -> Iterator[bytes]:
    """The shared writer's output as UTF-8 bytes."""
    for chunk in csv_text(rows):
        yield chunk.encode("utf-8")


def folder_name(now: datetime | None = None) -> str:
    """The dated folder an export goes into: TillBook-export-YYYY-MM-DD-HHMM."""
    local = to_local(now) if now else datetime.now().astimezone()
    return local.strftime("TillBook-export-%Y-%m-%d-%H%M")


def write_table(session: Session, table: str, folder: Path) -> Path:
    """Write one table as `<table>.csv` into a folder (created if missing); return the file."""
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{table}.csv"
    partial = folder / f".{table}.csv.part"
    with partial.open("wb") as out:
        for chunk in csv_bytes(table_rows(session, table)):
            out.write(chunk)
    partial.replace(target)  # a half-written file never carries the real name
    return target


WORKBOOK = "workbook"  # the folder export's last step, after the tables


def readme_rows(session: Session, book: Book, now: datetime) -> Rows:
    """The workbook's README sheet: what wrote it, when, for which shop, and every column."""
    shop = load_settings(session).shop_name
    rows: list[list[object]] = [
        ["TillBook export"],
        ["Shop", shop],
        ["Written at", when(now)],
        ["Written by", "TillBook: every table the shop keeps, one sheet each, the same rows as "
         "the CSV files beside this workbook."],
        ["Reading it", "Amounts are rupees, quantities are in each product's unit, times are "
         "local with their UTC offset. Text starting with = + - or @ has a ' put before it so "
         "no spreadsheet runs it as a formula."],
        ["Importing it", "Another TillBook takes the products, customers, suppliers and stock "
         "back from these files on its Import pages."],
        [],
        ["sheet", "rows", "what it holds"],
    ]  # fmt: skip
    for table in TABLES:
        for title, count in book.sheets.get(table, []):
            rows.append([title, count, TABLE_NOTES[table]])
    rows += [[], ["table", "column", "meaning"]]
    for table, header in book.headers.items():
        rows += [[table, column, column_note(table, column)] for column in header]
    yield from safe_rows(rows)


def _fill(session: Session, book: Book, now: datetime) -> None:
    for table in TABLES:
        book.add(table, table_rows(session, table), NUMBER_COLUMNS[table])
    book.readme(readme_rows(session, book, now))


def write_workbook(session: Session, folder: Path, now: datetime | None = None) -> Path:
    """Write every table as one .xlsx named after the (dated) folder, inside it; return it."""
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{folder.name}.xlsx"
    partial = folder / f".{folder.name}.xlsx.part"
    book = Book()
    try:
        _fill(session, book, now or utcnow())
        book.save(str(partial))
    except BaseException:
        book.discard()
        with contextlib.suppress(OSError):  # a pulled USB stick: the first error is the one to tell
            partial.unlink(missing_ok=True)
        raise
    partial.replace(target)  # as write_table: a half-written file never carries the real name
    return target


def write_folder(
    session: Session,
    parent: Path,
    progress: Callable[[int, int, str], None] | None = None,
    now: datetime | None = None,
) -> Path:
    """Write every table, then the workbook, into a new dated folder inside `parent`.

    `progress` hears of each step (the tables, then "workbook").
    """
    if not parent.is_dir():
        raise ValidationError(_("That folder does not exist (is the USB stick plugged in?)."))
    moment = now or utcnow()
    folder = parent / folder_name(moment)
    steps = len(TABLES) + 1
    for done, table in enumerate(TABLES, start=1):
        write_table(session, table, folder)
        if progress:
            progress(done, steps, table)
    write_workbook(session, folder, moment)
    if progress:
        progress(steps, steps, WORKBOOK)
    return folder


def zip_file(session: Session, out: io.BufferedIOBase | Any, now: datetime | None = None) -> str:
    """Write every table and the workbook into a ZIP (inside a dated folder); return its name.

    Each table is read once: its rows go to the CSV and to the workbook's sheet as they pass,
    so the two always hold the same rows.
    """
    moment = now or utcnow()
    name = folder_name(moment)
    book = Book()
    try:
        with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for table in TABLES:
                rows = book.table(table, table_rows(session, table), NUMBER_COLUMNS[table])
                with archive.open(f"{name}/{table}.csv", "w", force_zip64=True) as member:
                    for chunk in csv_bytes(rows):
                        member.write(chunk)
            book.readme(readme_rows(session, book, moment))
            info = zipfile.ZipInfo(f"{name}/{name}.xlsx", to_local(moment).timetuple()[:6])
            info.compress_type = zipfile.ZIP_STORED  # an .xlsx is compressed already
            with tempfile.TemporaryFile() as spool:
                book.save(spool)
                spool.seek(0)
                with archive.open(info, "w", force_zip64=True) as member:
                    shutil.copyfileobj(spool, member)
    except BaseException:
        book.discard()
        raise
    return f"{name}.zip"


def record_export(session: Session, user_id: int | None, what: str, where: str = "") -> None:
    """Audit-log an export (who took which data, and where to)."""
    with write_transaction(session):
        audit.record(
            session,
            "export.create",
            user_id=user_id,
            entity="export",
            after={"what": what, "to": where},
        )
