"""Switching in from another app or a register: customers' dues, suppliers' payables, opening stock.

Each import runs in the product import's two steps. `plan` reads the file (CSV or `.xlsx`),
maps its columns to fields (recognising the headings Indian shop apps and spreadsheets write,
with the user's own choices on top) and says what would happen, row by row, writing nothing.
`apply` plans again inside one write transaction and writes every row, or nothing when any
row is bad.

The file states balances *as of* a day, and an import makes the opening balance equal to
them: a customer or supplier the shop already has (matched by phone, GSTIN or name) gets only
the difference posted, so importing the same file twice changes nothing the second time.
Opening stock is the quantity on hand that day; only what TillBook does not hold yet is
added, as opening movements at the given cost.

Amounts are read by `money.parse_written_money` (₹1,250.50, 1,25,000, (300)), the same rules as
every amount typed in TillBook plus the marks people put around them; whose money it is comes
from Dr/Cr words in the cell or in a column of their own, or from separate "to collect" and
"to pay" columns. The rules the preview prints are produced by the parser itself (`RULES`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from posapp.dates import check_day, date_format
from posapp.errors import ValidationError
from posapp.i18n import LazyString, _, lazy, ngettext
from posapp.models import Customer, LedgerEntry, Product, StockMovement, Supplier, User
from posapp.models.base import local_midnight_utc, utcnow, write_transaction
from posapp.money import (
    format_money,
    money_str,
    parse_quantity,
    parse_written_money,
    qty_str,
)
from posapp.services import audit, books_sales, books_stock, inventory, system_notes
from posapp.services.books import issue_value
from posapp.services.catalog_csv import norm_header
from posapp.services.customers import (
    add_customer,
    parse_customer_fields,
    settle_gst_state,
    snapshot,
)
from posapp.services.ledger import local_today, lock_customer
from posapp.services.settings import ShopSettings, load_settings
from posapp.services.suppliers import add_supplier, opening_settled, parse_supplier_fields
from posapp.services.tabular import Table, read_table

MAX_ROWS = 20_000
AUDIT_ACTIONS = {
    "customers": "import.customers",
    "suppliers": "import.suppliers",
    "stock": "import.stock",
}
SAMPLE = 50  # rows shown in the preview
NOTE_LIMIT = 200


@dataclass(frozen=True)
class Field:
    """A field an import fills, the headings it is recognised by, and what it means."""

    key: str
    label: LazyString
    aliases: tuple[str, ...]
    help: LazyString
    required: bool = False


@dataclass
class Row:
    """What one good row would do."""

    line: int
    action: str  # "create", "update" or "unchanged"
    label: str  # who or what the row is about
    detail: str  # in words, for the preview
    amount: int = 0  # signed money the row posts (opening balance or stock value)
    target_id: int | None = None
    values: dict[str, Any] = field(default_factory=dict)


@dataclass
class Plan:
    """What an import would do: the mapping, counts, totals and every bad row."""

    kind: str
    source: str = ""  # how the file was read, in English (the audit log keeps it)
    read_as: str = ""  # the same in the user's language, for the preview
    headers: list[str] = field(default_factory=list)
    mapping: list[str] = field(default_factory=list)  # per column: a field key or ""
    chosen: list[bool] = field(default_factory=list)  # per column: mapped by the user
    problems: list[str] = field(default_factory=list)  # about the columns, before any row
    rows: list[Row] = field(default_factory=list)
    errors: list[tuple[int, str]] = field(default_factory=list)
    as_of: date | None = None
    totals: dict[str, int] = field(default_factory=dict)
    decimal_comma: bool = False  # 45,50 is read as 45.50 (a semicolon-separated CSV)

    @property
    def ok(self) -> bool:
        """True when the import can be applied: no column problem, no bad row."""
        return not self.problems and not self.errors

    def count(self, action: str) -> int:
        """How many rows would do `action`."""
        return sum(1 for row in self.rows if row.action == action)


# ---------------------------------------------------------------- fields and headings

NAME = (
    "name",
    "customername",
    "partyname",
    "party",
    "customer",
    "accountname",
    "ledgername",
    "particulars",
    "nameofparty",
    "fullname",
    "clientname",
    "client",
)
PHONE = (
    "phone",
    "mobile",
    "mobileno",
    "mobilenumber",
    "phoneno",
    "phonenumber",
    "contact",
    "contactno",
    "contactnumber",
    "whatsapp",
    "whatsappno",
    "whatsappnumber",
    "mob",
    "cell",
    "cellno",
    "telephone",
)
BALANCE = (
    "balance",
    "closingbalance",
    "amountdue",
    "due",
    "dues",
    "outstanding",
    "outstandingamount",
    "openingbalance",
    "currentbalance",
    "netbalance",
    "totaldue",
    "pending",
    "pendingamount",
    "udhaar",
    "udhar",
    "baki",
    "baaki",
    "amount",
    "balanceamount",
    "partybalance",
)
BALANCE_TYPE = (
    "balancetype",
    "type",
    "drcr",
    "crdr",
    "status",
    "nature",
    "balancestatus",
    "dueType".lower(),
)
AS_OF = ("asof", "asofdate", "asondate", "date", "balancedate", "openingdate", "ason")
COMMON = {
    "email": ("email", "emailid", "emailaddress", "mail"),
    "address": ("address", "billingaddress", "addr", "fulladdress", "partyaddress"),
    "gstin": ("gstin", "gstno", "gstnumber", "gstinuin", "gst", "gstinno", "gstinnumber"),
    "note": ("note", "notes", "remarks", "remark", "comment", "comments", "description"),
}


def _balance_fields(balance_help: LazyString, type_help: LazyString) -> list[Field]:
    # Each kind passes its own whole sentences: which side Dr is differs for customers and
    # suppliers, and a translation needs the sentence, not the pieces.
    return [
        Field("balance", lazy("Balance"), BALANCE, balance_help),
        Field("balance_type", lazy("Balance type (Dr/Cr)"), BALANCE_TYPE, type_help),
        Field(
            "to_collect",
            lazy("To collect"),
            (
                "receivable",
                "receivablebalance",
                "toreceive",
                "youwillget",
                "tocollect",
                "debit",
                "dr",
                "amounttocollect",
                "toget",
                "youget",
            ),
            lazy("An amount the customer owes the shop (a column of its own)."),
        ),
        Field(
            "to_pay",
            lazy("To pay"),
            (
                "payable",
                "payablebalance",
                "youwillgive",
                "topay",
                "credit",
                "cr",
                "advance",
                "amounttopay",
                "togive",
                "yougive",
            ),
            lazy("An amount the shop owes (a column of its own)."),
        ),
        Field(
            "as_of",
            lazy("As of"),
            AS_OF,
            lazy("The day the balance is as of (else the day chosen)."),
        ),
    ]


CUSTOMER_FIELDS = (
    Field("name", lazy("Name"), NAME, lazy("The customer's name."), required=True),
    Field(
        "phone",
        lazy("Phone"),
        PHONE,
        lazy("Mobile number; matches a customer TillBook has."),
        required=True,
    ),
    Field("email", lazy("Email"), COMMON["email"], lazy("Email address.")),
    Field("address", lazy("Address"), COMMON["address"], lazy("Address.")),
    Field("gstin", lazy("GSTIN"), COMMON["gstin"], lazy("The customer's GSTIN, if a business.")),
    Field(
        "legal_name",
        lazy("Legal name"),
        ("legalname", "registeredname", "nameaspergst"),
        lazy("The business's name as registered for GST."),
    ),
    Field(
        "state_code",
        lazy("State code"),
        ("statecode", "gststatecode", "placeofsupply"),
        lazy("The GST state code (27 is Maharashtra); with a GSTIN, its state."),
    ),
    Field(
        "credit_limit",
        lazy("Credit limit"),
        ("creditlimit", "limit", "udhaarlimit", "maxcredit"),
        lazy("Most the customer may owe; empty keeps the shop's limit."),
    ),
    *_balance_fields(
        lazy(
            "What is owed as of the day; Dr / To collect means the customer owes the shop, "
            "Cr / To pay / Advance means the shop holds an advance."
        ),
        lazy("Dr / To collect or Cr / To pay / Advance, for a balance column without them."),
    ),
    Field("note", lazy("Note"), COMMON["note"], lazy("Kept as the customer's notes.")),
)
SUPPLIER_FIELDS = (
    Field(
        "name",
        lazy("Name"),
        (*NAME, "suppliername", "vendorname", "vendor", "supplier", "distributor", "wholesaler"),
        lazy("The supplier's name."),
        required=True,
    ),
    Field("phone", lazy("Phone"), PHONE, lazy("Phone number.")),
    Field(
        "gstin", lazy("GSTIN"), COMMON["gstin"], lazy("The supplier's GSTIN; matches a supplier.")
    ),
    Field("address", lazy("Address"), COMMON["address"], lazy("Address.")),
    Field(
        "credit_days",
        lazy("Credit days"),
        ("creditdays", "creditperiod", "paymentdays", "duedays", "terms"),
        lazy("Days a bill is due after its date."),
    ),
    *_balance_fields(
        lazy(
            "What is owed as of the day; Cr / To pay means the shop owes the supplier, "
            "Dr / To collect / Advance means an advance paid to them."
        ),
        lazy("Cr / To pay or Dr / To collect / Advance, for a balance column without them."),
    ),
)
STOCK_FIELDS = (
    Field(
        "code",
        lazy("Code"),
        ("code", "barcode", "sku", "ean", "upc", "itemcode", "productcode"),
        lazy("The product's code; else the name finds it."),
    ),
    Field(
        "name",
        lazy("Product name"),
        ("name", "productname", "product", "item", "itemname", "particulars", "description"),
        lazy("The product's name in TillBook."),
    ),
    Field(
        "quantity",
        lazy("Quantity"),
        (
            "quantity",
            "qty",
            "stock",
            "openingstock",
            "onhand",
            "closingstock",
            "closingqty",
            "balanceqty",
            "currentstock",
            "stockqty",
            "openingqty",
        ),
        lazy("Quantity on hand as of the day."),
        required=True,
    ),
    Field(
        "unit_cost",
        lazy("Unit cost"),
        (
            "unitcost",
            "cost",
            "costprice",
            "purchaseprice",
            "purchaserate",
            "cp",
            "rate",
            "buyprice",
        ),
        lazy("Cost of one unit; empty: the product's cost."),
    ),
    Field(
        "as_of",
        lazy("As of"),
        AS_OF,
        lazy("The day the stock is as of (else the day chosen)."),
    ),
)


@dataclass(frozen=True)
class Kind:
    """One import: its fields and what it is called."""

    key: str
    title: LazyString
    fields: tuple[Field, ...]
    owed_sign: int  # the sign of "Dr" in this kind's balance


KINDS = {
    "customers": Kind("customers", lazy("Customers with dues"), CUSTOMER_FIELDS, 1),
    "suppliers": Kind("suppliers", lazy("Suppliers with payables"), SUPPLIER_FIELDS, -1),
    "stock": Kind("stock", lazy("Opening stock"), STOCK_FIELDS, 1),
}


def kind_of(key: str) -> Kind:
    """The import called `key`, or a ValidationError."""
    if key not in KINDS:
        raise ValidationError(_("There is no such import."), field="kind")
    return KINDS[key]


def auto_mapping(kind: Kind, headers: list[str]) -> list[str]:
    """Map each heading to the field it names (or ""). A field's headings are in order of
    preference: with "balance" and "opening_balance" both present, "balance" fills it."""
    rank: dict[str, tuple[str, int]] = {}
    for f in kind.fields:
        for position, alias in enumerate(f.aliases):
            rank.setdefault(alias, (f.key, position))
    best: dict[str, tuple[int, int]] = {}  # field -> (alias position, column)
    for column, header in enumerate(headers):
        found = rank.get(norm_header(header))
        if found is not None:
            key, position = found
            if key not in best or position < best[key][0]:
                best[key] = (position, column)
    mapping = [""] * len(headers)
    for key, (_position, column) in best.items():
        mapping[column] = key
    return mapping


def _mapping(kind: Kind, table: Table, chosen: dict[int, str], plan: Plan) -> dict[str, int]:
    """The column of each field: recognised headings with the user's choices on top."""
    keys = {f.key for f in kind.fields}
    recognised = auto_mapping(kind, table.headers)
    mapping = list(recognised)
    for column, key in chosen.items():
        if 0 <= column < len(mapping) and (key in keys or key == ""):
            if key:  # the field leaves the column that had it
                mapping = ["" if m == key else m for m in mapping]
            mapping[column] = key
    plan.chosen = [m != r for m, r in zip(mapping, recognised, strict=True)]
    plan.headers, plan.mapping = table.headers, mapping
    columns: dict[str, int] = {}
    for column, key in enumerate(mapping):
        if key:
            columns[key] = column
    for f in kind.fields:
        if f.required and f.key not in columns:
            plan.problems.append(
                _(
                    "No column gives the %(field)s: choose one below.",
                    field=str(f.label).lower(),
                )
            )
    if kind.key == "stock" and "code" not in columns and "name" not in columns:
        plan.problems.append(_("No column gives the product's code or name: choose one below."))
    if "balance" in columns and ({"to_collect", "to_pay"} & columns.keys()):
        plan.problems.append(
            _("The balance comes from one column or from the to-collect/to-pay columns, not both.")
        )
    if "balance_type" in columns and "balance" not in columns:
        plan.problems.append(_("A balance type column needs a balance column."))
    return columns


