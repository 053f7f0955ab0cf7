"""Is this database TillBook's? Tables and columns checked against the models, on any backend.

A file that passed `integrity_check` and carries a known Alembic revision can still lack the
tables the app queries (an SQLite file holding only `alembic_version`): every page would then
fail. `check`, `/api/health` and restore use these checks to say so instead.
"""

from __future__ import annotations

from functools import lru_cache

from sqlalchemy import (
    CompoundSelect,
    Connection,
    MetaData,
    false,
    inspect,
    literal,
    select,
    text,
    union_all,
)
from sqlalchemy.exc import SQLAlchemyError

from posapp.extensions import db


def expected_columns(metadata: MetaData | None = None) -> dict[str, set[str]]:
    """Every table the models map, with the names of its columns."""
    tables = (metadata or db.metadata).tables.values()
    return {table.name: {column.name for column in table.columns} for table in tables}


def missing_schema(connection: Connection, metadata: MetaData | None = None) -> list[str]:
    """Name each model table or column the database lacks (empty: the schema is complete).

    Uses the database's catalog (PRAGMA table_info, information_schema), so it reports
    exactly what is missing; `probe_tables` is the cheaper test for a health check.
    """
    inspector = inspect(connection)
    present = set(inspector.get_table_names())
    problems = []
    for table, columns in sorted(expected_columns(metadata).items()):
        if table not in present:
            problems.append(f"table {table} is missing")
            continue
        found = {column["name"] for column in inspector.get_columns(table)}
        problems.extend(f"column {table}.{name} is missing" for name in sorted(columns - found))
    return problems


def probe_tables(connection: Connection, metadata: MetaData | None = None) -> list[str]:
    """Select every mapped column of every table with no rows: one statement for all tables.

    The database resolves every table and column name to prepare it, so a missing one fails
    it; only then is each table tried alone, to name the first that fails (a failed
    statement is rolled back on `connection`: give it a connection of its own).
    """
    tables = (metadata or db.metadata).sorted_tables
    try:
        connection.execute(_all_tables_probe(metadata or db.metadata)).all()
        return []
    except SQLAlchemyError:
        connection.rollback()  # PostgreSQL refuses more statements after a failed one
    for table in tables:
        try:
            connection.execute(select(*table.columns).where(false())).all()
        except SQLAlchemyError as exc:
            connection.rollback()
            reason = str(getattr(exc, "orig", None) or exc).splitlines()[0]
            return [f"table {table.name} cannot be read: {reason}"]
    return []


@lru_cache(maxsize=4)
def _all_tables_probe(metadata: MetaData) -> CompoundSelect[int]:
    """`SELECT 1 FROM (SELECT <columns> FROM t WHERE false) UNION ALL ...` over every table."""
    parts = [
        select(literal(1)).select_from(select(*table.columns).where(false()).subquery())
        for table in metadata.sorted_tables
    ]
    return union_all(*parts)


def revision_problems(connection: Connection, head: str | None) -> list[str]:
    """Say whether the database's Alembic revision is the one this version runs at."""
    try:
        rows = connection.execute(text("SELECT version_num FROM alembic_version")).all()
    except SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", None) or exc).splitlines()[0]
        return [f"the schema version cannot be read: {reason}"]
    found = sorted(str(row[0]) for row in rows)
    if found != [head]:
        return [f"schema version {', '.join(found) or 'none'} (this TillBook expects {head})"]
    return []


def health_problems(connection: Connection, head: str | None) -> list[str]:
    """The health check: the right schema revision, and every table readable with its columns.

    Cheap enough for every probe: two statements (the revision, then one over every table
    and column). Give it a connection of its own: a failed statement is rolled back on it.
    """
    return revision_problems(connection, head) or probe_tables(connection)
