"""The shop's expenses: entering one, the expenses report, and the sums by category.

An expense is checked field by field and audited; the profit-and-loss report
(`sales_reports.profit_and_loss`) takes `spent_by_category` off gross profit.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from posapp.dates import parse_day
from posapp.errors import ValidationError
from posapp.i18n import _
from posapp.models import EXPENSE_CATEGORIES, Expense, User
from posapp.models.base import write_transaction
from posapp.money import parse_money
from posapp.services import audit, books_stock
from posapp.services.ledger import local_today
from posapp.services.report_framework import Report, collect

NOTE_LIMIT = 200  # the column is String(200)


def add_expense(session: Session, data: Mapping[str, Any], user_id: int | None) -> Expense:
    """Record one expense (date, category, amount, note); every field is checked."""
    errors: dict[str, str] = {}
    try:
        day = parse_day(str(data.get("day") or ""), "day", _("The date is YYYY-MM-DD."))
        if day > local_today():
            errors["day"] = _("An expense cannot be in the future.")
    except ValidationError as exc:
        errors["day"] = exc.message
        day = date.min
    category = str(data.get("category") or "")
    if category not in EXPENSE_CATEGORIES:
        errors["category"] = _("Pick a category from the list.")
    amount = 0
    try:
        amount = parse_money(data.get("amount"), field="amount", allow_zero=False)
    except ValidationError as exc:
        errors["amount"] = exc.message
    note = str(data.get("note") or "").strip()
    if len(note) > NOTE_LIMIT:
        errors["note"] = _("The note is at most %(most)s characters.", most=NOTE_LIMIT)
    if errors:
        raise ValidationError(next(iter(errors.values())), fields=errors)
    with write_transaction(session):
        expense = Expense(day=day, category=category, amount=amount, note=note, user_id=user_id)
        session.add(expense)
        session.flush()
        books_stock.post_expense(session, expense)
        audit.record(
            session,
            "expense.create",
            user_id=user_id,
            entity="expense",
            entity_id=expense.id,
            after={"day": day.isoformat(), "category": category, "amount": amount, "note": note},
        )
    return expense


def expense_report(session: Session, start: date, end: date) -> Report:
    """The expenses entered for a range, newest first, with their total."""
    stmt = (
        select(Expense, User.username)
        .outerjoin(User, User.id == Expense.user_id)
        .where(Expense.day >= start, Expense.day <= end)
        .order_by(Expense.day.desc(), Expense.id.desc())
    )
    columns = [
        ("Date", "date"),
        ("Category", "text"),
        ("Amount", "money"),
        ("Note", "text"),
        ("Entered by", "text"),
    ]
    rows = ([e.day, e.category, e.amount, e.note, who or ""] for e, who in session.execute(stmt))
    return collect("Expenses", columns, rows, ["Amount"])


def spent_by_category(session: Session, start: date, end: date) -> list[tuple[str, int]]:
    """(category, amount) of the expenses of a range, by category name."""
    return [
        (category, int(amount))
        for category, amount in session.execute(
            select(Expense.category, func.sum(Expense.amount))
            .where(Expense.day >= start, Expense.day <= end)
            .group_by(Expense.category)
            .order_by(Expense.category)
        )
    ]
