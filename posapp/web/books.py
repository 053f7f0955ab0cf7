"""The books' pages (admins only): statements with CSV and PDF, the chart, manual entries.

Thin views over services/books_reports.py (read) and services/books_admin.py (write).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import date
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, stream_with_context, url_for
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response

from posapp.dates import parse_day
from posapp.documents.books_pdf import render_statement_pdf
from posapp.errors import DomainError, NotFound, ValidationError
from posapp.extensions import db
from posapp.i18n import LazyString, _, lazy
from posapp.models import Customer, Supplier
from posapp.models.books import Account, JournalLine
from posapp.services import books, books_admin, books_reports, exports, report_framework
from posapp.services.csv_io import csv_text, safe_rows
from posapp.services.ledger import local_today
from posapp.web import admin_required, id_value, shop_settings
from posapp.web.forms import flash_and_redirect, or_reshow

bp = Blueprint("books", __name__, url_prefix="/books")
# A day book page shows this many entries (the CSV and PDF have them all).
SHOWN_ENTRIES = 300
SHOWN_ROWS = 1000  # rows of any other statement on a page (the last, its closing, always)
# The longest periods a statement that lists journal lines is built for (it is held whole
# for its CSV and PDF), and the longest PDF: beyond them, a shorter period or the CSV.
DAY_BOOK_DAYS = 31
LEDGER_DAYS = 366
PDF_ROWS = 5000
ENTRY_ROWS = 6  # blank lines of the manual entry form

# name → (title, what it takes: "at", "range", "account", "customer", "supplier")
STATEMENTS: dict[str, tuple[LazyString, str]] = {
    "trial-balance": (lazy("Trial balance"), "at"),
    "profit-and-loss": (lazy("Profit and loss"), "range"),
    "balance-sheet": (lazy("Balance sheet"), "at"),
    "day-book": (lazy("Day book"), "range"),
    "account-book": (lazy("Account book (cash book, bank book)"), "account"),
    "sales-register": (lazy("Sales register"), "range"),
    "purchase-register": (lazy("Purchase register"), "range"),
    "gst-ledger": (lazy("GST ledger"), "range"),
    "customer-ledger": (lazy("Customer ledger"), "customer"),
    "supplier-ledger": (lazy("Supplier ledger"), "supplier"),
}
RANGED: dict[str, Callable[[Any, date, date], books_reports.Statement]] = {
    "profit-and-loss": books_reports.profit_and_loss,
    "sales-register": books_reports.sales_register,
    "purchase-register": books_reports.purchase_register,
    "gst-ledger": books_reports.gst_ledger,
}


@bp.get("/")
@admin_required
def index() -> str:
    """The books: the statements, the chart and the manual entry form."""
    cash = books.system_ids(db.session).get("cash")
    banks = list(
        db.session.scalars(select(Account).where(Account.kind == "bank").order_by(Account.code))
    )
    return render_template("books/index.html", statements=STATEMENTS, cash=cash, banks=banks)


def _at(raw: str | None) -> date:
    return parse_day(raw, "at") if raw else local_today()


def _pick(raw: str | None, field: str, message: str) -> int:
    value = id_value(raw or "")
    if value is None:
        raise ValidationError(message, field=field)
    return value


def _statement(name: str, args: Any, *, full: bool) -> books_reports.Statement:
    """Build the statement the query asks for (DomainError on bad input)."""
    _title, takes = STATEMENTS[name]
    if takes == "at":
        at = _at(args.get("at"))
        if name == "trial-balance":
            return books_reports.trial_balance(db.session, at)
        return books_reports.balance_sheet(db.session, at)
    start, end = report_framework.parse_range(args.get("from"), args.get("to"))
    longest = DAY_BOOK_DAYS if name == "day-book" else LEDGER_DAYS
    if (end - start).days >= longest and name not in RANGED:
        raise ValidationError(
            _(
                "The %(statement)s covers at most %(days)s days at a time.",
                statement=str(STATEMENTS[name][0]).lower(),
                days=longest,
            ),
            field="from",
        )
    try:
        if name == "day-book":
            return books_reports.day_book(
                db.session, start, end, limit=None if full else SHOWN_ENTRIES
            )
        if takes == "account":
            # No account asked for: the cash book.
            raw = args.get("account") or str(books.system_ids(db.session).get("cash", ""))
            account_id = _pick(raw, "account", _("Choose the account."))
            return books_reports.account_book(db.session, account_id, start, end)
        if takes == "customer":
            customer_id = _pick(args.get("customer"), "customer", _("Choose the customer."))
            return books_reports.party_ledger(
                db.session, customer_id=customer_id, start=start, end=end
            )
        if takes == "supplier":
            supplier_id = _pick(args.get("supplier"), "supplier", _("Choose the supplier."))
            return books_reports.party_ledger(
                db.session, supplier_id=supplier_id, start=start, end=end
            )
    except LookupError:
        raise ValidationError(_("No such account or party."), field=takes) from None
    return RANGED[name](db.session, start, end)


def _choices(takes: str) -> list[tuple[int, str]]:
    """The accounts, customers or suppliers a statement can be asked for."""
    if takes == "account":
        return [
            (a.id, f"{a.code} {a.name}")
            for a in db.session.scalars(select(Account).order_by(Account.code))
        ]
    # Only parties the journal names: the list stays as short as the books' own use.
    if takes == "customer":
        named = select(JournalLine.customer_id).where(JournalLine.customer_id.is_not(None))
        model: Any = Customer
    elif takes == "supplier":
        named = select(JournalLine.supplier_id).where(JournalLine.supplier_id.is_not(None))
        model = Supplier
    else:
        return []
    return [
        (row.id, row.name)
        for row in db.session.scalars(
            select(model).where(model.id.in_(named.distinct())).order_by(model.name)
        )
    ]


def _file_query() -> dict[str, str]:
    """The query the CSV and PDF links repeat: only the statement's own arguments."""
    keys = ("at", "from", "to", "account", "customer", "supplier")
    return {k: request.args[k] for k in keys if request.args.get(k)}


