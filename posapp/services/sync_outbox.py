"""The shop side of HQ sync: every committed write transaction's synced records, in an outbox.

While the shop is enrolled at an HQ (the setting `hq_shop_id` is set), each write transaction
that changed a synced kind (invoice, credit_note, payment, ledger_entry, stock_movement,
customer, product, cash_session, journal_entry, audit) adds ONE `sync_outbox` row in the same
commit: the final state of every record it touched, serialized just before the commit
(`{"records": [{"kind", "id", "data"}, ...]}`). Nothing is written when not enrolled, or when
nothing synced changed. `backfill` writes the shop's existing records at enrolment.

How the touched records are found: the till's hot paths write with Core statements (a sale,
the audit chain, the books), the rest through the ORM. An engine `after_execute` listener notes
the rows Core INSERTs add; the session's `after_flush` notes the ORM's new and changed objects;
both go into a set kept on the connection (cleared at its commit or rollback, so a rolled-back
transaction leaves nothing behind). The session's `before_commit` serializes that set with a
few SELECTs and inserts the outbox row. Child rows count as their parent (a line is its
invoice); a stock movement also touches its product (the shop owns its stock figure).
"""

from __future__ import annotations

import functools
import json
import weakref
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import date, datetime
from typing import Any

from sqlalchemy import Row, Table, bindparam, event, exc, func, insert, select
from sqlalchemy.engine import Connection, CursorResult, Engine
from sqlalchemy.orm import Session
from sqlalchemy.sql.dml import Insert

from posapp.models import (
    AuditLog,
    CashMovement,
    CashSession,
    CreditNote,
    CreditNoteLine,
    Customer,
    Invoice,
    InvoiceLine,
    JournalEntry,
    JournalLine,
    LedgerEntry,
    Payment,
    PaymentAllocation,
    Product,
    StockMovement,
    SyncOutbox,
)
from posapp.models.base import engine_of, table, utcnow
from posapp.services.settings import enrolled_in