# ---------------------------------------------------------------- amounts, balances, days

# A credit limit of none at all (an empty cell is the shop's limit for new customers).
NO_LIMIT_WORDS = ("nolimit", "none", "unlimited", "nil")
OWED_WORDS = (
    "dr",
    "debit",
    "tocollect",
    "collect",
    "receivable",
    "youwillget",
    "toget",
    "toreceive",
    "due",
    "owes",
    "udhaar",
)
ADVANCE_WORDS = (
    "cr",
    "credit",
    "topay",
    "pay",
    "payable",
    "youwillgive",
    "togive",
    "advance",
    "adv",
    "jama",
)
_MARK = re.compile(r"^(.*?)[\s(]*([A-Za-z][A-Za-z .]*?)[\s).]*$")


def _side(word: str) -> int | None:
    """+1 for a word meaning "owed to the shop's side as Dr", -1 for Cr, None for neither."""
    key = norm_header(word)
    if key in OWED_WORDS:
        return 1
    if key in ADVANCE_WORDS:
        return -1
    return None


def parse_balance(text: str, type_text: str, kind: Kind, column: str = "balance") -> int:
    """A signed opening balance: + owed to the customer's shop / owed by the shop to a supplier.

    "1250 Dr", "₹1,250.50", "1,25,000 To collect", "-300" (the other way). Dr is what the
    customer owes (the shop's receivable); for a supplier, Cr is what the shop owes.
    """
    amount_text, side = text.strip(), None
    match = _MARK.match(amount_text)
    if match and _side(match.group(2)) is not None and any(c.isdigit() for c in match.group(1)):
        amount_text, side = match.group(1).strip(), _side(match.group(2))
    if type_text.strip():
        given = _side(type_text)
        if given is None:
            raise ValidationError(
                _(
                    "balance type: %(text)s is neither Dr/To collect nor Cr/To pay.",
                    text=repr(type_text.strip()),
                )
            )
        if side is not None and side != given:
            raise ValidationError(_("the balance and its type column say opposite things."))
        side = given
    try:
        amount = parse_written_money(amount_text, column)
    except ValidationError as exc:
        raise ValidationError(_column(column, exc.message)) from None
    if side is not None:
        if amount < 0:
            raise ValidationError(
                _(
                    "%(column)s: a minus sign and Dr/Cr together are ambiguous.",
                    column=column,
                )
            )
        # Dr is the customer's debt to the shop, but for a supplier it is the shop's advance.
        amount *= side * kind.owed_sign
    return amount