@bp.get("/<name>")
@admin_required
def show(name: str) -> Response | str | tuple[str, int]:
    """A statement as a page, or with ?format=csv / ?format=pdf as a download."""
    if name not in STATEMENTS:
        raise NotFound(_("No such statement."))
    title, takes = STATEMENTS[name]
    wanted = request.args.get("format")
    if wanted in ("csv", "pdf"):
        whole = _statement(name, request.args, full=True)  # bad input: the error page
        if wanted == "pdf" and len(whole.rows) > PDF_ROWS:
            raise ValidationError(
                _(
                    "That is %(rows)s rows, too long for a PDF (at most %(most)s): "
                    "choose a shorter period or download the CSV.",
                    rows=len(whole.rows),
                    most=PDF_ROWS,
                )
            )
        exports.record_export(db.session, current_user.id, f"books {name}", "download")
        stamp = time.strftime("%Y%m%d")
        if wanted == "pdf":
            return Response(
                render_statement_pdf(whole, shop_settings()),
                mimetype="application/pdf",
                headers={"Content-Disposition": f'inline; filename="{name}-{stamp}.pdf"'},
            )
        rows = safe_rows(books_reports.statement_csv(whole))
        response = Response(stream_with_context(csv_text(rows)), mimetype="text/csv")
        response.headers["Content-Disposition"] = f'attachment; filename="{name}-{stamp}.csv"'
        return response
    error = None
    statement: books_reports.Statement | None = None
    args = request.args.to_dict()
    if takes not in ("customer", "supplier") or args.get(takes):
        try:
            statement = _statement(name, args, full=False)
        except DomainError as exc:
            error = exc.message
    start, end = report_framework.parse_range(None, None)
    html = render_template(
        "books/statement.html",
        name=name,
        title=title,
        takes=takes,
        statement=statement,
        error=error,
        choices=_choices(takes),
        default_at=local_today(),
        default_from=start,
        default_to=end,
        shown=SHOWN_ENTRIES,
        shown_rows=SHOWN_ROWS,
        file_query=_file_query(),
        args=args,
        cash=books.system_ids(db.session).get("cash"),
        today=local_today(),
    )
    return (html, 422) if error else html


# ---------------------------------------------------------------- the chart of accounts


def _chart_page(error: str | None = None, form: Any = None) -> str:
    at = local_today()
    rows = books_reports.balances(db.session, at)
    depth: dict[int, int] = {}
    for account, _debit, _credit in rows:
        depth[account.id] = depth[account.parent_id] + 1 if account.parent_id in depth else 0
    used = set(db.session.scalars(select(JournalLine.account_id).distinct()))
    return render_template(
        "books/accounts.html",
        rows=rows,
        depth=depth,
        used=used,
        at=at,
        error=error,
        form=form or {},
        methods=books_admin.BANK_METHODS,
        parents=[a for a, _d, _c in rows if not a.archived],
    )


def _reshow(exc: DomainError) -> tuple[str, int]:
    return _chart_page(exc.message, request.form), 422


@bp.get("/accounts")
@admin_required
def accounts() -> str:
    """The chart of accounts with today's balances and the forms that change it."""
    return _chart_page()


