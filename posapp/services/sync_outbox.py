"""The shop side of HQ sync: every committed write transaction's synced records, in an outbox.

While the shop is enrolled at an HQ (the setting `hq_shop_id` is set), each write transaction
that changed a synced kind (KINDS: every table that holds money, stock or the shop's business —
users without their secrets, categories, accounts, customers, suppliers, products, cash
sessions, invoices, credit notes, payments, ledger entries, orders, purchases, supplier
payments, debit notes, expenses, stock movements, journal entries, audit entries) adds ONE
`sync_outbox` row in the same commit: the final state of every record it touched, serialized
just before the commit (`{"records": [{"kind", "id", "data"}, ...]}`). Nothing is written when
not enrolled, or when nothing synced changed. `backfill` writes the shop's existing records at
enrolment; `carry_forward` keeps the numbering going across a restore.

Not synced, on purpose: derived sums kept for speed (daily_sales, account_days; HQ adds up the
invoices and journal lines), numbering state (document_counters), what proves who someone is
(api_tokens, display_devices, login_attempts, a user's hashes and TOTP secret), the API's
replay cache (idempotency_keys: the answer a retried POST gets again; the records that request
wrote travel on their own), parked carts (held_bills, deleted when recalled), the settings
(they hold the HQ credential; HQ sends the shop's settings down, not up). A record that is
gone (a category or account deleted through the ORM, a sale a restore discarded) goes as a
deletion, `{"kind", "id", "deleted": true}`, and HQ drops its copy.

How the touched records are found: the till's hot paths write with Core statements (a sale,
the audit chain, the books), the rest through the ORM. An engine `after_execute` listener notes
the rows Core INSERTs add and the rows Core UPDATEs change (their ids read from the WHERE
clause); the session's `after_flush` notes the ORM's new and changed objects; both go into a
set kept on the connection (cleared at its commit or rollback, so a rolled-back transaction
leaves nothing behind). The session's `before_commit` serializes that set with a few SELECTs
and inserts the outbox row. Child rows count as their parent (a line is its invoice, an event
its order); a stock movement also touches its product (the shop owns its stock figure), a
supplier allocation or a debit note the bill it settles.
"""

from __future__ import annotations

import functools
import json
import sqlite3
import time
import weakref
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Row,
    Table,
    bindparam,
    create_engine,
    delete,
    event,
    exc,
    func,
    insert,
    select,
    text,
)
from sqlalchemy.engine import Connection, CursorResult, Engine
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool
from sqlalchemy.sql import operators
from sqlalchemy.sql.dml import Insert, Update
from sqlalchemy.sql.elements import BindParameter, BooleanClauseList, Grouping

from posapp.models import (
    Account,
    AuditLog,
    CashMovement,
    CashSession,
    Category,
    CreditNote,
    CreditNoteLine,
    Customer,
    DebitNote,
    DebitNoteLine,
    Expense,
    Invoice,
    InvoiceLine,
    JournalEntry,
    JournalLine,
    LedgerEntry,
    Order,
    OrderEvent,
    OrderLine,
    Payment,
    PaymentAllocation,
    Product,
    Purchase,
    PurchaseLine,
    StockMovement,
    Supplier,
    SupplierAllocation,
    SupplierPayment,
    SyncOutbox,
    User,
)
from posapp.models.base import WRITE_OPTION, engine_of, table, utcnow
from posapp.services.settings import enrolled_in, read_in, write_in
from posapp.winfs import sqlite_ro_uri

# The order records go out in, within a changeset: what others refer to first.
KINDS = (
    "user",
    "category",
    "account",
    "customer",
    "supplier",
    "product",
    "cash_session",
    "invoice",
    "credit_note",
    "payment",
    "ledger_entry",
    "order",
    "purchase",
    "supplier_payment",
    "debit_note",
    "expense",
    "stock_movement",
    "journal_entry",
    "audit",
)
BACKFILL_BATCH = 500  # records per changeset when the existing records go out at enrolment
_IN_CHUNK = 500  # ids per IN (...): far inside SQLite's 32 766 bound variables

_TOUCHED = "tillbook_sync_touched"  # connection.info: set of (kind, id) this transaction
_FLUSHING = "tillbook_sync_flushing"  # connection.info: the ORM is flushing (after_flush notes)

