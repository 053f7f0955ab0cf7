"""HQ's reports over every shop's records: dashboard, sales, tax, khata, stock, books, audit.

They read the projections (models/hq_views.py). Tenancy: every function takes `shop_id`, one
shop's id or None for "all shops" (the owner's choice on the page); nothing else crosses shops.
The figures are the shop's own (services/dashboard.py and sales_reports.py): net sales are
bill totals less the returns made that day, void bills never count, a day is a local day, and
"30 days" and "12 months" end today as on the shop's dashboard.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from posapp.errors import NotFound, ValidationError
from posapp.i18n import _, lazy
from posapp.models import HqRecord, HqShop
from posapp.models.base import write_transaction
from posapp.models.hq_views import (
    HqAudit,
    HqCreditNoteTax,
    HqCustomer,
    HqDaily,
    HqInvoiceTax,
    HqJournalLine,
    HqLedgerEntry,
    HqStock,
)
from posapp.money import percent_str, round_half_up_div
from posapp.services import audit
from posapp.services.dashboard import DAYS, MONTHS, month_start
from posapp.services.report_framework import Column, Report
from posapp.services.settings import store_value, stored_value

SHARED_KEY = "hq_customers_shared"  # HQ's setting: one khata per phone number across shops
AUDIT_PAGE = 50
MAX_PHONE = 20


# ---------------------------------------------------------------- shops


@dataclass(frozen=True)
class ShopName:
    """A shop as the pages name it."""

    id: str
    name: str


def shops(session: Session) -> list[ShopName]:
    """Every shop at this HQ, by name (the pages' shop selector)."""
    rows = session.execute(select(HqShop.id, HqShop.name).order_by(HqShop.name, HqShop.id))
    return [ShopName(shop_id, name) for shop_id, name in rows]


def pick_shop(session: Session, raw: str | None) -> str | None:
    """The shop a page's `?shop=` names (None: all shops); 404 for a shop HQ does not have."""
    if not raw:
        return None
    if len(raw) > 36 or session.get(HqShop, raw) is None:
        raise NotFound(_("There is no such shop at this HQ."))
    return raw


def _of(column: Any, shop_id: str | None) -> list[Any]:
    return [] if shop_id is None else [column == shop_id]


# ---------------------------------------------------------------- sales figures


@dataclass
class Figures:
    """A shop's (or every shop's) sales over some days; paise, as the shop's summary counts."""

    bills: int = 0
    gross: int = 0  # bill totals
    returns: int = 0  # credit note totals of the days
    tax: int = 0  # net of returns
    net: int = 0  # net revenue (taxable value), net of returns
    cost: int = 0  # cost of goods sold, net of restocked returns
    paid: int = 0  # settled at the sale (cash net of refunds, card, UPI)
    credit: int = 0  # left on credit, less what returns took off it
    discount: int = 0

    @property
    def sales(self) -> int:
        """Net sales: bill totals less returns (the shop dashboard's "sales")."""
        return self.gross - self.returns

    @property
    def gross_profit(self) -> int:
        """Net revenue less cost of goods sold."""
        return self.net - self.cost

    @property
    def average_bill(self) -> int:
        """Net sales per bill, rounded half up (as the shop's dashboard)."""
        return (2 * self.sales + self.bills) // (2 * self.bills) if self.bills else 0

    def add(self, other: Figures) -> None:
        """Add another set of figures into this one."""
        for f in fields(self):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))


