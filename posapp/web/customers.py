"""Customer pages: list and search, dues, add/edit, the customer page, payments and receipts."""

from __future__ import annotations

import time
from datetime import date
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from posapp.dates import parse_day
from posapp.documents.customer_pdf import render_payment_pdf, render_statement_pdf
from posapp.errors import ValidationError
from posapp.extensions import db
from posapp.gst import state_choices, state_label
from posapp.i18n import _, ngettext
from posapp.models import Customer
from posapp.money import money_str
from posapp.services import customers, ledger, ledger_views
from posapp.web import money_text, page_arg, shop_settings
from posapp.web.forms import field_errors, flash_and_redirect, form_state, or_reshow

bp = Blueprint("customers", __name__, url_prefix="/customers")
PER_PAGE = 50
HISTORY_PER_PAGE = 50
BADGE_SECONDS = 60
_badge_cache: dict[str, tuple[float, int]] = {}


def overdue_badge() -> int:
    """Count customers with dues older than 30 days, for the nav badge (refreshed each minute).

    The badge is a hint on every page, so it may be a minute old; the dues list is exact.
    """
    key = str(db.engine.url)
    now = time.monotonic()
    cached = _badge_cache.get(key)
    if cached and cached[0] > now:
        return cached[1]
    count = ledger_views.overdue_count(db.session)
    _badge_cache[key] = (now + BADGE_SECONDS, count)
    return count


@bp.app_context_processor
def inject_badge() -> dict[str, Any]:
    """Offer the badge to the navbar (computed only when a page shows it)."""
    return {"overdue_badge": overdue_badge}


def _page() -> int:
    return page_arg()


def customer_form_values(customer: Customer) -> dict[str, str]:
    """Return a customer's fields as the form shows them."""
    return {
        "name": customer.name,
        "phone": customers.display_phone(customer.phone),
        "email": customer.email,
        "address": customer.address,
        "notes": customer.notes,
        "gstin": customer.gstin,
        "legal_name": customer.legal_name,
        "state_code": customer.state_code,
        "language": customer.language,
        "credit_limit": "" if customer.credit_limit is None else money_str(customer.credit_limit),
        "no_credit_limit": "1" if customer.credit_limit is None else "",
    }


