"""Order pages: the open-orders board, taking and editing an order, its page with the next
steps (confirm, pack, out for delivery or ready for pickup, cancel), delivery with payment
into an invoice, the packing slip PDF, the WhatsApp status text, and the order reports.

Every rule lives in services/orders.py; these views read the form into the shape
`orders.parse_order` takes, call one service function and re-show the form with its messages.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response

from posapp.documents.order_pdf import SLIP_SIZES, render_order_slip
from posapp.errors import DomainError, ValidationError
from posapp.extensions import db
from posapp.i18n import LazyString, _, lazy
from posapp.models import Customer, Product, User
from posapp.models.base import utcnow
from posapp.models.orders import FULFILMENTS, PAYMENT_PLANS, Order
from posapp.money import money_str, qty_str
from posapp.services import customers, exports, order_reports, orders, report_framework, upi
from posapp.services.approvals import ApprovalRequired
from posapp.services.csv_io import csv_text, safe_rows
from posapp.services.ledger import local_today
from posapp.services.limits import MAX_CART_LINES, MAX_PER_PAGE
from posapp.web import admin_required, id_value, page_arg, shop_settings
from posapp.web.forms import field_errors, or_reshow

bp = Blueprint("orders", __name__, url_prefix="/orders")
PER_PAGE = 50
# The closed lists under the board (?show=): delivered or cancelled orders, newest first.
CLOSED = {"delivered": lazy("Delivered"), "cancelled": lazy("Cancelled")}
PLAN_LABELS = {
    "on_delivery": lazy("Cash or UPI on delivery"),
    "khata": lazy("On the customer's khata"),
    "prepaid": lazy("Prepaid (advance when confirmed)"),
}
FULFILMENT_LABELS = {"pickup": lazy("Pickup at the shop"), "delivery": lazy("Home delivery")}
# The tenders at the door, as at the till; "credit" is the part left on the customer's khata.
TENDERS = (
    ("cash", lazy("Cash")),
    ("upi", lazy("UPI")),
    ("card", lazy("Card")),
    ("credit", lazy("Khata")),
)
# The next states a button may offer; delivery and cancellation have steps of their own.
STEP_LABELS: dict[str, LazyString] = {
    "confirmed": lazy("Confirm"),
    "packed": lazy("Packed"),
    "ready_for_pickup": lazy("Ready for pickup"),
    "out_for_delivery": lazy("Out for delivery"),
}


def status_label(status: str) -> str:
    """An order state as the pages write it ("Out for delivery"), in the page's language."""
    return str(orders.STATUS_LABELS.get(status, status))


@bp.app_context_processor
def inject_orders() -> dict[str, Any]:
    """The navigation's open-orders count (a call, so pages that do not show it pay nothing)."""
    return {
        "open_orders_badge": lambda: sum(orders.open_counts(db.session).values()),
        "order_status_label": status_label,
    }


# ------------------------------------------------------------------------------------ board


