"""CSV exports of every table, and "Export everything": a dated folder (or ZIP) of them all.

One writer for every CSV the app makes: UTF-8 with a BOM (Excel then reads ₹ and accents),
ISO 8601 dates and times with the local offset, plain decimal amounts (`1234.50`), and every
cell neutralised against formula injection. Report CSVs go through the same `csv_io.csv_text`.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from posapp.errors import ValidationError
from posapp.models import (
    Customer,
    Expense,
    Invoice,
    InvoiceLine,
    LedgerEntry,
    Payment,
    PaymentAllocation,
    Product,
    StockMovement,
    User,
)
from posapp.models.base import to_local, write_transaction
from posapp.money import money_str, percent_str, qty_str
from posapp.services import audit, catalog_csv
from posapp.services.csv_io import csv_text, safe_rows

Rows = Iterator[list[str]]
BATCH = 5000


def when(moment: datetime | None) -> str:
    """A stored UTC time as local ISO 8601 with its offset (empty for none)."""
    return to_local(moment).isoformat(timespec="seconds") if moment else ""


def _stream(session: Session, stmt: Any) -> Iterator[Any]:
    return iter(session.execute(stmt.execution_options(yield_per=BATCH)))


def customers(session: Session) -> Rows:
    """Every customer (archived too) with their credit limit and GST identity."""
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
    ]
    yield from safe_rows(
        # An empty credit_limit is "no limit"; 0.00 is "no credit allowed".
        [c.id, c.name, c.phone, c.email, c.address,
         "" if c.credit_limit is None else money_str(c.credit_limit),
         "yes" if c.archived else "no", when(c.created_at), c.gstin, c.legal_name, c.state_code]
        for (c,) in _stream(session, select(Customer).order_by(Customer.id))
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


TABLES: dict[str, Callable[[Session], Rows]] = {
    "products": catalog_csv.export_rows,
    "customers": customers,
    "invoices": invoices,
    "invoice_lines": invoice_lines,
    "payments": payments,
    "payment_allocations": allocations,
    "ledger": ledger,
    "stock_movements": movements,
    "expenses": expenses,
}


def table_rows(session: Session, table: str) -> Rows:
    """The rows of one exportable table; unknown names are a 404-worthy error."""
    if table not in TABLES:
        raise ValidationError("No such table to export.", field="table")
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


def write_folder(
    session: Session,
    parent: Path,
    progress: Callable[[int, int, str], None] | None = None,
    now: datetime | None = None,
) -> Path:
    """Write every table into a new dated folder inside `parent`; report progress per table."""
    if not parent.is_dir():
        raise ValidationError("That folder does not exist (is the USB stick plugged in?).")
    folder = parent / folder_name(now)
    for done, table in enumerate(TABLES, start=1):
        write_table(session, table, folder)
        if progress:
            progress(done, len(TABLES), table)
    return folder


def zip_file(session: Session, out: io.BufferedIOBase | Any, now: datetime | None = None) -> str:
    """Write every table into a ZIP (inside a dated folder) on a binary file; return its name."""
    name = folder_name(now)
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for table in TABLES:
            with archive.open(f"{name}/{table}.csv", "w", force_zip64=True) as member:
                for chunk in csv_bytes(table_rows(session, table)):
                    member.write(chunk)
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