def _plain_amount(text: str, column: str) -> int:
    if not text.strip():
        return 0
    try:
        amount = parse_written_money(text, column)
    except ValidationError as exc:
        raise ValidationError(_column(column, exc.message)) from None
    if amount < 0:
        raise ValidationError(
            _("%(column)s: an amount in this column cannot be negative.", column=column)
        )
    return amount


def _column(column: str, message: str) -> str:
    """A cell's message behind its column's name, as every row error reads ("to_pay: …")."""
    return _("%(column)s: %(reason)s", column=column, reason=message)


DAY_FORMATS_DMY = (
    "%d-%m-%Y",
    "%d/%m/%Y",
    "%d.%m.%Y",
    "%d-%b-%Y",
    "%d %b %Y",
    "%d-%m-%y",
    "%d/%m/%y",
    "%d %B %Y",
    "%d-%B-%Y",
)
DAY_FORMATS_MDY = (
    "%m-%d-%Y",
    "%m/%d/%Y",
    "%m.%d.%Y",
    "%b %d %Y",
    "%b %d, %Y",
    "%m/%d/%y",
    "%d-%b-%Y",
    "%d %b %Y",
)


def parse_as_of(text: str, settings: ShopSettings, field_name: str = "as_of") -> date:
    """A day as people write it: YYYY-MM-DD, or day and month in the shop's order (31-03-2026
    in India, 03/31/2026 in the US), or with the month as a word (31-Mar-2026)."""
    raw = text.strip()
    formats: tuple[str, ...] = ("%Y-%m-%d", "%Y/%m/%d", "%Y-%m-%d %H:%M")
    formats += DAY_FORMATS_MDY if date_format(settings.locale).startswith("%m") else DAY_FORMATS_DMY
    for fmt in formats:
        try:
            day = datetime.strptime(raw, fmt).date()
            break
        except ValueError:
            continue
    else:
        raise ValidationError(
            _(
                "%(field)s: %(text)s is not a day (write 31-03-2026 or 2026-03-31).",
                field=field_name,
                text=repr(raw),
            ),
            field=field_name,
        )
    check_day(day, field_name)
    if day > local_today():
        raise ValidationError(
            _("%(field)s: %(day)s is in the future.", field=field_name, day=raw), field=field_name
        )
    return day


