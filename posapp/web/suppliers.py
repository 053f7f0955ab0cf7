"""Supplier pages (admins): the list, add/edit, the supplier's ledger, paying, "To pay", PDF."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from posapp.dates import parse_day
from posapp.documents.supplier_pdf import render_statement_pdf
from posapp.extensions import db
from posapp.gst import state_choices, state_label
from posapp.i18n import _, ngettext
from posapp.models import Supplier
from posapp.models.suppliers import SUPPLIER_PAYMENT_METHODS
from posapp.money import money_str
from posapp.services import debit_notes, suppliers
from posapp.services.customers import display_phone
from posapp.vocabulary import SUPPLIER_METHOD_LABELS
from posapp.web import admin_required, money_text, page_arg, shop_settings
from posapp.web.forms import field_errors, form_state, or_reshow

bp = Blueprint("suppliers", __name__, url_prefix="/suppliers")
PER_PAGE = 50
METHODS = [(m, SUPPLIER_METHOD_LABELS[m]) for m in SUPPLIER_PAYMENT_METHODS]


@bp.get("/")
@admin_required
def index() -> str:
    """Suppliers with what the shop owes each and how much of it is overdue."""
    q = request.args.get("q", "").strip()[:100]
    archived = request.args.get("archived") == "1"
    page = page_arg()
    items, total = suppliers.search_suppliers(
        db.session, q, include_archived=archived, page=page, per_page=PER_PAGE
    )
    today = suppliers.local_today()
    return render_template(
        "suppliers/index.html",
        suppliers=items,
        balances=suppliers.balances(db.session, (s.id for s in items)),
        overdue=suppliers.overdue_amounts(db.session, today),
        q=q,
        archived=archived,
        page=page,
        pages=max(1, (total + PER_PAGE - 1) // PER_PAGE),
        total=total,
    )


@bp.get("/to-pay")
@admin_required
def to_pay() -> str:
    """Open bills of every supplier by due date, overdue first."""
    today = suppliers.local_today()
    items = suppliers.to_pay(db.session, today)
    return render_template(
        "suppliers/to_pay.html",
        items=items,
        today=today,
        total=sum(i.open for i in items),
        overdue=sum(i.open for i in items if i.due_date < today),
    )


def _form_values(supplier: Supplier) -> dict[str, str]:
    return {
        "name": supplier.name,
        "phone": display_phone(supplier.phone) if supplier.phone else "",
        "gstin": supplier.gstin,
        "state_code": supplier.state_code,
        "address": supplier.address,
        "credit_days": str(supplier.credit_days),
        "opening_balance": money_str(supplier.opening_balance),
        "opening_date": supplier.opening_date.isoformat() if supplier.opening_date else "",
    }


def _render_form(
    supplier: Supplier | None, values: Any, error: str | None, fields: dict[str, str], status: int
) -> tuple[str, int]:
    return render_template(
        "suppliers/form.html",
        supplier=supplier,
        values=values,
        error=error,
        fields=fields,
        states=state_choices(),
    ), status


@bp.route("/new", methods=["GET", "POST"])
@admin_required
def new() -> Response | tuple[str, int]:
    """Add a supplier; the form re-shows with every error on bad input."""
    if request.method == "POST":
        supplier = or_reshow(
            lambda: suppliers.create_supplier(db.session, request.form, current_user),
            lambda exc: _render_form(
                None, request.form, exc.message, field_errors(exc), exc.status
            ),
            rollback=True,
        )
        flash(_("Added %(name)s.", name=supplier.name), "success")
        return redirect(url_for("suppliers.detail", supplier_id=supplier.id))
    return _render_form(None, {"credit_days": "0"}, None, {}, 200)


@bp.route("/<int:supplier_id>/edit", methods=["GET", "POST"])
@admin_required
def edit(supplier_id: int) -> Response | tuple[str, int]:
    """Change a supplier's details, credit days or opening balance."""
    supplier = suppliers.get_supplier(db.session, supplier_id)
    if request.method == "POST":
        data = {key: request.form.get(key, "") for key in _form_values(supplier)}
        data["archived"] = "1" if request.form.get("archived") else ""
        or_reshow(
            lambda: suppliers.update_supplier(db.session, supplier_id, data, current_user),
            lambda exc: _render_form(
                supplier, request.form, exc.message, field_errors(exc), exc.status
            ),
            rollback=True,
        )
        flash(_("Saved."), "success")
        return redirect(url_for("suppliers.detail", supplier_id=supplier_id))
    values: dict[str, Any] = _form_values(supplier)
    values["archived"] = "1" if supplier.archived else ""
    return _render_form(supplier, values, None, {}, 200)


