"""Backups of the SQLite database: consistent copies, verification, rotation and restore."""

from __future__ import annotations

import re
import shutil
import sqlite3
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy.orm import Session

from posapp.errors import DomainError
from posapp.i18n import _, lazy, ngettext
from posapp.models import User
from posapp.models.base import write_transaction
from posapp.services import audit, shop_settings
from posapp.winfs import FileInUse, replace_with_retry, sqlite_ro_uri, unlink_with_retry

BACKUP_RE = re.compile(r"^tillbook-(\d{8})-(\d{6})-([a-z0-9-]+)\.db$")
PAGES_PER_STEP = 256  # small steps keep the live database writable while a backup runs
KEEP_DAILY = 14
KEEP_MONTHLY = 12
DAILY = "daily"

Progress = Callable[[int, int], None]  # (pages done, pages in all)


class BackupError(DomainError):
    """A backup could not be written, or a file offered for restore is not a good one."""

    status = 422
    code = "bad_backup"


@dataclass(frozen=True)
class BackupInfo:
    """A verified database file: where it is, its schema revision and its size."""

    path: Path
    revision: str | None
    size: int


def backup_name(reason: str, moment: datetime) -> str:
    """Name a backup file so names sort by time and say why they were taken."""
    slug = re.sub(r"[^a-z0-9]+", "-", reason.lower()).strip("-") or "manual"
    return f"tillbook-{moment:%Y%m%d-%H%M%S}-{slug}.db"