@bp.get("/")
@login_required
def index() -> str:
    """List customers with search by phone or name."""
    q = request.args.get("q", "").strip()
    archived = request.args.get("archived") == "1"
    page = _page()
    items, total = customers.search_customers(
        db.session, q, archived_only=archived, page=page, per_page=PER_PAGE
    )
    balances = ledger.balances(db.session, (c.id for c in items))
    pages = max(1, (total + PER_PAGE - 1) // PER_PAGE)
    return render_template(
        "customers/index.html",
        customers=items,
        balances=balances,
        q=q,
        page=page,
        pages=pages,
        total=total,
        archived=archived,
    )


@bp.get("/dues")
@login_required
def dues() -> str:
    """List customers who owe, by amount or by age, with totals."""
    sort = request.args.get("sort", "amount")
    if sort not in ("amount", "age"):
        sort = "amount"
    page = _page()
    report = ledger_views.dues(db.session, sort, page=page, per_page=PER_PAGE)
    pages = max(1, (report.count + PER_PAGE - 1) // PER_PAGE)
    return render_template(
        "customers/dues.html",
        report=report,
        sort=sort,
        page=page,
        pages=pages,
        today=ledger.local_today(),
    )


def _render_form(
    customer: Customer | None, values: Any, error: str | None, fields: dict[str, str], status: int
) -> tuple[str, int]:
    return render_template(
        "customers/form.html",
        customer=customer,
        values=values,
        error=error,
        fields=fields,
        states=state_choices(),
        shop_new_limit=customers.new_customer_limit(shop_settings()),
    ), status


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new() -> Response | str | tuple[str, int]:
    """Add a customer; the form re-shows with every error on bad input."""
    if request.method == "POST":
        customer = or_reshow(
            lambda: customers.create_customer(db.session, request.form, current_user),
            lambda exc: _render_form(
                None, request.form, exc.message, field_errors(exc), exc.status
            ),
        )
        flash(_("Added %(name)s.", name=customer.name), "success")
        return redirect(url_for("customers.detail", customer_id=customer.id))
    # The shop's limit for new customers, prefilled for an admin to keep or change.
    limit = customers.new_customer_limit(shop_settings())
    values = {
        "credit_limit": "" if limit is None else money_str(limit),
        "no_credit_limit": "1" if limit is None else "",
        "phone": request.args.get("phone", ""),
    }
    return _render_form(None, values, None, {}, 200)


@bp.route("/<int:customer_id>/edit", methods=["GET", "POST"])
@login_required
def edit(customer_id: int) -> Response | str | tuple[str, int]:
    """Edit a customer (credit limits: admins only)."""
    customer = customers.get_customer(db.session, customer_id)
    if request.method == "POST":
        data = {k: v for k, v in request.form.items() if k != "csrf_token"}
        if not current_user.is_admin:
            data.pop("credit_limit", None)  # the fields are read-only for cashiers
            data.pop("no_credit_limit", None)
        # The box cleared with no amount typed would otherwise keep "no limit" silently.
        missing = (
            current_user.is_admin
            and customer.credit_limit is None
            and "no_credit_limit" not in data
            and not str(data.get("credit_limit", "x")).strip()
        )

        def save() -> Customer:
            if missing:
                raise ValidationError(
                    _(
                        "Please correct the customer: type a credit limit (0 for no credit), "
                        "or tick No credit limit."
                    ),
                    field="credit_limit",
                )
            return customers.update_customer(db.session, customer_id, data, current_user)

        or_reshow(
            save,
            lambda exc: _render_form(
                customer, request.form, exc.message, field_errors(exc), exc.status
            ),
            rollback=True,
        )
        flash(_("Saved."), "success")
        return redirect(url_for("customers.detail", customer_id=customer_id))
    return _render_form(customer, customer_form_values(customer), None, {}, 200)


@bp.post("/<int:customer_id>/archive")
@login_required
def archive(customer_id: int) -> Response:
    """Archive a customer whose balance is zero (history stays)."""
    customer = or_reshow(
        lambda: customers.update_customer(
            db.session, customer_id, {"archived": True}, current_user
        ),
        flash_and_redirect(url_for("customers.detail", customer_id=customer_id)),
    )
    flash(_("Archived %(name)s.", name=customer.name), "info")
    return redirect(url_for("customers.detail", customer_id=customer_id))


@bp.post("/<int:customer_id>/restore")
@login_required
def restore(customer_id: int) -> Response:
    """Bring an archived customer back."""
    customer = customers.update_customer(db.session, customer_id, {"archived": False}, current_user)
    flash(_("Restored %(name)s.", name=customer.name), "success")
    return redirect(url_for("customers.detail", customer_id=customer_id))


def _render_detail(
    customer_id: int,
    *,
    status: int = 200,
    payment: dict[str, Any] | None = None,
    adjustment: dict[str, Any] | None = None,
) -> tuple[str, int]:
    """Render the customer page; the payment/adjustment forms re-show their errors."""
    info = customers.summary(db.session, customer_id)
    page = _page()
    lines, total = ledger_views.ledger_page(
        db.session, customer_id, page=page, per_page=HISTORY_PER_PAGE, newest_first=True
    )
    settings = shop_settings()
    reminder = customers.reminder_text(info, settings) if info.balance > 0 else ""
    today = ledger.local_today()
    return render_template(
        "customers/detail.html",
        info=info,
        customer=info.customer,
        state_name=state_label(info.customer.state_code),
        lines=lines,
        total=total,
        page=page,
        pages=max(1, (total + HISTORY_PER_PAGE - 1) // HISTORY_PER_PAGE),
        reminder=reminder,
        wa_link=(customers.whatsapp_link(info.customer.phone, reminder) if reminder else ""),
        payment=payment or {"data": {"method": "cash"}, "error": None, "fields": {}},
        adjustment=adjustment or {"data": {}, "error": None, "fields": {}},
        statement_from=today.replace(day=1).isoformat(),
        statement_to=today.isoformat(),
    ), status


@bp.get("/<int:customer_id>")
@login_required
def detail(customer_id: int) -> tuple[str, int]:
    """Show the customer page: balance, credit left, aging, history, payment and statement."""
    return _render_detail(customer_id)


@bp.post("/<int:customer_id>/payments")
@login_required
def record_payment(customer_id: int) -> Response:
    """Record a payment on account, then show its receipt."""
    result = or_reshow(
        lambda: ledger.record_payment(db.session, customer_id, request.form, current_user),
        lambda exc: _render_detail(customer_id, status=exc.status, payment=form_state(exc)),
        reraise={404},
        rollback=True,
    )
    settled = len(result.allocations)
    amount = money_text(result.payment.amount)
    # The count's clause is its own message: Flask-Babel's ngettext fills only %(num)s.
    flash(
        _(
            "Payment of %(amount)s recorded; %(settled)s.",
            amount=amount,
            settled=ngettext("%(num)s bill settled", "%(num)s bills settled", settled),
        )
        if settled
        else _("Payment of %(amount)s recorded.", amount=amount),
        "success",
    )
    return redirect(url_for("customers.payment_receipt", payment_id=result.payment.id))


@bp.post("/<int:customer_id>/adjustments")
@login_required
def adjust(customer_id: int) -> Response:
    """Add an admin's balance correction with its reason."""
    if not current_user.is_admin:
        abort(403)
    or_reshow(
        lambda: ledger.add_adjustment(db.session, customer_id, request.form, current_user),
        lambda exc: _render_detail(customer_id, status=exc.status, adjustment=form_state(exc)),
        reraise={404},
        rollback=True,
    )
    flash(_("Adjustment added to the ledger."), "success")
    return redirect(url_for("customers.detail", customer_id=customer_id))


@bp.get("/payments/<int:payment_id>/receipt")
@login_required
def payment_receipt(payment_id: int) -> str:
    """Show the 80 mm receipt of a payment on account, ready to print."""
    receipt = ledger_views.payment_receipt(db.session, payment_id)
    return render_template(
        "customers/payment_receipt.html",
        receipt=receipt,
        autoprint=request.args.get("print") == "1",
    )


@bp.get("/payments/<int:payment_id>/pdf")
@login_required
def payment_pdf(payment_id: int) -> Response:
    """Return the payment receipt as a PDF."""
    receipt = ledger_views.payment_receipt(db.session, payment_id)
    return Response(
        render_payment_pdf(receipt, shop_settings()),
        mimetype="application/pdf",
        headers={"Content-Disposition": f'inline; filename="PAY-{payment_id:06d}.pdf"'},
    )


def _day(name: str) -> date:
    return parse_day(request.args.get(name, ""), name)


@bp.get("/<int:customer_id>/statement.pdf")
@login_required
def statement(customer_id: int) -> Response:
    """Return the customer's statement for a date range (from, to) as a PDF."""
    customer = customers.get_customer(db.session, customer_id)
    data = ledger_views.statement(db.session, customer, _day("from"), _day("to"))
    filename = f"statement-{customer.id}-{data.start.isoformat()}-{data.end.isoformat()}.pdf"
    return Response(
        render_statement_pdf(data, shop_settings()),
        mimetype="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{filename}"'},
    )
