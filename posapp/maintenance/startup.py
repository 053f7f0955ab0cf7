"""Start-up and shutdown upkeep, and the restore.

At start (create_app): a backup before the schema changes or once a day, and numbering carried
past numbers.json when the file was replaced by hand. At shutdown: close_database. The restore
verifies, migrates a copy with a throwaway app (built through the factory create_app handed
over, see database.set_app_builder), keeps a safety backup and swaps the file in.
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
from datetime import datetime
from pathlib import Path

from alembic.util import CommandError
from flask import Flask
from sqlalchemy.exc import SQLAlchemyError

from posapp.extensions import db
from posapp.i18n import _
from posapp.maintenance.database import (
    anchor_audit,
    app_builder,
    backups_dir,
    expected_schema,
    head_revision,
    known_revisions,
    log,
    remember_numbers,
    sqlite_file,
)
from posapp.maintenance.gate import refuse_while_backing_up
from posapp.maintenance.jobs import copy_offsite
from posapp.models.base import utcnow
from posapp.services import backups, numbering, sync_outbox
from posapp.services.backups import BackupError, BackupInfo, Progress
from posapp.winfs import unlink_with_retry


def backup_at_start(app: Flask, now: datetime | None = None) -> BackupInfo | None:
    """Before migrating at start: back up when the schema will change, or once a day.

    A fresh install has nothing to protect. Any failure is logged, never fatal: a shop must
    still be able to sell when, say, the disk is too full for one more copy.
    """
    db_file = sqlite_file(app)
    if db_file is None or not db_file.exists() or db_file.stat().st_size == 0:
        return None
    now = now or datetime.now()
    folder = backups_dir(app)
    try:
        current = backups.schema_revision(db_file)
    except sqlite3.DatabaseError:
        current = None
    try:
        if current is not None and current != head_revision(app):
            info = backups.take_backup(db_file, folder, f"before-migration-{current}", now)
        elif backups.daily_backup_due(folder, now):
            if app.config.get("DAILY_BACKUP_IN_BACKGROUND"):
                # Verifying a copy of a big shop's database takes tens of seconds (1 M invoice
                # lines: ~20 s of integrity_check); the till must not wait for it at opening.
                worker = threading.Thread(
                    target=_daily_backup,
                    args=(app, db_file, folder, now),
                    daemon=True,
                    name="tillbook-daily-backup",
                )
                app.extensions["tillbook_daily_backup"] = worker  # tests join it
                worker.start()
                return None
            info = backups.take_backup(db_file, folder, backups.DAILY, now)
        else:
            return None
    except (BackupError, OSError) as exc:
        log.error("automatic backup failed: %s", exc)
        return None
    log.info("backup written: %s (%d bytes)", info.path, info.size)
    remember_numbers(app)
    anchor_audit(app)
    copy_offsite(app, info.path)
    return info


def _daily_backup(app: Flask, db_file: Path, folder: Path, now: datetime) -> None:
    """The day's first backup, on its own thread while the server already answers."""
    try:
        info = backups.take_backup(db_file, folder, backups.DAILY, now)
    except (BackupError, OSError, sqlite3.Error) as exc:
        log.error("automatic daily backup failed: %s", exc)
        return
    log.info("backup written: %s (%d bytes)", info.path, info.size)
    remember_numbers(app)
    anchor_audit(app)
    copy_offsite(app, info.path)


def carry_numbers_forward(app: Flask) -> list[numbering.LostRange]:
    """At start: continue numbering after numbers.json if the file was replaced by hand."""
    db_file = sqlite_file(app)
    if db_file is None or not db_file.exists():
        return []
    try:
        lost = numbering.carry_forward(
            Path(app.config["DATA_DIR"]),
            db_file,
            restored_at=utcnow().isoformat(timespec="seconds"),
            source="database file replaced while TillBook was closed",
        )
    except (OSError, sqlite3.Error) as exc:
        log.error("could not check the document numbers against numbers.json: %s", exc)
        return []
    remember_numbers(app, db_file)
    return lost


def _close_wal(path: Path) -> None:
    """Fold a database's write-ahead log into the file and leave it as a single file."""
    connection = sqlite3.connect(str(path), timeout=30)
    try:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        connection.execute("PRAGMA journal_mode=DELETE")
    finally:
        connection.close()


def _truncate_wal(path: Path, timeout: float) -> bool:
    """Fold a database's write-ahead log into its file and empty it; True if another
    connection kept it from finishing."""
    connection = sqlite3.connect(str(path), timeout=timeout)
    try:
        busy, _log_pages, _moved = connection.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    finally:
        connection.close()
    return bool(busy)


def _checkpoint_alone(path: Path) -> None:
    """Fold the live database's log into its file; refuse if anything else has it open."""
    if _truncate_wal(path, timeout=5):
        raise BackupError(
            _(
                "TillBook is still running on this data (or another program has the database "
                "open); close it, then restore again."
            )
        )