def _render_detail(
    supplier_id: int, *, status: int = 200, payment: dict[str, Any] | None = None
) -> tuple[str, int]:
    info = suppliers.summary(db.session, supplier_id)
    lines = suppliers.ledger_lines(db.session, supplier_id)
    lines.reverse()  # newest first, as the customer's history
    today = suppliers.local_today()
    return render_template(
        "suppliers/detail.html",
        info=info,
        supplier=info.supplier,
        state_name=state_label(info.supplier.state_code) if info.supplier.state_code else "",
        lines=lines,
        today=today,
        methods=METHODS,
        payment=payment or {"data": {"method": "cash"}, "error": None, "fields": {}},
        statement_from=today.replace(day=1).isoformat(),
        statement_to=today.isoformat(),
    ), status


@bp.get("/<int:supplier_id>")
@admin_required
def detail(supplier_id: int) -> tuple[str, int]:
    """The supplier page: balance, aging, open bills, ledger, pay form and statement."""
    return _render_detail(supplier_id)


@bp.post("/<int:supplier_id>/payments")
@admin_required
def pay(supplier_id: int) -> Response:
    """Record a payment to the supplier (oldest bills first); errors re-show the page."""
    data = {
        key: request.form.get(key, "")
        for key in ("amount", "method", "reference", "note", "paid_on")
    }
    result = or_reshow(
        lambda: suppliers.record_payment(db.session, supplier_id, data, current_user),
        lambda exc: _render_detail(supplier_id, status=exc.status, payment=form_state(exc)),
        reraise={404},
        rollback=True,
    )
    settled = sum(1 for a in result.allocations if a.purchase_id is not None)
    paid = {"name": result.supplier.name, "amount": money_text(result.payment.amount)}
    advance = money_text(result.advance)
    if settled and result.advance:
        message = ngettext(
            "Paid %(name)s %(amount)s; %(num)s bill settled; %(advance)s kept as an advance.",
            "Paid %(name)s %(amount)s; %(num)s bills settled; %(advance)s kept as an advance.",
            settled,
            advance=advance,
            **paid,
        )
    elif settled:
        message = ngettext(
            "Paid %(name)s %(amount)s; %(num)s bill settled.",
            "Paid %(name)s %(amount)s; %(num)s bills settled.",
            settled,
            **paid,
        )
    elif result.advance:
        message = _(
            "Paid %(name)s %(amount)s; %(advance)s kept as an advance.", advance=advance, **paid
        )
    else:
        message = _("Paid %(name)s %(amount)s.", **paid)
    flash(message, "success")
    return redirect(url_for("suppliers.detail", supplier_id=supplier_id))


def _day(name: str) -> date:
    return parse_day(request.args.get(name, ""), name)


@bp.get("/<int:supplier_id>/statement.pdf")
@admin_required
def statement(supplier_id: int) -> Response:
    """The supplier's statement for a date range (from, to) as a PDF."""
    data = suppliers.statement(db.session, supplier_id, _day("from"), _day("to"))
    filename = (
        f"supplier-statement-{supplier_id}-{data.start.isoformat()}-{data.end.isoformat()}.pdf"
    )
    return Response(
        render_statement_pdf(data, shop_settings()),
        mimetype="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{filename}"'},
    )


def _render_return(
    purchase_id: int, values: Any, error: str | None, fields: dict[str, str], status: int
) -> tuple[str, int]:
    purchase, lines = debit_notes.returnable_lines(db.session, purchase_id)
    return render_template(
        "suppliers/return.html",
        purchase=purchase,
        lines=lines,
        values=values,
        error=error,
        fields=fields,
    ), status


@bp.route("/purchases/<int:purchase_id>/return", methods=["GET", "POST"])
@admin_required
def return_goods(purchase_id: int) -> Response | tuple[str, int]:
    """Send goods from a bill back to its supplier (a debit note); errors re-show the form."""
    if request.method == "POST":
        data = {
            "lines": {
                key.removeprefix("qty_"): value
                for key, value in request.form.items()
                if key.startswith("qty_")
            },
            "note": request.form.get("note", ""),
            "returned_on": request.form.get("returned_on", ""),
        }
        note = or_reshow(
            lambda: debit_notes.record_debit_note(db.session, purchase_id, data, current_user),
            lambda exc: _render_return(
                purchase_id, request.form, exc.message, field_errors(exc), exc.status
            ),
            reraise={404},
            rollback=True,
        )
        flash(
            _(
                "Debit note %(number)s: %(amount)s less owed.",
                number=note.number,
                amount=money_text(note.amount),
            ),
            "success",
        )
        return redirect(url_for("suppliers.detail", supplier_id=note.supplier_id))
    return _render_return(purchase_id, {}, None, {}, 200)