def opening_moment(day: date) -> datetime:
    """When an opening entry for `day` is dated: the start of that day in the shop's time."""
    return local_midnight_utc(day)


def rules(kind: Kind, settings: ShopSettings) -> list[tuple[str, str]]:
    """How amounts are read, each example worked out by the parser itself (so the words on
    the page cannot drift from what the import does)."""
    if kind.key == "stock":
        return []
    examples = [
        "₹1,250.50",
        "1,25,000",
        "1250 Dr",
        "1250 Cr",
        "-300",
        "1250 To collect",
        "(300)",
        "2,5",
    ]
    out = []
    for text in examples:
        try:
            amount = parse_balance(text, "", kind)
        except ValidationError as exc:
            out.append((text, _("refused: %(reason)s", reason=exc.message)))
            continue
        money = format_money(abs(amount), settings.currency, settings.locale)
        if kind.key == "customers":
            words = (
                _("the customer owes %(amount)s", amount=money)
                if amount >= 0
                else _("advance held for the customer: %(amount)s", amount=money)
            )
        else:
            words = (
                _("the shop owes %(amount)s", amount=money)
                if amount >= 0
                else _("advance paid to the supplier: %(amount)s", amount=money)
            )
        out.append((text, words))
    return out


# ---------------------------------------------------------------- planning


