"""HQ's projections: the typed tables of models/hq_views.py, made from the records shops push.

`project` runs inside the push's transaction (services/hq.ingest), right after the records are
stored, with the records just stored: for each projected kind it deletes the rows those
records had made (a bill paid later, returned or voided arrives again as a new version) and
inserts their new rows, a few statements per push whatever its size. `rebuild` makes the
tables again from `hq_records` (after an upgrade, or to check them).

The figures are the shop's own: an invoice counts on the local day of its time with the
figures of services/summaries.py (void bills excluded by the reports, payments made at the
sale split by method, the rest on credit); a return takes its figures off its own day. The
local day is this process's timezone, as at the shop (records carry UTC times, no zone): HQ
must run in the shops' timezone (India: Asia/Kolkata) — DEPLOY.md says so.

Records are the shops' own, checked for shape only (services/hq.parse_push): a field missing
or of the wrong type counts as 0 (or "") here rather than refusing the whole push, and a
record without a readable time is not projected at all.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import (
    BigInteger,
    String,
    Table,
    any_,
    bindparam,
    delete,
    func,
    insert,
    literal,
    select,
    union_all,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session

from posapp.models import HqRecord
from posapp.models.base import table, write_transaction
from posapp.models.hq_views import (
    PROJECTIONS,
    HqAudit,
    HqCreditNote,
    HqCreditNoteTax,
    HqCustomer,
    HqDaily,
    HqInvoice,
    HqInvoiceTax,
    HqJournalLine,
    HqLedgerEntry,
    HqStock,
)
from posapp.money import round_half_up_div
from posapp.services import audit
from posapp.services.pricing import LEGACY_TAX_RULE

CHUNK = 1000  # ids per IN (...) and rows per INSERT: inside every driver's parameter limit
PAID_METHODS = ("cash", "card", "upi")  # what the shop's summary counts as settled at the sale

_INVOICES = table(HqInvoice)
_DAILY = table(HqDaily)
_INVOICE_TAX = table(HqInvoiceTax)
_NOTES = table(HqCreditNote)
_NOTE_TAX = table(HqCreditNoteTax)
_LEDGER = table(HqLedgerEntry)
_CUSTOMERS = table(HqCustomer)
_STOCK = table(HqStock)
_JOURNAL = table(HqJournalLine)
_AUDIT = table(HqAudit)
_RECORDS = table(HqRecord)

Row = dict[str, Any]
Record = tuple[str, dict[str, Any]]  # (record id, data)


# ---------------------------------------------------------------- reading a record's fields


def _int(value: Any) -> int:
    """A whole number from a record (bool and anything else count as 0)."""
    return value if type(value) is int else 0  # exactly int: a bool is not a number here


def _str(value: Any, limit: int) -> str:
    return value[:limit] if isinstance(value, str) else ""


def _ref(value: Any) -> str | None:
    """Another record's id (ids travel as text)."""
    return value[:64] if isinstance(value, str) and value else None


def _moment(value: Any) -> datetime | None:
    """A record's time (ISO 8601, "Z") as naive UTC; None when it cannot be read."""
    if not isinstance(value, str) or len(value) > 40:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment


@functools.lru_cache(maxsize=4096)
def _offset(hour: datetime) -> timedelta:
    """The local zone's offset from UTC during one UTC hour (zones change offset on the hour)."""
    offset = hour.replace(tzinfo=UTC).astimezone().utcoffset()
    return offset if offset is not None else timedelta(0)


def _day(moment: datetime) -> date:
    """The local day of a naive UTC time, as the shop's summaries.local_day gives it (a
    push's thousands of bills share a few hours: their offset is looked up once)."""
    return (moment + _offset(moment.replace(minute=0, second=0, microsecond=0))).date()


def _date(value: Any) -> date | None:
    if not isinstance(value, str) or len(value) != 10:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def _children(data: dict[str, Any], name: str) -> list[dict[str, Any]]:
    found = data.get(name)
    return [child for child in found if isinstance(child, dict)] if isinstance(found, list) else []


