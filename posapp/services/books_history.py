"""Opening the books on a shop that already has a history (once, after the upgrade).

Every stored event is posted with the same rule the live code uses (books_sales.py,
books_stock.py), on the day it happened, in one transaction: opening balances, every sale,
void, return, payment on account, khata adjustment, purchase, supplier payment, debit note,
stock movement, expense, pay-in/out and over/short. What the history cannot say exactly —
products whose cost was edited by hand, stock counted before costs were kept — leaves the
inventory (and, for damaged old data, a khata) apart from what it summarises; one `history`
entry per difference, against "Opening balances", brings each control account to what the
shop's own records say, and names the difference in its narration. `app.py check` passes
after it.

A new shop has nothing to post: it is only marked as opened. The mark is a setting row, so
the work is never done twice.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from time import perf_counter
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from posapp.models import (
    CashMovement,
    CashSession,
    CreditNote,
    CreditNoteLine,
    DebitNote,
    Expense,
    Invoice,
    JournalEntry,
    LedgerEntry,
    Payment,
    Product,
    Purchase,
    StockMovement,
    Supplier,
    SupplierPayment,
)
from posapp.models.base import utcnow, write_transaction
from posapp.services import books, books_sales, books_stock, settings, suppliers
from posapp.services.books import cr, dr

OPENED_KEY = "books_opened"
BATCH = 2000
log = logging.getLogger(__name__)


@dataclass
class Opened:
    """What opening the books posted."""

    entries: int = 0
    seconds: float = 0.0
    by_kind: dict[str, int] = field(default_factory=dict)
    differences: list[str] = field(default_factory=list)


def is_opened(session: Session) -> bool:
    """Whether this database's books have been opened (history posted or nothing to post)."""
    return settings.stored_value(session, OPENED_KEY) is not None


def _batches(session: Session, query: Any) -> Iterator[Any]:
    """The rows of a query in id batches, so a big shop's history never sits in memory."""
    last = 0
    model = query.column_descriptions[0]["entity"]
    while True:
        rows = list(
            session.scalars(query.where(model.id > last).order_by(model.id).limit(BATCH)).unique()
        )
        if not rows:
            return
        yield from rows
        last = rows[-1].id
        session.expunge_all()


def _replay(
    opened: Opened, kind: str, rows: Iterable[Any], post: Callable[[Any], int | None]
) -> None:
    count = 0
    for row in rows:
        if post(row) is not None:
            count += 1
    opened.by_kind[kind] = count
    opened.entries += count


def _history_entry(session: Session, day: date, lines: list[books.Line], narration: str) -> None:
    books.post(
        session,
        day=day,
        source_kind="history",
        source_id=None,
        lines=lines,
        narration=narration,
    )


def _replays(session: Session) -> list[tuple[str, Any, Callable[[Any], int | None]]]:
    """(source kind, the rows of its events, the live posting rule) in the order posted."""
    account_payment = (
        Payment.invoice_id.is_(None),
        Payment.credit_note_id.is_(None),
        Payment.customer_id.is_not(None),
    )
    return [
        (
            "ledger",
            select(LedgerEntry).where(LedgerEntry.kind.in_(("opening", "adjustment"))),
            lambda entry: books_sales.post_ledger_entry(session, entry),
        ),
        (
            "supplier_opening",
            select(Supplier).where(Supplier.opening_balance != 0),
            lambda supplier: books_stock.post_supplier_opening(session, supplier),
        ),
        (
            "sale",
            select(Invoice).options(selectinload(Invoice.lines), selectinload(Invoice.payments)),
            lambda invoice: books_sales.post_sale(session, invoice),
        ),
        (
            "void",
            select(Invoice).where(Invoice.voided_at.is_not(None)),
            lambda invoice: books_sales.post_void(session, invoice),
        ),
        (
            "return",
            select(CreditNote).options(
                selectinload(CreditNote.lines).selectinload(CreditNoteLine.invoice_line)
            ),
            lambda note: books_sales.post_return(session, note),
        ),
        (
            "payment",
            select(Payment).where(*account_payment),
            lambda payment: books_sales.post_customer_payment(session, payment),
        ),
        ("purchase", select(Purchase), lambda bill: books_stock.post_purchase(session, bill)),
        (
            "supplier_payment",
            select(SupplierPayment),
            lambda payment: books_stock.post_supplier_payment(session, payment),
        ),
        ("debit_note", select(DebitNote), lambda note: books_stock.post_debit_note(session, note)),
        (
            "stock",
            select(StockMovement),
            lambda movement: books_stock.post_stock_movement(session, movement),
        ),
        ("expense", select(Expense), lambda expense: books_stock.post_expense(session, expense)),
        (
            "cash_move",
            select(CashMovement),
            lambda movement: books_stock.post_cash_movement(session, movement),
        ),
        (
            "over_short",
            select(CashSession).where(CashSession.over_short.is_not(None)),
            lambda cash: books_stock.post_over_short(session, cash),
        ),
    ]


