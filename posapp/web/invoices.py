"""Invoice pages: the searchable list, the invoice page, its PDFs, returns and voids."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from posapp.documents import escpos_receipt
from posapp.documents.invoice_pdf import issued_invoice, render_invoice_pdf
from posapp.errors import DomainError
from posapp.extensions import db
from posapp.i18n import _
from posapp.models import INVOICE_STATUSES, PAYMENT_METHODS
from posapp.services import drawer, invoices, returns
from posapp.services.pricing import summarise_tax
from posapp.web import (
    admin_required,
    document_logo,
    id_value,
    money_text,
    page_arg,
    shop_settings,
)
from posapp.web.audit import sentences as audit_sentences
from posapp.web.forms import flash_and_redirect, form_state, or_reshow

bp = Blueprint("invoices", __name__, url_prefix="/invoices")
PER_PAGE = 50
FILTERS = ("q", "from", "to", "min", "max", "status", "method", "cashier")


def _page() -> int:
    return page_arg()


@bp.get("/")
@login_required
def index() -> tuple[str, int]:
    """List invoices with search and filters; cashiers see only their own."""
    filters = {name: request.args.get(name, "").strip() for name in FILTERS}
    if not current_user.is_admin:
        filters["cashier"] = ""
    page = _page()
    items: list[Any] = []
    error, status, total = None, 200, 0
    try:
        items, total = invoices.list_invoices(
            db.session,
            current_user,
            q=filters["q"],
            date_from=filters["from"] or None,
            date_to=filters["to"] or None,
            status=filters["status"] or None,
            method=filters["method"] or None,
            cashier_id=id_value(filters["cashier"]),
            amount_min=filters["min"] or None,
            amount_max=filters["max"] or None,
            page=page,
            per_page=PER_PAGE,
        )
    except DomainError as exc:
        error, status = exc.message, exc.status
    return render_template(
        "invoices/index.html",
        invoices=items,
        total=total,
        page=page,
        pages=max(1, (total + PER_PAGE - 1) // PER_PAGE),
        filters=filters,
        query={k: v for k, v in filters.items() if v},
        error=error,
        statuses=INVOICE_STATUSES,
        methods=PAYMENT_METHODS,
        cashiers=invoices.cashiers(db.session) if current_user.is_admin else [],
    ), status


def _render_detail(
    invoice_id: int,
    *,
    status: int = 200,
    return_form: dict[str, Any] | None = None,
    void_form: dict[str, Any] | None = None,
) -> tuple[str, int]:
    """Render the invoice page; the return and void forms re-show their errors."""
    db.session.expire_all()  # a failed write may have left stale objects behind
    invoice = invoices.invoice_for_user(db.session, invoice_id, current_user)
    done = returns.returned_by_line(db.session, invoice.id)
    none = returns.ReturnedSoFar()
    returned = {line.id: done.get(line.id, none).qty_milli for line in invoice.lines}
    returnable = {line.id: line.qty_milli - returned[line.id] for line in invoice.lines}
    perishable = returns.perishable_lines(db.session, invoice.id)
    restock = returns.restock_default([i for i, left in returnable.items() if left > 0], perishable)
    history = invoices.invoice_history(db.session, invoice.id)
    return render_template(
        "invoices/detail.html",
        invoice=invoice,
        doc=issued_invoice(invoice, shop_settings()),
        taxes=summarise_tax(invoice.lines, invoice.tax_rule),
        returned=returned,
        returnable=returnable,
        perishable=perishable,
        credit_notes=invoices.credit_notes_of(db.session, invoice.id),
        history=history,
        sentences=audit_sentences(history),
        refund_summary=lambda note: returns.refund_summary(note, money_text),
        return_form=return_form
        or {
            "data": {"refund_method": "cash", "restock": "1" if restock else ""},
            "error": None,
            "fields": {},
        },
        void_form=void_form or {"data": {}, "error": None, "fields": {}},
    ), status


@bp.get("/<int:invoice_id>")
@login_required
def detail(invoice_id: int) -> tuple[str, int]:
    """Show everything about one invoice: lines, taxes, payments, returns, its history."""
    return _render_detail(invoice_id)


@bp.get("/<int:invoice_id>/pdf")
@login_required
def pdf(invoice_id: int) -> Response:
    """Return the invoice PDF in the shop's layout (or `layout=a4|a5|receipt`).

    `duplicate=1` marks a reprint.
    """
    invoice = invoices.invoice_for_user(db.session, invoice_id, current_user)
    duplicate = request.args.get("duplicate") == "1"
    suffix = "-duplicate" if duplicate else ""
    settings = shop_settings()
    pdf = render_invoice_pdf(
        invoice,
        settings,
        duplicate=duplicate,
        logo=document_logo(issued_invoice(invoice, settings).seller.logo),
        layout=request.args.get("layout"),
    )
    if duplicate:  # once the copy exists
        invoices.record_reprint(db.session, invoice, current_user, "pdf")
    return Response(
        pdf,
        mimetype="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{invoice.number}{suffix}.pdf"'},
    )


@bp.post("/<int:invoice_id>/print")
@login_required
def print_receipt(invoice_id: int) -> Response:
    """Reprint the receipt (marked DUPLICATE) on the ESC/POS receipt printer."""
    invoice = invoices.invoice_for_user(db.session, invoice_id, current_user)
    back = url_for("invoices.detail", invoice_id=invoice_id)
    outcome = or_reshow(
        lambda: drawer.print_invoice_receipt(
            db.session,
            invoice,
            shop_settings(),
            current_user,
            render=escpos_receipt.receipt_job,
            duplicate=True,
        ),
        flash_and_redirect(back),
    )
    invoices.record_reprint(db.session, invoice, current_user, "receipt_printer")
    flash(outcome.message(), "success")
    return redirect(back)


def return_payload(form: Any) -> dict[str, Any]:
    """Turn the return form (qty-<line id> fields, refund method, restock) into a request."""
    lines = []
    for name, value in form.items():
        if name.startswith("qty-") and name[4:].isdecimal() and value.strip():
            lines.append({"line_id": int(name[4:]), "quantity": value.strip()})
    return {
        "lines": lines,
        "refund_method": form.get("refund_method", "cash"),
        "restock": "restock" in form,  # an unticked checkbox sends nothing
        "reason": form.get("reason", ""),
    }


@bp.post("/<int:invoice_id>/return")
@login_required
def take_return(invoice_id: int) -> Response:
    """Take goods back against the invoice and issue a credit note."""
    note = or_reshow(
        lambda: returns.create_return(
            db.session, invoice_id, return_payload(request.form), current_user
        ),
        lambda exc: _render_detail(invoice_id, status=exc.status, return_form=form_state(exc)),
        reraise={403, 404},
        rollback=True,
    )
    flash(
        _(
            "Credit note %(number)s issued: %(refund)s.",
            number=note.number,
            refund=returns.refund_summary(note, money_text),
        ),
        "success",
    )
    return redirect(url_for("invoices.detail", invoice_id=invoice_id))


@bp.post("/<int:invoice_id>/void")
@admin_required
def void(invoice_id: int) -> Response:
    """Void the invoice (admin, with a reason): stock and credit come back."""
    invoice = or_reshow(
        lambda: returns.void_invoice(db.session, invoice_id, request.form, current_user),
        lambda exc: _render_detail(invoice_id, status=exc.status, void_form=form_state(exc)),
        reraise={403, 404},
        rollback=True,
    )
    flash(
        _("%(number)s is void; its stock and credit came back.", number=invoice.number),
        "warning",
    )
    return redirect(url_for("invoices.detail", invoice_id=invoice_id))
