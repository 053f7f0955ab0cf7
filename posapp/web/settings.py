"""The admin Shop settings page: shop details, money format, tax and receipt options, logo."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from posapp.documents import escpos_receipt
from posapp.extensions import db
from posapp.gst import state_choices
from posapp.i18n import DOCUMENT_LANGUAGES, _, lazy
from posapp.models.base import to_local, utcnow
from posapp.services import receipt_printer
from posapp.services import shop_settings as service
from posapp.web import admin_required, shop_logo, shop_settings
from posapp.web.forms import field_errors, flash_and_redirect, or_reshow

bp = Blueprint("settings", __name__, url_prefix="/settings")

MONTHS = (
    *(lazy("January"), lazy("February"), lazy("March"), lazy("April"), lazy("May")),
    *(lazy("June"), lazy("July"), lazy("August"), lazy("September"), lazy("October")),
    *(lazy("November"), lazy("December")),
)


def _data_dir() -> Path:
    return Path(current_app.config["DATA_DIR"])


def _page(
    status: int = 200,
    *,
    values: dict[str, str] | None = None,
    error: str | None = None,
    fields: dict[str, str] | None = None,
    printer_values: dict[str, str] | None = None,
    printer_error: str | None = None,
    printer_fields: dict[str, str] | None = None,
) -> tuple[str, int]:
    current = shop_settings()
    return render_template(
        "settings/index.html",
        values=values if values is not None else service.form_values(current),
        error=error,
        fields=fields or {},
        printer_values=(
            printer_values
            if printer_values is not None
            else receipt_printer.printer_form_values(current)
        ),
        printer_error=printer_error,
        printer_fields=printer_fields or {},
        printer_kinds=list(receipt_printer.PRINTER_KINDS.items()),
        windows_printers=receipt_printer.installed_printers(),
        printer_columns=receipt_printer.COLUMNS.get(current.receipt_width_mm, 48),
        layouts=list(service.INVOICE_LAYOUTS.items()),
        document_languages=list(DOCUMENT_LANGUAGES.items()),
        states=state_choices(),
        example=service.money_example(current.currency, current.locale),
        months=[(str(n), name) for n, name in enumerate(MONTHS, start=1)],
        widths=[(str(w), _("%(width)s mm", width=w)) for w in service.RECEIPT_WIDTHS],
        logo=shop_logo(),
        logo_box=service.LOGO_BOX,
    ), status


@bp.get("/")
@admin_required
def index() -> tuple[str, int]:
    """Show the shop settings form with a sample of the money format."""
    return _page()


@bp.post("/")
@admin_required
def save() -> Response:
    """Validate and save the whole form; on any error re-show it and write nothing."""
    changed = or_reshow(
        lambda: service.update_shop_settings(db.session, request.form, current_user.id),
        lambda exc: _page(
            exc.status, values=request.form.to_dict(), error=exc.message, fields=field_errors(exc)
        ),
    )
    flash(_("Settings saved.") if changed else _("Nothing changed."), "success")
    return redirect(url_for("settings.index"))


@bp.post("/logo")
@admin_required
def upload_logo() -> Response:
    """Store an uploaded PNG/JPEG logo, shrunk to fit the logo box."""
    upload = request.files.get("logo")
    # Read one byte past the limit: enough to know the file is too large, never more.
    content = b""
    if upload:
        try:
            content = upload.stream.read(service.LOGO_MAX_BYTES + 1)
        finally:
            upload.close()
    width, height = or_reshow(
        lambda: service.save_logo(db.session, _data_dir(), content, current_user.id),
        lambda exc: _page(exc.status, error=exc.message, fields=field_errors(exc)),
    )
    flash(_("Logo saved (%(width)s × %(height)s pixels).", width=width, height=height), "success")
    return redirect(url_for("settings.index"))


@bp.post("/logo/remove")
@admin_required
def remove_logo() -> Response:
    """Delete the logo from receipts and invoices."""
    # A DomainError here means the logo file is held open (Windows): nothing changed.
    removed = or_reshow(
        lambda: service.remove_logo(db.session, _data_dir(), current_user.id),
        flash_and_redirect(url_for("settings.index")),
    )
    flash(_("Logo removed.") if removed else _("There was no logo to remove."), "success")
    return redirect(url_for("settings.index"))


@bp.post("/printer")
@admin_required
def save_printer() -> Response:
    """Save the receipt printer's settings; on any error re-show them and write nothing."""
    changed = or_reshow(
        lambda: receipt_printer.save_printer_settings(db.session, request.form, current_user.id),
        lambda exc: _page(
            exc.status,
            printer_values=request.form.to_dict(),
            printer_error=exc.message,
            printer_fields=field_errors(exc),
        ),
    )
    flash(_("Printer settings saved.") if changed else _("Nothing changed."), "success")
    return redirect(url_for("settings.index") + "#printer")


@bp.post("/printer/test")
@admin_required
def test_print() -> Response:
    """Print a test page on the saved receipt printer and say whether it worked."""
    back = url_for("settings.index") + "#printer"
    settings = shop_settings()
    now = to_local(utcnow())
    config = or_reshow(
        lambda: receipt_printer.print_test_page(
            settings, lambda printer: escpos_receipt.printer_test_job(settings, printer, now)
        ),
        flash_and_redirect(back),
    )
    flash(_("Test page sent to the %(printer)s.", printer=config.describe()), "success")
    return redirect(back)