def post_history(session: Session) -> Opened:
    """Post every stored event and close the differences (inside the caller's transaction)."""
    opened = Opened()
    started = perf_counter()
    books.ensure_chart(session)
    for kind, query, rule in _replays(session):
        _replay(opened, kind, _batches(session, query), rule)
    _close_differences(session, opened)
    opened.seconds = perf_counter() - started
    return opened


def _close_differences(session: Session, opened: Opened) -> None:
    """Bring each control account to the records it summarises, against opening balances."""
    today = books.business_day(utcnow())
    value = int(session.scalar(select(func.coalesce(func.sum(Product.stock_value), 0))) or 0)
    gap = value - books.balance(session, "inventory")
    if gap:
        _history_entry(
            session,
            today,
            [dr("inventory", gap), cr("opening", gap)],
            "Stock at its book value when the books were opened, beyond what its history posted",
        )
        opened.differences.append(f"inventory {gap:+d}")
    khata = dict(
        session.execute(
            select(LedgerEntry.customer_id, func.sum(LedgerEntry.amount)).group_by(
                LedgerEntry.customer_id
            )
        ).all()
    )
    for customer_id, owed in sorted(khata.items()):
        gap = int(owed or 0) - books.balance(session, "receivable", customer_id=customer_id)
        if gap:
            _history_entry(
                session,
                today,
                [dr("receivable", gap, customer_id=customer_id), cr("opening", gap)],
                f"Customer {customer_id}'s khata when the books were opened",
            )
            opened.differences.append(f"customer {customer_id} {gap:+d}")
    ids = list(session.scalars(select(Supplier.id)))
    for supplier_id, owed in sorted(suppliers.balances(session, ids).items()):
        gap = -owed - books.balance(session, "payable", supplier_id=supplier_id)
        if gap:
            _history_entry(
                session,
                today,
                [dr("payable", gap, supplier_id=supplier_id), cr("opening", gap)],
                f"Supplier {supplier_id}'s balance when the books were opened",
            )
            opened.differences.append(f"supplier {supplier_id} {gap:+d}")
    opened.entries += len(opened.differences)


def _has_history(session: Session) -> bool:
    return any(
        session.scalar(select(model.id).limit(1)) is not None
        for model in (Invoice, Purchase, StockMovement, LedgerEntry, Supplier, Expense)
    )


def open_books(session: Session) -> Opened | None:
    """Open the books once: post the history of a shop that has one; None when done before."""
    if is_opened(session):
        session.rollback()
        return None
    with write_transaction(session):
        if is_opened(session):  # another process opened them meanwhile
            return None
        opened = Opened()
        # Events already posted (the marker lost, a half-restored file) are never posted twice.
        posted = select(JournalEntry.id).where(JournalEntry.source_kind != "manual").limit(1)
        if _has_history(session) and session.scalar(posted) is None:
            opened = post_history(session)
        settings.store_value(session, OPENED_KEY, utcnow().isoformat(timespec="seconds"))
    if opened.entries:
        log.info(
            "books opened: %d entries from the history in %.1f s; differences closed: %s",
            opened.entries,
            opened.seconds,
            ", ".join(opened.differences) or "none",
        )
    return opened