@bp.post("/accounts")
@admin_required
def add_account() -> Response:
    """Add a sub-account (under a parent) or a further bank account."""
    if request.form.get("what") == "bank":
        data = {**request.form, "methods": request.form.getlist("methods")}
        account = or_reshow(
            lambda: books_admin.add_bank_account(db.session, data, current_user.id), _reshow
        )
    else:
        account = or_reshow(
            lambda: books_admin.add_sub_account(db.session, request.form, current_user.id),
            _reshow,
        )
    flash(_("Account %(code)s %(name)s added.", code=account.code, name=account.name), "success")
    return redirect(url_for("books.accounts"))


@bp.post("/accounts/<int:account_id>")
@admin_required
def change_account(account_id: int) -> Response:
    """Rename, archive, bring back, delete, or set the methods of an account."""
    action = request.form.get("action", "")
    back = flash_and_redirect(url_for("books.accounts"))
    user_id = current_user.id
    if action == "rename":
        or_reshow(
            lambda: books_admin.rename_account(
                db.session, account_id, request.form.get("name"), user_id
            ),
            back,
        )
        flash(_("Account renamed."), "success")
    elif action in ("archive", "restore"):
        or_reshow(
            lambda: books_admin.set_archived(db.session, account_id, action == "archive", user_id),
            back,
        )
        flash(
            _("Account archived.") if action == "archive" else _("Account back in use."), "success"
        )
    elif action == "delete":
        or_reshow(lambda: books_admin.delete_account(db.session, account_id, user_id), back)
        flash(_("Account deleted."), "success")
    elif action == "methods":
        or_reshow(
            lambda: books_admin.set_methods(
                db.session, account_id, request.form.getlist("methods"), user_id
            ),
            back,
        )
        flash(_("Payment methods saved."), "success")
    else:
        flash(_("Unknown action."), "danger")
    return redirect(url_for("books.accounts"))


# ---------------------------------------------------------------- manual entries


def _entry_lines(form: Any) -> list[dict[str, str]]:
    lines = []
    for i in range(books_admin.MAX_LINES):
        if f"account_{i}" not in form:
            break
        lines.append(
            {
                "account": form.get(f"account_{i}", ""),
                "debit": form.get(f"debit_{i}", ""),
                "credit": form.get(f"credit_{i}", ""),
                "party": form.get(f"party_{i}", ""),
            }
        )
    return lines


def _entry_page(error: str | None = None, form: Any = None) -> str:
    accounts_list = list(
        db.session.scalars(
            select(Account).where(Account.archived.is_(False)).order_by(Account.code)
        )
    )
    customers = db.session.scalars(select(Customer).order_by(Customer.name))
    suppliers = db.session.scalars(select(Supplier).order_by(Supplier.name))
    parties = [(f"c:{c.id}", _("Customer: %(name)s", name=c.name)) for c in customers]
    parties += [(f"s:{s.id}", _("Supplier: %(name)s", name=s.name)) for s in suppliers]
    form = form or {}
    count = max(ENTRY_ROWS, len(_entry_lines(form)))
    return render_template(
        "books/entry.html",
        accounts=accounts_list,
        parties=parties,
        error=error,
        form=form,
        count=count,
        today=local_today(),
    )


@bp.get("/journal/new")
@admin_required
def new_entry() -> str:
    """The manual journal entry form."""
    return _entry_page()


@bp.post("/journal/new")
@admin_required
def post_entry() -> Response:
    """Post a manual entry; an unbalanced or bad one re-shows the form and writes nothing."""
    day = request.form.get("day", "").strip()
    data: dict[str, Any] = {
        "day": day,
        "narration": request.form.get("narration", ""),
        "lines": _entry_lines(request.form),
    }
    entry_id = or_reshow(
        lambda: books_admin.manual_entry(db.session, data, current_user.id),
        lambda exc: (_entry_page(exc.message, request.form), 422),
    )
    flash(_("Entry #%(number)s posted.", number=entry_id), "success")
    query: dict[str, Any] = {"from": day, "to": day}
    return redirect(url_for("books.show", name="day-book", **query))


@bp.post("/journal/<int:entry_id>/reverse")
@admin_required
def reverse(entry_id: int) -> Response:
    """Post the reversing entry of an entry, today."""
    today = books.business_day()
    query: dict[str, Any] = {"from": today.isoformat()}
    back = url_for("books.show", name="day-book", **query)
    reversal = or_reshow(
        lambda: books_admin.reverse_entry(db.session, entry_id, today, current_user.id),
        flash_and_redirect(back),
        reraise=(404,),
    )
    flash(
        _("Entry #%(number)s reversed by entry #%(reversal)s.", number=entry_id, reversal=reversal),
        "success",
    )
    return redirect(back)
