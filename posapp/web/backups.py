"""The backups page for admins: list, back up now, restore, and the off-site copy folder."""

from __future__ import annotations

import contextlib
import os
import sqlite3
from datetime import datetime
from pathlib import Path
from typing import Any

from flask import (
    Blueprint,
    Flask,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_login import current_user, logout_user
from werkzeug.wrappers import Response

from posapp import start_hq_push
from posapp.apidoc import check_answers, documented
from posapp.documents.filters import size_text
from posapp.errors import DomainError, Forbidden, NotFound, ValidationError
from posapp.extensions import db
from posapp.i18n import _
from posapp.maintenance import database, jobs, startup
from posapp.maintenance.gate import gate
from posapp.models.base import utcnow
from posapp.services import backups, numbering
from posapp.services.settings import load_settings
from posapp.web import admin_required
from posapp.web import schemas as s
from posapp.web.uploads import upload_limit
from posapp.winfs import unlink_with_retry

bp = Blueprint("backups", __name__, url_prefix="/backups")
check_answers(bp)  # the JSON endpoints (jobs) are documented; the pages pass
LOOPBACK = {"127.0.0.1", "::1"}
DEFAULT_RESTORE_MAX_BYTES = 2 * 1024**3  # a shop's database grows by a few MB a year
UPLOAD_NAME = "restore-upload.db"


def _kind(path: Path) -> str:
    match = backups.BACKUP_RE.match(path.name)
    return match.group(3) if match else ""


def _kind_label(kind: str) -> str:
    """Say why a backup was taken, from the reason its file name records."""
    if kind == "manual":
        return _("Manual")
    if kind == backups.DAILY:
        return _("Daily")
    if kind == "before-restore":
        return _("Before a restore")
    if kind.startswith("before-migration"):
        return _("Before an update")
    return kind


SERVER_NAMES = {"postgresql": "PostgreSQL", "mysql": "MariaDB/MySQL"}


def _page(status: int = 200, *, error: str | None = None) -> tuple[str, int]:
    if database.sqlite_file(current_app) is None:
        dialect = db.engine.dialect.name
        return render_template(
            "backups/index.html", server_database=SERVER_NAMES.get(dialect, dialect), error=error
        ), status
    settings = load_settings(db.session)
    folder = database.backups_dir(current_app)
    rows = [
        {
            "name": path.name,
            "time": moment,
            "size": path.stat().st_size,
            "kind": _kind_label(_kind(path)),
        }
        for moment, path in reversed(backups.list_backups(folder))
    ]
    last_copy = settings.offsite_last_copy
    return render_template(
        "backups/index.html",
        rows=rows,
        folder=folder,
        offsite_dir=settings.offsite_backup_dir,
        offsite_last=datetime.fromisoformat(last_copy) if last_copy else None,
        offsite_stale=bool(settings.offsite_backup_dir) and jobs.offsite_stale(last_copy, utcnow()),
        max_upload_mb=_max_upload() // (1024 * 1024),
        storage_warnings=current_app.config.get("STORAGE_WARNINGS", []),
        lost_numbers=numbering.lost_ranges(db.session),
        error=error,
    ), status


def _max_upload() -> int:
    return int(current_app.config.get("RESTORE_MAX_BYTES", DEFAULT_RESTORE_MAX_BYTES))


def _restore_body_limit(app: Flask) -> int:
    """The restore form's body: the largest backup the page takes, plus its other fields."""
    return int(app.config.get("RESTORE_MAX_BYTES", DEFAULT_RESTORE_MAX_BYTES)) + 64 * 1024


@bp.get("/")
@admin_required
def index() -> tuple[str, int]:
    """List the backups, newest first, with the off-site copy's state."""
    return _page()


@bp.post("/now")
@admin_required
def backup_now() -> Response | tuple[str, int]:
    """Take a verified backup into backups/ (and copy it off-site when a folder is set)."""
    try:
        info = jobs.backup_now(current_app)
    except (DomainError, OSError) as exc:
        return _page(422, error=_("The backup failed: %(reason)s", reason=exc))
    backups.record_event(
        db.session, "backup.create", current_user.id, {"file": info.path.name, "size": info.size}
    )
    flash(
        _("Backup written: %(name)s (%(size)s).", name=info.path.name, size=size_text(info.size)),
        "success",
    )
    return redirect(url_for("backups.index"))


@bp.post("/offsite")
@admin_required
def offsite() -> Response | tuple[str, int]:
    """Set (or clear) the folder every backup is also copied to."""
    folder = request.form.get("folder", "").strip()
    try:
        if request.remote_addr not in LOOPBACK:
            # A folder is a path on the shop laptop's disk (as for backups into a folder):
            # from another device it would send every backup wherever that device says.
            raise Forbidden(_("The off-site folder can be set only on the shop laptop itself."))
        if len(folder) > 500 or (folder and not os.path.isabs(folder)):
            raise ValidationError(_("Give the full path of a folder (or leave it empty)."))
        backups.set_offsite_folder(db.session, folder, current_user.id)
    except DomainError as exc:
        return _page(exc.status, error=exc.message)
    flash(_("Off-site folder saved; the next backup is copied there."), "success")
    return redirect(url_for("backups.index"))


def _chosen_file() -> tuple[Path, str]:
    """Return the file to restore: a listed backup, or a checked upload."""
    folder = database.backups_dir(current_app)
    name = request.form.get("name", "")
    if name:
        listed = {path.name: path for _moment, path in backups.list_backups(folder)}
        if name not in listed:
            abort(404, _("There is no such backup."))
        return listed[name], name
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise ValidationError(_("Choose a backup from the list or a file to upload."), field="file")
    target = folder / UPLOAD_NAME
    upload.save(target)
    if target.stat().st_size > _max_upload():
        unlink_with_retry(target)
        raise ValidationError(_("That file is too large to be a TillBook backup."), field="file")
    with target.open("rb") as handle:
        if handle.read(16) != b"SQLite format 3\x00":
            unlink_with_retry(target)
            raise ValidationError(_("That file is not a TillBook backup."), field="file")
    return target, os.path.basename(upload.filename)[:200]


@bp.post("/restore")
@upload_limit(_restore_body_limit)
@admin_required
def restore() -> Response | tuple[str, int]:
    """Replace the data with a backup, holding every other request off during the swap."""
    user_id = current_user.id
    upload = database.backups_dir(current_app) / UPLOAD_NAME
    try:
        source, label = _chosen_file()
        backups.verify_for_restore(source, database.known_revisions(current_app))
        db.session.remove()  # this request's connection must not keep the old file open
        with gate(current_app).closed():
            info = startup.restore(current_app, source)
    except DomainError as exc:
        return _page(exc.status, error=exc.message)
    except (OSError, sqlite3.Error) as exc:
        # Nothing was swapped in (restore keeps the data as it was when a step fails): say so
        # on the page rather than answering a bare 500.
        return _page(
            503, error=_("The restore failed; your data is unchanged. (%(reason)s)", reason=exc)
        )
    finally:
        with contextlib.suppress(OSError):
            unlink_with_retry(upload)
    backups.record_event(
        db.session, "backup.restore", user_id, {"source": label, "size": info.size}
    )
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if (
        "hq_pusher" not in app.extensions
        and not app.config["TESTING"]
        and app.config.get("HQ_PUSH_THREAD", True)
    ):
        # A backup of an enrolled shop restored here (a new computer): its records go to HQ
        # without waiting for a restart (start_hq_push does nothing when not enrolled).
        start_hq_push(app)
    # The restored data has its own users: everyone logs in again.
    logout_user()
    flash(
        _(
            "Restored %(name)s. The data before it is in the backups folder. Log in again.",
            name=label,
        ),
        "info",
    )
    return redirect(url_for("auth.login"))


def _listed(name: str) -> Path:
    """Return a backup of the backups folder by its file name (nothing else is served)."""
    listed = {path.name: path for _moment, path in backups.list_backups(_folder())}
    if name not in listed:
        raise NotFound(_("There is no such backup."))
    return listed[name]


def _folder() -> Path:
    return database.backups_dir(current_app)


@bp.post("/jobs")
@documented(
    {202: s.BackupJobStarted, 403: s.TillError, 409: s.TillError, 422: s.TillError},
    body=s.BackupJobRequest,
    role="admin",
)
@admin_required
def start_job() -> tuple[dict[str, Any], int]:
    """Start a backup with progress: into a folder the desktop user picked, or for download.

    A folder is a path on this computer's disk, so only the desktop window (a loopback
    request) may name one; its script gets it from pywebview's folder dialog.
    """
    data = request.get_json(silent=True)
    raw = data.get("folder") if isinstance(data, dict) else None
    folder = None
    try:
        if raw is not None and raw != "":
            if request.remote_addr not in LOOPBACK:
                raise Forbidden(_("Backing up to a folder works only in the desktop window."))
            folder = Path(str(raw))
            if not folder.is_absolute() or not folder.is_dir():
                raise ValidationError(
                    _("That folder does not exist (is the USB stick plugged in?)."), field="folder"
                )
        app = current_app._get_current_object()  # type: ignore[attr-defined]
        job = jobs.backup_jobs(app).start(app, folder, current_user.id)
    except DomainError as exc:
        return {"error": exc.message}, exc.status
    return {"job": job.id, "status_url": url_for("backups.job_status", job_id=job.id)}, 202


@bp.get("/jobs/<job_id>")
@documented({200: s.BackupJob, 404: s.TillError}, role="admin")
@admin_required
def job_status(job_id: str) -> tuple[dict[str, Any], int]:
    """How far a backup got; once done without a folder, where to download it."""
    job = jobs.backup_jobs(current_app).get(job_id)
    if job is None:
        return {"error": _("No such backup job.")}, 404
    body = job.as_dict()
    if job.state == "done" and job.folder is None:
        body["download_url"] = url_for("backups.download", name=job.file)
    return body, 200


@bp.get("/file/<name>")
@admin_required
def download(name: str) -> Response:
    """Download one of the backups folder's verified backups."""
    path = _listed(name)
    # The whole shop leaves the machine: audit-logged like every export.
    backups.record_event(db.session, "backup.download", current_user.id, {"file": name})
    return send_file(
        path, mimetype="application/vnd.sqlite3", as_attachment=True, download_name=name
    )