@dataclass
class _Context:
    session: Session
    kind: Kind
    table: Table
    columns: dict[str, int]
    settings: ShopSettings
    as_of: date
    seen: dict[str, int] = field(default_factory=dict)  # key -> first line

    def get(self, cells: list[str], key: str) -> str:
        return self.table.cell(cells, self.columns.get(key))

    def number(self, cells: list[str], key: str) -> str:
        return self.table.number(cells, self.columns.get(key))

    def earlier(self, key: str, line: int) -> int | None:
        """The line `key` was first seen on, when that is an earlier line (else None)."""
        first = self.seen.setdefault(key, line)
        return first if first != line else None

    def day(self, cells: list[str]) -> date:
        text = self.get(cells, "as_of")
        return parse_as_of(text, self.settings) if text else self.as_of

    def balance(self, cells: list[str]) -> int | None:
        """The row's opening balance, or None when the file says nothing about it."""
        if "balance" in self.columns:
            text = self.number(cells, "balance")
            if not text:
                return None
            return parse_balance(text, self.get(cells, "balance_type"), self.kind)
        if {"to_collect", "to_pay"} & self.columns.keys():
            collect = self.number(cells, "to_collect")
            pay = self.number(cells, "to_pay")
            if not collect and not pay:
                return None
            owed = _plain_amount(collect, "to_collect") - _plain_amount(pay, "to_pay")
            return owed * self.kind.owed_sign
        return None

    def money(self, minor: int) -> str:
        return format_money(minor, self.settings.currency, self.settings.locale)

    def day_text(self, day: date) -> str:
        return day.strftime(date_format(self.settings.locale))


def plan(
    session: Session,
    kind_key: str,
    source: Path,
    *,
    chosen: dict[int, str] | None = None,
    as_of: date | None = None,
) -> Plan:
    """Say what importing a file would do; nothing is written."""
    kind = kind_of(kind_key)
    settings = load_settings(session)
    table = read_table(source, max_rows=MAX_ROWS, sheet_hint=kind.key)
    result = Plan(
        kind.key,
        source=table.source,
        read_as=table.read_as,
        as_of=as_of or local_today(),
        decimal_comma=table.decimal_comma,
    )
    columns = _mapping(kind, table, chosen or {}, result)
    if result.problems:
        return result
    context = _Context(session, kind, table, columns, settings, result.as_of or local_today())
    check = {"customers": _customer_row, "suppliers": _supplier_row, "stock": _stock_row}[kind.key]
    for line, cells in table.rows:
        try:
            result.rows.append(check(context, line, cells))
        except ValidationError as exc:
            result.errors.append((line, _row_message(exc)))
    result.totals = _totals(kind, result.rows)
    return result


def _row_message(exc: ValidationError) -> str:
    if exc.fields:
        return "; ".join(f"{key}: {message}" for key, message in exc.fields.items())
    return exc.message


def _totals(kind: Kind, rows: Iterable[Row]) -> dict[str, int]:
    totals = {"owed": 0, "advance": 0}
    for row in rows:
        total = row.values.get("opening_after", 0)
        if kind.key == "stock":
            totals["owed"] += row.values.get("value_after", 0)
        elif total >= 0:
            totals["owed"] += total
        else:
            totals["advance"] -= total
    return totals


def _customer_row(ctx: _Context, line: int, cells: list[str]) -> Row:
    data: dict[str, Any] = {
        key: ctx.get(cells, key)
        for key in ("name", "phone", "email", "address", "gstin", "legal_name", "state_code")
        if key in ctx.columns
    }
    if "note" in ctx.columns:
        data["notes"] = ctx.get(cells, "note")
    limit = ctx.number(cells, "credit_limit")
    if norm_header(limit) in NO_LIMIT_WORDS:
        data["credit_limit"] = None
    elif limit:
        try:
            data["credit_limit"] = money_str(parse_written_money(limit, "credit_limit"))
        except ValidationError as exc:
            raise ValidationError(_column("credit_limit", exc.message)) from None
    fields = parse_customer_fields(data, partial=False, region=ctx.settings.phone_region)
    settle_gst_state(fields, "", "")
    first = ctx.earlier("phone:" + fields["phone"], line)
    if first is not None:
        raise ValidationError(
            _("the phone %(phone)s is already on line %(line)s.", phone=fields["phone"], line=first)
        )
    opening = ctx.balance(cells)
    day = ctx.day(cells)
    existing = ctx.session.scalar(select(Customer).where(Customer.phone == fields["phone"]))
    before = 0
    if existing is not None:
        before = _opening_total(ctx.session, LedgerEntry.customer_id == existing.id)
    target = before if opening is None else opening
    values = {
        "fields": fields,
        "opening_after": target,
        "delta": target - before,
        "day": day.isoformat(),
    }
    detail = _balance_words(ctx, target, before, existing is not None, day, "customers")
    if existing is None:
        return Row(line, "create", fields["name"], detail, target - before, None, values)
    changed = list(_customer_changes(fields, existing))
    action = "update" if changed or target != before else "unchanged"
    if changed:
        detail = _("%(detail)s; changes %(fields)s", detail=detail, fields=", ".join(changed))
    return Row(line, action, fields["name"], detail, target - before, existing.id, values)