def restore(app: Flask, source: Path, progress: Progress | None = None) -> BackupInfo:
    """Restore a backup: verify it, bring it to this version's schema, keep a safety backup
    of the current data, then swap the file in atomically. Nothing changes if a step fails.

    The app must not be serving this data dir meanwhile (the CLI is run with TillBook closed).
    """
    db_file = sqlite_file(app)
    if db_file is None:
        raise BackupError(
            _(
                "Restore works on the SQLite file only; on a database server restore with the "
                "server's tools (pg_restore for PostgreSQL, mariadb for MariaDB/MySQL)."
            )
        )
    refuse_while_backing_up(app)
    checked = backups.verify_for_restore(source, known_revisions(app))
    remember_numbers(app, db_file)  # the numbers the live data issued, before it goes
    prepared = db_file.with_name("restore-in-progress.db")
    for leftover in (prepared, Path(f"{prepared}-wal"), Path(f"{prepared}-shm")):
        unlink_with_retry(leftover)
    try:
        backups.backup_database(source, prepared, progress)
        if checked.revision != head_revision(app):
            # Migrate the copy forward with a throwaway app bound to it, never to the live file.
            try:
                temp = app_builder(app)(
                    {
                        "DATA_DIR": app.config["DATA_DIR"],
                        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{prepared.as_posix()}",
                        "AUTO_BACKUP": False,
                        "LOG_TO_FILE": False,
                    }
                )
            except (SQLAlchemyError, CommandError, sqlite3.Error) as exc:
                # A file with a known revision but not the tables of it: not a TillBook backup.
                log.warning("restore: %s could not be migrated: %s", source, exc)
                raise BackupError(
                    _(
                        "%(name)s is not a TillBook backup: it could not be migrated to this "
                        "version of TillBook.",
                        name=source.name,
                    )
                ) from None
            with temp.app_context():
                db.engine.dispose()
            _close_wal(prepared)
        problems = backups.integrity_ok(prepared)
        if problems:
            raise BackupError(
                _("The restored copy failed its integrity check: %(problem)s", problem=problems[0])
            )
        # A whole TillBook database first: the numbers below are set in its tables.
        backups.verify_tillbook_schema(prepared, expected_schema(app), source.name)
        try:
            numbering.carry_forward(
                Path(app.config["DATA_DIR"]),
                prepared,
                restored_at=utcnow().isoformat(timespec="seconds"),
                source=source.name,
            )
            # The outbox's numbers too: HQ must not take the restored shop's new changesets
            # for ones it already holds (services/sync_outbox.py carry_forward).
            carried = sync_outbox.carry_forward(db_file if db_file.exists() else None, prepared)
        except (sqlite3.Error, OSError, SQLAlchemyError) as exc:
            raise BackupError(
                _("The restored copy's numbers could not be set: %(reason)s", reason=exc)
            ) from None
        if carried.shop_id:
            log.info(
                "restore: HQ sync continues after seq %s (%s empty changesets, %s records "
                "sent again, %s records at HQ the restored data no longer has)",
                carried.top,
                carried.filled,
                carried.resent,
                carried.discarded,
            )
        with app.app_context():
            db.session.remove()
            db.engine.dispose()  # no pooled connection may keep the old file open
        safety = None
        if db_file.exists():
            safety = backups.take_backup(
                db_file, backups_dir(app), "before-restore", datetime.now()
            )
            _checkpoint_alone(db_file)
        backups.swap_in(prepared, db_file)
        anchor_audit(app, restored=True)  # the restored log is the log now: anchor its end
    finally:
        for leftover in (prepared, Path(f"{prepared}-wal"), Path(f"{prepared}-shm")):
            # A leftover still held open must not hide why the restore stopped; the next
            # restore clears it.
            with contextlib.suppress(OSError):
                unlink_with_retry(leftover)
    log.info(
        "restored %s (schema %s); the data before it is in %s",
        source,
        checked.revision,
        safety.path if safety else "nothing (there was no database)",
    )
    return BackupInfo(db_file, head_revision(app), db_file.stat().st_size)


def close_database(app: Flask) -> None:
    """Close every pooled connection and fold the SQLite write-ahead log into the file.

    Called once the server has stopped: a file left with a big -wal is not lost data, but a
    copy of just the .db file (a USB stick) would miss the last sales.
    """
    anchor_audit(app)
    with app.app_context():
        db.session.remove()
        for engine in db.engines.values():
            engine.dispose()
    db_file = sqlite_file(app)
    if db_file is None or not db_file.exists():
        return
    remember_numbers(app, db_file)
    if _truncate_wal(db_file, timeout=10):
        log.warning("database still in use elsewhere; write-ahead log not truncated")
    else:
        log.info("database closed and checkpointed")
