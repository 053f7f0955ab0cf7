"""Alembic environment: migrates the app's database (SQLite or PostgreSQL) to its models."""

from __future__ import annotations

from alembic import context
from flask import current_app

config = context.config
target_db = current_app.extensions["migrate"].db


def _url() -> str:
    return target_db.engine.url.render_as_string(hide_password=False).replace("%", "%%")


config.set_main_option("sqlalchemy.url", _url())

# Tables a migration creates with raw SQL and no model (SQLite FTS5 search indexes and their
# shadow tables): autogenerate must not offer to drop them.
UNMODELLED_PREFIXES = ("products_fts", "products_trgm")


def include_object(
    obj: object, name: str | None, type_: str, reflected: bool, compare_to: object
) -> bool:
    """Leave raw-SQL search tables out of autogenerate's comparison."""
    return not (type_ == "table" and reflected and (name or "").startswith(UNMODELLED_PREFIXES))


def run_migrations_offline() -> None:
    """Emit SQL without a database (`alembic upgrade --sql`), used for docs/schema.sql."""
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=target_db.metadata,
        literal_binds=True,
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    """Run migrations on a live connection; batch mode lets SQLite alter tables."""
    with target_db.engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            # Batch mode rebuilds a table (copy, drop, rename); with foreign keys on, dropping
            # a table others reference fails. The pragma only works outside a transaction.
            connection.connection.driver_connection.execute("PRAGMA foreign_keys=OFF")
        try:
            context.configure(
                connection=connection,
                target_metadata=target_db.metadata,
                include_object=include_object,
                render_as_batch=True,
                compare_type=True,
            )
            with context.begin_transaction():
                context.run_migrations()
                if sqlite:
                    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").all()
                    if broken:
                        raise RuntimeError(f"migration broke foreign keys: {broken[:5]}")
        finally:
            if sqlite:
                # Never hand this connection back to the pool with foreign keys off: drop it,
                # and the pool opens a fresh one with the normal pragmas.
                connection.invalidate()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