# What an import may change on a customer it matched by phone (a blank cell changes nothing).
CUSTOMER_UPDATES = ("name", "email", "address", "gstin", "legal_name", "state_code",
                    "credit_limit", "notes")  # fmt: skip


def _customer_changes(fields: dict[str, Any], customer: Customer) -> dict[str, Any]:
    """The parsed fields that differ from the customer's and are not blank."""
    return {
        key: fields[key]
        for key in CUSTOMER_UPDATES
        if key in fields and fields[key] != "" and fields[key] != getattr(customer, key)
    }


def _opening_total(session: Session, where: Any) -> int:
    total = session.scalar(
        select(func.coalesce(func.sum(LedgerEntry.amount), 0)).where(
            where, LedgerEntry.kind == "opening"
        )
    )
    return int(total or 0)


def _balance_words(
    ctx: _Context, target: int, before: int, known: bool, day: date, kind: str
) -> str:
    day_text = ctx.day_text(day)
    if target < 0:
        words = _("advance %(amount)s as of %(day)s", amount=ctx.money(-target), day=day_text)
    elif not target:
        words = _("nothing owed as of %(day)s", day=day_text)
    elif kind == "customers":
        words = _("owes %(amount)s as of %(day)s", amount=ctx.money(target), day=day_text)
    else:
        words = _("is owed %(amount)s as of %(day)s", amount=ctx.money(target), day=day_text)
    if known and target != before:
        words = _("%(words)s (opening was %(amount)s)", words=words, amount=ctx.money(before))
    return words


def _supplier_row(ctx: _Context, line: int, cells: list[str]) -> Row:
    data: dict[str, Any] = {
        key: ctx.get(cells, key)
        for key in ("name", "phone", "gstin", "address", "credit_days")
        if key in ctx.columns and (key == "name" or ctx.get(cells, key))
    }
    fields = parse_supplier_fields(data, partial=True, region=ctx.settings.phone_region)
    name, phone, gstin = fields["name"], fields.get("phone", ""), fields.get("gstin", "")
    first = ctx.earlier("name:" + name.lower(), line)
    if first is not None:
        raise ValidationError(
            _("the supplier %(name)s is already on line %(line)s.", name=repr(name), line=first)
        )
    first = ctx.earlier("gstin:" + gstin, line) if gstin else None
    if first is not None:
        raise ValidationError(
            _("the GSTIN %(gstin)s is already on line %(line)s.", gstin=gstin, line=first)
        )
    opening = ctx.balance(cells)
    if opening is not None and opening < 0:
        raise ValidationError(
            _(
                "balance: an advance paid to a supplier is not an opening balance; import the "
                "supplier with nothing owed, then record the advance as a payment to them."
            )
        )
    day = ctx.day(cells)
    existing = _find_supplier(ctx.session, name, phone, gstin)
    before = existing.opening_balance if existing is not None else 0
    target = before if opening is None else opening
    if existing is not None and target < before:
        settled = opening_settled(ctx.session, existing.id)
        if target < settled:
            raise ValidationError(
                _(
                    "balance: payments already settle %(amount)s of %(name)s's opening "
                    "balance; it cannot be less than that.",
                    amount=ctx.money(settled),
                    name=existing.name,
                )
            )
    values = {
        "fields": fields,
        "opening_after": target,
        "delta": target - before,
        "day": day.isoformat(),
    }
    detail = _balance_words(ctx, target, before, existing is not None, day, "suppliers")
    if existing is None:
        return Row(line, "create", name, detail, target, None, values)
    changed = [k for k, v in fields.items() if v and v != getattr(existing, k)]
    action = "update" if changed or target != before else "unchanged"
    if changed:
        detail = _("%(detail)s; changes %(fields)s", detail=detail, fields=", ".join(changed))
    return Row(line, action, name, detail, target - before, existing.id, values)


def _find_supplier(session: Session, name: str, phone: str, gstin: str) -> Supplier | None:
    if gstin:
        found = session.scalar(select(Supplier).where(Supplier.gstin == gstin).limit(1))
        if found is not None:
            return found
    if phone:
        found = session.scalar(select(Supplier).where(Supplier.phone == phone).limit(1))
        if found is not None:
            return found
    return session.scalar(
        select(Supplier).where(func.lower(Supplier.name) == name.lower()).limit(1)
    )


