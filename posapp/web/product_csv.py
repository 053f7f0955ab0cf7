"""Product CSV pages for admins: upload -> preview -> confirm import, export, template."""

from __future__ import annotations

import json
import re
import secrets
import time
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
    stream_with_context,
    url_for,
)
from flask_login import current_user
from werkzeug.datastructures import FileStorage
from werkzeug.wrappers import Response

from posapp.errors import DomainError, NotFound, ValidationError
from posapp.extensions import db
from posapp.i18n import _
from posapp.services import catalog_csv, csv_io, exports
from posapp.web import admin_required
from posapp.web.forms import field_errors, or_reshow
from posapp.web.uploads import upload_limit

bp = Blueprint("product_csv", __name__, url_prefix="/products")
MAX_UPLOAD = 64 * 1024 * 1024
SHOWN_ERRORS = 500
KEEP_SECONDS = 24 * 3600
TOKEN = re.compile(r"[0-9a-f]{32}")


def _folder() -> Path:
    folder = Path(current_app.config["DATA_DIR"]) / "imports"
    folder.mkdir(exist_ok=True)
    return folder


def _paths(token: str) -> tuple[Path, Path]:
    if not TOKEN.fullmatch(token) or session.get("csv_import") != token:
        raise NotFound(_("This import has expired or belongs to another login; upload it again."))
    folder = _folder()
    return folder / f"{token}.csv", folder / f"{token}.json"


def _forget_old_uploads() -> None:
    cutoff = time.time() - KEEP_SECONDS
    for path in _folder().iterdir():
        if path.suffix in (".csv", ".json") and path.stat().st_mtime < cutoff:
            path.unlink(missing_ok=True)


def _summary(plan: catalog_csv.ImportPlan, filename: str) -> dict[str, Any]:
    return {
        "filename": filename,
        "rows": plan.rows,
        "creates": plan.creates,
        "updates": plan.updates,
        "stock_changes": plan.stock_changes,
        "errors": plan.errors,
        "columns": plan.columns,
        "ignored": plan.ignored,
        "delimiter": {",": "comma", ";": "semicolon", "\t": "tab"}[plan.delimiter],
        "encoding": plan.encoding,
        "sample_creates": [[f.get("code") or "", f["name"]] for f in plan.sample_creates],
    }


def _wants_json() -> bool:
    return request.headers.get("X-Requested-With") == "fetch"


def _plan_upload(upload: FileStorage | None, csv_path: Path) -> tuple[catalog_csv.ImportPlan, str]:
    """Save the uploaded file to csv_path and check it: (the plan, the file's name).

    No file is left behind on failure.
    """
    if upload is None or not upload.filename:
        raise ValidationError(_("Choose a CSV file to upload."), field="file")
    # Straight to disk: the file is read from there a chunk at a time, never whole.
    upload.save(csv_path)
    try:
        return catalog_csv.plan_import(db.session, csv_path), upload.filename
    except BaseException:
        csv_path.unlink(missing_ok=True)
        raise


def _upload_failed(exc: DomainError) -> tuple[str, int] | tuple[dict[str, Any], int]:
    """Answer a refused upload: JSON to the page's script, else the upload form again."""
    if _wants_json():
        return {"error": exc.message}, exc.status
    return render_template(
        "products/import.html",
        error=exc.message,
        fields=field_errors(exc),
        max_bytes=MAX_UPLOAD,
    ), exc.status


@bp.route("/import", methods=["GET", "POST"])
@upload_limit(MAX_UPLOAD)
@admin_required
def upload() -> Response | str | tuple[dict[str, Any], int]:
    """Step 1: upload a CSV; it is read and checked, nothing is written."""
    if request.method == "POST":
        upload = request.files.get("file")
        token = secrets.token_hex(16)
        csv_path, json_path = _folder() / f"{token}.csv", _folder() / f"{token}.json"
        plan, filename = or_reshow(lambda: _plan_upload(upload, csv_path), _upload_failed)
        _forget_old_uploads()
        json_path.write_text(json.dumps(_summary(plan, filename)), encoding="utf-8")
        session["csv_import"] = token
        target = url_for("product_csv.preview", token=token)
        if _wants_json():
            return {"next": target}, 200
        return redirect(target)
    return render_template("products/import.html", error=None, fields={}, max_bytes=MAX_UPLOAD)


@bp.get("/import/<token>")
@admin_required
def preview(token: str) -> str:
    """Step 2: what the import would do, and every bad row."""
    json_path = _paths(token)[1]
    if not json_path.exists():
        raise NotFound(_("This import has expired; upload the file again."))
    summary = json.loads(json_path.read_text(encoding="utf-8"))
    return render_template(
        "products/import_preview.html", s=summary, token=token, shown=SHOWN_ERRORS
    )


@bp.get("/import/<token>/errors.csv")
@admin_required
def errors_csv(token: str) -> Response:
    """Every bad row of an uploaded file, as CSV (line, problem)."""
    json_path = _paths(token)[1]
    if not json_path.exists():
        raise NotFound(_("This import has expired; upload the file again."))
    errors = json.loads(json_path.read_text(encoding="utf-8"))["errors"]
    rows = [["line", "problem"], *([str(line), message] for line, message in errors)]
    return _csv_response(
        csv_io.csv_text(csv_io.safe_rows(rows)),
        "import-errors.csv",
    )


@bp.post("/import/<token>")
@admin_required
def confirm(token: str) -> Response:
    """Step 3: import every row in one transaction, or nothing."""
    csv_path, json_path = _paths(token)
    if not csv_path.exists():
        raise NotFound(_("This import has expired; upload the file again."))

    def reshow(exc: DomainError) -> tuple[str, int]:
        # The catalog changed since the preview: show the new problems, nothing was written.
        try:
            plan = catalog_csv.plan_import(db.session, csv_path)
            summary = _summary(plan, json.loads(json_path.read_text("utf-8"))["filename"])
            json_path.write_text(json.dumps(summary), encoding="utf-8")
        except DomainError:
            summary = json.loads(json_path.read_text(encoding="utf-8"))
        return render_template(
            "products/import_preview.html",
            s=summary,
            token=token,
            shown=SHOWN_ERRORS,
            error=exc.message,
        ), exc.status

    result = or_reshow(
        lambda: catalog_csv.apply_import(db.session, csv_path, current_user.id), reshow
    )
    csv_path.unlink(missing_ok=True)
    json_path.unlink(missing_ok=True)
    session.pop("csv_import", None)
    # Figures after labels, not "product(s)": a plural per figure would need three sentences.
    flash(
        _(
            "Imported. New products: %(created)s; updated: %(updated)s; "
            "stock movements: %(moves)s.",
            created=result.created,
            updated=result.updated,
            moves=result.stock_movements,
        ),
        "success",
    )
    return redirect(url_for("products.index"))


def _csv_response(chunks: Any, filename: str) -> Response:
    response = Response(stream_with_context(chunks), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.get("/import/template.csv")
@admin_required
def template() -> Response:
    """The import template: every column and two example rows."""
    return _csv_response(
        csv_io.csv_text(catalog_csv.template_rows()), "tillbook-products-template.csv"
    )


@bp.get("/export.csv")
@admin_required
def export() -> Response:
    """Every product, all fields, formula-safe, streamed."""
    exports.record_export(db.session, current_user.id, "products", "download")
    stamp = time.strftime("%Y%m%d-%H%M")
    return _csv_response(
        csv_io.csv_text(catalog_csv.export_rows(db.session)), f"products-{stamp}.csv"
    )
