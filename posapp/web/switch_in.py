"""Switching in from another app: upload -> preview (map columns) -> import, for customers with
dues, suppliers with payables and opening stock; templates to fill in.

The uploaded file waits in the data folder's `imports/` under a random token tied to the login
that uploaded it; the preview plans the import afresh each time it is shown (nothing is
written), with the column choices and the "as of" day kept beside the file.
"""

from __future__ import annotations

import json
import re
import secrets
import time
from datetime import date
from pathlib import Path
from typing import Any

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user
from werkzeug.wrappers import Response

from posapp.dates import optional_day
from posapp.errors import DomainError, NotFound, ValidationError
from posapp.extensions import db
from posapp.i18n import _
from posapp.services import csv_io, switch_in
from posapp.services.ledger import local_today
from posapp.web import admin_required, shop_settings
from posapp.web.forms import field_errors, or_reshow
from posapp.web.uploads import upload_limit

bp = Blueprint("switch_in", __name__, url_prefix="/import")
MAX_UPLOAD = 16 * 1024 * 1024
SHOWN_ERRORS = 500
KEEP_SECONDS = 24 * 3600
TOKEN = re.compile(r"[0-9a-f]{32}")
DONE_PAGE = {
    "customers": "customers.dues",
    "suppliers": "suppliers.index",
    "stock": "products.index",
}


def _folder() -> Path:
    folder = Path(current_app.config["DATA_DIR"]) / "imports"
    folder.mkdir(exist_ok=True)
    return folder


def _kind(kind: str) -> switch_in.Kind:
    if kind not in switch_in.KINDS:
        raise NotFound(_("There is no such import."))
    return switch_in.KINDS[kind]


def _paths(token: str) -> tuple[Path, Path]:
    if not TOKEN.fullmatch(token) or session.get("switch_in") != token:
        raise NotFound(_("This import has expired or belongs to another login; upload it again."))
    upload, meta = _folder() / f"{token}.upload", _folder() / f"{token}.json"
    if not upload.exists() or not meta.exists():
        raise NotFound(_("This import has expired; upload the file again."))
    return upload, meta