def _stock_row(ctx: _Context, line: int, cells: list[str]) -> Row:
    code, name = ctx.get(cells, "code"), ctx.get(cells, "name")
    product = None
    if code:
        product = ctx.session.scalar(select(Product).where(Product.code == code))
        if product is None and not name:
            raise ValidationError(_("code: no product has the code %(code)s.", code=code))
    if product is None and name:
        found = list(
            ctx.session.scalars(
                select(Product)
                .where(func.lower(Product.name) == name.lower(), Product.archived.is_(False))
                .limit(2)
            )
        )
        if len(found) > 1:
            raise ValidationError(
                _("name: two products are named %(name)s; give the code.", name=repr(name))
            )
        product = found[0] if found else None
    if product is None:
        raise ValidationError(
            _("no product is coded %(code)s: import or add the products first.", code=code)
            if code
            else _(
                "no product is named %(name)s: import or add the products first.",
                name=repr(name),
            )
        )
    if product.is_service:
        raise ValidationError(_("%(name)s is a service: it has no stock.", name=product.name))
    first = ctx.earlier(f"product:{product.id}", line)
    if first is not None:
        raise ValidationError(
            _(
                "the product %(name)s is already on line %(line)s.",
                name=repr(product.name),
                line=first,
            )
        )
    try:
        quantity = parse_quantity(ctx.number(cells, "quantity"), product.unit, "quantity")
    except ValidationError as exc:
        raise ValidationError(_column("quantity", exc.message)) from None
    cost_text = ctx.number(cells, "unit_cost")
    try:
        cost = parse_written_money(cost_text, "unit_cost") if cost_text else product.cost
    except ValidationError as exc:
        raise ValidationError(_column("unit_cost", exc.message)) from None
    if cost < 0:
        raise ValidationError(_("unit_cost: a cost cannot be negative."))
    day = ctx.day(cells)
    held = product.stock_milli
    if quantity < held:
        raise ValidationError(
            _(
                "TillBook already holds %(held)s %(unit)s of %(name)s, more than this row's "
                "%(quantity)s: opening stock only adds; correct it with a stock count.",
                held=qty_str(held, product.unit),
                unit=product.unit,
                name=product.name,
                quantity=qty_str(quantity, product.unit),
            )
        )
    added = quantity - held
    value_after = issue_value(quantity, cost) if added else product.stock_value
    values = {
        "product_id": product.id,
        "added": added,
        "unit_cost": cost,
        "day": day.isoformat(),
        "value_after": value_after,
    }
    if not added:
        return Row(line, "unchanged", product.name, _("already on hand"), 0, product.id, values)
    detail = _(
        "+%(added)s %(unit)s at %(cost)s as of %(day)s (on hand %(quantity)s)",
        added=qty_str(added, product.unit),
        unit=product.unit,
        cost=ctx.money(cost),
        day=ctx.day_text(day),
        quantity=qty_str(quantity, product.unit),
    )
    return Row(line, "update", product.name, detail, value_after, product.id, values)


# ---------------------------------------------------------------- applying


@dataclass(frozen=True)
class Result:
    """What an applied import wrote."""

    created: int
    updated: int
    unchanged: int


def apply(
    session: Session,
    kind_key: str,
    source: Path,
    user: User,
    *,
    chosen: dict[int, str] | None = None,
    as_of: date | None = None,
) -> Result:
    """Import every row in one transaction, or nothing if any row (or the mapping) is bad."""
    if not user.is_admin:
        from posapp.errors import Forbidden

        raise Forbidden(_("Only an admin may import opening balances and stock."))
    with write_transaction(session):
        checked = plan(session, kind_key, source, chosen=chosen, as_of=as_of)
        if not checked.ok:
            bad = len(checked.errors)
            raise ValidationError(
                checked.problems[0]
                if checked.problems
                else ngettext(
                    "%(num)s row has a problem; nothing was imported.",
                    "%(num)s rows have problems; nothing was imported.",
                    bad,
                ),
                field="file",
            )
        write: Callable[[Session, Row, User], None] = {
            "customers": _write_customer,
            "suppliers": _write_supplier,
            "stock": _write_stock,
        }[kind_key]
        for row in checked.rows:
            if row.action != "unchanged":
                write(session, row, user)
        result = Result(
            checked.count("create"), checked.count("update"), checked.count("unchanged")
        )
        audit.record(
            session,
            AUDIT_ACTIONS[kind_key],
            user_id=user.id,
            entity="import",
            after={
                "source": checked.source,
                "created": result.created,
                "updated": result.updated,
                "unchanged": result.unchanged,
                "totals": checked.totals,
            },
        )
    session.expire_all()
    return result


def _day_text(session: Session, day: date) -> str:
    """A day as the shop writes it, for a note that stays with the entry."""
    return day.strftime(date_format(load_settings(session).locale))