_OUTBOX = table(SyncOutbox)
_INSERT_OUTBOX = insert(_OUTBOX)
_INVOICES = table(Invoice)
_LINES = table(InvoiceLine)
_PAYMENTS = table(Payment)
_ALLOCATIONS = table(PaymentAllocation)
_CREDIT_NOTES = table(CreditNote)
_CREDIT_LINES = table(CreditNoteLine)
_LEDGER = table(LedgerEntry)
_MOVEMENTS = table(StockMovement)
_CUSTOMERS = table(Customer)
_PRODUCTS = table(Product)
_SESSIONS = table(CashSession)
_CASH_MOVEMENTS = table(CashMovement)
_JOURNAL = table(JournalEntry)
_JOURNAL_LINES = table(JournalLine)
_AUDIT = table(AuditLog)
_ORDER_LINES = table(OrderLine)
_ORDER_EVENTS = table(OrderEvent)
_PURCHASE_LINES = table(PurchaseLine)
_SUPPLIER_ALLOCATIONS = table(SupplierAllocation)
_DEBIT_LINES = table(DebitNoteLine)

# The kind's own table, per kind.
_TABLE_OF_KIND: dict[str, Table] = {
    "user": table(User),
    "category": table(Category),
    "account": table(Account),
    "customer": _CUSTOMERS,
    "supplier": table(Supplier),
    "product": _PRODUCTS,
    "cash_session": _SESSIONS,
    "invoice": _INVOICES,
    "credit_note": _CREDIT_NOTES,
    "payment": _PAYMENTS,
    "ledger_entry": _LEDGER,
    "order": table(Order),
    "purchase": table(Purchase),
    "supplier_payment": table(SupplierPayment),
    "debit_note": table(DebitNote),
    "expense": table(Expense),
    "stock_movement": _MOVEMENTS,
    "journal_entry": _JOURNAL,
    "audit": _AUDIT,
}
# The rows nested inside a kind's data: (the name in data, the child table, its parent column).
_NESTED: dict[str, tuple[tuple[str, Table, str], ...]] = {
    "invoice": (("lines", _LINES, "invoice_id"), ("payments", _PAYMENTS, "invoice_id")),
    "credit_note": (("lines", _CREDIT_LINES, "credit_note_id"),),
    "payment": (("allocations", _ALLOCATIONS, "payment_id"),),
    "journal_entry": (("lines", _JOURNAL_LINES, "entry_id"),),
    "cash_session": (("movements", _CASH_MOVEMENTS, "cash_session_id"),),
    "order": (("lines", _ORDER_LINES, "order_id"), ("events", _ORDER_EVENTS, "order_id")),
    "purchase": (("lines", _PURCHASE_LINES, "purchase_id"),),
    "supplier_payment": (("allocations", _SUPPLIER_ALLOCATIONS, "payment_id"),),
    "debit_note": (("lines", _DEBIT_LINES, "debit_note_id"),),
}
# HQ's view of a product: the shop's catalog fields and its stock on hand (the shop wins for
# stock); not the search keys, the cost or the stock's book value.
PRODUCT_FIELDS = (
    *("code", "name", "category_id", "unit", "price", "mrp", "tax_rate_bp", "hsn"),
    *("stock_milli", "low_stock_milli", "is_service", "perishable", "archived"),
    *("created_at", "updated_at"),
)
# HQ's view of a user: who they are and what they may do, never how they prove it (no
# password or PIN hash, TOTP secret, recovery codes or session version leaves the shop).
USER_FIELDS = ("username", "role", "active", "language", "created_at", "last_login_at")
_ONLY: dict[str, tuple[str, ...]] = {"product": PRODUCT_FIELDS, "user": USER_FIELDS}
# Columns that hold another record's local id without a declared foreign key.
_SOFT_REFERENCES = {("audit_log", "entity_id"), ("journal_entries", "source_id")}

Get = Callable[[str], Any]


def _touches(table_name: str, get: Get) -> list[tuple[str, int]]:
    """The records a row of `table_name` belongs to (`get` reads one of its columns)."""
    if table_name == "invoice_lines":
        return [("invoice", get("invoice_id"))]
    if table_name == "payments":
        invoice_id = get("invoice_id")
        return [("invoice", invoice_id)] if invoice_id is not None else [("payment", get("id"))]
    if table_name == "payment_allocations":
        return [("payment", get("payment_id")), ("invoice", get("invoice_id"))]
    if table_name == "stock_movements":
        return [("stock_movement", get("id")), ("product", get("product_id"))]
    if table_name == "supplier_allocations":
        # The bill's paid amount moves with it (no allocation: the opening balance).
        purchase_id = get("purchase_id")
        found = [("supplier_payment", get("payment_id"))]
        return [*found, ("purchase", purchase_id)] if purchase_id is not None else found
    if table_name == "debit_notes":
        return [("debit_note", get("id")), ("purchase", get("purchase_id"))]
    parent = _PARENT.get(table_name)
    if parent is not None:
        return [(parent[0], get(parent[1]))]
    kind = _OWN_KIND.get(table_name)
    return [(kind, get("id"))] if kind is not None else []