def _meta(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def _chosen(meta: dict[str, Any]) -> dict[int, str]:
    return {int(column): key for column, key in meta.get("chosen", {}).items()}


def _forget_old_uploads() -> None:
    cutoff = time.time() - KEEP_SECONDS
    for path in _folder().iterdir():
        if path.suffix in (".upload", ".json") and path.stat().st_mtime < cutoff:
            path.unlink(missing_ok=True)


def _as_of(raw: object) -> date:
    day = optional_day(raw, "as_of") or local_today()
    if day > local_today():
        raise ValidationError(_("The balances cannot be as of a day in the future."), field="as_of")
    return day


@bp.get("/")
@admin_required
def index() -> str:
    """What can be brought in from another app, and the templates."""
    return render_template("switch_in/index.html", kinds=switch_in.KINDS)


@bp.route("/<kind>", methods=["GET", "POST"])
@upload_limit(MAX_UPLOAD)
@admin_required
def upload(kind: str) -> Response | str | tuple[Any, int]:
    """Step 1: upload a CSV or Excel file; it is read and checked, nothing is written."""
    spec = _kind(kind)
    if request.method == "GET":
        return _upload_page(spec, None, {}, 200)
    token = secrets.token_hex(16)
    path, meta = _folder() / f"{token}.upload", _folder() / f"{token}.json"

    def check() -> str:
        file = request.files.get("file")
        as_of = _as_of(request.form.get("as_of"))
        if file is None or not file.filename:
            raise ValidationError(_("Choose a CSV or Excel file to upload."), field="file")
        file.save(path)
        try:
            switch_in.plan(db.session, kind, path, as_of=as_of)
        except BaseException:
            path.unlink(missing_ok=True)
            raise
        return json.dumps({"kind": kind, "filename": file.filename[:200], "as_of": str(as_of)})

    def refused(exc: DomainError) -> tuple[Any, int]:
        if request.headers.get("X-Requested-With") == "fetch":
            return {"error": exc.message}, exc.status
        return _upload_page(spec, exc.message, field_errors(exc), exc.status)

    text = or_reshow(check, refused)
    _forget_old_uploads()
    meta.write_text(text, encoding="utf-8")
    session["switch_in"] = token
    target = url_for("switch_in.preview", kind=kind, token=token)
    if request.headers.get("X-Requested-With") == "fetch":
        return {"next": target}, 200
    return redirect(target)


def _upload_page(
    spec: switch_in.Kind, error: str | None, fields: dict[str, str], status: int
) -> tuple[str, int]:
    return render_template(
        "switch_in/upload.html",
        kind=spec,
        error=error,
        fields=fields,
        max_bytes=MAX_UPLOAD,
        as_of=request.form.get("as_of") or local_today().isoformat(),
        rules=switch_in.rules(spec, shop_settings()),
    ), status


def _preview(kind: str, token: str, error: str | None = None, status: int = 200) -> tuple[str, int]:
    spec = _kind(kind)
    path, meta_path = _paths(token)
    meta = _meta(meta_path)
    if meta.get("kind") != kind:
        raise NotFound(_("This import is of another kind; upload it again."))
    plan = switch_in.plan(
        db.session,
        kind,
        path,
        chosen=_chosen(meta),
        as_of=date.fromisoformat(meta["as_of"]),
    )
    samples: list[list[str]] = []
    from posapp.services.tabular import read_table

    table = read_table(path, max_rows=switch_in.MAX_ROWS, sheet_hint=kind)
    for _line, cells in table.rows[:3]:
        samples.append(cells)
    return render_template(
        "switch_in/preview.html",
        kind=spec,
        plan=plan,
        meta=meta,
        token=token,
        shown=SHOWN_ERRORS,
        samples=samples,
        rules=switch_in.rules(spec, shop_settings()),
        error=error,
        sample_rows=plan.rows[: switch_in.SAMPLE],
    ), status


@bp.get("/<kind>/<token>")
@admin_required
def preview(kind: str, token: str) -> tuple[str, int]:
    """Step 2: the columns as read, the rules, every bad row and what each good row does."""
    return _preview(kind, token)


@bp.post("/<kind>/<token>/columns")
@admin_required
def columns(kind: str, token: str) -> Response:
    """Change which column fills which field (or ignore a column); then preview again."""
    _kind(kind)
    _upload, meta_path = _paths(token)
    meta = _meta(meta_path)
    meta["chosen"] = {str(c): k for c, k in switch_in.parse_choices(request.form, 100).items()}
    try:
        meta["as_of"] = str(_as_of(request.form.get("as_of", meta["as_of"])))
    except ValidationError as exc:
        flash(exc.message, "danger")
    meta_path.write_text(json.dumps(meta), encoding="utf-8")
    return redirect(url_for("switch_in.preview", kind=kind, token=token))


@bp.post("/<kind>/<token>")
@admin_required
def confirm(kind: str, token: str) -> Response | tuple[str, int]:
    """Step 3: import every row in one transaction, or nothing."""
    _kind(kind)
    path, meta_path = _paths(token)
    meta = _meta(meta_path)

    def reshow(exc: DomainError) -> tuple[str, int]:
        return _preview(kind, token, exc.message, exc.status)

    result = or_reshow(
        lambda: switch_in.apply(
            db.session,
            kind,
            path,
            current_user,
            chosen=_chosen(meta),
            as_of=date.fromisoformat(meta["as_of"]),
        ),
        reshow,
    )
    path.unlink(missing_ok=True)
    meta_path.unlink(missing_ok=True)
    session.pop("switch_in", None)
    flash(
        _(
            "Imported from %(file)s: %(added)s added, %(changed)s changed, %(same)s already so.",
            file=meta["filename"],
            added=result.created,
            changed=result.updated,
            same=result.unchanged,
        ),
        "success",
    )
    return redirect(url_for(DONE_PAGE[kind]))


@bp.get("/<kind>/<token>/errors.csv")
@admin_required
def errors_csv(kind: str, token: str) -> Response:
    """Every bad row of an uploaded file, as CSV (line, problem)."""
    path, meta_path = _paths(token)
    meta = _meta(meta_path)
    plan = switch_in.plan(
        db.session, kind, path, chosen=_chosen(meta), as_of=date.fromisoformat(meta["as_of"])
    )
    rows = [["line", "problem"], *([str(line), message] for line, message in plan.errors)]
    return _download(csv_io.csv_text(csv_io.safe_rows(rows)), "text/csv", "import-errors.csv")


@bp.get("/<kind>/template.<ext>")
@admin_required
def template(kind: str, ext: str) -> Response:
    """A template to fill in: CSV, or an Excel workbook."""
    _kind(kind)
    rows = switch_in.template_rows(kind)
    name = f"tillbook-{kind}-template.{ext}"
    if ext == "csv":
        return _download(csv_io.csv_text(csv_io.safe_rows(rows)), "text/csv", name)
    if ext == "xlsx":
        mimetype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        return _download([switch_in.template_xlsx(rows, kind)], mimetype, name)
    raise NotFound(_("Templates come as .csv or .xlsx."))


def _download(chunks: Any, mimetype: str, filename: str) -> Response:
    response = Response(chunks, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