def _heads(rule: int, sums: list[int]) -> list[int]:
    """[taxable, tax, cgst, sgst, igst, cess] of one (document, rate): a legacy (rule 1)
    document's tax is split as it was issued, the odd paisa to CGST (sales_reports._by_rate)."""
    if rule == LEGACY_TAX_RULE:
        cgst = (sums[1] + 1) // 2
        return [sums[0], sums[1], cgst, sums[1] - cgst, sums[4], sums[5]]
    return sums


def _by_rate(lines: Iterable[tuple[int, dict[str, Any]]]) -> dict[int, list[int]]:
    """Per rate: [taxable, tax, cgst, sgst, igst, cess] summed over (rate, line) pairs."""
    sums: dict[int, list[int]] = {}
    for rate, line in lines:
        row = sums.get(rate)
        if row is None:
            row = sums[rate] = [0] * 6
        row[0] += _int(line.get("taxable"))
        row[1] += _int(line.get("tax"))
        row[2] += _int(line.get("cgst"))
        row[3] += _int(line.get("sgst"))
        row[4] += _int(line.get("igst"))
        row[5] += _int(line.get("cess"))
    return sums


# ---------------------------------------------------------------- rows of each kind


def _invoice_rows(shop_id: str, records: list[Record]) -> tuple[list[Row], list[Row]]:
    invoices: list[Row] = []
    taxes: list[Row] = []
    for record_id, data in records:
        created = _moment(data.get("created_at"))
        if created is None:
            continue
        day = _day(created)
        lines = _children(data, "lines")
        net = cost = 0
        for line in lines:
            net += _int(line.get("taxable"))
            qty, unit_cost = _int(line.get("qty_milli")), _int(line.get("unit_cost"))
            cost += round_half_up_div(qty * unit_cost, 1000)
        settled = dict.fromkeys(PAID_METHODS, 0)
        for payment in _children(data, "payments"):
            method, raw = payment.get("method"), payment.get("created_at")
            if method not in settled:
                continue
            # The summary counts what was paid at the sale; later payments settle the khata.
            # (Paid in the sale's own transaction, the two times are the same text.)
            if raw == data["created_at"] or ((at := _moment(raw)) is not None and at <= created):
                settled[method] += _int(payment.get("amount"))
        status = _str(data.get("status"), 10)
        invoices.append(
            {
                "shop_id": shop_id,
                "invoice_id": record_id,
                "number": _str(data.get("number"), 32),
                "day": day,
                "status": status,
                "customer_id": _ref(data.get("customer_id")),
                "total": _int(data.get("total")),
                "tax": _int(data.get("tax_total")),
                "discount": _int(data.get("discount_total")),
                "net": net,
                "cost": cost,
                "paid": _int(data.get("paid")),
                **settled,
            }
        )
        rule = _int(data.get("tax_rule"))
        for rate, sums in _by_rate((_int(line.get("tax_rate_bp")), line) for line in lines).items():
            taxable, tax, cgst, sgst, igst, cess = _heads(rule, sums)
            taxes.append(
                {
                    "shop_id": shop_id,
                    "invoice_id": record_id,
                    "rate_bp": rate,
                    "day": day,
                    "void": status == "void",
                    "taxable": taxable,
                    "tax": tax,
                    "cgst": cgst,
                    "sgst": sgst,
                    "igst": igst,
                    "cess": cess,
                }
            )
    return invoices, taxes


def _invoice_lines(
    session: Session, shop_id: str, invoice_ids: set[str], pushed: dict[str, dict[str, Any]]
) -> dict[str, tuple[int, int]]:
    """(rate, unit cost) per invoice line id of the given invoices, read from the push or from
    the invoices HQ holds: a credit note's line names the invoice line it returns."""
    found: dict[str, tuple[int, int]] = {}
    missing = [iid for iid in invoice_ids if iid not in pushed]
    payloads = [pushed[iid] for iid in invoice_ids if iid in pushed]
    for chunk in _chunks(missing):
        payloads.extend(
            session.execute(
                select(_RECORDS.c.payload).where(
                    _RECORDS.c.shop_id == shop_id,
                    _RECORDS.c.kind == "invoice",
                    _RECORDS.c.record_id.in_(chunk),
                )
            ).scalars()
        )
    for payload in payloads:
        if isinstance(payload, dict):
            for line in _children(payload, "lines"):
                line_id = line.get("id")
                if isinstance(line_id, str):
                    found[line_id] = (_int(line.get("tax_rate_bp")), _int(line.get("unit_cost")))
    return found