# A child row counts as its parent record: table -> (the parent's kind, the parent column).
_PARENT = {
    child.name: (kind, column)
    for kind, nested in _NESTED.items()
    for _name, child, column in nested
    if child.name not in ("payments", "payment_allocations")  # they have rules of their own
}
_OWN_KIND = {source.name: kind for kind, source in _TABLE_OF_KIND.items()}
WATCHED_TABLES = frozenset({*_OWN_KIND, *_PARENT, "payment_allocations"})

# ---------------------------------------------------------------- whether the shop is enrolled

# Per engine: whether the shop is enrolled, as last read. Enrolment in this process sets it
# (`set_enrolled`). Another process may enrol the shop too (the page of a second server, a CLI
# command's own app), so "not enrolled" is read again inside the first synced write after
# RECHECK_SECONDS: under SQLite's write lock that read sees any enrolment committed before the
# write. A synced write skipped in the meantime is remembered (`missed`): it may have come
# after the other process's enrolment and its backfill, so the write that finds the shop
# enrolled sends every record again (a backfill) instead of losing it. "Enrolled" is final.
RECHECK_SECONDS = 1.0


@dataclass
class _Enrolment:
    enrolled: bool
    read_at: float  # time.monotonic() of the read
    missed: bool = False  # a synced write skipped since the last read said "not enrolled"
    catch_up: bool = False  # found enrolled after a missed write: the next commit backfills


_ENROLLED: weakref.WeakKeyDictionary[Engine, _Enrolment] = weakref.WeakKeyDictionary()


def set_enrolled(engine: Engine, enrolled: bool) -> None:
    """Tell the hooks whether this engine's shop is enrolled (after the settings commit)."""
    _ENROLLED[engine] = _Enrolment(enrolled, time.monotonic())


@event.listens_for(Engine, "engine_disposed")
def forget_enrolment(engine: Engine) -> None:
    """Make the hooks read the setting again at the next write: a restore swaps the file
    after disposing of the engine's connections."""
    _ENROLLED.pop(engine, None)


def _read_enrolment(connection: Connection) -> _Enrolment:
    """Read whether the shop is enrolled (in the caller's transaction) and remember it."""
    enrolled = enrolled_in(connection)
    state = _ENROLLED.get(connection.engine)
    if state is None:
        state = _ENROLLED[connection.engine] = _Enrolment(enrolled, time.monotonic())
        return state
    if enrolled and not state.enrolled and state.missed:
        state.catch_up = True
    state.enrolled, state.read_at = enrolled, time.monotonic()
    if not enrolled:
        state.missed = False  # what was skipped before this read precedes any enrolment
    return state


def _not_enrolled(engine: Engine) -> bool:
    """Whether the hooks may skip a write without reading anything: the shop was read as not
    enrolled less than RECHECK_SECONDS ago (the common case of a shop without HQ)."""
    state = _ENROLLED.get(engine)
    return (
        state is not None
        and not state.enrolled
        and time.monotonic() - state.read_at < RECHECK_SECONDS
    )


def _skip(connection: Connection) -> bool:
    """Whether a synced write on this connection goes unnoted (the shop is not enrolled);
    re-reads the setting when the last read is too old, and remembers a skipped write."""
    state = _ENROLLED.get(connection.engine)
    if state is None or state.enrolled:
        return False  # unknown: noted, and the commit reads the setting
    if time.monotonic() - state.read_at >= RECHECK_SECONDS:
        state = _read_enrolment(connection)
        if state.enrolled:
            return False
    state.missed = True
    return True


def _enrolled(connection: Connection) -> bool:
    state = _ENROLLED.get(connection.engine)
    if state is None or (
        not state.enrolled and time.monotonic() - state.read_at >= RECHECK_SECONDS
    ):
        state = _read_enrolment(connection)
    return state.enrolled


# ---------------------------------------------------------------- noting what a transaction touches


def _noted(connection: Connection) -> set[tuple[str, int]]:
    """This transaction's notes; notes left by an earlier transaction are dropped."""
    transaction = connection.get_transaction()
    found = connection.info.get(_TOUCHED)
    if found is None or found[0] is not transaction:
        found = connection.info[_TOUCHED] = (transaction, set())
    notes: set[tuple[str, int]] = found[1]
    return notes


def _take_notes(connection: Connection) -> set[tuple[str, int]]:
    """Remove and return this transaction's notes (empty when it touched nothing synced)."""
    found = connection.info.pop(_TOUCHED, None)
    if found is None or found[0] is not connection.get_transaction():
        return set()
    notes: set[tuple[str, int]] = found[1]
    return notes


