"""The posting core: balanced or nothing, netting, reversals, per-day totals, the chart."""

from __future__ import annotations

from datetime import date

import pytest
from flask import Flask
from sqlalchemy import func, select

from posapp.extensions import db
from posapp.models import Account, AccountDay, JournalEntry, JournalLine, User
from posapp.models.base import write_transaction
from posapp.services import books
from posapp.services.books import cr, dr
from tests.factories import make_customer


def day_row(key: str, day: date) -> tuple[int, int]:
    account_id = books.system_ids(db.session)[key]
    row = db.session.get(AccountDay, (account_id, day))
    return (row.debit, row.credit) if row else (0, 0)


def test_the_standard_chart_is_there_once_with_stable_keys(app: Flask) -> None:
    keys = set(db.session.scalars(select(Account.system_key)))
    assert {"cash", "bank", "receivable", "payable", "inventory", "sales", "cogs"} <= keys
    assert len(keys) == len(books.STANDARD_CHART)
    with write_transaction(db.session):
        assert books.ensure_chart(db.session) == 0  # the migration made them all


def test_a_balanced_entry_nets_lines_and_adds_to_its_day(app: Flask) -> None:
    day = date(2026, 11, 3)
    with write_transaction(db.session):
        entry_id = books.post(
            db.session,
            day=day,
            source_kind="manual",
            source_id=None,
            narration="Capital introduced",
            lines=[dr("cash", 60000), dr("cash", 40000), cr("capital", 100000)],
        )
    assert entry_id is not None
    lines = db.session.scalars(select(JournalLine).where(JournalLine.entry_id == entry_id)).all()
    assert sorted((line.debit, line.credit) for line in lines) == [(0, 100000), (100000, 0)]
    assert day_row("cash", day) == (100000, 0) and day_row("capital", day) == (0, 100000)
    with write_transaction(db.session):
        books.post(
            db.session, day=day, source_kind="manual", source_id=None,
            lines=[dr("drawings", 2500), cr("cash", 2500)],
        )  # fmt: skip
    assert day_row("cash", day) == (100000, 2500)


def test_an_unbalanced_entry_writes_nothing(app: Flask) -> None:
    with pytest.raises(ValueError, match="unbalanced"), write_transaction(db.session):
        books.post(
            db.session, day=date(2026, 11, 3), source_kind="manual", source_id=None,
            lines=[dr("cash", 100), cr("capital", 99)],
        )  # fmt: skip
    assert db.session.scalar(select(func.count()).select_from(JournalEntry)) == 0
    assert db.session.scalar(select(func.count()).select_from(AccountDay)) == 0


def test_negative_amounts_change_sides_and_zero_entries_are_not_written(app: Flask) -> None:
    assert dr("cash", -5) == books.Line("cash", 0, 5)
    assert cr("sales", -5) == books.Line("sales", 5, 0)
    with write_transaction(db.session):
        nothing = books.post(
            db.session, day=date(2026, 11, 3), source_kind="manual", source_id=None,
            lines=[dr("cash", 10), cr("cash", 10)],
        )  # fmt: skip
    assert nothing is None


def test_a_reversal_mirrors_the_entry_and_names_it(app: Flask) -> None:
    day, later = date(2026, 11, 3), date(2026, 11, 5)
    with write_transaction(db.session):
        first = books.post(
            db.session, day=day, source_kind="manual", source_id=None,
            lines=[dr("expense_rent", 1500000), cr("cash", 1500000)],
        )  # fmt: skip
        assert first is not None
        second = books.reverse(db.session, first, day=later, narration="Entered twice")
    assert second is not None
    entry = db.session.get(JournalEntry, second)
    assert entry is not None and entry.reverses_id == first and entry.day == later
    assert day_row("cash", later) == (1500000, 0) and day_row("expense_rent", later) == (0, 1500000)


def test_party_lines_stay_apart_on_the_control_account(app: Flask, admin: User) -> None:
    asha = make_customer(db.session, admin, name="Asha")
    ravi = make_customer(db.session, admin, name="Ravi")
    with write_transaction(db.session):
        entry_id = books.post(
            db.session, day=date(2026, 11, 3), source_kind="manual", source_id=None,
            lines=[
                dr("receivable", 300, customer_id=asha.id),
                dr("receivable", 200, customer_id=ravi.id),
                cr("opening", 500),
            ],
        )  # fmt: skip
    parties = db.session.execute(
        select(JournalLine.customer_id, JournalLine.debit).where(JournalLine.entry_id == entry_id)
    ).all()
    assert sorted(parties, key=lambda p: p[1]) == [(None, 0), (ravi.id, 200), (asha.id, 300)]


def test_issue_value_rounds_half_up_both_ways() -> None:
    assert books.issue_value(1500, 333) == 500  # 499.5 → 500
    assert books.issue_value(-1500, 333) == -500
    assert books.issue_value(250, 1) == 0 and books.issue_value(500, 1) == 1


def test_balances_by_account_party_and_day(app: Flask, admin: User) -> None:
    asha = make_customer(db.session, admin, name="Asha")
    with write_transaction(db.session):
        for day, amount in ((date(2026, 11, 1), 700), (date(2026, 11, 9), 300)):
            books.post(
                db.session, day=day, source_kind="manual", source_id=None,
                lines=[dr("receivable", amount, customer_id=asha.id), cr("sales", amount)],
            )  # fmt: skip
    assert books.balance(db.session, "receivable") == 1000
    assert books.balance(db.session, "receivable", at=date(2026, 11, 8)) == 700
    assert books.balance(db.session, "receivable", customer_id=asha.id) == 1000
    assert books.balance(db.session, "receivable", customer_id=asha.id + 1) == 0
    assert books.balance(db.session, "sales", at=date(2026, 10, 31)) == 0
    assert books.balance(db.session, "sales") == -1000
