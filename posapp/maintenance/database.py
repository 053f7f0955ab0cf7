"""The database as maintenance sees it: its file, its schema revisions, the safety nets.

Shared by the gate, the backup jobs and start-up/restore: where the SQLite file and the backups
folder are, which schema revisions this version opens, the high-water marks of the document
numbers (numbers.json) and the audit log's anchor. Nothing here imports the app factory: the
factory hands its builder over (`set_app_builder`), and a restore or the schema check builds
its throwaway app through it.
"""

from __future__ import annotations

import logging
import sqlite3
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from alembic.script import ScriptDirectory
from flask import Flask
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from posapp.extensions import db
from posapp.services import audit, backups, numbering

log = logging.getLogger("posapp.maintenance")
BUILDER_KEY = "tillbook_app_builder"
AppBuilder = Callable[[dict[str, Any]], Flask]


def set_app_builder(app: Flask, builder: AppBuilder) -> None:
    """Keep the factory that builds throwaway apps (create_app) on the app.

    Passed in by create_app itself, so maintenance never imports the factory above it.
    """
    app.extensions[BUILDER_KEY] = builder


def app_builder(app: Flask) -> AppBuilder:
    """The factory a restore migrates a copy with (RuntimeError if the app has none)."""
    builder = app.extensions.get(BUILDER_KEY)
    if builder is None:
        raise RuntimeError("this app was not built by posapp.create_app: it cannot migrate a copy")
    return builder


def sqlite_file(app: Flask) -> Path | None:
    """Return the SQLite file the app uses, or None on another database (PostgreSQL)."""
    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    if not url.drivername.startswith("sqlite") or not url.database:
        return None
    return Path(url.database)


def backups_dir(app: Flask) -> Path:
    """Return the data dir's backups folder."""
    return Path(app.config["DATA_DIR"]) / "backups"


def _scripts(app: Flask) -> ScriptDirectory:
    return ScriptDirectory(app.extensions["migrate"].directory)


def known_revisions(app: Flask) -> set[str]:
    """Every schema revision this version of TillBook can open (and migrate forward)."""
    return {script.revision for script in _scripts(app).walk_revisions()}


def head_revision(app: Flask) -> str | None:
    """The schema revision this version of TillBook runs at."""
    return _scripts(app).get_current_head()


_EXPECTED_SCHEMAS: dict[str, backups.FileSchema] = {}
_EXPECTED_LOCK = threading.Lock()


def expected_schema(app: Flask) -> backups.FileSchema:
    """The tables, columns and triggers of a database at this version's head revision.

    Derived from the migrations themselves (an empty database migrated to head in a temp
    folder, ~1.5 s), once per process and revision, so it always matches what a real shop
    file has, FTS tables and triggers included.
    """
    head = head_revision(app) or ""
    with _EXPECTED_LOCK:
        found = _EXPECTED_SCHEMAS.get(head)
        if found is not None:
            return found
        with tempfile.TemporaryDirectory(prefix="tillbook-schema-") as folder:
            reference = Path(folder) / "reference.db"
            temp = app_builder(app)(
                {
                    "DATA_DIR": folder,
                    "SQLALCHEMY_DATABASE_URI": f"sqlite:///{reference.as_posix()}",
                    "AUTO_BACKUP": False,
                    "LOG_TO_FILE": False,
                }
            )
            with temp.app_context():
                db.engine.dispose()  # Windows cannot delete a file that is still open
            found = backups.file_schema(reference)
        _EXPECTED_SCHEMAS[head] = found
        return found


def remember_numbers(app: Flask, db_file: Path | None = None) -> None:
    """Keep the live database's highest document numbers in the data folder's numbers.json.

    Never fatal: the marks are a safety net for a later restore, not part of a sale.
    """
    db_file = db_file or sqlite_file(app)
    if db_file is None or not db_file.exists():
        return
    try:
        numbering.remember(Path(app.config["DATA_DIR"]), db_file)
    except (OSError, sqlite3.Error) as exc:
        log.error("could not record the highest document numbers: %s", exc)


def anchor_audit(app: Flask, *, restored: bool = False) -> None:
    """Record the audit log's newest entry and count in the anchor file (never fatal)."""
    try:
        with app.app_context():
            audit.write_anchor(db.session, restored=restored)
    except SQLAlchemyError as exc:
        log.error("could not anchor the audit log: %s", exc)