@event.listens_for(Engine, "after_execute")
def _after_execute(
    connection: Connection,
    clauseelement: Any,
    multiparams: Any,
    params: Any,
    _execution_options: Any,
    result: Any,
) -> None:
    """Note the records a Core INSERT or UPDATE of a synced table touched (the ORM's own
    changes are noted at flush)."""
    if not isinstance(clauseelement, Insert | Update):
        return
    name: str = clauseelement.table.name  # type: ignore[union-attr]
    if name not in WATCHED_TABLES or connection.info.get(_FLUSHING):
        return
    if _not_enrolled(connection.engine) or _skip(connection):
        return  # the common case of a shop without HQ: nothing noted, nothing read
    if isinstance(clauseelement, Update):
        _note_update(connection, clauseelement, multiparams, params)
        return
    rows: list[Mapping[str, Any]] = list(multiparams) if multiparams else [params or {}]
    found = [_touches(name, row.get) for row in rows]
    if any(record_id is None for touches in found for _kind, record_id in touches):
        # Rows that are records of their own (a stock movement): their new ids are needed.
        new_ids = _inserted_ids(connection, clauseelement, result, len(rows))
        found = [_touches(name, {**row, "id": i}.get) for row, i in zip(rows, new_ids, strict=True)]
    noted = _noted(connection)
    for touches in found:
        noted.update(touches)


def _note_update(connection: Connection, statement: Any, multiparams: Any, params: Any) -> None:
    """Note the records a Core UPDATE changed (a bulk re-rate, a CSV import's changed products).

    The ids come from its WHERE clause (`id = …` or `id IN (…)`, the form every such UPDATE
    here takes), so nothing is read; an UPDATE of another form reads the ids it matches now.
    Only a table that is a record of its own is followed: its children are written, not
    updated, by the shop (lines, allocations, events).
    """
    kind = _OWN_KIND.get(statement.table.name)
    if kind is None:
        return
    rows: list[Mapping[str, Any]] = list(multiparams) if multiparams else [params or {}]
    ids = _ids_in_where(statement, rows)
    if ids is None:
        found = select(statement.table.c.id).where(statement.whereclause)
        ids = set()
        for row in rows:
            ids.update(connection.execute(found, dict(row)).scalars())
    noted = _noted(connection)
    for record_id in ids:
        noted.update(_touches(statement.table.name, {"id": record_id}.get))


def _ids_in_where(statement: Any, rows: list[Mapping[str, Any]]) -> set[int] | None:
    """The ids an UPDATE's WHERE names (`id = :x`, `id IN (…)`, alone or ANDed), or None."""
    where: Any = statement.whereclause
    if where is None:
        return None
    terms = where.clauses if isinstance(where, BooleanClauseList) else [where]
    if isinstance(where, BooleanClauseList) and where.operator is not operators.and_:
        return None
    term: Any
    for term in terms:
        left = getattr(term, "left", None)
        if getattr(left, "name", None) != "id" or getattr(left, "table", None) is None:
            continue
        if left.table.name != statement.table.name:  # type: ignore[union-attr]
            continue
        right = term.right
        binds = getattr(right.element, "clauses", ()) if isinstance(right, Grouping) else [right]
        if term.operator not in (operators.eq, operators.in_op):
            continue
        if not all(isinstance(bind, BindParameter) for bind in binds):
            continue
        ids: set[int] = set()
        for row in rows:
            for bind in binds:
                value = row.get(str(bind.key), bind.effective_value)
                for one in value if isinstance(value, list | tuple) else [value]:
                    if one is not None:
                        ids.add(int(one))
        return ids
    return None


def _inserted_ids(connection: Connection, statement: Any, result: Any, count: int) -> list[int]:
    """The ids of the rows an INSERT just added, in the order of its parameters."""
    if isinstance(result, CursorResult) and not result.context.executemany:
        try:
            key = result.inserted_primary_key
        except exc.InvalidRequestError:  # RETURNING of its own: the rows are the caller's
            key = None
        if key is not None and key[0] is not None:
            return [int(key[0])]
    # A multi-row INSERT without RETURNING (a sale's stock movements): inside the write
    # transaction the newest `count` rows are its rows, as writers are serialised (SQLite's
    # BEGIN IMMEDIATE, MariaDB's writer_lock row). PostgreSQL lets writers run side by side,
    # so there another transaction's rows committed meanwhile could be among them: a shop
    # syncing to HQ runs on SQLite (issue 24).
    found = connection.execute(_newest_ids(statement.table), {"count": count})
    return sorted(int(i) for i in found.scalars())


