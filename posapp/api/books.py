"""API: the books — the chart with balances, the journal, manual entries, statements (admins)."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import request
from sqlalchemy import func, select

from posapp.api import books_schemas as s
from posapp.api.base import bp, caller, json_body, page_envelope, pagination, requires
from posapp.api.serializers import iso
from posapp.apidoc import documented
from posapp.dates import parse_day
from posapp.errors import ValidationError
from posapp.extensions import db
from posapp.i18n import _
from posapp.models.books import Account, JournalEntry, JournalLine
from posapp.money import money_str
from posapp.services import books_admin, books_reports, report_framework
from posapp.services.ledger import local_today


def _at() -> date:
    raw = request.args.get("at")
    return parse_day(raw, "at") if raw else local_today()


def _period() -> tuple[date, date]:
    return report_framework.parse_range(request.args.get("from"), request.args.get("to"))


def _lines(statement: books_reports.Statement) -> list[dict[str, Any]]:
    return [
        {
            "code": str(row.cells[0] or ""),
            "name": str(row.cells[1]),
            "depth": row.depth,
            "amount": None if row.cells[2] is None else money_str(row.cells[2]),
        }
        for row in statement.rows
    ]


@bp.get("/books/accounts")
@documented({200: s.AccountList}, query=s.AtQuery)
@requires("admin")
def books_accounts() -> dict[str, Any]:
    """The chart of accounts in code order, each with its balance at the end of `at`."""
    at = _at()
    return {
        "at": at.isoformat(),
        "accounts": [
            {
                "id": account.id,
                "code": account.code,
                "name": account.name,
                "kind": account.kind,
                "parent_id": account.parent_id,
                "system_key": account.system_key,
                "methods": [m for m in account.methods.split(",") if m],
                "archived": account.archived,
                "debit": money_str(debit),
                "credit": money_str(credit),
            }
            for account, debit, credit in books_reports.balances(db.session, at)
        ],
    }


def _entries_json(entries: list[JournalEntry]) -> list[dict[str, Any]]:
    accounts = {a.id: a for a in db.session.scalars(select(Account))}
    lines: dict[int, list[JournalLine]] = {entry.id: [] for entry in entries}
    if lines:
        for line in db.session.scalars(
            select(JournalLine)
            .where(JournalLine.entry_id.in_(list(lines)))
            .order_by(JournalLine.id)
        ):
            lines[line.entry_id].append(line)
    return [
        {
            "id": entry.id,
            "day": entry.day.isoformat(),
            "created_at": iso(entry.created_at),
            "source_kind": entry.source_kind,
            "source_id": entry.source_id,
            "reference": entry.reference,
            "narration": entry.narration,
            "reverses_id": entry.reverses_id,
            "lines": [
                {
                    "account_code": accounts[line.account_id].code,
                    "account_name": accounts[line.account_id].name,
                    "debit": money_str(line.debit),
                    "credit": money_str(line.credit),
                    "customer_id": line.customer_id,
                    "supplier_id": line.supplier_id,
                }
                for line in lines[entry.id]
            ],
        }
        for entry in entries
    ]


@bp.get("/books/journal")
@documented({200: s.JournalPage}, query=s.JournalQuery)
@requires("admin")
def books_journal() -> dict[str, Any]:
    """The journal's entries of a period, oldest first, with their lines (paged)."""
    start, end = _period()
    page, per_page = pagination()
    where = [JournalEntry.day >= start, JournalEntry.day <= end]
    code = request.args.get("account", "").strip()
    if code:
        account_id = db.session.scalar(select(Account.id).where(Account.code == code[:16]))
        if account_id is None:
            raise ValidationError(_("No account has that code."), field="account")
        where.append(
            JournalEntry.id.in_(
                select(JournalLine.entry_id).where(JournalLine.account_id == account_id)
            )
        )
    total = int(db.session.scalar(select(func.count(JournalEntry.id)).where(*where)) or 0)
    entries = list(
        db.session.scalars(
            select(JournalEntry)
            .where(*where)
            .order_by(JournalEntry.day, JournalEntry.id)
            .offset((page - 1) * per_page)
            .limit(per_page)
        )
    )
    return page_envelope(_entries_json(entries), total, page, per_page)


@bp.post("/books/journal")
@documented({201: s.JournalEntry}, body=s.ManualEntry)
@requires("admin")
def books_post_entry() -> tuple[dict[str, Any], int]:
    """Post a manual entry; an entry that does not balance is refused (422), nothing written."""
    body = json_body()
    lines = body.get("lines")
    if isinstance(lines, list):
        # Money may come as a JSON number (Decimal): the service parses its text.
        lines = [
            {k: (str(v) if v is not None else "") for k, v in line.items()}
            if isinstance(line, dict)
            else line
            for line in lines
        ]
    data = {"day": body.get("day"), "narration": body.get("narration"), "lines": lines}
    if not isinstance(data["day"], str):
        raise ValidationError(_("day is a YYYY-MM-DD date."), field="day")
    entry_id = books_admin.manual_entry(db.session, data, caller().id)
    entry = db.session.get(JournalEntry, entry_id)
    assert entry is not None
    return _entries_json([entry])[0], 201


@bp.get("/books/trial-balance")
@documented({200: s.TrialBalance}, query=s.AtQuery)
@requires("admin")
def books_trial_balance() -> dict[str, Any]:
    """Each top-level account's balance at the end of `at`, as a debit or a credit."""
    at = _at()
    tb = books_reports.trial_balance(db.session, at)
    return {
        "at": at.isoformat(),
        "accounts": [
            {
                "code": row["code"],
                "name": row["name"],
                "kind": row["kind"],
                "debit": money_str(row["debit"]),
                "credit": money_str(row["credit"]),
            }
            for row in tb.figures["accounts"]
            if row["depth"] == 0
        ],
        "total_debit": money_str(tb.figures["total_debit"]),
        "total_credit": money_str(tb.figures["total_credit"]),
    }


@bp.get("/books/profit-and-loss")
@documented({200: s.ProfitAndLoss}, query=s.PeriodQuery)
@requires("admin")
def books_profit_and_loss() -> dict[str, Any]:
    """Income and expenses of a period: net sales, COGS, gross profit, net profit."""
    start, end = _period()
    pnl = books_reports.profit_and_loss(db.session, start, end)
    return {
        "from": start.isoformat(),
        "to": end.isoformat(),
        **{key: money_str(value) for key, value in pnl.figures.items()},
        "lines": _lines(pnl),
    }


@bp.get("/books/balance-sheet")
@documented({200: s.BalanceSheet}, query=s.AtQuery)
@requires("admin")
def books_balance_sheet() -> dict[str, Any]:
    """Assets, liabilities (with GST output − input) and equity (with the profit to date)."""
    at = _at()
    bs = books_reports.balance_sheet(db.session, at)
    return {
        "at": at.isoformat(),
        **{key: money_str(value) for key, value in bs.figures.items()},
        "lines": _lines(bs),
    }