@bp.get("/")
@login_required
def index() -> tuple[str, int]:
    """The open-orders board (columns by state, oldest first), or the delivered/cancelled
    list with `show=`; `q` finds an order by number, customer name or phone."""
    show = request.args.get("show", "")
    q = request.args.get("q", "").strip()
    page = page_arg()
    error, status = None, 200
    columns: dict[str, list[Order]] = {}
    closed: list[Order] = []
    total = 0
    try:
        if show in CLOSED:
            closed, total = orders.list_orders(
                db.session, status=show, q=q, page=page, per_page=PER_PAGE
            )
        else:
            show = ""
            found, total = orders.list_orders(
                db.session,
                statuses=orders.OPEN_STATUSES,
                q=q,
                page=1,
                per_page=MAX_PER_PAGE,
            )
            columns = {state: [] for state in orders.OPEN_STATUSES}
            for order in found:
                columns.setdefault(order.status, []).append(order)
    except DomainError as exc:
        error, status = exc.message, exc.status
    return render_template(
        "orders/index.html",
        show=show,
        q=q,
        columns=columns,
        closed=closed,
        total=total,
        page=page,
        pages=max(1, (total + PER_PAGE - 1) // PER_PAGE),
        closed_titles=CLOSED,
        error=error,
        age=_age,
        board_limit=MAX_PER_PAGE,
    ), status


def _age(order: Order) -> str:
    """How long ago the order was taken: "5 min ago", "3 h ago", "2 d ago"."""
    seconds = max(0, int((utcnow() - order.created_at).total_seconds()))
    if seconds < 3600:
        return _("%(num)s min ago", num=seconds // 60)
    if seconds < 86400:
        return _("%(num)s h ago", num=seconds // 3600)
    return _("%(num)s d ago", num=seconds // 86400)


@bp.get("/find")
@login_required
def find() -> Response:
    """Open an order by its number as printed on the slip or read from its QR ("ORD-12")."""
    text = request.args.get("number", "")[:40]
    order = orders.find_order(db.session, text) if text.strip() else None
    if order is None:
        flash(_("No order numbered “%(number)s”.", number=text.strip()), "warning")
        return redirect(url_for("orders.index"))
    return redirect(url_for("orders.detail", order_id=order.id))


# ------------------------------------------------------------------------------- the form


def _customer_part(form: Mapping[str, str]) -> dict[str, Any]:
    """The customer by phone: the one with this number, else a new one with the typed name.

    A number that is not a phone number goes to the service as typed, which says why.
    """
    phone = form.get("phone", "").strip()
    name = form.get("name", "").strip()
    if phone:
        try:
            e164 = customers.normalise_phone(phone, shop_settings().phone_region)
        except ValidationError:
            e164 = ""
        if e164:
            found = db.session.scalar(select(Customer.id).where(Customer.phone == e164))
            if found is not None:
                return {"customer_id": found}
    return {"customer": {"name": name, "phone": phone}}


def _items_part(form: MultiDict[str, str]) -> list[dict[str, Any]]:
    """The item rows: a product id and its quantity each, in the order they were added."""
    ids = form.getlist("product_id")[: MAX_CART_LINES + 1]
    quantities = form.getlist("quantity")[: MAX_CART_LINES + 1]
    items: list[dict[str, Any]] = []
    for raw_id, quantity in zip(ids, quantities, strict=False):
        product_id = id_value(raw_id)
        items.append(
            {"product_id": product_id if product_id is not None else raw_id, "quantity": quantity}
        )
    return items


def order_data(form: MultiDict[str, str]) -> dict[str, Any]:
    """The posted order form in the shape `orders.parse_order` reads. The address and the
    delivery charge are hidden for a pickup, so what they held then is not sent."""
    delivery = form.get("fulfilment", "") != "pickup"
    return {
        **_customer_part(form),
        "items": _items_part(form),
        "fulfilment": form.get("fulfilment", ""),
        "address": form.get("address", "") if delivery else "",
        "slot_date": form.get("slot_date", ""),
        "slot": form.get("slot", ""),
        "delivery_charge": (form.get("delivery_charge", "") if delivery else "") or "0",
        "note": form.get("note", ""),
        "payment_plan": form.get("payment_plan", ""),
    }


def _rows_from_form(form: MultiDict[str, str]) -> list[dict[str, Any]]:
    """The item rows a re-shown form draws again: each product as it is now, and the
    quantity as typed (rows naming no product are dropped; the message says what was wrong)."""
    items = _items_part(form)
    ids = [item["product_id"] for item in items if isinstance(item["product_id"], int)]
    products = (
        {p.id: p for p in db.session.scalars(select(Product).where(Product.id.in_(ids)))}
        if ids
        else {}
    )
    rows = []
    for index, item in enumerate(items):
        product = products.get(item["product_id"])
        if product is not None:
            rows.append(_row(product, str(item["quantity"])[:20], index))
    return rows


def _row(product: Product, quantity: str, index: int) -> dict[str, Any]:
    """One item row of the form; `index` is its place in the posted list (its errors' key)."""
    return {
        "index": index,
        "product_id": product.id,
        "name": product.name,
        "code": product.code,
        "unit": product.unit,
        "price": product.price,
        "available": qty_str(orders.available_milli(product), product.unit),
        "service": product.is_service,
        "quantity": quantity,
    }


def _rows_of(order: Order) -> list[dict[str, Any]]:
    return [
        _row(line.product, qty_str(line.qty_milli, line.product.unit), index)
        for index, line in enumerate(order.lines)
    ]


def _values_of(order: Order) -> dict[str, str]:
    return {
        "phone": customers.display_phone(order.customer.phone),
        "name": order.customer.name,
        "fulfilment": order.fulfilment,
        "address": order.address,
        "slot_date": order.slot_date.isoformat() if order.slot_date else "",
        "slot": order.slot,
        "delivery_charge": money_str(order.delivery_charge) if order.delivery_charge else "",
        "note": order.note,
        "payment_plan": order.payment_plan,
    }


def _form_page(
    *,
    order: Order | None,
    values: Mapping[str, str],
    rows: list[dict[str, Any]],
    source: str,
    error: DomainError | None = None,
    status: int = 200,
) -> tuple[str, int]:
    fields = field_errors(error) if error else {}
    return render_template(
        "orders/form.html",
        order=order,
        values=values,
        rows=rows,
        source=source,
        error=error.message if error else None,
        fields=fields,
        item_errors={k: v for k, v in fields.items() if k.startswith("items")},
        customer_errors={
            k.removeprefix("customer.").removeprefix("customer_"): v
            for k, v in fields.items()
            if k.startswith("customer")
        },
        fulfilments=[(f, FULFILMENT_LABELS.get(f, f)) for f in FULFILMENTS],
        plans=[(p, PLAN_LABELS.get(p, p)) for p in PAYMENT_PLANS],
        today=local_today().isoformat(),
    ), status


def _source() -> str:
    return "till" if request.values.get("source") == "till" else "orders"


@bp.get("/new")
@login_required
def new() -> tuple[str, int]:
    """The new-order form (from the till with `source=till`)."""
    values = {"fulfilment": "pickup", "payment_plan": "on_delivery"}
    phone = request.args.get("phone", "").strip()[:40]
    if phone:
        values["phone"] = phone
    return _form_page(order=None, values=values, rows=[], source=_source())


@bp.post("/new")
@login_required
def create() -> Response:
    """Take the order; on bad input re-show the form with the messages, nothing written."""
    form = request.form
    source = _source()

    def reshow(exc: DomainError) -> tuple[str, int]:
        return _form_page(
            order=None,
            values=form,
            rows=_rows_from_form(form),
            source=source,
            error=exc,
            status=exc.status,
        )

    order = or_reshow(
        lambda: orders.create_order(
            db.session, orders.parse_order(order_data(form)), current_user, source
        ),
        reshow,
        rollback=True,
    )
    flash(_("Order %(number)s taken.", number=order.number), "success")
    return redirect(url_for("orders.detail", order_id=order.id))


@bp.get("/<int:order_id>/edit")
@login_required
def edit(order_id: int) -> tuple[str, int] | Response:
    """Edit a pending order (after confirming, cancel and take a new one)."""
    order = orders.get_order(db.session, order_id)
    if order.status != "pending":
        flash(_("Only a pending order can be changed."), "warning")
        return redirect(url_for("orders.detail", order_id=order.id))
    return _form_page(order=order, values=_values_of(order), rows=_rows_of(order), source="orders")


@bp.post("/<int:order_id>/edit")
@login_required
def update(order_id: int) -> Response:
    """Save the changed order; on bad input re-show the form, nothing written."""
    order = orders.get_order(db.session, order_id)
    form = request.form

    def reshow(exc: DomainError) -> tuple[str, int]:
        return _form_page(
            order=orders.get_order(db.session, order_id),
            values=form,
            rows=_rows_from_form(form),
            source="orders",
            error=exc,
            status=exc.status,
        )

    or_reshow(
        lambda: orders.update_order(
            db.session, order.id, orders.parse_order(order_data(form)), current_user
        ),
        reshow,
        reraise=(404,),
        rollback=True,
    )
    flash(_("Order %(number)s saved.", number=order.number), "success")
    return redirect(url_for("orders.detail", order_id=order_id))


# ---------------------------------------------------------------------------- the order


def next_steps(order: Order) -> list[str]:
    """The states a plain button on the order's page moves it to (delivery and cancelling
    have steps of their own)."""
    return [step for step in orders.allowed_next(order) if step in STEP_LABELS]


def _wa_link(order: Order) -> tuple[str, str]:
    settings = shop_settings()
    text = orders.status_message(
        order, settings.shop_name, settings.currency, settings.locale, settings.documents_language
    )
    return text, customers.whatsapp_link(order.customer.phone, text)


def _render_detail(
    order_id: int,
    *,
    confirm: Mapping[str, Any] | None = None,
    cancel: Mapping[str, Any] | None = None,
    status: int = 200,
) -> tuple[str, int]:
    order = orders.get_order(db.session, order_id)
    message, wa_link = _wa_link(order)
    allowed = orders.allowed_next(order)
    return render_template(
        "orders/detail.html",
        order=order,
        steps=next_steps(order),
        step_labels=STEP_LABELS,
        can_deliver="delivered" in allowed,
        can_cancel="cancelled" in allowed,
        plan_label=PLAN_LABELS.get(order.payment_plan, order.payment_plan),
        fulfilment_label=FULFILMENT_LABELS.get(order.fulfilment, order.fulfilment),
        message=message,
        wa_link=wa_link,
        confirm=confirm
        or {
            "data": {"advance_method": "cash", "advance_amount": money_str(order.estimate)},
            "error": None,
            "fields": {},
        },
        cancel=cancel or {"data": {}, "error": None, "fields": {}},
        available={line.product_id: orders.available_milli(line.product) for line in order.lines},
        slip_sizes=SLIP_SIZES,
        users=_user_names(order),
    ), status


def _user_names(order: Order) -> dict[int, str]:
    ids = {e.user_id for e in order.events if e.user_id is not None}
    if order.created_by is not None:
        ids.add(order.created_by)
    if not ids:
        return {}
    rows = db.session.execute(select(User.id, User.username).where(User.id.in_(ids)))
    return {user_id: name for user_id, name in rows}


@bp.get("/<int:order_id>")
@login_required
def detail(order_id: int) -> tuple[str, int]:
    """The order: lines, estimate, customer, history, and the buttons for its next steps."""
    return _render_detail(order_id)


@bp.post("/<int:order_id>/status")
@login_required
def change_status(order_id: int) -> Response:
    """Move the order to the next state named by the button (`to`); a prepaid order's
    confirmation carries the advance (`advance_amount`, `advance_method`, `advance_reference`)."""
    order = orders.get_order(db.session, order_id)
    to = request.form.get("to", "")
    payment = None
    if to == "confirmed" and order.payment_plan == "prepaid":
        payment = {
            "amount": request.form.get("advance_amount", ""),
            "method": request.form.get("advance_method", ""),
            "reference": request.form.get("advance_reference", ""),
        }

    def reshow(exc: DomainError) -> tuple[str, int]:
        db.session.rollback()
        if payment is not None:
            state = {"data": request.form, "error": exc.message, "fields": field_errors(exc)}
            return _render_detail(order_id, confirm=state, status=exc.status)
        flash(exc.message, "danger")
        return _render_detail(order_id, status=exc.status)

    changed = or_reshow(
        lambda: orders.change_status(
            db.session,
            order_id,
            to,
            current_user,
            note=request.form.get("note", ""),
            payment=payment,
        ),
        reshow,
        reraise=(404,),
    )
    flash(
        _(
            "Order %(number)s: %(state)s.",
            number=changed.number,
            state=status_label(changed.status).lower(),
        ),
        "success",
    )
    return redirect(url_for("orders.detail", order_id=order_id))


@bp.post("/<int:order_id>/cancel")
@login_required
def cancel(order_id: int) -> Response:
    """Cancel the order with a reason (required); its reserved stock goes back on sale."""

    def reshow(exc: DomainError) -> tuple[str, int]:
        db.session.rollback()
        state = {"data": request.form, "error": exc.message, "fields": field_errors(exc)}
        return _render_detail(order_id, cancel=state, status=exc.status)

    order = or_reshow(
        lambda: orders.cancel_order(
            db.session, order_id, request.form.get("reason", ""), current_user
        ),
        reshow,
        reraise=(404,),
    )
    flash(_("Order %(number)s cancelled.", number=order.number), "success")
    return redirect(url_for("orders.detail", order_id=order_id))


# ------------------------------------------------------------------------------- delivery


def advance_of(order: Order) -> int:
    """The prepaid advance taken when the order was confirmed (0 without one)."""
    return order.advance_payment.amount if order.advance_payment is not None else 0


def _default_tenders(order: Order) -> dict[str, str]:
    """Cash for what is to pay; nothing for a khata order or a prepaid one the advance
    covers (the service puts the bill on the khata, where the advance pays it)."""
    values = {method: "" for method, _label in TENDERS}
    due = orders.to_pay(order)
    if due and order.payment_plan != "khata":
        values["cash"] = money_str(due)
    return values


def _upi_qr(order: Order, amount: int) -> upi.TillQr | None:
    """The UPI QR for what is due (None: no UPI ID set, or nothing to pay)."""
    if amount <= 0:
        return None
    try:
        return upi.till_qr(shop_settings(), amount, upi.reference_of(order.number))
    except DomainError:
        return None


def _deliver_page(
    order: Order,
    values: Mapping[str, str],
    error: DomainError | None = None,
    status: int = 200,
) -> tuple[str, int]:
    due = orders.to_pay(order)
    # A delivery that needs an admin (stock taken at the counter meanwhile, a khata over its
    # limit) asks for the PIN here, as the till's dialog does; the reasons say why.
    reasons = (
        [reason.get("message", "") for reason in error.details.get("reasons", [])]
        if isinstance(error, ApprovalRequired)
        else []
    )
    return render_template(
        "orders/deliver.html",
        order=order,
        values=values,
        tenders=TENDERS,
        due=due,
        advance=advance_of(order),
        upi_qr=_upi_qr(order, due),
        error=error.message if error else None,
        fields=field_errors(error) if error else {},
        approval_reasons=reasons,
        ask_approval=bool(reasons) or bool(values.get("approval_username")),
    ), status


@bp.get("/<int:order_id>/deliver")
@login_required
def deliver_form(order_id: int) -> tuple[str, int] | Response:
    """The payment step of a delivery: cash, UPI (with the shop's QR), card or khata."""
    order = orders.get_order(db.session, order_id)
    if "delivered" not in orders.allowed_next(order):
        flash(
            _(
                "Order %(number)s is %(state)s: it cannot be delivered now.",
                number=order.number,
                state=status_label(order.status).lower(),
            ),
            "warning",
        )
        return redirect(url_for("orders.detail", order_id=order_id))
    return _deliver_page(order, _default_tenders(order))


def payments_of(form: Mapping[str, str]) -> list[dict[str, Any]]:
    """The tenders filled in on the payment step, in the till's payment shape."""
    payments: list[dict[str, Any]] = []
    for method, _label in TENDERS:
        amount = form.get(f"pay_{method}", "").strip()
        if not amount:
            continue
        payment: dict[str, Any] = {"method": method, "amount": amount}
        if method == "upi" and form.get("upi_reference", "").strip():
            payment["reference"] = form.get("upi_reference", "").strip()
        payments.append(payment)
    return payments


@bp.post("/<int:order_id>/deliver")
@login_required
def deliver(order_id: int) -> Response:
    """Deliver: the order becomes an invoice through checkout, paid as entered."""
    order = orders.get_order(db.session, order_id)
    form = request.form
    values = {method: form.get(f"pay_{method}", "") for method, _label in TENDERS}
    values["upi_reference"] = form.get("upi_reference", "")
    values["approval_username"] = form.get("approval_username", "")
    data: dict[str, Any] = {"payments": payments_of(form)}
    if form.get("approval_username", "").strip() or form.get("approval_pin", ""):
        data["approval"] = {
            "username": form.get("approval_username", "").strip(),
            "pin": form.get("approval_pin", ""),
        }

    def reshow(exc: DomainError) -> tuple[str, int]:
        db.session.rollback()
        return _deliver_page(orders.get_order(db.session, order_id), values, exc, exc.status)

    invoice = or_reshow(
        lambda: orders.deliver_order(
            db.session,
            order.id,
            data,
            current_user,
            address=request.remote_addr or "?",
        ),
        reshow,
        reraise=(404,),
    )
    flash(
        _(
            "Order %(number)s delivered: invoice %(invoice)s.",
            number=order.number,
            invoice=invoice.number,
        ),
        "success",
    )
    return redirect(url_for("invoices.detail", invoice_id=invoice.id))


# ------------------------------------------------------------------------- slip, reports


@bp.get("/<int:order_id>/slip.pdf")
@login_required
def slip(order_id: int) -> Response:
    """The packing slip / delivery note as a PDF: `size=a4` (default) or `80mm`."""
    order = orders.get_order(db.session, order_id)
    size = request.args.get("size", "a4")
    if size not in SLIP_SIZES:
        raise ValidationError(
            _("Choose a slip size: %(sizes)s.", sizes=", ".join(SLIP_SIZES)), field="size"
        )
    pdf = render_order_slip(order, shop_settings(), size, orders.to_pay(order), advance_of(order))
    return Response(
        pdf,
        mimetype="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{order.number}-{size}.pdf"'},
    )


@bp.get("/reports")
@admin_required
def reports() -> Response | tuple[str, int]:
    """The order reports over a date range; `format=csv&report=<name>` downloads one."""
    args = request.args
    error, status = None, 200
    start = end = None
    shown: list[tuple[str, report_framework.Report]] = []
    try:
        start, end = report_framework.parse_range(args.get("from"), args.get("to"))
        if args.get("format") == "csv":
            name = args.get("report", "")
            if name not in order_reports.REPORTS:
                raise ValidationError(_("No such order report."), field="report")
            return _csv(name, order_reports.REPORTS[name](db.session, start, end))
        shown = [
            (name, report(db.session, start, end)) for name, report in order_reports.REPORTS.items()
        ]
    except DomainError as exc:
        if args.get("format") == "csv":
            raise
        error, status = exc.message, exc.status
    return render_template(
        "orders/reports.html",
        reports=shown,
        error=error,
        start=start,
        end=end,
        today=local_today(),
    ), status


def _csv(name: str, report: report_framework.Report) -> Response:
    exports.record_export(db.session, current_user.id, f"report orders-{name}", "download")
    rows = safe_rows(report_framework.report_rows(report))
    response = Response(csv_text(rows), mimetype="text/csv")
    stamp = time.strftime("%Y%m%d")
    response.headers["Content-Disposition"] = f'attachment; filename="orders-{name}-{stamp}.csv"'
    return response