@functools.cache
def _newest_ids(source: Table) -> Any:
    return select(source.c.id).order_by(source.c.id.desc()).limit(bindparam("count"))


@event.listens_for(Session, "before_flush")
def _before_flush(session: Session, _context: Any, _instances: Any) -> None:
    """Mark the flush, so `_after_execute` leaves the ORM's INSERTs to `_after_flush`."""
    engine = engine_of(session)
    if not _not_enrolled(engine):
        state = _ENROLLED.get(engine)
        connection = session.connection()
        if state is None or state.enrolled or _read_enrolment(connection).enrolled:
            connection.info[_FLUSHING] = True
            # Deleted objects are noted now, while their rows still exist: reading an expired
            # attribute after the flush would fail. A deleted record goes as a deletion, a
            # deleted child row as its parent's new state (serialize).
            deleted = [obj for obj in session.deleted if _watched(obj)]
            if deleted:
                noted = _noted(connection)
                for obj in deleted:
                    name = obj.__table__.name
                    noted.update(_touches(name, functools.partial(getattr, obj)))
            return
    state = _ENROLLED[engine]
    changed = (*session.new, *session.dirty, *session.deleted)
    if not state.missed and any(_watched(obj) for obj in changed):
        state.missed = True


def _watched(obj: object) -> bool:
    return getattr(getattr(obj, "__table__", None), "name", None) in WATCHED_TABLES


@event.listens_for(Session, "after_flush")
def _after_flush(session: Session, _context: Any) -> None:
    """Note the synced ORM objects the flush added or changed (their ids are known now)."""
    connection = session.connection()
    if not connection.info.pop(_FLUSHING, False):
        return
    noted: set[tuple[str, int]] | None = None
    for obj in (*session.new, *session.dirty):
        name = getattr(getattr(obj, "__table__", None), "name", None)
        if name not in WATCHED_TABLES:
            continue
        if obj in session.dirty and not session.is_modified(obj, include_collections=False):
            continue
        if noted is None:
            noted = _noted(connection)
        noted.update(_touches(name, functools.partial(getattr, obj)))


@event.listens_for(Engine, "commit")
@event.listens_for(Engine, "rollback")
def _forget(connection: Connection) -> None:
    """A transaction's notes end with it (a rolled-back sale leaves nothing to send)."""
    try:
        info = connection.info
    except exc.SQLAlchemyError:
        return  # an invalidated connection: `_noted` drops another transaction's notes anyway
    info.pop(_TOUCHED, None)
    info.pop(_FLUSHING, None)


def discard_pending(session: Session) -> None:
    """Forget what this transaction touched (enrolment's backfill already holds it)."""
    _forget(session.connection())


@event.listens_for(Session, "before_commit")
def _before_commit(session: Session) -> None:
    """Add the transaction's changeset to the outbox, in the same commit."""
    if not session.in_transaction() or session.in_nested_transaction():
        return  # a savepoint's release is not the commit (the day's first sale makes one)
    engine = engine_of(session)
    if _not_enrolled(engine):
        return  # a shop without HQ: not even the connection is asked for
    connection = session.connection()
    state = _ENROLLED.get(engine)
    if state is not None and not state.enrolled and not _read_enrolment(connection).enrolled:
        return
    if session.new or session.dirty or session.deleted:
        session.flush()  # the ORM's last changes, noted by _after_flush
    touched = _take_notes(connection)
    if state is not None and state.catch_up:
        # Enrolled by another process while this one skipped writes: send everything again.
        state.catch_up = False
        backfill(session)
        return
    if not touched or not _enrolled(connection):
        return
    records = serialize(connection, touched)
    if records:
        add_changeset(connection, records)


def add_changeset(connection: Connection, records: list[dict[str, Any]]) -> None:
    """Insert one outbox row holding `records` (in the caller's transaction)."""
    payload = json.dumps({"records": records}, separators=(",", ":"), ensure_ascii=False)
    connection.execute(
        _INSERT_OUTBOX, {"created_at": utcnow(), "payload": payload, "size": len(records)}
    )


# ---------------------------------------------------------------- serializing records


def _value(value: Any, reference: bool) -> Any:
    if value is None:
        return None
    if reference:
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat() + "Z"  # stored naive UTC
    if isinstance(value, date):
        return value.isoformat()
    return value


@functools.cache
def _shape(source: Table, only: tuple[str, ...] | None) -> tuple[tuple[str, bool], ...]:
    """The columns a record's data holds, each with whether it refers to another record."""
    names = only if only is not None else tuple(c.name for c in source.columns if c.name != "id")
    return tuple(
        (name, bool(source.c[name].foreign_keys) or (source.name, name) in _SOFT_REFERENCES)
        for name in names
    )