def figures(
    session: Session, shop_id: str | None, start: date, end: date, *, by_day: bool = False
) -> dict[tuple[str, date | None], Figures]:
    """Figures per (shop, day) between two local days (inclusive); day None unless `by_day`.

    From hq_daily: a year of every shop is a row per shop and day, whatever the bills.
    """
    d = HqDaily
    sums = (
        func.sum(d.bills),
        func.sum(d.gross),
        func.sum(d.returns),
        func.sum(d.tax - d.returns_tax),
        func.sum(d.net - d.returns_taxable),
        func.sum(d.cost - d.returns_cost),
        func.sum(d.paid - d.returns_cash),
        func.sum(d.gross - d.paid - d.returns_credit),
        func.sum(d.discount),
    )
    statement = (
        select(d.shop_id, d.day if by_day else func.min(d.day), *sums)
        .where(d.day >= start, d.day <= end, *_of(d.shop_id, shop_id))
        .group_by(d.shop_id, *([d.day] if by_day else []))
    )
    found: dict[tuple[str, date | None], Figures] = {}
    for shop, day, *values in session.execute(statement):
        found[(shop, day if by_day else None)] = Figures(*(int(v or 0) for v in values))
    return found


# ---------------------------------------------------------------- dashboard

PERIODS = (
    ("today", lazy("Today")),
    ("days", lazy("Last 30 days")),
    ("months", lazy("Last 12 months")),
)


def period_range(period: str, today: date) -> tuple[date, date]:
    """The days of a dashboard period, as the shop's dashboard takes them."""
    if period == "today":
        return today, today
    if period == "days":
        return today - timedelta(days=DAYS - 1), today
    if period == "months":
        return month_start(today, MONTHS - 1), today
    raise ValidationError(_("Unknown period."), field="period")


@dataclass
class ShopFigures:
    """One line of the dashboard's table."""

    shop: ShopName
    figures: Figures


@dataclass
class Dashboard:
    """The dashboard of one period: the total (all shops or the chosen one) and per shop."""

    period: str
    start: date
    end: date
    total: Figures
    rows: list[ShopFigures] = field(default_factory=list)
    outstanding: int = 0  # what customers owe (positive khata balances), as on the shop's page


def dashboard(session: Session, shop_id: str | None, period: str, today: date) -> Dashboard:
    """The dashboard figures of a period; its total row is the sum of its shop rows."""
    start, end = period_range(period, today)
    found = figures(session, shop_id, start, end)
    rows = []
    total = Figures()
    for shop in shops(session):
        if shop_id is not None and shop.id != shop_id:
            continue
        one = found.get((shop.id, None), Figures())
        rows.append(ShopFigures(shop, one))
        total.add(one)
    return Dashboard(period, start, end, total, rows, outstanding(session, shop_id))


def outstanding(session: Session, shop_id: str | None) -> int:
    """What customers owe: each customer's positive balance at each shop, summed."""
    balances = (
        select(func.sum(HqLedgerEntry.amount).label("bal"))
        .where(*_of(HqLedgerEntry.shop_id, shop_id))
        .group_by(HqLedgerEntry.shop_id, HqLedgerEntry.customer_id)
        .having(func.sum(HqLedgerEntry.amount) > 0)
        .subquery()
    )
    return int(session.scalar(select(func.coalesce(func.sum(balances.c.bal), 0))) or 0)


# ---------------------------------------------------------------- sales and tax reports

SALES_COLUMNS: list[Column] = [
    (lazy("Date"), "date"),
    (lazy("Bills"), "number"),
    (lazy("Gross sales"), "money"),
    (lazy("Returns"), "money"),
    (lazy("Net sales"), "money"),
    (lazy("Tax"), "money"),
    (lazy("Net revenue"), "money"),
    (lazy("Gross profit"), "money"),
    (lazy("Paid"), "money"),
    (lazy("On credit"), "money"),
]


def _sales_cells(row: Figures) -> list[Any]:
    return [
        row.bills,
        row.gross,
        row.returns,
        row.sales,
        row.tax,
        row.net,
        row.gross_profit,
        row.paid,
        row.credit,
    ]


def _totals(columns: list[Column], rows: list[list[Any]], skip: int = 1) -> dict[Any, int]:
    return {
        title: sum(row[i] for row in rows)
        for i, (title, kind) in enumerate(columns)
        if i >= skip and kind in ("money", "number")
    }


