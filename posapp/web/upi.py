"""UPI pages: the admin's UPI settings (`/settings/upi/`), the "Pay by UPI" counter card,
and the QR the till (and the customer display) shows for an amount (`/upi/qr`)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from posapp.apidoc import documented
from posapp.documents.upi_pdf import render_counter_card
from posapp.errors import Conflict
from posapp.extensions import db
from posapp.i18n import _
from posapp.money import format_money, parse_money
from posapp.services import upi
from posapp.services.settings import load_settings
from posapp.web import admin_required
from posapp.web import schemas as s
from posapp.web.forms import field_errors, or_reshow

bp = Blueprint("upi", __name__)


def _page(
    status: int = 200,
    *,
    error: str | None = None,
    fields: dict[str, str] | None = None,
    values: dict[str, Any] | None = None,
) -> tuple[str, int]:
    settings = load_settings(db.session)
    shown = values if values is not None else upi.form_values(settings)
    payee = upi.payee_of(settings)
    return render_template(
        "settings/upi.html",
        values=shown,
        fields=fields or {},
        error=error,
        rows=upi.row_count(shown),
        max_ids=upi.MAX_IDS,
        payee=payee,
        sample_svg=upi.qr_svg(upi.pay_link(payee)) if payee else None,
    ), status


@bp.get("/settings/upi/")
@admin_required
def settings_page() -> tuple[str, int]:
    """Show the shop's UPI IDs, the payee name and the documents' QR switch."""
    return _page()


@bp.post("/settings/upi/")
@admin_required
def save() -> Response:
    """Save the UPI settings (checked whole; nothing is written when a field is wrong)."""
    changed = or_reshow(
        lambda: upi.update_settings(db.session, request.form, current_user.id),
        lambda exc: _page(
            exc.status, error=exc.message, fields=field_errors(exc), values=request.form.to_dict()
        ),
    )
    flash(_("UPI settings saved.") if changed else _("Nothing changed."), "success")
    return redirect(url_for("upi.settings_page"))


@bp.get("/settings/upi/card.pdf")
@admin_required
def counter_card() -> Response:
    """The "Pay by UPI" counter card: an A5 PDF with the static QR (no amount)."""
    settings = load_settings(db.session)
    payee = upi.payee_of(settings)
    if payee is None:
        raise Conflict(_("Add a UPI ID first: the card's QR pays it."), code="upi_not_set")
    return Response(
        render_counter_card(settings, payee),
        mimetype="application/pdf",
        headers={"Content-Disposition": 'inline; filename="pay-by-upi.pdf"'},
    )


def _asked() -> upi.TillQr:
    """The QR a request asks for: `amount` (rupees, "149.50", more than 0) and `tr`, the bill
    reference the till keeps for the bill (letters and digits), made when not sent; 409
    `upi_not_set` when the shop has no UPI ID (the message says where an admin sets one)."""
    amount = parse_money(request.args.get("amount", ""), field="amount", allow_zero=False)
    return upi.till_qr(load_settings(db.session), amount, request.args.get("tr", ""))


@bp.get("/upi/qr.svg")
@documented({200: "image/svg+xml"}, query=s.UpiQrQuery, errors=(409,), role="any")
@login_required
def qr_svg() -> Response:
    """The UPI QR for an amount as an SVG image (for an <img>: the customer display)."""
    return Response(_asked().svg, mimetype="image/svg+xml", headers={"Cache-Control": "no-store"})


@bp.get("/upi/qr")
@documented({200: s.UpiQr}, query=s.UpiQrQuery, errors=(409,), role="any")
@login_required
def qr() -> Response:
    """The UPI QR for an amount: the link, the SVG, the payee and the amount to show."""
    settings = load_settings(db.session)
    found = _asked()
    response = jsonify(
        link=found.link,
        svg=found.svg,
        vpa=found.payee.vpa,
        payee=found.payee.name,
        label=found.payee.label,
        amount=upi.amount_text(found.amount),
        amount_text=format_money(found.amount, settings.currency, settings.locale),
        tr=found.tr,
    )
    response.headers["Cache-Control"] = "no-store"
    return response