def _data(source: Table, row: Row[Any], only: tuple[str, ...] | None = None) -> dict[str, Any]:
    """A row as a record's data: every column but the id (or `only` these), JSON-ready."""
    mapping = row._mapping
    return {name: _value(mapping[name], reference) for name, reference in _shape(source, only)}


def _chunks(ids: Iterable[int]) -> Iterator[list[int]]:
    ordered = sorted(set(ids))
    for start in range(0, len(ordered), _IN_CHUNK):
        yield ordered[start : start + _IN_CHUNK]


@functools.cache
def _select_by(source: Table, column_name: str) -> Any:
    """SELECT the rows of `source` whose column is in :ids, built once (each commit runs it)."""
    column = source.c[column_name]
    return select(source).where(column.in_(bindparam("ids", expanding=True))).order_by(source.c.id)


def _rows(connection: Connection, source: Table, column: Any, ids: Iterable[int]) -> list[Any]:
    """The rows of `source` whose `column` is one of `ids`, in id order."""
    statement = _select_by(source, column.name)
    found: list[Any] = []
    for chunk in _chunks(ids):
        found.extend(connection.execute(statement, {"ids": chunk}).all())
    return found


def _children(
    connection: Connection, source: Table, parent: str, ids: Iterable[int]
) -> dict[int, list[dict[str, Any]]]:
    """Child rows (lines, payments) by their parent's id, each with its own id as a string."""
    by_parent: dict[int, list[dict[str, Any]]] = {}
    for row in _rows(connection, source, source.c[parent], ids):
        child = {"id": str(row.id), **_data(source, row)}
        by_parent.setdefault(row._mapping[parent], []).append(child)
    return by_parent


def serialize(connection: Connection, touched: Iterable[tuple[str, int]]) -> list[dict[str, Any]]:
    """The current state of the touched records, as protocol records in KINDS order.

    A touched record whose row no longer exists (deleted, or gone with a restore) goes as
    `{"kind", "id", "deleted": true}`: HQ drops its copy. Absence from its own table is the
    test, not absence from the output: a till payment exists but travels inside its invoice.
    """
    wanted: dict[str, set[int]] = {kind: set() for kind in KINDS}
    for kind, record_id in touched:
        if record_id is not None:
            wanted[kind].add(int(record_id))
    payments = _rows(connection, _PAYMENTS, _PAYMENTS.c.id, wanted["payment"])
    # A payment made at the till travels inside its invoice; only account payments stand alone.
    wanted["invoice"].update(p.invoice_id for p in payments if p.invoice_id is not None)
    movements = _rows(connection, _MOVEMENTS, _MOVEMENTS.c.id, wanted["stock_movement"])
    wanted["product"].update(m.product_id for m in movements)

    records: list[dict[str, Any]] = []
    for kind in KINDS:
        ids = wanted[kind]
        if not ids:
            continue
        if kind == "payment":
            existing = {p.id for p in payments}
            rows = [p for p in payments if p.invoice_id is None]
        elif kind == "stock_movement":
            rows = movements
            existing = {m.id for m in movements}
        else:
            source = _TABLE_OF_KIND[kind]
            rows = _rows(connection, source, source.c.id, ids)
            existing = {row.id for row in rows}
        records.extend(_records(connection, kind, rows))
        records.extend(
            {"kind": kind, "id": str(record_id), "deleted": True}
            for record_id in sorted(ids - existing)
        )
    return records


def _records(connection: Connection, kind: str, rows: list[Any]) -> list[dict[str, Any]]:
    """Protocol records of one kind from its rows, with their children inside."""
    source = _TABLE_OF_KIND[kind]
    ids = [row.id for row in rows]
    nested = {
        name: _children(connection, child, column, ids)
        for name, child, column in _NESTED.get(kind, ())
    }
    only = _ONLY.get(kind)
    out = []
    for row in rows:
        data = _data(source, row, only)
        for name, by_parent in nested.items():
            data[name] = by_parent.get(row.id, [])
        out.append({"kind": kind, "id": str(row.id), "data": data})
    return out


# ---------------------------------------------------------------- backfill at enrolment


def backfill(session: Session, batch: int = BACKFILL_BATCH) -> int:
    """Write every existing synced record as changesets of `batch` records (caller commits).

    In KINDS order, each kind in id order; returns how many changesets were written.
    """
    return _backfill(session.connection(), batch)