def sales_by_day(session: Session, shop_id: str | None, start: date, end: date) -> Report:
    """Per local day: bills, gross sales, returns, net sales, tax, net revenue, gross profit,
    paid and on credit, for one shop or all shops together."""
    per_day: dict[date, Figures] = {}
    for (_shop, day), row in figures(session, shop_id, start, end, by_day=True).items():
        assert day is not None
        per_day.setdefault(day, Figures()).add(row)
    rows = [[day, *_sales_cells(row)] for day, row in sorted(per_day.items())]
    return Report(lazy("Sales by day"), SALES_COLUMNS, rows, _totals(SALES_COLUMNS, rows))


def sales_by_shop(session: Session, shop_id: str | None, start: date, end: date) -> Report:
    """The same figures per shop over the range (the combined total is their sum)."""
    found = figures(session, shop_id, start, end)
    columns: list[Column] = [(lazy("Shop"), "text"), *SALES_COLUMNS[1:]]
    rows = [
        [shop.name, *_sales_cells(found.get((shop.id, None), Figures()))]
        for shop in shops(session)
        if shop_id is None or shop.id == shop_id
    ]
    return Report(lazy("Sales by shop"), columns, rows, _totals(columns, rows))


TAX_COLUMNS: list[Column] = [
    (lazy("Rate %"), "decimal"),
    (lazy("Taxable value"), "money"),
    (lazy("Tax"), "money"),
    ("CGST", "money"),
    ("SGST", "money"),
    ("IGST", "money"),
    (lazy("Cess"), "money"),
]


def tax_sums(session: Session, shop_id: str | None, start: date, end: date) -> dict[int, list[int]]:
    """Per rate: [taxable, tax, CGST, SGST, IGST, cess] of the range's bills less its returns."""
    heads = ("taxable", "tax", "cgst", "sgst", "igst", "cess")
    sums: dict[int, list[int]] = {}
    for model, sign, extra in (
        (HqInvoiceTax, 1, [HqInvoiceTax.void.is_(False)]),
        (HqCreditNoteTax, -1, []),
    ):
        statement = (
            select(model.rate_bp, *(func.sum(getattr(model, h)) for h in heads))
            .where(model.day >= start, model.day <= end, *extra, *_of(model.shop_id, shop_id))
            .group_by(model.rate_bp)
        )
        for rate, *values in session.execute(statement):
            row = sums.setdefault(int(rate), [0] * len(heads))
            for i, value in enumerate(values):
                row[i] += sign * int(value or 0)
    return sums


def tax_by_rate(session: Session, shop_id: str | None, start: date, end: date) -> Report:
    """Taxable value and tax per GST rate with CGST, SGST, IGST and cess, net of returns."""
    rows = [
        [percent_str(rate), *values]
        for rate, values in sorted(tax_sums(session, shop_id, start, end).items())
    ]
    return Report(lazy("Tax summary by rate"), TAX_COLUMNS, rows, _totals(TAX_COLUMNS, rows))


# ---------------------------------------------------------------- khata and shared customers


def customers_shared(session: Session) -> bool:
    """Whether the owner shares customers across shops (one khata per phone number)."""
    return stored_value(session, SHARED_KEY) == "1"


def set_customers_shared(session: Session, shared: bool, user_id: int | None) -> None:
    """Turn sharing customers across shops on or off (with its audit entry)."""
    with write_transaction(session):
        before = customers_shared(session)
        store_value(session, SHARED_KEY, "1" if shared else "0")
        audit.record(
            session,
            "hq.customers_shared",
            user_id=user_id,
            entity="setting",
            before={"shared": before},
            after={"shared": shared},
        )


@dataclass(frozen=True)
class Due:
    """A customer with a due: at one shop, or (shared) one phone number at every shop."""

    name: str
    phone: str
    due: int
    shops: tuple[tuple[str, int], ...]  # (shop name, its due), by shop name


