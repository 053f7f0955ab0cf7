"""SQLite files that look like TillBook backups but are not whole ones (restore must refuse)."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

from alembic.script import ScriptDirectory

from posapp import MIGRATIONS_DIR


def _edit(path: Path, *statements: str) -> Path:
    connection = sqlite3.connect(path)
    try:
        for sql in statements:
            connection.execute(sql)
        connection.commit()
    finally:
        connection.close()
    return path


def only_alembic_version(path: Path, revision: str) -> Path:
    """An SQLite file holding nothing but `alembic_version` at a revision."""
    return _edit(
        path,
        "CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL PRIMARY KEY)",
        f"INSERT INTO alembic_version VALUES ('{revision}')",  # noqa: S608 (a test's own id)
    )


def not_tillbook_files(folder: Path, good: Path) -> dict[str, Path]:
    """Each refusal's expected words -> a file with a known revision that is not a shop.

    `good` is a real backup at head with an admin; the others are made from it or from nothing.
    """
    folder.mkdir(parents=True, exist_ok=True)
    scripts = ScriptDirectory(MIGRATIONS_DIR)
    head, base = scripts.get_current_head(), scripts.get_base()
    assert head and base

    def copy(name: str) -> Path:
        return Path(shutil.copyfile(good, folder / name))

    return {
        "table account_days is missing": only_alembic_version(folder / "only-version.db", head),
        "could not be migrated to this version": only_alembic_version(
            folder / "only-old-version.db", base
        ),
        "column customers.notes is missing": _edit(
            copy("no-notes-column.db"), "ALTER TABLE customers DROP COLUMN notes"
        ),
        "no active admin user": _edit(
            copy("no-admin.db"),
            "PRAGMA foreign_keys = OFF",
            "UPDATE users SET active = 0",
        ),
        "writer_lock row is missing": _edit(copy("no-lock-row.db"), "DELETE FROM writer_lock"),
        "trigger products_fts_ai is missing": _edit(
            copy("no-trigger.db"), "DROP TRIGGER products_fts_ai"
        ),
    }