def _backfill(connection: Connection, batch: int = BACKFILL_BATCH) -> int:
    written = 0
    for kind in KINDS:
        source = _TABLE_OF_KIND[kind]
        statement = select(source.c.id).order_by(source.c.id)
        if kind == "payment":
            statement = statement.where(source.c.invoice_id.is_(None))
        ids = list(connection.execute(statement).scalars())
        for start in range(0, len(ids), batch):
            chunk = ids[start : start + batch]
            rows = _rows(connection, source, source.c.id, chunk)
            add_changeset(connection, _records(connection, kind, rows))
            written += 1
    return written


def waiting(session: Session, acked: int) -> tuple[int, int]:
    """How many changesets and records wait to go to HQ (seq above `acked`)."""
    found = session.execute(
        select(func.count(), func.coalesce(func.sum(_OUTBOX.c.size), 0)).where(
            _OUTBOX.c.seq > acked
        )
    ).one()
    return int(found[0]), int(found[1])


# ---------------------------------------------------------------- a restore and the outbox

# A restore puts back an older file: its outbox numbering is behind what HQ already holds, and
# HQ skips a changeset whose seq it has seen (a duplicate) — the restored shop's new sales
# would be dropped in silence. So, on the restored copy before it is swapped in (as
# services/numbering.py carries document numbers forward):
# - the link to HQ is the installation's, not the file's: when the replaced data was enrolled,
#   its HQ address, shop id, credential and ack go into the restored copy (a backup made
#   before enrolment, or of another shop, must neither lose this shop's identity nor make a
#   second till push as another shop). When only the restored copy is enrolled (the shop's
#   backup restored onto a fresh install, a new computer), its own link is kept.
# - numbering continues above every seq either file issued and above the ack: the next
#   changeset takes top + 1. HQ takes changesets only in order, so every seq between the ack
#   and top the copy lacks is written as an empty changeset (HQ skips those it holds and
#   steps over the rest).
# - HQ holds the newer versions of records changed since the backup (a bill paid later, a
#   stock figure): their restored state goes out again under new seqs, so HQ mirrors the
#   restored shop. They are found in the replaced data's outbox (the changesets after the
#   copy's newest); when that outbox no longer reaches back so far, or the copy was not this
#   shop's, every record goes out again (a backfill, as at enrolment). Records the restore
#   discarded stay at HQ as they were (the protocol has no deletion); one the restored shop
#   creates again under the same local id replaces them there (the later seq wins).

_LINK_KEYS = ("hq_url", "hq_shop_id", "hq_credential", "hq_acked_seq", "hq_last_sync")


@dataclass(frozen=True)
class OutboxState:
    """What a database file says about its HQ link and outbox numbering."""

    link: dict[str, str]  # the stored hq_* settings ("" when absent)
    high: int  # the highest seq the file ever issued (pruned rows included)
    acked: int

    @property
    def shop_id(self) -> str:
        return self.link.get("hq_shop_id", "")


@dataclass(frozen=True)
class Carried:
    """What `carry_forward` did to a restored copy."""

    shop_id: str  # the shop id the copy is linked with ("" = not enrolled)
    top: int  # the copy's next changeset takes top + 1 (the empty ones fill up to it)
    filled: int  # empty changesets written so HQ's numbering stays contiguous
    resent: int  # records whose restored state goes out again
    discarded: int  # deletions sent: records HQ holds that the restored data no longer has


def outbox_state(path: Path) -> OutboxState:
    """Read a file's HQ link and outbox numbering (nothing for a file without them)."""
    connection = sqlite3.connect(sqlite_ro_uri(path), uri=True, timeout=15)
    try:
        link = {key: read_in(connection, key) or "" for key in _LINK_KEYS}
        high = _high(connection)
    except sqlite3.DatabaseError:  # a file from before HQ sync: no link, no outbox
        return OutboxState({}, 0, 0)
    finally:
        connection.close()
    try:
        acked = int(link.get("hq_acked_seq") or 0)
    except ValueError:
        acked = 0
    return OutboxState(link, high, acked)


def _high(connection: sqlite3.Connection) -> int:
    found = connection.execute("SELECT max(seq) FROM sync_outbox").fetchone()[0] or 0
    try:
        issued = connection.execute(
            "SELECT seq FROM sqlite_sequence WHERE name = 'sync_outbox'"
        ).fetchone()
    except sqlite3.OperationalError:  # no AUTOINCREMENT table has had a row yet
        issued = None
    return max(int(found), int(issued[0]) if issued else 0)