def _balances(session: Session, shop_id: str | None, phone_digits: str | None = None) -> Any:
    """Rows (shop id, shop name, customer name, phone, phone digits, balance) of customers
    whose balance is not zero."""
    balance = func.sum(HqLedgerEntry.amount)
    statement = (
        select(
            HqCustomer.shop_id,
            HqShop.name,
            HqCustomer.name,
            HqCustomer.phone,
            HqCustomer.phone_digits,
            balance,
        )
        .join(
            HqLedgerEntry,
            (HqLedgerEntry.shop_id == HqCustomer.shop_id)
            & (HqLedgerEntry.customer_id == HqCustomer.customer_id),
        )
        .join(HqShop, HqShop.id == HqCustomer.shop_id)
        .where(*_of(HqCustomer.shop_id, shop_id))
        .group_by(
            HqCustomer.shop_id,
            HqShop.name,
            HqCustomer.customer_id,
            HqCustomer.name,
            HqCustomer.phone,
            HqCustomer.phone_digits,
        )
        .having(balance != 0)
    )
    if phone_digits is not None:
        statement = statement.where(HqCustomer.phone_digits == phone_digits)
    return session.execute(statement)


def khata(session: Session, shop_id: str | None, shared: bool) -> list[Due]:
    """Customers who owe, most first: per shop, or with `shared` one line per phone number
    summing that number's balance at every shop (credit at one shop offsets a due at another)."""
    lines: dict[tuple[str, str], list[Any]] = {}
    for shop, shop_name, name, phone, digits, balance in _balances(session, shop_id):
        key = ("", digits or f"{shop}:{phone}") if shared else (shop, phone)
        line = lines.setdefault(key, [name, phone, 0, []])
        line[2] += int(balance)
        line[3].append((shop_name, int(balance)))
    dues = [
        Due(name, phone, due, tuple(sorted(at)))
        for name, phone, due, at in lines.values()
        if due > 0
    ]
    return sorted(dues, key=lambda d: (-d.due, d.name, d.phone))


def normal_phone(raw: Any) -> str:
    """A phone number as shops store its digits (services/customers.py): digits only."""
    if not isinstance(raw, str) or len(raw) > 40:
        raise ValidationError(_("Enter a phone number."), field="phone")
    digits = "".join(ch for ch in raw if ch.isdigit() and ch.isascii())
    if not 6 <= len(digits) <= MAX_PHONE:
        raise ValidationError(_("Enter a phone number."), field="phone")
    return digits


def customer_due(session: Session, phone: str) -> dict[str, Any]:
    """One phone number's due at every shop (the shared-customers lookup a shop asks)."""
    digits = normal_phone(phone)
    per_shop: dict[str, int] = {}
    for _shop, shop_name, _name, _phone, _digits, balance in _balances(session, None, digits):
        per_shop[shop_name] = per_shop.get(shop_name, 0) + int(balance)
    return {
        "phone": digits,
        "due": sum(per_shop.values()),
        "shops": [{"name": name, "due": due} for name, due in sorted(per_shop.items())],
    }


# ---------------------------------------------------------------- stock


@dataclass
class StockLine:
    """One product (by code) and its stock at each shop (None: the shop does not have it)."""

    code: str
    name: str
    unit: str
    stock: list[int | None]
    value: int  # at selling price, of the stock on hand (negative stock counts as none)
    # Per shop: at or below the shop's own low-stock level for it (as the shop's badge counts).
    low: list[bool] = field(default_factory=list)

    @property
    def out(self) -> bool:
        """Whether some shop that has the product is out of it."""
        return any(s is not None and s <= 0 for s in self.stock)

    @property
    def any_low(self) -> bool:
        """Whether some shop that has the product is low on it (or out)."""
        return self.out or any(self.low)


