"""Database plumbing shared by models and services: dialect quirks, write transactions, time."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, DateTime, Table, event, text
from sqlalchemy.engine import Connection, CursorResult, Engine, Result
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session, scoped_session

WRITE_OPTION = "tillbook_write"
# Ids are at most 18 decimal digits: inside the 64-bit integers of SQLite and PostgreSQL
# BIGINT. A longer number would overflow SQLite (OverflowError, once a 500 found by fuzzing).
ID_DIGITS = 18


def by_id_or_number(id_column: Any, number_column: Any, key: int | str) -> Any:
    """Return the condition finding a document by id (digits that fit an id) or by number."""
    if isinstance(key, int) or (key.isdecimal() and len(key) <= ID_DIGITS):
        return id_column == int(key)
    return number_column == key


# Set only while history is replayed at chosen times (the demo shop): every timestamp the
# services and model defaults take comes from utcnow(), so a replayed sale is consistent.
_replay_clock: ContextVar[datetime | None] = ContextVar("tillbook_replay_clock", default=None)


def utcnow() -> datetime:
    """Return the current UTC time as a naive datetime (how the database stores times)."""
    replayed = _replay_clock.get()
    return replayed if replayed is not None else datetime.now(UTC).replace(tzinfo=None)


@contextmanager
def clock_at(moment: datetime) -> Iterator[None]:
    """Make utcnow() answer a fixed naive-UTC moment inside the block."""
    token = _replay_clock.set(moment)
    try:
        yield
    finally:
        _replay_clock.reset(token)


def local_midnight_utc(day: date) -> datetime:
    """Return the stored (naive UTC) time of the local midnight that starts a day."""
    return datetime.combine(day, time.min).astimezone().astimezone(UTC).replace(tzinfo=None)


def local_days(column: Any, start: date | None, end: date | None) -> list[ColumnElement[bool]]:
    """Conditions for the local days start..end (both inclusive, either open) on a naive-UTC
    time column; a range that ends before it starts, or off the calendar, is a 422."""
    from posapp.errors import ValidationError  # errors sit below models; imported late
    from posapp.i18n import _

    conditions: list[ColumnElement[bool]] = []
    if start is not None and end is not None and end < start:
        raise ValidationError(_("The last day comes before the first."), field="to")
    try:
        if start is not None:
            conditions.append(column >= local_midnight_utc(start))
        if end is not None:
            conditions.append(column < local_midnight_utc(end + timedelta(days=1)))
    except (OverflowError, ValueError):  # 0001-01-01, 9999-12-31: off the calendar
        raise ValidationError(
            _("That date is too far in the past or future."), field="from"
        ) from None
    return conditions


def to_local(moment: datetime) -> datetime:
    """Turn a stored naive-UTC time into the machine's local time with its offset."""
    return moment.replace(tzinfo=UTC).astimezone()


@compiles(DateTime, "mysql")
def _mysql_datetime(_type: DateTime, _compiler: Any, **_kw: Any) -> str:
    """Keep microseconds on MySQL/MariaDB, whose plain DATETIME drops them (order, hashes)."""
    return "DATETIME(6)"


@event.listens_for(Engine, "connect")
def _sqlite_on_connect(dbapi_connection: Any, _record: Any) -> None:
    """Apply the durability pragmas of docs/DESIGN.md §4 and take over transaction control."""
    if type(dbapi_connection).__module__.split(".")[0] not in ("sqlite3", "pysqlite2"):
        return
    # pysqlite's own implicit BEGIN is deferred; we emit BEGIN ourselves (see _sqlite_on_begin).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=15000")
    cursor.close()


@event.listens_for(Engine, "begin")
def _sqlite_on_begin(conn: Connection) -> None:
    """Begin IMMEDIATE for write transactions so writers queue instead of failing mid-way."""
    if conn.dialect.name != "sqlite":
        return
    # Straight to the driver: SQLAlchemy's execution path (events, logging, result) cost more
    # than the BEGIN itself, twice per request.
    driver = conn.connection.driver_connection
    assert driver is not None
    if conn.get_execution_options().get(WRITE_OPTION):
        driver.execute("BEGIN IMMEDIATE")
    else:
        driver.execute("BEGIN")


# Writers of one process queue on a lock per database file before BEGIN IMMEDIATE. Left to
# SQLite, a writer that finds the write lock taken sleeps in its busy handler (1, 2, 5 … up to
# 100 ms between retries), so with several tills on one server the lock sat idle while they
# slept: most of a checkout's time with 4 clients was that sleep. Waiting as long as the busy
# timeout; after that SQLite's own handler takes over (other processes always go through it).
WRITER_WAIT_SECONDS = 15.0
_writer_locks: dict[str, threading.RLock] = {}
_writer_locks_guard = threading.Lock()


def engine_of(session: Session) -> Engine:
    """The engine a session talks to (its bind may be a Connection in a test or a job)."""
    bind = session.get_bind()
    return bind if isinstance(bind, Engine) else bind.engine


def affected(result: Result[Any]) -> int:
    """How many rows an UPDATE or DELETE changed (Session.execute gives a CursorResult then)."""
    if not isinstance(result, CursorResult):
        raise TypeError("only an UPDATE or DELETE result says how many rows it changed")
    return result.rowcount


def table(model: type[Any]) -> Table:
    """The Core table of a mapped class (mypy sees `__table__` only as a FromClause)."""
    found = model.__table__
    if not isinstance(found, Table):
        raise TypeError(f"{model.__name__} is not mapped to one table")
    return found


def _writer_lock(session: Session) -> threading.RLock | None:
    engine = engine_of(session)
    if engine.dialect.name != "sqlite":
        return None  # PostgreSQL queues writers itself, without sleeping
    key = str(engine.url)
    with _writer_locks_guard:
        return _writer_locks.setdefault(key, threading.RLock())


@contextmanager
def write_transaction(session: Session) -> Iterator[Session]:
    """Run one write transaction (one writer at a time on SQLite, MariaDB); commit or roll back."""
    if isinstance(session, scoped_session):
        session = session()
    if session.in_transaction():
        # A read (e.g. loading the logged-in user) may have opened a deferred transaction;
        # a deferred reader cannot safely upgrade to a writer under WAL, so start afresh.
        session.rollback()
    lock = _writer_lock(session)
    held = lock.acquire(timeout=WRITER_WAIT_SECONDS) if lock is not None else False
    try:
        connection = session.connection(execution_options={WRITE_OPTION: True})
        if connection.dialect.name == "mysql":
            # InnoDB takes shared locks on foreign-key parents (a sold product, the cashier), so
            # two sales upgrading them to write locks deadlock. Queue writers on one row instead,
            # as SQLite's BEGIN IMMEDIATE does; PostgreSQL needs only its row locks.
            session.execute(text("SELECT id FROM writer_lock WHERE id = 1 FOR UPDATE"))
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
    finally:
        if held and lock is not None:
            lock.release()