def _changed_after(path: Path, seq: int, high: int) -> set[tuple[str, int]] | None:
    """The records the changesets after `seq` up to `high` touched, or None when the file no
    longer holds all of them (pruned once HQ had them)."""
    connection = sqlite3.connect(sqlite_ro_uri(path), uri=True, timeout=15)
    try:
        rows = connection.execute(
            "SELECT seq, payload FROM sync_outbox WHERE seq > ? ORDER BY seq", (seq,)
        ).fetchall()
    finally:
        connection.close()
    if len(rows) != high - seq or (rows and rows[0][0] != seq + 1):
        return None
    touched: set[tuple[str, int]] = set()
    for _seq, payload in rows:
        for record in json.loads(payload)["records"]:
            if record.get("kind") in _TABLE_OF_KIND and str(record.get("id", "")).isdecimal():
                touched.add((record["kind"], int(record["id"])))
    return touched


def carry_forward(live: Path | None, restored: Path) -> Carried:
    """Make a restored copy continue the shop's HQ sync (see the rules above).

    `live` is the data being replaced (None or missing: a fresh install), `restored` the
    prepared copy, at this version's schema, not yet swapped in. Written in one transaction.
    """
    old = outbox_state(live) if live is not None and live.exists() else OutboxState({}, 0, 0)
    new = outbox_state(restored)
    if old.shop_id:
        link, same = old.link, new.shop_id == old.shop_id
        acked = max(old.acked, new.acked) if same else old.acked
    elif new.shop_id:
        link, same, acked = new.link, True, new.acked
    else:
        return Carried("", new.high, 0, 0, 0)
    top = max(old.high, acked, new.high if same else 0)
    touched = (
        _changed_after(live, new.high, old.high)
        if same and live is not None and old.shop_id and old.high >= new.high
        else None
    )
    if same and not old.shop_id:
        touched = set()  # the copy's own link and numbering: nothing newer is known here
    engine = create_engine(f"sqlite:///{restored.as_posix()}", poolclass=NullPool)
    try:
        writing = engine.connect().execution_options(**{WRITE_OPTION: True})
        with writing as connection, connection.begin():
            return _carry(connection, link, same, acked, top, touched)
    finally:
        engine.dispose()


def _carry(
    connection: Connection,
    link: dict[str, str],
    same: bool,
    acked: int,
    top: int,
    touched: set[tuple[str, int]] | None,
) -> Carried:
    driver = connection.connection.driver_connection
    assert isinstance(driver, sqlite3.Connection)
    for key in _LINK_KEYS:
        write_in(driver, key, str(acked) if key == "hq_acked_seq" else link.get(key, ""))
    write_in(driver, "hq_last_error", "")
    # The copy's ack may be older than HQ's (a backup restored on another computer after the
    # old one pushed more): before sending, the next push asks HQ (hq_client._recheck_ack).
    write_in(driver, "hq_recheck_ack", "1" if link.get("hq_shop_id") else "")
    if not same:
        # Another shop's (or an older enrolment's) numbering means nothing to this shop's HQ.
        connection.execute(delete(_OUTBOX))
    held = set(connection.execute(select(_OUTBOX.c.seq).where(_OUTBOX.c.seq > acked)).scalars())
    missing = [seq for seq in range(acked + 1, top + 1) if seq not in held]
    now = utcnow()
    for start in range(0, len(missing), _IN_CHUNK):
        connection.execute(
            _INSERT_OUTBOX,
            [
                {"seq": seq, "created_at": now, "payload": '{"records":[]}', "size": 0}
                for seq in missing[start : start + _IN_CHUNK]
            ],
        )
    # AUTOINCREMENT hands out max(sqlite_sequence, rowid) + 1: set it to top (top is above
    # every seq the copy holds; another shop's numbering, deleted above, is forgotten too).
    raised = connection.execute(
        text("UPDATE sqlite_sequence SET seq = :top WHERE name = 'sync_outbox'"),
        {"top": top},
    )
    if not raised.rowcount:
        connection.execute(
            text("INSERT INTO sqlite_sequence (name, seq) VALUES ('sync_outbox', :top)"),
            {"top": top},
        )
    if touched is None:
        _backfill(connection)
        resent = int(
            connection.execute(
                select(func.coalesce(func.sum(_OUTBOX.c.size), 0)).where(_OUTBOX.c.seq > top)
            ).scalar_one()
        )
        return Carried(link.get("hq_shop_id", ""), top, len(missing), resent, 0)
    records_out = serialize(connection, touched)
    for start in range(0, len(records_out), BACKFILL_BATCH):
        add_changeset(connection, records_out[start : start + BACKFILL_BATCH])
    discarded = sum(1 for record in records_out if record.get("deleted"))
    sent = len(records_out) - discarded
    return Carried(link.get("hq_shop_id", ""), top, len(missing), sent, discarded)
