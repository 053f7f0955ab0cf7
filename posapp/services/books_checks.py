"""The books' part of `app.py check`: balanced entries, day totals, and each control account
against what it summarises (the customers' khata, the suppliers' khata, the stock's book
value, the drawer of every closed cash session), and every event posted once.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from posapp.models import (
    Account,
    AccountDay,
    CashSession,
    CreditNote,
    Expense,
    Invoice,
    JournalEntry,
    JournalLine,
    LedgerEntry,
    Payment,
    Product,
    Purchase,
    Supplier,
    SupplierPayment,
)
from posapp.services import books, suppliers

# Each event table whose every row must have posted exactly one entry of its source kind.
# (A bill or note of nothing, e.g. free goods that cost nothing, moves no account.)
POSTED_EVENTS: tuple[tuple[str, Any, Any], ...] = (
    ("sale", Invoice, Invoice.total != 0),
    ("return", CreditNote, CreditNote.total != 0),
    ("purchase", Purchase, Purchase.total != 0),
    ("supplier_payment", SupplierPayment, None),
    ("expense", Expense, None),
    (
        "payment",
        Payment,
        Payment.invoice_id.is_(None)
        & Payment.credit_note_id.is_(None)
        & Payment.customer_id.is_not(None)
        & (Payment.method != "credit")
        & (Payment.amount != 0),
    ),
    (
        "ledger",
        LedgerEntry,
        LedgerEntry.kind.in_(("opening", "adjustment")) & (LedgerEntry.amount != 0),
    ),
    ("void", Invoice, (Invoice.status == "void") & (Invoice.total != 0)),
)


def check_problems(session: Session) -> tuple[list[str], list[str]]:
    """(what was checked, what is wrong) for the books."""
    checked: list[str] = []
    problems: list[str] = []
    ids = books.system_ids(session)
    if not ids:
        return ["the books have a chart of accounts"], ["the standard accounts are missing"]

    checked.append("every journal entry balances; each line is one debit or one credit")
    for entry_id, debit, credit in session.execute(
        select(JournalLine.entry_id, func.sum(JournalLine.debit), func.sum(JournalLine.credit))
        .group_by(JournalLine.entry_id)
        .having(func.sum(JournalLine.debit) != func.sum(JournalLine.credit))
    ):
        problems.append(f"journal entry {entry_id}: debits {debit} ≠ credits {credit}")
    for line_id, entry_id in session.execute(
        select(JournalLine.id, JournalLine.entry_id).where(
            or_(
                JournalLine.debit < 0,
                JournalLine.credit < 0,
                (JournalLine.debit == 0) == (JournalLine.credit == 0),
            )
        )
    ):
        problems.append(f"journal line {line_id} (entry {entry_id}): not one positive side")

    checked.append("each account's day totals = the sum of its journal lines that day")
    from_lines = {
        (int(account_id), day): (int(debit), int(credit))
        for account_id, day, debit, credit in session.execute(
            select(
                JournalLine.account_id,
                JournalEntry.day,
                func.sum(JournalLine.debit),
                func.sum(JournalLine.credit),
            )
            .join(JournalEntry, JournalEntry.id == JournalLine.entry_id)
            .group_by(JournalLine.account_id, JournalEntry.day)
        )
    }
    kept = {
        (int(row.account_id), row.day): (int(row.debit), int(row.credit))
        for row in session.scalars(select(AccountDay))
    }
    for key in sorted(set(from_lines) | set(kept), key=lambda k: (k[1], k[0])):
        lines, days = from_lines.get(key, (0, 0)), kept.get(key, (0, 0))
        if lines != days:
            problems.append(
                f"account {key[0]} on {key[1]}: lines debit/credit {lines}, day totals {days}"
            )

    checked.append("receivable lines name a customer, payable lines a supplier, others neither")
    receivable, payable = ids["receivable"], ids["payable"]
    for line_id, entry_id in session.execute(
        select(JournalLine.id, JournalLine.entry_id).where(
            or_(
                (JournalLine.account_id == receivable) & JournalLine.customer_id.is_(None),
                (JournalLine.account_id == payable) & JournalLine.supplier_id.is_(None),
                (JournalLine.account_id != receivable) & JournalLine.customer_id.is_not(None),
                (JournalLine.account_id != payable) & JournalLine.supplier_id.is_not(None),
            )
        )
    ):
        problems.append(f"journal line {line_id} (entry {entry_id}): party on the wrong account")

    checked.append("receivable account per customer = the customer's khata balance")
    in_books = _party_sums(session, receivable, JournalLine.customer_id)
    khata = {
        int(cid): int(total)
        for cid, total in session.execute(
            select(LedgerEntry.customer_id, func.sum(LedgerEntry.amount)).group_by(
                LedgerEntry.customer_id
            )
        )
    }
    for cid in sorted(set(in_books) | set(khata)):
        if in_books.get(cid, 0) != khata.get(cid, 0):
            problems.append(
                f"customer {cid}: receivable in the books {in_books.get(cid, 0)}, "
                f"khata balance {khata.get(cid, 0)}"
            )

    checked.append("payable account per supplier = the supplier's balance")
    owed_in_books = {
        sid: -amount
        for sid, amount in _party_sums(session, payable, JournalLine.supplier_id).items()
    }
    supplier_ids = list(session.scalars(select(Supplier.id)))
    owed = {
        sid: amount for sid, amount in suppliers.balances(session, supplier_ids).items() if amount
    }
    for sid in sorted(set(owed_in_books) | set(owed)):
        if owed_in_books.get(sid, 0) != owed.get(sid, 0):
            problems.append(
                f"supplier {sid}: payable in the books {owed_in_books.get(sid, 0)}, "
                f"supplier balance {owed.get(sid, 0)}"
            )

    checked.append("inventory account = the stock's book value (sum of products' stock value)")
    inventory = books.balance(session, "inventory")
    stock_value = int(session.scalar(select(func.coalesce(func.sum(Product.stock_value), 0))) or 0)
    if inventory != stock_value:
        problems.append(
            f"inventory account {inventory} ≠ stock value {stock_value} "
            f"(difference {inventory - stock_value})"
        )

    checked.append("each closed cash session: cash lines of its entries = counted - opening float")
    cash_by_session = {
        int(sid or 0): int(net or 0)
        for sid, net in session.execute(
            select(
                JournalEntry.cash_session_id,
                func.sum(JournalLine.debit - JournalLine.credit),
            )
            .join(JournalLine, JournalLine.entry_id == JournalEntry.id)
            .where(JournalEntry.cash_session_id.is_not(None), JournalLine.account_id == ids["cash"])
            .group_by(JournalEntry.cash_session_id)
        )
    }
    for sid, opening, counted in session.execute(
        select(CashSession.id, CashSession.opening_float, CashSession.counted).where(
            CashSession.closed_at.is_not(None), CashSession.counted.is_not(None)
        )
    ):
        moved, expected = cash_by_session.get(int(sid), 0), int(counted or 0) - int(opening)
        if moved != expected:
            problems.append(
                f"cash session {sid}: the books moved {moved} through the drawer, "
                f"counted {counted} - float {opening} = {expected}"
            )

    checked.append(
        "every sale, void, return, purchase, supplier payment, expense, payment on account"
        " and khata adjustment posted once"
    )
    for kind, model, condition in POSTED_EVENTS:
        posted = func.count(JournalEntry.id)
        query = (
            select(model.id, posted)
            .outerjoin(
                JournalEntry,
                (JournalEntry.source_kind == kind) & (JournalEntry.source_id == model.id),
            )
            .group_by(model.id)
            .having(posted != 1)
        )
        if condition is not None:
            query = query.where(condition)
        for row_id, count in session.execute(query):
            problems.append(f"{kind} {row_id}: {count} journal entries, expected 1")

    checked.append("accounts with entries are not deleted; sub-accounts name an existing parent")
    for account_id, parent_id in session.execute(
        select(Account.id, Account.parent_id).where(
            Account.parent_id.is_not(None), Account.parent_id.not_in(select(Account.id))
        )
    ):
        problems.append(f"account {account_id}: parent {parent_id} does not exist")
    return checked, problems


def _party_sums(session: Session, account_id: int, party: Any) -> dict[int, int]:
    """Debit minus credit of one control account per party."""
    return {
        int(pid): int(net)
        for pid, net in session.execute(
            select(party, func.sum(JournalLine.debit - JournalLine.credit))
            .where(JournalLine.account_id == account_id, party.is_not(None))
            .group_by(party)
        )
        if net
    }
