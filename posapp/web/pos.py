"""The till: the scan-first POS page, its live price preview, and the printable receipt.

The JSON endpoints are documented (posapp/web/schemas.py) and listed in the OpenAPI document
under the `till` tag; with API_CHECK_RESPONSES on, their answers are checked like the API's.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template, request
from flask_login import current_user, login_required

from posapp.apidoc import check_answers, documented
from posapp.documents import escpos_receipt
from posapp.documents.filters import in_digits, localtime, uses_devanagari
from posapp.documents.invoice_pdf import issued_invoice
from posapp.documents.language import page_marks
from posapp.documents.upi_pdf import document_qr
from posapp.errors import ValidationError
from posapp.extensions import db
from posapp.i18n import _
from posapp.models.base import to_local
from posapp.money import format_money, format_qty, money_str, qty_str
from posapp.services import cash_sessions, checkout, drawer, held_bills, inventory, invoices, ledger
from posapp.services.pricing import summarise_tax
from posapp.web import document_logo, shop_settings
from posapp.web import schemas as s

bp = Blueprint("pos", __name__, url_prefix="/pos")
check_answers(bp)


@bp.get("/")
@login_required
def index() -> str:
    """Show the till page; the cart lives in the page until checkout.

    When the shop requires a cash session and this user has none open, the page says so
    before the first scan rather than refusing the sale at F9.
    """
    needs_drawer = (
        shop_settings().cash_session_required
        and cash_sessions.open_session_id(db.session, current_user.id) is None
    )
    return render_template("pos/index.html", needs_drawer=needs_drawer)


@bp.post("/price")
@documented({200: s.PricePreview}, body=s.TillCart, role="any")
@login_required
def price() -> dict[str, Any]:
    """Price the cart with the same function checkout uses (CSRF header required).

    Each line also says how much expired stock is believed on the shelf (`expired`, a
    quantity or null), how much is free to sell (`available`: on hand less what confirmed
    orders hold) and whether it asks for more than that (`short`).
    """
    payload = request.get_json(silent=True)
    if not isinstance(payload, dict):
        raise ValidationError(_("The cart must be a JSON object."))
    view = checkout.preview(db.session, checkout.parse_checkout(payload))
    priced = view.priced
    expired = inventory.expired_on_shelf(db.session, [p.id for p in view.products])
    return {
        "lines": [
            {
                "product_id": product.id,
                "code": product.code,
                "name": product.name,
                "unit": product.unit,
                "quantity": qty_str(qty, product.unit),
                "unit_price": money_str(product.price if price is None else price),
                "gross": money_str(line.gross),
                "discount": money_str(line.discount),
                "tax": money_str(line.tax),
                "total": money_str(line.total),
                "stock": qty_str(product.stock_milli, product.unit),
                # Free to sell: on hand less what confirmed orders hold.
                "available": qty_str(product.stock_milli - product.reserved_milli, product.unit),
                "short": qty > product.stock_milli - product.reserved_milli,
                "expired": (
                    qty_str(expired[product.id], product.unit) if product.id in expired else None
                ),
            }
            for product, qty, line, price in zip(
                view.products, view.qty_milli, priced.lines, view.prices, strict=True
            )
        ],
        "subtotal": money_str(priced.subtotal),
        "discount_total": money_str(priced.discount_total),
        "tax_total": money_str(priced.tax_total),
        "round_off": money_str(priced.round_off),
        "total": money_str(priced.total),
        "prices_include_tax": view.settings.prices_include_tax,
        "allow_negative_stock": view.settings.allow_negative_stock,
        "stock_policy": view.settings.stock_policy,
    }


@bp.get("/receipt/<int:invoice_id>")
@login_required
def receipt(invoice_id: int) -> str:
    """Show the 80 mm receipt of an invoice, ready to print (`duplicate=1` marks a reprint)."""
    invoice = invoices.invoice_for_user(db.session, invoice_id, current_user)
    duplicate = request.args.get("duplicate") == "1"
    if duplicate:
        invoices.record_reprint(db.session, invoice, current_user, "receipt")
    doc = issued_invoice(invoice, shop_settings())
    layout = doc.layout
    digits = uses_devanagari(layout.language, layout.devanagari_digits)
    return render_template(
        "pos/receipt.html",
        invoice=invoice,
        doc=doc,
        logo=document_logo(doc.seller.logo),
        # Amounts and dates in the currency and locale the receipt was issued with, not today's.
        # Written ०-९ when issued in Hindi with the shop's Devanagari digits (the page's own
        # filters read `doc_digits`), whatever the screen's language.
        doc_money=lambda minor: in_digits(
            format_money(minor, layout.currency, layout.locale), digits
        ),
        doc_qty=lambda milli, unit: in_digits(format_qty(milli, unit, layout.locale), digits),
        doc_time=lambda moment: in_digits(localtime(moment, layout.locale), digits),
        doc_digits=digits,
        duplicate=duplicate,
        taxes=summarise_tax(invoice.lines, invoice.tax_rule),
        autoprint=request.args.get("print") == "1",
        upi_qr=document_qr(doc, invoice.number, invoice.status),
        # The receipt's words in the language it was issued with; the toolbar's in the screen's.
        **page_marks(layout.language),
    )


@bp.post("/receipt/<int:invoice_id>/print")
@documented({200: s.PrintResult}, body=s.PrintRequest, errors=(409, 502), role="any")
@login_required
def print_receipt(invoice_id: int) -> dict[str, Any]:
    """Print the receipt on the ESC/POS printer ({duplicate, after_sale}; CSRF header).

    Printer faults answer a JSON error (502 printer_error, 409 printer_not_configured); the
    sale is never touched.
    """
    invoice = invoices.invoice_for_user(db.session, invoice_id, current_user)
    payload = request.get_json(silent=True)
    options = payload if isinstance(payload, dict) else {}
    outcome = drawer.print_invoice_receipt(
        db.session,
        invoice,
        shop_settings(),
        current_user,
        render=escpos_receipt.receipt_job,
        duplicate=options.get("duplicate") is True,
        after_sale=options.get("after_sale") is True,
    )
    if options.get("duplicate") is True:
        invoices.record_reprint(db.session, invoice, current_user, "receipt_printer")
    return {"printed": outcome.printed, "drawer": outcome.drawer, "message": outcome.message()}


def _held_json(view: held_bills.HeldView) -> dict[str, Any]:
    return {
        "id": view.bill.id,
        "label": view.bill.label,
        "user": view.bill.user.username,
        "created_at": to_local(view.bill.created_at).isoformat(timespec="seconds"),
        "items": len(view.cart["items"]),
        "stale": view.stale,
    }


@bp.post("/held")
@documented({201: s.HeldBill}, body=s.TillHoldRequest, role="any")
@login_required
def hold() -> tuple[dict[str, Any], int]:
    """Park the cart ({items, discount, customer_id, label}); 201 with the held bill."""
    payload = request.get_json(silent=True)
    if not isinstance(payload, dict):
        raise ValidationError(_("The cart must be a JSON object."))
    parsed = held_bills.parse_held(payload)
    return _held_json(held_bills.park(db.session, parsed, current_user)), 201


@bp.get("/held")
@documented({200: s.HeldBillList}, role="any")
@login_required
def held() -> dict[str, Any]:
    """List the held bills this user may recall (admins: everyone's), oldest first."""
    views = held_bills.list_held(db.session, current_user, ledger.local_today())
    return {"items": [_held_json(v) for v in views]}


@bp.post("/held/<int:held_id>/recall")
@documented({200: s.Recalled}, role="any")
@login_required
def recall(held_id: int) -> dict[str, Any]:
    """Take a held cart back (the held bill is removed) with its products filled in."""
    return {"cart": held_bills.recall(db.session, held_id, current_user)}