def stock_matrix(
    session: Session,
    shop_id: str | None,
    *,
    out_only: bool = False,
    low_only: bool = False,
    query: str = "",
) -> tuple[list[ShopName], list[StockLine]]:
    """Products × shops: each active product's stock at each shop, by name; only those out
    of stock somewhere, or low or out somewhere, when asked."""
    columns = [s for s in shops(session) if shop_id is None or s.id == shop_id]
    at = {shop.id: i for i, shop in enumerate(columns)}
    statement = (
        select(HqStock)
        .where(HqStock.archived.is_(False), HqStock.is_service.is_(False))
        .where(*_of(HqStock.shop_id, shop_id))
        .order_by(HqStock.name, HqStock.code)
    )
    if query:
        pattern = f"%{query.lower()}%"
        statement = statement.where(
            or_(func.lower(HqStock.name).like(pattern), func.lower(HqStock.code).like(pattern))
        )
    lines: dict[str, StockLine] = {}
    for product in session.scalars(statement):
        line = lines.get(product.code)
        if line is None:
            line = lines[product.code] = StockLine(
                product.code,
                product.name,
                product.unit,
                [None] * len(columns),
                0,
                [False] * len(columns),
            )
        line.stock[at[product.shop_id]] = product.stock_milli
        line.low[at[product.shop_id]] = product.stock_milli <= product.low_stock_milli
        line.value += round_half_up_div(max(product.stock_milli, 0) * product.price, 1000)
    found = [
        line
        for line in lines.values()
        if (line.out or not out_only) and (line.any_low or not low_only)
    ]
    return columns, found


def stock_report(columns: list[ShopName], lines: list[StockLine]) -> Report:
    """The stock matrix as a report (its CSV): a column per shop, blank where a shop does
    not have the product; the value at selling price summed (quantities of different units
    are not)."""
    value_title = lazy("Value at selling price")
    report_columns: list[Column] = [
        (lazy("Code"), "text"),
        (lazy("Product"), "text"),
        (lazy("Unit"), "text"),
        *((shop.name, "qty") for shop in columns),
        (value_title, "money"),
    ]
    rows = [
        [
            line.code,
            line.name,
            line.unit,
            *(None if milli is None else (milli, line.unit) for milli in line.stock),
            line.value,
        ]
        for line in lines
    ]
    total = sum(line.value for line in lines)
    return Report(lazy("Stock at the shops"), report_columns, rows, {value_title: total})


# ---------------------------------------------------------------- books


def _accounts(session: Session, shop_ids: list[str]) -> dict[tuple[str, str], tuple[str, str]]:
    """(shop, the shop's account id) → (code, name), from the "account" records shops send."""
    found: dict[tuple[str, str], tuple[str, str]] = {}
    if not shop_ids:
        return found
    statement = select(HqRecord.shop_id, HqRecord.record_id, HqRecord.payload).where(
        HqRecord.kind == "account", HqRecord.shop_id.in_(shop_ids)
    )
    for shop_id, record_id, payload in session.execute(statement):
        data = payload if isinstance(payload, dict) else {}
        code, name = data.get("code"), data.get("name")
        found[(shop_id, record_id)] = (
            code if isinstance(code, str) else "",
            name if isinstance(name, str) else "",
        )
    return found


def _balance_rows(session: Session, shop_ids: list[str], end: date) -> list[list[Any]]:
    """[code, name, debit, credit] per account up to `end`, summed over `shop_ids` by code.

    Shops share the chart's codes (every shop starts from the same chart), so one code is one
    account across shops; an account HQ has no record of yet shows as "#<its id>".
    """
    debit, credit = func.sum(HqJournalLine.debit), func.sum(HqJournalLine.credit)
    statement = (
        select(HqJournalLine.shop_id, HqJournalLine.account_id, debit, credit)
        .where(HqJournalLine.shop_id.in_(shop_ids), HqJournalLine.day <= end)
        .group_by(HqJournalLine.shop_id, HqJournalLine.account_id)
    )
    names = _accounts(session, shop_ids)
    by_code: dict[str, list[Any]] = {}
    for shop_id, account_id, d, c in session.execute(statement):
        code, name = names.get((shop_id, str(account_id)), ("", ""))
        key = code or f"#{account_id}"
        row = by_code.setdefault(key, [key, name, 0, 0])
        if not row[1] and name:
            row[1] = name
        row[2] += int(d or 0)
        row[3] += int(c or 0)
    # Codes as the chart orders them; ids of unknown accounts as numbers ("#9" before "#10").
    return sorted(by_code.values(), key=lambda row: (row[0].startswith("#"), len(row[0]), row[0]))