def _write_customer(session: Session, row: Row, user: User) -> None:
    fields = dict(row.values["fields"])
    delta, day = row.values["delta"], date.fromisoformat(row.values["day"])
    if row.target_id is None:
        customer = add_customer(session, fields, user, load_settings(session))
    else:
        customer = lock_customer(session, row.target_id)
        before = snapshot(customer)
        for key, value in _customer_changes(fields, customer).items():
            setattr(customer, key, value)
        customer.updated_at = utcnow()
        session.flush()
        if snapshot(customer) != before:
            audit.record(
                session,
                "customer.update",
                user_id=user.id,
                entity="customer",
                entity_id=customer.id,
                before=before,
                after=snapshot(customer),
            )
    if delta:
        entry = LedgerEntry(
            customer_id=customer.id,
            kind="opening",
            amount=delta,
            note=system_notes.written(
                system_notes.OPENING_BALANCE_IMPORTED, day=_day_text(session, day)
            ),
            user_id=user.id,
            created_at=opening_moment(day),
        )
        session.add(entry)
        session.flush()
        books_sales.post_ledger_entry(session, entry)


def _write_supplier(session: Session, row: Row, user: User) -> None:
    fields = dict(row.values["fields"])
    target, day = row.values["opening_after"], date.fromisoformat(row.values["day"])
    now = utcnow()
    if row.target_id is None:
        add_supplier(
            session,
            {**fields, "opening_balance": target, "opening_date": day if target else None},
            user,
        )
        return
    found = session.scalar(select(Supplier).where(Supplier.id == row.target_id).with_for_update())
    assert found is not None
    supplier = found
    before = {
        "opening_balance": supplier.opening_balance,
        **{k: getattr(supplier, k) for k in fields},
    }
    previous = supplier.opening_balance
    for key, value in fields.items():
        if value:
            setattr(supplier, key, value)
    if target != previous:
        supplier.opening_balance = target
        supplier.opening_date = day
    supplier.updated_at = now
    session.flush()
    if target != previous:
        books_stock.post_supplier_opening(session, supplier, previous=previous, user_id=user.id)
    audit.record(
        session,
        "supplier.update",
        user_id=user.id,
        entity="supplier",
        entity_id=supplier.id,
        before=before,
        after={"opening_balance": target, **{k: getattr(supplier, k) for k in fields}},
    )


def _write_stock(session: Session, row: Row, user: User) -> None:
    values = row.values
    day = date.fromisoformat(values["day"])
    product = session.get(Product, values["product_id"], populate_existing=True)
    assert product is not None
    before = {"stock_milli": product.stock_milli, "cost": product.cost}
    movement: StockMovement = inventory.book_movement(
        session,
        product,
        values["added"],
        "opening",
        user_id=user.id,
        ref="Opening stock import",
        note=system_notes.written(system_notes.OPENING_STOCK_AS_OF, day=_day_text(session, day)),
        unit_cost=values["unit_cost"],
    )
    movement.created_at = opening_moment(day)
    books_stock.apply_stock_movement(session, movement)
    audit.record(
        session,
        "stock.opening",
        user_id=user.id,
        entity="product",
        entity_id=product.id,
        before=before,
        after={"stock_milli": product.stock_milli, "cost": product.cost, "imported": True},
    )


def parse_choices(form: Any, columns: int) -> dict[int, str]:
    """Read the preview's column choices (`map-<n>` = field key, or "" to ignore)."""
    chosen: dict[int, str] = {}
    for column in range(min(columns, 200)):
        value = form.get(f"map-{column}")
        if isinstance(value, str) and len(value) <= 32:
            chosen[column] = value
    return chosen


def template_rows(kind_key: str) -> list[list[str]]:
    """A template for an import: the usual headings and example rows."""
    today = local_today().isoformat()
    if kind_key == "customers":
        return [
            ["name", "phone", "address", "gstin", "credit_limit", "balance", "as_of", "note"],
            [
                "Sunita Sharma",
                "98765 43210",
                "12 MG Road",
                "",
                "5000",
                "1,250.50 Dr",
                today,
                "pays on Sundays",
            ],
            [
                "Rakesh Traders",
                "+91 91234 56789",
                "Shop 4, Main Bazar",
                "",
                "",
                "300 Cr",
                today,
                "advance",
            ],
        ]
    if kind_key == "suppliers":
        return [
            ["name", "phone", "gstin", "address", "credit_days", "balance", "as_of"],
            [
                "Metro Wholesale",
                "+91 80 4123 4567",
                "",
                "Industrial Area",
                "30",
                "12,500 Cr",
                today,
            ],
        ]
    if kind_key == "stock":
        return [
            ["code", "name", "quantity", "unit_cost", "as_of"],
            ["8901234567890", "Tata Salt 1kg", "48", "24.50", today],
            ["", "Basmati Rice (loose)", "25.500", "96.00", today],
        ]
    kind_of(kind_key)
    return []


def template_xlsx(rows: list[list[str]], kind_key: str) -> bytes:
    """The template as an Excel workbook: every cell text, so nothing is taken as a formula."""
    import io

    import openpyxl
    from openpyxl.cell import WriteOnlyCell

    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet(kind_key.capitalize())
    for row in rows:
        cells = []
        for value in row:
            cell = WriteOnlyCell(sheet, value=value)
            cell.data_type = "s"
            cells.append(cell)
        sheet.append(cells)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