def _note_rows(
    session: Session, shop_id: str, records: list[Record], pushed: dict[str, dict[str, Any]]
) -> tuple[list[Row], list[Row]]:
    invoice_ids = {data["invoice_id"] for _id, data in records if _ref(data.get("invoice_id"))}
    lines_of = _invoice_lines(session, shop_id, invoice_ids, pushed) if records else {}
    notes: list[Row] = []
    taxes: list[Row] = []
    for record_id, data in records:
        created = _moment(data.get("created_at"))
        if created is None:
            continue
        day = _day(created)
        lines = _children(data, "lines")
        cost = 0
        rated: list[tuple[int, dict[str, Any]]] = []
        for line in lines:
            rate, unit_cost = lines_of.get(str(line.get("invoice_line_id")), (0, 0))
            rated.append((rate, line))
            if data.get("restock") is True:  # damaged goods keep their cost: a loss
                cost += round_half_up_div(_int(line.get("qty_milli")) * unit_cost, 1000)
        refund = _int(data.get("refund"))
        cash = refund if data.get("refund_method") == "cash" else 0
        notes.append(
            {
                "shop_id": shop_id,
                "note_id": record_id,
                "number": _str(data.get("number"), 32),
                "invoice_id": _ref(data.get("invoice_id")) or "",
                "day": day,
                "total": _int(data.get("total")),
                "taxable": _int(data.get("taxable_total")),
                "tax": _int(data.get("tax_total")),
                "cost": cost,
                "cash": cash,
                "credit": _int(data.get("applied")) + refund - cash,
            }
        )
        rule = _int(data.get("tax_rule"))
        for rate, sums in _by_rate(rated).items():
            taxable, tax, cgst, sgst, igst, cess = _heads(rule, sums)
            taxes.append(
                {
                    "shop_id": shop_id,
                    "note_id": record_id,
                    "rate_bp": rate,
                    "day": day,
                    "taxable": taxable,
                    "tax": tax,
                    "cgst": cgst,
                    "sgst": sgst,
                    "igst": igst,
                    "cess": cess,
                }
            )
    return notes, taxes


def _ledger_rows(shop_id: str, records: list[Record]) -> list[Row]:
    rows = []
    for record_id, data in records:
        created = _moment(data.get("created_at"))
        customer = _ref(data.get("customer_id"))
        if created is None or customer is None:
            continue
        rows.append(
            {
                "shop_id": shop_id,
                "entry_id": record_id,
                "customer_id": customer,
                "kind": _str(data.get("kind"), 16),
                "amount": _int(data.get("amount")),
                "day": _day(created),
            }
        )
    return rows


def _customer_rows(shop_id: str, records: list[Record]) -> list[Row]:
    return [
        {
            "shop_id": shop_id,
            "customer_id": record_id,
            "name": _str(data.get("name"), 120),
            "phone": _str(data.get("phone"), 20),
            "phone_digits": _str(data.get("phone_digits"), 20),
            "archived": data.get("archived") is True,
        }
        for record_id, data in records
    ]


def _stock_rows(shop_id: str, records: list[Record]) -> list[Row]:
    return [
        {
            "shop_id": shop_id,
            "product_id": record_id,
            "code": _str(data.get("code"), 64),
            "name": _str(data.get("name"), 160),
            "unit": _str(data.get("unit"), 8),
            "stock_milli": _int(data.get("stock_milli")),
            "low_stock_milli": _int(data.get("low_stock_milli")),
            "price": _int(data.get("price")),
            "is_service": data.get("is_service") is True,
            "archived": data.get("archived") is True,
        }
        for record_id, data in records
    ]