def trial_balance(session: Session, shop_id: str | None, end: date) -> Report:
    """A trial balance up to a day: debits and credits per account, named by the chart's code
    and name. For one shop, or (shop_id None) every shop's books consolidated by account code.
    """
    chosen = [shop_id] if shop_id is not None else [s.id for s in shops(session)]
    rows = _balance_rows(session, chosen, end)
    columns: list[Column] = [
        (lazy("Code"), "text"),
        (lazy("Account"), "text"),
        (lazy("Debit"), "money"),
        (lazy("Credit"), "money"),
    ]
    return Report(lazy("Trial balance"), columns, rows, _totals(columns, rows, skip=2))


# ---------------------------------------------------------------- audit and users


@dataclass(frozen=True)
class AuditLine:
    """One audit entry of a shop."""

    shop: str
    at: datetime
    action: str
    user: str
    entity: str
    entity_id: str


def audit_page(
    session: Session,
    shop_id: str | None,
    *,
    action: str = "",
    user: str = "",
    page: int = 1,
) -> tuple[list[AuditLine], int]:
    """A page of the shops' audit entries, newest first, and how many there are in all."""
    where = [*_of(HqAudit.shop_id, shop_id)]
    if action:
        where.append(HqAudit.action == action)
    if user:
        where.append(HqAudit.user_id == user)
    count = int(session.scalar(select(func.count()).select_from(HqAudit).where(*where)) or 0)
    names = dict(session.execute(select(HqShop.id, HqShop.name)).all())
    people = _usernames(session, shop_id)
    statement = (
        select(HqAudit)
        .where(*where)
        .order_by(HqAudit.created_at.desc(), HqAudit.shop_id, HqAudit.audit_id.desc())
        .offset((max(page, 1) - 1) * AUDIT_PAGE)
        .limit(AUDIT_PAGE)
    )
    lines = [
        AuditLine(
            names.get(row.shop_id, row.shop_id),
            row.created_at,
            row.action,
            people.get((row.shop_id, row.user_id or ""), row.user_id or ""),
            row.entity,
            row.entity_id or "",
        )
        for row in session.scalars(statement)
    ]
    return lines, count


def audit_actions(session: Session) -> list[str]:
    """The actions the shops' audit entries hold (the page's filter)."""
    return list(session.scalars(select(HqAudit.action).distinct().order_by(HqAudit.action)))


def _usernames(session: Session, shop_id: str | None) -> dict[tuple[str, str], str]:
    found = {}
    statement = select(HqRecord.shop_id, HqRecord.record_id, HqRecord.payload).where(
        HqRecord.kind == "user", *_of(HqRecord.shop_id, shop_id)
    )
    for shop, record_id, payload in session.execute(statement):
        if isinstance(payload, dict) and isinstance(payload.get("username"), str):
            found[(shop, record_id)] = payload["username"]
    return found


@dataclass(frozen=True)
class ShopUser:
    """A user of a shop as HQ holds it (the shop's "user" records)."""

    username: str
    role: str
    active: bool
    language: str
    created_at: str
    last_login_at: str


def shop_users(session: Session, shop_id: str) -> list[ShopUser]:
    """The users of one shop, by name; empty until the shop sends its users."""

    def text(data: dict[str, Any], name: str) -> str:
        value = data.get(name)
        return value if isinstance(value, str) else ""

    users = [
        ShopUser(
            text(data, "username"),
            text(data, "role"),
            data.get("active") is not False,
            text(data, "language"),
            text(data, "created_at"),
            text(data, "last_login_at"),
        )
        for data in session.scalars(
            select(HqRecord.payload).where(HqRecord.shop_id == shop_id, HqRecord.kind == "user")
        )
        if isinstance(data, dict)
    ]
    return sorted(users, key=lambda u: u.username.lower())