def _connect_ro(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(sqlite_ro_uri(path), uri=True)


def integrity_ok(path: Path) -> list[str]:
    """Return the problems `PRAGMA integrity_check` finds in a database file (empty: fine)."""
    try:
        connection = _connect_ro(path)
        try:
            rows = [str(r[0]) for r in connection.execute("PRAGMA integrity_check").fetchall()]
        finally:
            connection.close()
    except sqlite3.DatabaseError as exc:
        return [_("not a TillBook database: %(reason)s", reason=exc)]
    return [] if rows == ["ok"] else rows


def schema_revision(path: Path) -> str | None:
    """Return the Alembic revision a database file is at (None if it has none)."""
    connection = _connect_ro(path)
    try:
        row = connection.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlite3.DatabaseError:
        return None
    finally:
        connection.close()
    return str(row[0]) if row else None


def backup_database(source: Path, dest: Path, progress: Progress | None = None) -> BackupInfo:
    """Copy a live database with SQLite's online backup API, verify the copy, then publish it.

    The copy is written under a temporary name and renamed only once `integrity_check`
    passes, so a file with the final name is always a complete, verified backup.
    """
    if not source.exists():
        raise BackupError(_("There is no database at %(path)s to back up.", path=source))
    dest.parent.mkdir(parents=True, exist_ok=True)
    partial = dest.with_name(dest.name + ".partial")
    unlink_with_retry(partial)
    src = sqlite3.connect(str(source), timeout=30)
    try:
        out = sqlite3.connect(str(partial))
        try:

            def step(_status: int, remaining: int, total: int) -> None:
                if progress is not None:
                    progress(total - remaining, total)

            src.backup(out, pages=PAGES_PER_STEP, progress=step)
            # A backup is one self-contained file: no -wal beside it when it is copied away.
            out.execute("PRAGMA journal_mode=DELETE")
        finally:
            out.close()
    except sqlite3.Error as exc:
        partial.unlink(missing_ok=True)
        raise BackupError(
            _(
                "The backup could not be written to %(folder)s: %(reason)s",
                folder=dest.parent,
                reason=exc,
            )
        ) from None
    finally:
        src.close()
    problems = integrity_ok(partial)
    if problems:
        partial.unlink(missing_ok=True)
        raise BackupError(
            _("The backup failed its integrity check: %(problem)s", problem=problems[0])
        )
    replace_with_retry(partial, dest)
    return BackupInfo(dest, schema_revision(dest), dest.stat().st_size)


def list_backups(folder: Path) -> list[tuple[datetime, Path]]:
    """Return the backups in a folder, oldest first, with the time their name records."""
    found: list[tuple[datetime, Path]] = []
    if not folder.is_dir():
        return found
    for path in folder.iterdir():
        match = BACKUP_RE.match(path.name)
        if match and path.is_file():
            moment = datetime.strptime(match.group(1) + match.group(2), "%Y%m%d%H%M%S")
            found.append((moment, path))
    return sorted(found)


def backups_to_keep(
    backups: Iterable[tuple[datetime, Path]],
    keep_daily: int = KEEP_DAILY,
    keep_monthly: int = KEEP_MONTHLY,
) -> set[Path]:
    """Choose what rotation keeps: the newest backup of each of the last N days and M months."""
    newest_per_day: dict[str, Path] = {}
    newest_per_month: dict[str, Path] = {}
    for moment, path in sorted(backups):  # oldest first, so the newest of each wins
        newest_per_day[moment.strftime("%Y-%m-%d")] = path
        newest_per_month[moment.strftime("%Y-%m")] = path
    days = sorted(newest_per_day)[-keep_daily:] if keep_daily else []
    months = sorted(newest_per_month)[-keep_monthly:] if keep_monthly else []
    return {newest_per_day[d] for d in days} | {newest_per_month[m] for m in months}


def rotate(
    folder: Path, keep_daily: int = KEEP_DAILY, keep_monthly: int = KEEP_MONTHLY
) -> list[Path]:
    """Delete the daily backups rotation does not keep; return what was deleted.

    Only the automatic daily backups rotate. Safety backups (before a migration or a
    restore) and manual ones are rare and precious: they stay until the owner deletes them.
    """
    backups = [(m, p) for m, p in list_backups(folder) if p.name.endswith(f"-{DAILY}.db")]
    keep = backups_to_keep(backups, keep_daily, keep_monthly)
    removed = []
    for _moment, path in backups:
        if path not in keep:
            try:
                unlink_with_retry(path)
            except FileInUse:
                continue  # held open (a copy to a stick, antivirus): the next rotation takes it
            removed.append(path)
    return removed


def take_backup(
    db_file: Path, backups_dir: Path, reason: str, now: datetime, progress: Progress | None = None
) -> BackupInfo:
    """Write a verified backup into the backups folder and rotate the folder."""
    info = backup_database(db_file, backups_dir / backup_name(reason, now), progress)
    rotate(backups_dir)
    return info


def daily_backup_due(backups_dir: Path, today: datetime) -> bool:
    """Tell whether today has no backup yet (the first start of a day takes one)."""
    day = today.strftime("%Y%m%d")
    return not any(m.strftime("%Y%m%d") == day for m, _path in list_backups(backups_dir))


def verify_for_restore(path: Path, known_revisions: set[str]) -> BackupInfo:
    """Check a file offered for restore: a sound SQLite file at a schema this version knows."""
    if not path.is_file():
        raise BackupError(_("%(path)s is not a file.", path=path))
    with path.open("rb") as handle:
        if handle.read(16) != b"SQLite format 3\x00":
            raise BackupError(
                _("%(name)s is not a TillBook backup (not an SQLite database).", name=path.name)
            )
    problems = integrity_ok(path)
    if problems:
        raise BackupError(
            _("%(name)s is damaged: %(problem)s", name=path.name, problem=problems[0])
        )
    revision = schema_revision(path)
    if revision is None:
        raise BackupError(
            _("%(name)s is not a TillBook backup (it has no schema version).", name=path.name)
        )
    if revision not in known_revisions:
        raise BackupError(
            _(
                "%(name)s was made by a newer or unknown TillBook (schema %(revision)s); "
                "update TillBook before restoring it.",
                name=path.name,
                revision=revision,
            )
        )
    return BackupInfo(path, revision, path.stat().st_size)


@dataclass(frozen=True)
class FileSchema:
    """What an SQLite file holds: each table with its columns, and its triggers' names."""

    tables: dict[str, frozenset[str]]
    triggers: frozenset[str]


def file_schema(path: Path) -> FileSchema:
    """Read the tables (with their columns) and triggers of an SQLite file.

    SQLite's own tables (sqlite_stat1 from ANALYZE, sqlite_sequence) are left out: whether
    they exist depends on the file's history, not on its schema.
    """
    connection = _connect_ro(path)
    try:
        rows = connection.execute(
            "SELECT type, name FROM sqlite_master WHERE type IN ('table', 'trigger') "
            "AND name NOT LIKE 'sqlite_%'"
        ).fetchall()
        tables = {}
        for kind, name in rows:
            if kind == "table":
                info = connection.execute("SELECT name FROM pragma_table_info(?)", (name,))
                tables[str(name)] = frozenset(str(r[0]) for r in info.fetchall())
    finally:
        connection.close()
    triggers = frozenset(str(name) for kind, name in rows if kind == "trigger")
    return FileSchema(tables, triggers)


def schema_differences(found: FileSchema, expected: FileSchema) -> list[str]:
    """Name what `found` lacks of `expected`: tables, columns, triggers (extra ones are fine)."""
    problems = []
    for table, columns in sorted(expected.tables.items()):
        if table not in found.tables:
            problems.append(_("table %(table)s is missing", table=table))
            continue
        missing = sorted(columns - found.tables[table])
        problems.extend(
            _("column %(table)s.%(column)s is missing", table=table, column=name)
            for name in missing
        )
    problems.extend(
        _("trigger %(name)s is missing", name=name)
        for name in sorted(expected.triggers - found.triggers)
    )
    return problems


# Rows a shop cannot run without, in a file already at this version's schema.
REQUIRED_ROWS = (
    (
        lazy(
            "it has no active admin user (after restoring it nobody could manage the shop, and "
            "anyone could run the first-time setup)"
        ),
        "SELECT 1 FROM users WHERE role = 'admin' AND active LIMIT 1",
    ),
    (lazy("its writer_lock row is missing"), "SELECT 1 FROM writer_lock WHERE id = 1"),
)


def missing_rows(path: Path) -> list[str]:
    """Say which of the rows every TillBook database holds a file lacks."""
    connection = _connect_ro(path)
    try:
        return [
            str(reason)
            for reason, sql in REQUIRED_ROWS
            if connection.execute(sql).fetchone() is None
        ]
    finally:
        connection.close()


def verify_tillbook_schema(path: Path, expected: FileSchema, label: str) -> None:
    """Refuse (BackupError) a file at this version's schema that is not a whole TillBook
    database: a table, column or trigger missing, or a row every shop has.

    `label` names the file as the person chose it (the copy being checked has another name).
    """
    try:
        problems = schema_differences(file_schema(path), expected)
        if not problems:
            problems = missing_rows(path)
    except sqlite3.DatabaseError as exc:
        problems = [str(exc)]
    if problems:
        if len(problems) > 1:
            raise BackupError(
                ngettext(
                    "%(label)s is not a TillBook backup: %(problem)s (and %(num)s more problem).",
                    "%(label)s is not a TillBook backup: %(problem)s (and %(num)s more problems).",
                    len(problems) - 1,
                    label=label,
                    problem=problems[0],
                )
            )
        raise BackupError(
            _("%(label)s is not a TillBook backup: %(problem)s.", label=label, problem=problems[0])
        )


def swap_in(prepared: Path, db_file: Path) -> None:
    """Replace the database file with a prepared copy in one atomic rename.

    The caller has checkpointed the current database (its backup was just taken), so its
    -wal and -shm files hold nothing that is not in the main file; they must go, or SQLite
    would replay the old log onto the restored file.
    """
    for suffix in ("-wal", "-shm"):
        unlink_with_retry(Path(str(db_file) + suffix))
    replace_with_retry(prepared, db_file)


def copy_file(source: Path, folder: Path) -> Path:
    """Copy a finished backup to another folder (a USB stick), verified, atomically named."""
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / source.name
    partial = target.with_name(target.name + ".partial")
    shutil.copyfile(source, partial)
    if integrity_ok(partial):
        unlink_with_retry(partial)
        raise BackupError(_("The copy in %(folder)s failed its integrity check.", folder=folder))
    replace_with_retry(partial, target)
    return target


def set_offsite_folder(session: Session, folder: str, user_id: int | None) -> bool:
    """Save the folder every backup is also copied to ("" = none), audited; True if it changed.

    The audit entry keeps its historical shape (entity "setting", this one key).
    """
    changed = shop_settings.save_changes(
        session,
        {"offsite_backup_dir": folder},
        "settings.offsite_backup_dir",
        user_id,
        entity="setting",
    )
    return bool(changed)


def record_event(
    session: Session, action: str, user_id: int | None, after: dict[str, object]
) -> None:
    """Record a backup or restore in the audit log (a user unknown to the data: no user)."""
    with write_transaction(session) as writing:
        if user_id is not None and writing.get(User, user_id) is None:
            user_id = None  # a restored database may not know the user who restored it
        audit.record(writing, action, user_id=user_id, entity="backup", after=after)