# The order records go out in, within a changeset: what others refer to first.
KINDS = (
    "customer",
    "product",
    "cash_session",
    "invoice",
    "credit_note",
    "payment",
    "ledger_entry",
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

# The kind's own table, per kind.
_TABLE_OF_KIND: dict[str, Table] = {
    "invoice": _INVOICES,
    "credit_note": _CREDIT_NOTES,
    "payment": _PAYMENTS,
    "ledger_entry": _LEDGER,
    "stock_movement": _MOVEMENTS,
    "customer": _CUSTOMERS,
    "product": _PRODUCTS,
    "cash_session": _SESSIONS,
    "journal_entry": _JOURNAL,
    "audit": _AUDIT,
}
# HQ's view of a product: the shop's catalog fields and its stock on hand (the shop wins for
# stock); not the search keys, the cost or the stock's book value.
PRODUCT_FIELDS = (
    *("code", "name", "category_id", "unit", "price", "mrp", "tax_rate_bp", "hsn"),
    *("stock_milli", "is_service", "perishable", "archived", "created_at", "updated_at"),
)
# Columns that hold another record's local id without a declared foreign key.
_SOFT_REFERENCES = {("audit_log", "entity_id"), ("journal_entries", "source_id")}

Get = Callable[[str], Any]


def _touches(table_name: str, get: Get) -> list[tuple[str, int]]:
    """The records a row of `table_name` belongs to (`get` reads one of its columns)."""
    if table_name == "invoices":
        return [("invoice", get("id"))]
    if table_name == "invoice_lines":
        return [("invoice", get("invoice_id"))]
    if table_name == "payments":
        invoice_id = get("invoice_id")
        return [("invoice", invoice_id)] if invoice_id is not None else [("payment", get("id"))]
    if table_name == "payment_allocations":
        return [("payment", get("payment_id")), ("invoice", get("invoice_id"))]
    if table_name == "credit_notes":
        return [("credit_note", get("id"))]
    if table_name == "credit_note_lines":
        return [("credit_note", get("credit_note_id"))]
    if table_name == "stock_movements":
        return [("stock_movement", get("id")), ("product", get("product_id"))]
    if table_name == "cash_movements":
        return [("cash_session", get("cash_session_id"))]
    if table_name == "journal_lines":
        return [("journal_entry", get("entry_id"))]
    kind = _OWN_KIND.get(table_name)
    return [(kind, get("id"))] if kind is not None else []


_OWN_KIND = {
    "ledger_entries": "ledger_entry",
    "customers": "customer",
    "products": "product",
    "cash_sessions": "cash_session",
    "journal_entries": "journal_entry",
    "audit_log": "audit",
}
WATCHED_TABLES = frozenset(
    {
        *_OWN_KIND,
        *("invoices", "invoice_lines", "payments", "payment_allocations", "credit_notes"),
        *("credit_note_lines", "stock_movements", "cash_movements", "journal_lines"),
    }
)

# ---------------------------------------------------------------- whether the shop is enrolled

# Per engine, read once from the settings and then kept by `set_enrolled` (enrolment happens in
# the process that serves the HQ page). Not enrolled, the hooks do nothing and send nothing.
_ENROLLED: weakref.WeakKeyDictionary[Engine, bool] = weakref.WeakKeyDictionary()


def set_enrolled(engine: Engine, enrolled: bool) -> None:
    """Tell the hooks whether this engine's shop is enrolled (after the settings commit)."""
    _ENROLLED[engine] = enrolled


@event.listens_for(Engine, "engine_disposed")
def forget_enrolment(engine: Engine) -> None:
    """Make the hooks read the setting again at the next write: a restore swaps the file
    after disposing of the engine's connections."""
    _ENROLLED.pop(engine, None)


def _enrolled(connection: Connection) -> bool:
    engine = connection.engine
    known = _ENROLLED.get(engine)
    if known is None:
        known = enrolled_in(connection)
        _ENROLLED[engine] = known
    return known


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
    """Note the records a Core INSERT into a synced table added (the ORM's are noted at flush)."""
    if not isinstance(clauseelement, Insert):
        return
    name = clauseelement.table.name
    if name not in WATCHED_TABLES or connection.info.get(_FLUSHING):
        return
    if _ENROLLED.get(connection.engine) is False:
        return  # the common case of a shop without HQ: nothing noted, nothing read
    rows: list[Mapping[str, Any]] = list(multiparams) if multiparams else [params or {}]
    found = [_touches(name, row.get) for row in rows]
    if any(record_id is None for touches in found for _kind, record_id in touches):
        # Rows that are records of their own (a stock movement): their new ids are needed.
        new_ids = _inserted_ids(connection, clauseelement, result, len(rows))
        found = [_touches(name, {**row, "id": i}.get) for row, i in zip(rows, new_ids, strict=True)]
    noted = _noted(connection)
    for touches in found:
        noted.update(touches)


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
    if _ENROLLED.get(engine_of(session)) is not False:
        session.connection().info[_FLUSHING] = True


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
    if _ENROLLED.get(engine_of(session)) is False:
        return  # a shop without HQ: not even the connection is asked for
    connection = session.connection()
    if session.new or session.dirty or session.deleted:
        session.flush()  # the ORM's last changes, noted by _after_flush
    touched = _take_notes(connection)
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

    A touched record that no longer exists (deleted later in the transaction) is left out.
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
            rows = [p for p in payments if p.invoice_id is None]
        elif kind == "stock_movement":
            rows = movements
        else:
            source = _TABLE_OF_KIND[kind]
            rows = _rows(connection, source, source.c.id, ids)
        records.extend(_records(connection, kind, rows))
    return records


def _records(connection: Connection, kind: str, rows: list[Any]) -> list[dict[str, Any]]:
    """Protocol records of one kind from its rows, with their children inside."""
    source = _TABLE_OF_KIND[kind]
    ids = [row.id for row in rows]
    nested: dict[str, dict[int, list[dict[str, Any]]]] = {}
    if kind == "invoice":
        nested["lines"] = _children(connection, _LINES, "invoice_id", ids)
        nested["payments"] = _children(connection, _PAYMENTS, "invoice_id", ids)
    elif kind == "credit_note":
        nested["lines"] = _children(connection, _CREDIT_LINES, "credit_note_id", ids)
    elif kind == "payment":
        nested["allocations"] = _children(connection, _ALLOCATIONS, "payment_id", ids)
    elif kind == "journal_entry":
        nested["lines"] = _children(connection, _JOURNAL_LINES, "entry_id", ids)
    elif kind == "cash_session":
        nested["movements"] = _children(connection, _CASH_MOVEMENTS, "cash_session_id", ids)
    only = PRODUCT_FIELDS if kind == "product" else None
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
    connection = session.connection()
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