def _journal_rows(shop_id: str, records: list[Record]) -> list[Row]:
    rows = []
    for record_id, data in records:
        day = _date(data.get("day"))
        if day is None:
            continue
        for line in _children(data, "lines"):
            line_id, account = _ref(line.get("id")), _ref(line.get("account_id"))
            if line_id is None or account is None:
                continue
            rows.append(
                {
                    "shop_id": shop_id,
                    "line_id": line_id,
                    "entry_id": record_id,
                    "day": day,
                    "account_id": account,
                    "debit": _int(line.get("debit")),
                    "credit": _int(line.get("credit")),
                }
            )
    return rows


def _audit_rows(shop_id: str, records: list[Record]) -> list[Row]:
    rows = []
    for record_id, data in records:
        created = _moment(data.get("created_at"))
        if created is None:
            continue
        rows.append(
            {
                "shop_id": shop_id,
                "audit_id": record_id,
                "created_at": created,
                "user_id": _ref(data.get("user_id")),
                "action": _str(data.get("action"), 64),
                "entity": _str(data.get("entity"), 32),
                "entity_id": _ref(data.get("entity_id")),
            }
        )
    return rows


# ---------------------------------------------------------------- writing


def _chunks(items: Iterable[Any]) -> Iterator[list[Any]]:
    chunk: list[Any] = []
    for item in items:
        chunk.append(item)
        if len(chunk) == CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _delete(session: Session, target: Table, key: str, shop_id: str, ids: list[str]) -> set[date]:
    """Remove the rows the records `ids` made (their earlier version's); for a table with a
    day, answer the days they counted on (those days' sums change)."""
    column = target.c[key]
    has_day = "day" in target.c and target.name in _DAY_TABLES
    days: set[date] = set()
    if session.get_bind().dialect.name == "postgresql":
        # One array parameter for every id (no statement of a thousand placeholders to
        # build), and the days come back from the DELETE itself.
        wanted = bindparam("ids", ids, type_=postgresql.ARRAY(String(64)))
        statement = delete(target).where(target.c.shop_id == shop_id, column == any_(wanted))
        if has_day:
            days.update(session.scalars(statement.returning(target.c.day)))
        else:
            session.execute(statement)
        return days
    for chunk in _chunks(ids):
        where = (target.c.shop_id == shop_id, column.in_(chunk))
        if has_day:
            days.update(session.scalars(select(target.c.day).where(*where).distinct()))
        session.execute(delete(target).where(*where))
    return days


def _insert(session: Session, target: Table, rows: list[Row]) -> None:
    if not rows:
        return
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        # COPY: a push's thousands of rows in one round trip, several times faster than
        # INSERT ... VALUES; in the push's own transaction (the same connection).
        names = [column.name for column in target.columns]
        driver = connection.connection.driver_connection
        statement = f"COPY {target.name} ({', '.join(names)}) FROM STDIN"
        with driver.cursor() as cursor, cursor.copy(statement) as copy:  # type: ignore[union-attr]
            for row in rows:
                copy.write_row([row[name] for name in names])
        return
    for chunk in _chunks(rows):
        session.execute(insert(target), chunk)


# The tables whose rows count in hq_daily.
_DAY_TABLES = frozenset({"hq_invoices", "hq_credit_notes"})


_DAILY_FIGURES = ("bills", "gross", "tax", "net", "cost", "paid", "discount")
_DAILY_RETURNS = (
    *("returns", "returns_tax", "returns_taxable"),
    *("returns_cost", "returns_cash", "returns_credit"),
)


