"""Migrations: a fresh database upgraded to head matches the models exactly."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask import Flask

from posapp.extensions import db

# SQLite cannot reflect expression indexes (lower(name)); the migration creates that one.
UNREFLECTABLE_INDEXES = {"uq_products_active_name"}
# The FTS5 search indexes (and the shadow tables SQLite makes for them) are created by the
# catalog migration on SQLite only; they are raw SQL, not models, so autogenerate sees them
# as tables to drop. Nothing else may be ignored.
FTS_TABLES = {"products_fts", "products_trgm"}
FTS_SHADOWS = ("_data", "_idx", "_docsize", "_config", "_content")


# MariaDB has neither partial nor expression indexes: there the migrations put these two unique
# indexes on stored generated columns that the models do not map (see the migrations).
MARIADB_GENERATED = {
    ("products", "active_name"),
    ("products", "active_plu"),
    ("cash_sessions", "open_user_id"),
}
MARIADB_INDEXES = {
    "uq_products_active_name",
    "uq_products_active_plu",
    "uq_cash_sessions_open_user",
}


def _mariadb_only(change: object) -> bool:
    """Tell whether a difference is one of MariaDB's stand-ins for a partial index."""
    if not isinstance(change, tuple):
        return False
    if change[0] in ("add_index", "remove_index"):
        return change[1].name in MARIADB_INDEXES
    return change[0] == "remove_column" and (change[2], change[3].name) in MARIADB_GENERATED


def _is_fts_table(name: str) -> bool:
    return name in FTS_TABLES or any(
        name == table + suffix for table in FTS_TABLES for suffix in FTS_SHADOWS
    )


@pytest.mark.filterwarnings("ignore:Skipped unsupported reflection of expression-based index")
@pytest.mark.filterwarnings("ignore:autogenerate skipping metadata-specified expression-based")
def test_migrations_match_the_models(app: Flask) -> None:
    """A model change without its migration would leave a shop's database behind."""
    mariadb = db.engine.dialect.name == "mysql"
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        diff = [
            change
            for change in compare_metadata(context, db.metadata)
            if not (
                isinstance(change, tuple)
                and change[0] in ("add_index", "remove_index")
                and change[1].name in UNREFLECTABLE_INDEXES
            )
            and not (
                isinstance(change, tuple)
                and change[0] == "remove_table"
                and _is_fts_table(change[1].name)
            )
            and not (mariadb and _mariadb_only(change))
        ]
    assert diff == [], f"models and migrations differ; add a migration: {diff}"


def test_migrations_are_recorded_at_head(app: Flask) -> None:
    with db.engine.connect() as connection:
        current = MigrationContext.configure(connection).get_current_revision()
    assert current is not None
