"""The books' export page: a date range downloaded as Tally XML or as CSV (admins only)."""

from __future__ import annotations

from flask import Blueprint, render_template, request, stream_with_context
from flask_login import current_user
from werkzeug.wrappers import Response

from posapp.errors import ValidationError
from posapp.extensions import db
from posapp.i18n import _
from posapp.services import tally
from posapp.services.books import business_day
from posapp.web import admin_required, shop_settings

bp = Blueprint("books_export", __name__, url_prefix="/books/export")


def _page(start: str, end: str, error: ValidationError | None = None) -> tuple[str, int]:
    html = render_template(
        "books_export/index.html",
        start=start,
        end=end,
        message=error.message if error else "",
        fields=error.fields if error else {},
    )
    return html, (422 if error else 200)


@bp.get("/")
@admin_required
def index() -> tuple[str, int]:
    """The form: from and to (this month so far unless told), and the two downloads."""
    today = business_day()
    return _page(
        request.args.get("from", today.replace(day=1).isoformat()),
        request.args.get("to", today.isoformat()),
    )


@bp.get("/download")
@admin_required
def download() -> Response | tuple[str, int]:
    """The range as a file; bad dates or format re-show the form with the message."""
    start_text, end_text = request.args.get("from", ""), request.args.get("to", "")
    try:
        start, end = tally.parse_range(start_text, end_text)
        kind = request.args.get("format", "")
        if kind not in tally.FORMATS:
            raise ValidationError(_("Choose Tally XML or CSV."), field="format")
    except ValidationError as exc:
        return _page(start_text, end_text, exc)
    chunks, mimetype, name = tally.download(
        db.session, kind, start, end, shop_settings().shop_name, current_user.id
    )
    response = Response(stream_with_context(chunks), mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