def refresh_days(session: Session, shop_id: str, days: Iterable[date]) -> None:
    """Sum these days of a shop again into hq_daily from its bills and returns.

    A whole day is summed again (a few thousand rows by the (shop, day) index) rather than
    adjusted by differences: a replaced bill's old figures need not be known.
    """
    zero = [literal(0, BigInteger).label(name) for name in _DAILY_RETURNS]
    for chunk in _chunks(sorted(days)):
        session.execute(delete(_DAILY).where(_DAILY.c.shop_id == shop_id, _DAILY.c.day.in_(chunk)))
        bills = (
            select(
                _INVOICES.c.shop_id,
                _INVOICES.c.day,
                func.count().label("bills"),
                func.sum(_INVOICES.c.total).label("gross"),
                func.sum(_INVOICES.c.tax).label("tax"),
                func.sum(_INVOICES.c.net).label("net"),
                func.sum(_INVOICES.c.cost).label("cost"),
                func.sum(_INVOICES.c.cash + _INVOICES.c.card + _INVOICES.c.upi).label("paid"),
                func.sum(_INVOICES.c.discount).label("discount"),
                *zero,
            )
            .where(
                _INVOICES.c.shop_id == shop_id,
                _INVOICES.c.day.in_(chunk),
                _INVOICES.c.status != "void",
            )
            .group_by(_INVOICES.c.shop_id, _INVOICES.c.day)
        )
        returns = (
            select(
                _NOTES.c.shop_id,
                _NOTES.c.day,
                *(literal(0, BigInteger).label(name) for name in _DAILY_FIGURES),
                func.sum(_NOTES.c.total).label("returns"),
                func.sum(_NOTES.c.tax).label("returns_tax"),
                func.sum(_NOTES.c.taxable).label("returns_taxable"),
                func.sum(_NOTES.c.cost).label("returns_cost"),
                func.sum(_NOTES.c.cash).label("returns_cash"),
                func.sum(_NOTES.c.credit).label("returns_credit"),
            )
            .where(_NOTES.c.shop_id == shop_id, _NOTES.c.day.in_(chunk))
            .group_by(_NOTES.c.shop_id, _NOTES.c.day)
        )
        both = union_all(bills, returns).subquery()
        names = (*_DAILY_FIGURES, *_DAILY_RETURNS)
        summed = select(
            both.c.shop_id,
            both.c.day,
            *(func.sum(both.c[name]) for name in names),
        ).group_by(both.c.shop_id, both.c.day)
        session.execute(insert(_DAILY).from_select(["shop_id", "day", *names], summed))


# The projected kinds, each with the tables its records make rows in and their id column.
_TABLES_OF_KIND: dict[str, tuple[tuple[Table, str], ...]] = {
    "invoice": ((_INVOICES, "invoice_id"), (_INVOICE_TAX, "invoice_id")),
    "credit_note": ((_NOTES, "note_id"), (_NOTE_TAX, "note_id")),
    "ledger_entry": ((_LEDGER, "entry_id"),),
    "customer": ((_CUSTOMERS, "customer_id"),),
    "product": ((_STOCK, "product_id"),),
    "journal_entry": ((_JOURNAL, "entry_id"),),
    "audit": ((_AUDIT, "audit_id"),),
}
KINDS = tuple(_TABLES_OF_KIND)


def _write(
    session: Session,
    shop_id: str,
    by_kind: dict[str, list[Record]],
    *,
    replace: bool,
    gone: dict[str, list[str]] | None = None,
) -> None:
    """Make the rows of the records of each kind (deleting their old rows first if `replace`);
    the rows of the records `gone` (ids by kind) only go. The days any of them counted on are
    summed again, once."""
    removed: dict[str, list[str]] = {kind: list(ids) for kind, ids in (gone or {}).items()}
    if replace:
        for kind, records in by_kind.items():
            removed.setdefault(kind, []).extend(record_id for record_id, _data in records)
    days: set[date] = set()
    for kind, ids in removed.items():
        for target, key in _TABLES_OF_KIND[kind]:
            days.update(_delete(session, target, key, shop_id, ids))
    pushed_invoices = dict(by_kind.get("invoice", []))
    made: list[tuple[Table, list[Row]]] = []
    if by_kind.get("invoice"):
        invoices, taxes = _invoice_rows(shop_id, by_kind["invoice"])
        made += [(_INVOICES, invoices), (_INVOICE_TAX, taxes)]
    if by_kind.get("credit_note"):
        notes, note_taxes = _note_rows(session, shop_id, by_kind["credit_note"], pushed_invoices)
        made += [(_NOTES, notes), (_NOTE_TAX, note_taxes)]
    simple = {
        "ledger_entry": (_LEDGER, _ledger_rows),
        "customer": (_CUSTOMERS, _customer_rows),
        "product": (_STOCK, _stock_rows),
        "journal_entry": (_JOURNAL, _journal_rows),
        "audit": (_AUDIT, _audit_rows),
    }
    for kind, (target, make) in simple.items():
        if by_kind.get(kind):
            made.append((target, make(shop_id, by_kind[kind])))
    for target, rows in made:
        _insert(session, target, rows)
        if target is _INVOICES or target is _NOTES:
            days.update(row["day"] for row in rows)
    if (replace or removed) and days:
        refresh_days(session, shop_id, days)


