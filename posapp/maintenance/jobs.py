"""Backups on request: the page's background jobs with progress, the CLI's, the off-site copy.

Every finished backup refreshes the document numbers' marks and the audit anchor and is copied
to the off-site folder when one is set (read through the settings store's raw accessor: the
copy may run on a thread outside any app context).
"""

from __future__ import annotations

import secrets
import sqlite3
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from flask import Flask

from posapp.errors import Conflict, DomainError
from posapp.extensions import db
from posapp.i18n import _
from posapp.maintenance.database import (
    anchor_audit,
    backups_dir,
    log,
    remember_numbers,
    sqlite_file,
)
from posapp.models.base import utcnow
from posapp.services import backups, settings
from posapp.services.backups import BackupError, BackupInfo, Progress

OFFSITE_STALE_AFTER = timedelta(days=2)


def backup_now(
    app: Flask, to_dir: Path | None = None, progress: Progress | None = None
) -> BackupInfo:
    """Take a backup on request, into the backups folder or another folder (a USB stick)."""
    db_file = sqlite_file(app)
    if db_file is None:
        raise BackupError(
            _(
                "TillBook backs up its SQLite file only; on a database server back up with the "
                "server's tools (pg_dump for PostgreSQL, mariadb-dump for MariaDB/MySQL)."
            )
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
                raise Conflict(_("A backup is already running; wait for it to finish."))
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
                    backups.record_event(
                        db.session,
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
    return found
