"""CSV downloads of every table and "Export everything" (a ZIP, or a dated folder on a USB stick).

The folder export writes on this computer's disk, so it is offered only to the desktop window
(a loopback request): its JavaScript asks pywebview for a folder, then exports table by table,
which is what drives the progress bar, and the .xlsx workbook last. Browsers download the same
tables and the workbook as one ZIP.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from flask import Blueprint, render_template, request, stream_with_context
from flask_login import current_user
from werkzeug.wrappers import Response

from posapp.apidoc import check_answers, documented
from posapp.errors import DomainError, Forbidden, NotFound, ValidationError
from posapp.extensions import db
from posapp.i18n import _
from posapp.services import exports
from posapp.web import admin_required
from posapp.web import schemas as s

bp = Blueprint("exports", __name__, url_prefix="/exports")
FOLDER_NAME = re.compile(r"^TillBook-export-\d{4}-\d{2}-\d{2}-\d{4}$")
LOOPBACK = {"127.0.0.1", "::1"}
check_answers(bp)  # the folder export is documented; the downloads pass


@bp.get("/")
@admin_required
def index() -> str:
    """Download any table as CSV, or everything at once."""
    return render_template(
        "exports/index.html",
        tables=list(exports.TABLES),
        table_names=exports.TABLE_TITLES,
        folder_name=exports.folder_name(),
        workbook=exports.WORKBOOK,
    )


@bp.get("/<table>.csv")
@admin_required
def table_csv(table: str) -> Response:
    """One table as a CSV download."""
    if table not in exports.TABLES:
        raise NotFound(_("No such table to export."))
    exports.record_export(db.session, current_user.id, table, "download")
    rows = exports.table_rows(db.session, table)
    response = Response(stream_with_context(exports.csv_bytes(rows)), mimetype="text/csv")
    stamp = exports.folder_name().removeprefix("TillBook-export-")
    response.headers["Content-Disposition"] = f'attachment; filename="{table}-{stamp}.csv"'
    return response


@bp.post("/all.zip")
@admin_required
def all_zip() -> Response:
    """Every table and the workbook in one ZIP (a dated folder inside), built in a temp file."""
    exports.record_export(db.session, current_user.id, "everything", "zip download")
    spool = tempfile.TemporaryFile()  # noqa: SIM115 (closed when the response is)
    try:
        name = exports.zip_file(db.session, spool)
    except BaseException:
        spool.close()
        raise
    spool.seek(0)

    def chunks() -> Iterator[bytes]:
        with spool:
            while block := spool.read(256 * 1024):
                yield block

    response = Response(chunks(), mimetype="application/zip")
    response.call_on_close(spool.close)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@bp.post("/folder")
@documented(
    {200: s.ExportWritten, 404: s.TillError, 409: s.TillError, 422: s.TillError},
    body=s.ExportFolderRequest,
    role="admin",
)
@admin_required
def to_folder() -> tuple[dict[str, Any], int] | dict[str, Any]:
    """Write one table into the dated export folder inside a folder the desktop user picked."""
    if request.remote_addr not in LOOPBACK:
        raise Forbidden(_("Exporting to a folder works only in the desktop window."))
    data = request.get_json(silent=True) or {}
    parent = Path(str(data.get("folder") or ""))
    name = str(data.get("name") or "")
    table = str(data.get("table") or "")
    try:
        if not parent.is_absolute() or not parent.is_dir():
            raise ValidationError(_("That folder does not exist (is the USB stick plugged in?)."))
        if not FOLDER_NAME.match(name):
            raise ValidationError(_("Bad export folder name."))
        # The page's last step: `table` "workbook" writes the .xlsx of every table (the API
        # document's wording is generated from the docstring, so it is kept as it was).
        if table == exports.WORKBOOK:
            written = exports.write_workbook(db.session, parent / name)
        elif table in exports.TABLES:
            written = exports.write_table(db.session, table, parent / name)
        else:
            raise ValidationError(_("No such table to export."))
    except OSError as exc:
        return {"error": _("Could not write there: %(reason)s.", reason=exc.strerror or exc)}, 422
    except DomainError as exc:
        return {"error": exc.message}, exc.status
    exports.record_export(db.session, current_user.id, table, str(written))
    return {"written": str(written)}