def project(
    session: Session,
    shop_id: str,
    rows: list[dict[str, Any]],
    gone: Iterable[tuple[str, str]] = (),
) -> None:
    """Bring the projections up to date with records just stored (in the caller's transaction).

    `rows` are the records as services/hq.upsert_records took them (kind, record_id, payload),
    each a newer version than any HQ held: its old rows go, its new rows come. `gone` are the
    (kind, record_id) the shop deleted: their rows go, and the days they counted on are
    summed again.
    """
    by_kind: dict[str, list[Record]] = {}
    for row in rows:
        if row["kind"] in _TABLES_OF_KIND:
            by_kind.setdefault(row["kind"], []).append((row["record_id"], row["payload"]))
    deleted: dict[str, list[str]] = {}
    for kind, record_id in gone:
        if kind in _TABLES_OF_KIND:
            deleted.setdefault(kind, []).append(record_id)
    if by_kind or deleted:
        _write(session, shop_id, by_kind, replace=True, gone=deleted)


def _records_of(session: Session, shop_id: str, kind: str) -> Iterator[list[Record]]:
    """A shop's stored records of one kind, a chunk at a time.

    The ids first, then each chunk's payloads: no cursor stays open while the chunk's rows
    are written (MariaDB's driver cannot run a statement beside an unfinished result).
    """
    ids = list(
        session.scalars(
            select(_RECORDS.c.record_id)
            .where(_RECORDS.c.shop_id == shop_id, _RECORDS.c.kind == kind)
            .order_by(_RECORDS.c.record_id)
        )
    )
    for chunk in _chunks(ids):
        found = session.execute(
            select(_RECORDS.c.record_id, _RECORDS.c.payload).where(
                _RECORDS.c.shop_id == shop_id,
                _RECORDS.c.kind == kind,
                _RECORDS.c.record_id.in_(chunk),
            )
        )
        yield [(record_id, payload) for record_id, payload in found if isinstance(payload, dict)]


def rebuild(session: Session, shop_id: str | None = None, user_id: int | None = None) -> int:
    """Make the projections of one shop (or of every shop) again from `hq_records`.

    One write transaction with its audit entry; returns how many records were projected.
    """
    from posapp.models import HqShop

    projected = 0
    with write_transaction(session):
        # FOR UPDATE: the lock each push takes on its shop (services/hq.ingest), so no push
        # writes projections while they are made again.
        query = select(HqShop.id).order_by(HqShop.id).with_for_update()
        if shop_id is not None:
            query = query.where(HqShop.id == shop_id)
        shops = list(session.scalars(query))
        for model in PROJECTIONS:
            target = table(model)
            statement = delete(target)
            if shop_id is not None:
                statement = statement.where(target.c.shop_id == shop_id)
            session.execute(statement)
        for shop in shops:
            for kind in KINDS:
                for chunk in _records_of(session, shop, kind):
                    _write(session, shop, {kind: chunk}, replace=False)
                    projected += len(chunk)
            days = set(
                session.scalars(
                    select(_INVOICES.c.day).where(_INVOICES.c.shop_id == shop).distinct()
                )
            )
            days.update(
                session.scalars(select(_NOTES.c.day).where(_NOTES.c.shop_id == shop).distinct())
            )
            refresh_days(session, shop, days)
        audit.record(
            session,
            "hq.projections_rebuild",
            user_id=user_id,
            entity="hq_shop",
            after={"shop_id": shop_id or "", "shops": len(shops), "records": projected},
        )
    return projected
