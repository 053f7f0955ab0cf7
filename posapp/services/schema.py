"""Is this database TillBook's? Tables and columns checked against the models, on any backend.

A file that passed `integrity_check` and carries a known Alembic revision can still lack the
tables the app queries (an SQLite file holding only `alembic_version`): every page would then
fail. `check`, `/api/health` and restore use these checks to say so instead.
"""

from __future__ import annotations

from sqlalchemy import Connection, MetaData, inspect, select
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
    """Select every mapped column of every table with LIMIT 0: one cheap query per table.

    The first failing table is reported (and the rest skipped): after an error a PostgreSQL
    transaction refuses further statements, and one problem is enough for a health check.
    """
    for table in (metadata or db.metadata).sorted_tables:
        try:
            connection.execute(select(*table.columns).limit(0)).all()
        except SQLAlchemyError as exc:
            reason = str(getattr(exc, "orig", None) or exc).splitlines()[0]
            return [f"table {table.name} cannot be read: {reason}"]
    return []
