"""Database upkeep around the app: backups at start, before migrations, and restore."""

from __future__ import annotations

import contextlib
import logging
import secrets
import sqlite3
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from alembic.script import ScriptDirectory
from alembic.util import CommandError
from flask import Flask
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from posapp.errors import Conflict, DomainError
from posapp.extensions import db
from posapp.models.base import utcnow, write_transaction
from posapp.services import audit, backups, numbering, settings
from posapp.services.backups import BackupError, BackupInfo, Progress
from posapp.winfs import unlink_with_retry

log = logging.getLogger(__name__)
OFFSITE_STALE_AFTER = timedelta(days=2)
GATE_KEY = "tillbook_maintenance_gate"


class MaintenanceGate:
    """A process-wide gate: requests pass one by one, a restore closes it for the swap.

    While closed, other requests answer 503 instead of touching a database file that is
    being replaced; the restore waits (boundedly) for requests already inside to finish.
    """

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._inside = 0
        self._closed = False

    @property
    def is_closed(self) -> bool:
        return self._closed

    def enter(self) -> bool:
        """Let a request in, or tell it (False) that maintenance runs."""
        with self._cond:
            if self._closed:
                return False
            self._inside += 1
            return True

    def leave(self) -> None:
        """Mark a request as done."""
        with self._cond:
            self._inside -= 1
            self._cond.notify_all()

    @contextmanager
    def closed(self, *, own_requests: int = 1, timeout: float = 30.0) -> Iterator[None]:
        """Close the gate and wait until only `own_requests` (the caller) remain inside."""
        with self._cond:
            if self._closed:
                raise BackupError("A restore is already running; wait for it to finish.")
            self._closed = True
            if not self._cond.wait_for(lambda: self._inside <= own_requests, timeout=timeout):
                self._closed = False
                raise BackupError("The app is busy (a report or a sale is running); try again.")
        try:
            yield
        finally:
            with self._cond:
                self._closed = False
                self._cond.notify_all()


def gate(app: Flask) -> MaintenanceGate:
    """Return the app's maintenance gate."""
    found = app.extensions.get(GATE_KEY)
    if found is None:
        found = app.extensions.setdefault(GATE_KEY, MaintenanceGate())
    return found  # type: ignore[no-any-return]


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
    from posapp import create_app

    head = head_revision(app) or ""
    with _EXPECTED_LOCK:
        found = _EXPECTED_SCHEMAS.get(head)
        if found is not None:
            return found
        with tempfile.TemporaryDirectory(prefix="tillbook-schema-") as folder:
            reference = Path(folder) / "reference.db"
            temp = create_app(
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


def backup_now(
    app: Flask, to_dir: Path | None = None, progress: Progress | None = None
) -> BackupInfo:
    """Take a backup on request, into the backups folder or another folder (a USB stick)."""
    db_file = sqlite_file(app)
    if db_file is None:
        raise BackupError(
            "TillBook backs up its SQLite file only; on a database server back up with the "
            "server's tools (pg_dump for PostgreSQL, mariadb-dump for MariaDB/MySQL)."
        )
    now = datetime.now()
    if to_dir is None:
        info = backups.take_backup(db_file, backups_dir(app), "manual", now, progress)
    else:
        info = backups.backup_database(
            db_file, to_dir / backups.backup_name("manual", now), progress
        )
    log.info("backup written: %s (%d bytes)", info.path, info.size)
    remember_numbers(app)
    anchor_audit(app)
    copy_offsite(app, info.path)
    return info


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


def copy_offsite(app: Flask, backup: Path) -> Path | None:
    """Copy a finished backup to the off-site folder, if one is set; record when it worked.

    A failure is logged, never raised: the backup itself is safe in backups/, and the
    backups page warns once the last good off-site copy is more than two days old.
    """
    db_file = sqlite_file(app)
    if db_file is None or not db_file.exists():
        return None
    folder = settings.read_from_file(db_file, "offsite_backup_dir").strip()
    if not folder:
        return None
    try:
        target = backups.copy_file(backup, Path(folder))
    except (DomainError, OSError) as exc:
        log.error("off-site copy to %s failed: %s", folder, exc)
        return None
    try:
        settings.write_to_file(db_file, "offsite_last_copy", utcnow().isoformat(timespec="seconds"))
    except sqlite3.Error as exc:
        log.error("could not record the off-site copy time: %s", exc)
    log.info("off-site copy written: %s", target)
    return target


def offsite_stale(last_copy: str, now: datetime) -> bool:
    """Tell whether the last off-site copy (ISO, UTC; "" = never) is too old."""
    try:
        last = datetime.fromisoformat(last_copy)
    except ValueError:
        return True
    return now - last > OFFSITE_STALE_AFTER


def audit_event(action: str, user_id: int | None, after: dict[str, object]) -> None:
    """Record a backup or restore in the audit log (a user unknown to the data: no user)."""
    from posapp.models import User

    with write_transaction(db.session) as session:
        if user_id is not None and session.get(User, user_id) is None:
            user_id = None  # a restored database may not know the user who restored it
        audit.record(session, action, user_id=user_id, entity="backup", after=after)


JOBS_KEY = "tillbook_backup_jobs"
KEEP_JOBS = 20


@dataclass
class BackupJob:
    """One backup running in the background, as the backups page polls it."""

    id: str
    folder: Path | None  # None: into backups/ (then offered as a download)
    user_id: int | None
    state: str = "running"  # running | done | failed
    done: int = 0  # pages copied so far
    total: int = 0  # pages in all (0 until the first step reports)
    file: str = ""
    path: str = ""
    size: int = 0
    error: str = ""

    def as_dict(self) -> dict[str, Any]:
        """The job's state for the page's progress bar."""
        if self.state == "done":
            percent = 100
        else:
            percent = self.done * 100 // self.total if self.total else 0
        return {
            "id": self.id,
            "state": self.state,
            "done": self.done,
            "total": self.total,
            "percent": percent,
            "file": self.file,
            "path": self.path,
            "size": self.size,
            "error": self.error,
        }


class BackupJobs:
    """Backups taken on a thread so a large database can report progress while it copies.

    One at a time: two copies of the same file at once would only halve each one's speed.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._jobs: dict[str, BackupJob] = {}

    def start(self, app: Flask, folder: Path | None, user_id: int | None) -> BackupJob:
        """Start a backup (into `folder`, or backups/) on a thread; refuse while one runs."""
        with self._lock:
            if any(job.state == "running" for job in self._jobs.values()):
                raise Conflict("A backup is already running; wait for it to finish.")
            job = BackupJob(secrets.token_hex(8), folder, user_id)
            self._jobs[job.id] = job
            for old in list(self._jobs)[:-KEEP_JOBS]:
                del self._jobs[old]
        threading.Thread(
            target=self._run, args=(app, job), name="tillbook-backup", daemon=True
        ).start()
        return job

    def running(self) -> bool:
        """Tell whether a backup job is copying right now."""
        with self._lock:
            return any(job.state == "running" for job in self._jobs.values())

    def get(self, job_id: str) -> BackupJob | None:
        """Return a job by id (None if unknown or long forgotten)."""
        with self._lock:
            return self._jobs.get(job_id)

    @staticmethod
    def _run(app: Flask, job: BackupJob) -> None:
        def progress(done: int, total: int) -> None:
            job.done, job.total = done, total

        try:
            info = backup_now(app, job.folder, progress)
            with app.app_context():
                try:
                    audit_event(
                        "backup.create",
                        job.user_id,
                        {"file": info.path.name, "size": info.size, "to": str(info.path.parent)},
                    )
                finally:
                    db.session.remove()
            job.file, job.path, job.size = info.path.name, str(info.path), info.size
            job.state = "done"
        except Exception as exc:  # the page shows it: a thread must not lose it
            log.error("backup to %s failed: %s", job.folder or "backups/", exc)
            job.error = getattr(exc, "message", None) or str(exc) or type(exc).__name__
            job.state = "failed"


def backup_jobs(app: Flask) -> BackupJobs:
    """Return the app's background backup jobs."""
    found = app.extensions.get(JOBS_KEY)
    if found is None:
        found = app.extensions.setdefault(JOBS_KEY, BackupJobs())
    return found  # type: ignore[no-any-return]


def _close_wal(path: Path) -> None:
    """Fold a database's write-ahead log into the file and leave it as a single file."""
    connection = sqlite3.connect(str(path), timeout=30)
    try:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        connection.execute("PRAGMA journal_mode=DELETE")
    finally:
        connection.close()


def _checkpoint_alone(path: Path) -> None:
    """Fold the live database's log into its file; refuse if anything else has it open."""
    connection = sqlite3.connect(str(path), timeout=5)
    try:
        busy, _log_pages, _moved = connection.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    finally:
        connection.close()
    if busy:
        raise BackupError(
            "TillBook is still running on this data (or another program has the database "
            "open); close it, then restore again."
        )


BACKUP_RUNNING_MESSAGE = (
    "A backup is being written right now; wait until it has finished, then restore."
)


def backup_running(app: Flask) -> bool:
    """Tell whether this process is writing a backup (a page's job or the daily thread)."""
    daily = app.extensions.get("tillbook_daily_backup")
    if isinstance(daily, threading.Thread) and daily.is_alive():
        return True
    return backup_jobs(app).running()


def refuse_while_backing_up(app: Flask) -> None:
    """Refuse to restore while a backup runs: it holds the database open, and on Windows an
    open file cannot be replaced; the copy would also mix the old data and the restored."""
    if backup_running(app):
        raise Conflict(BACKUP_RUNNING_MESSAGE, code="backup_running")


def restore(app: Flask, source: Path, progress: Progress | None = None) -> BackupInfo:
    """Restore a backup: verify it, bring it to this version's schema, keep a safety backup
    of the current data, then swap the file in atomically. Nothing changes if a step fails.

    The app must not be serving this data dir meanwhile (the CLI is run with TillBook closed).
    """
    from posapp import create_app

    db_file = sqlite_file(app)
    if db_file is None:
        raise BackupError(
            "Restore works on the SQLite file only; on a database server restore with the "
            "server's tools (pg_restore for PostgreSQL, mariadb for MariaDB/MySQL)."
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
                temp = create_app(
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
                    f"{source.name} is not a TillBook backup: it could not be migrated to this "
                    "version of TillBook."
                ) from None
            with temp.app_context():
                db.engine.dispose()
            _close_wal(prepared)
        problems = backups.integrity_ok(prepared)
        if problems:
            raise BackupError(f"The restored copy failed its integrity check: {problems[0]}")
        # A whole TillBook database first: the numbers below are set in its tables.
        backups.verify_tillbook_schema(prepared, expected_schema(app), source.name)
        try:
            numbering.carry_forward(
                Path(app.config["DATA_DIR"]),
                prepared,
                restored_at=utcnow().isoformat(timespec="seconds"),
                source=source.name,
            )
        except (sqlite3.Error, OSError) as exc:
            raise BackupError(f"The restored copy's numbers could not be set: {exc}") from None
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
    connection = sqlite3.connect(str(db_file), timeout=10)
    try:
        busy, _log_pages, _moved = connection.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    finally:
        connection.close()
    if busy:
        log.warning("database still in use elsewhere; write-ahead log not truncated")
    else:
        log.info("database closed and checkpointed")


RESTORING_MESSAGE = "TillBook is restoring a backup; try again in a moment."


def install_gate(app: Flask) -> None:
    """Route every request through the maintenance gate (install before other hooks)."""
    from flask import Response, g, request

    from posapp.api.errors import api_error_response

    the_gate = gate(app)

    @app.before_request
    def pass_the_gate() -> Response | tuple[Response, int] | None:
        if not the_gate.enter():
            if request.path.startswith("/api/"):
                response, status = api_error_response("restoring", RESTORING_MESSAGE, 503)
            else:
                page = f"<!doctype html><title>Restoring</title><p>{RESTORING_MESSAGE}</p>"
                response, status = Response(page, mimetype="text/html"), 503
            response.headers["Retry-After"] = "5"
            return response, status
        g.tillbook_in_gate = True
        return None

    @app.teardown_request
    def leave_the_gate(_exc: BaseException | None) -> None:
        if g.pop("tillbook_in_gate", False):
            the_gate.leave()
