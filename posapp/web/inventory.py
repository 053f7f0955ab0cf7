"""Stock pages for admins: receive stock, adjust, count, expiring batches, stock settings."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from werkzeug.wrappers import Response

from posapp import gst
from posapp.errors import DomainError, NotFound
from posapp.extensions import db
from posapp.i18n import _
from posapp.models import Purchase, PurchaseLine
from posapp.models.suppliers import SUPPLIER_PAYMENT_METHODS
from posapp.money import percent_str, qty_str
from posapp.services import catalog, inventory, labels, suppliers
from posapp.vocabulary import SUPPLIER_METHOD_LABELS
from posapp.web import admin_required, page_arg, shop_settings
from posapp.web.forms import field_errors, or_reshow

bp = Blueprint("inventory", __name__, url_prefix="/inventory")
COUNT_PER_PAGE = 50
BLANK_LINES = 5
LINE_FIELDS = ("code", "quantity", "unit_cost", "tax_rate", "expiry", "batch")
BILL_FIELDS = (
    "supplier",
    "reference",
    "supplier_gstin",
    "supplier_state",
    "bill_date",
    "note",
    "paid_now",
    "paid_method",
)


def _page_arg() -> int:
    return page_arg()


@bp.get("/")
@admin_required
def index() -> str:
    """The stock overview: recent purchases and links to every stock task."""
    purchases = db.session.scalars(select(Purchase).order_by(Purchase.id.desc()).limit(20)).all()
    taxes = inventory.purchase_taxes(db.session, purchases)
    expiring = inventory.expiring_batches(
        db.session, within_days=shop_settings().expiry_warning_days
    )
    return render_template(
        "inventory/index.html",
        purchases=purchases,
        taxes=taxes,
        expiring_count=len(expiring),
        low_count=inventory.low_stock_count(db.session),
    )


def _purchase_lines_from_form() -> list[dict[str, str]]:
    columns = {name: request.form.getlist(name) for name in LINE_FIELDS}
    rows = max((len(v) for v in columns.values()), default=0)
    lines = []
    for i in range(rows):
        row = {name: (columns[name][i] if i < len(columns[name]) else "") for name in LINE_FIELDS}
        if any(value.strip() for value in row.values()):
            lines.append(row)
    return lines


@bp.route("/receive", methods=["GET", "POST"])
@admin_required
def receive() -> Response | str:
    """Book a purchase bill: supplier, reference and lines of product, quantity and cost."""
    if request.method == "POST":
        lines = _purchase_lines_from_form()
        data: dict[str, Any] = {name: request.form.get(name, "") for name in BILL_FIELDS}
        data["lines"] = lines
        shown = lines + [dict.fromkeys(LINE_FIELDS, "")] * max(1, BLANK_LINES - len(lines))
        purchase = or_reshow(
            lambda: inventory.receive_stock(db.session, data, current_user.id),
            lambda exc: (
                _receive_page(request.form, shown, exc.message, field_errors(exc)),
                exc.status,
            ),
        )
        flash(
            _(
                "Received %(number)s. Lines added to stock: %(count)s.",
                number=purchase.number,
                count=len(lines),
            ),
            "success",
        )
        return redirect(url_for("inventory.purchase", purchase_id=purchase.id))
    preset = request.args.get("code", "")
    lines = [dict.fromkeys(LINE_FIELDS, "") for _ in range(BLANK_LINES)]
    lines[0]["code"] = preset
    return _receive_page({"supplier": request.args.get("supplier", "")[:120]}, lines, None, {})


def _receive_page(
    values: Any, lines: list[dict[str, str]], error: str | None, fields: dict[str, str]
) -> str:
    """The receive form with its choices: the GST rate presets and the state list."""
    return render_template(
        "inventory/receive.html",
        values=values,
        lines=lines,
        error=error,
        fields=fields,
        rate_presets=[percent_str(bp) for bp in gst.RATE_PRESETS_BP],
        states=[("", _("From the GSTIN (or not known)"))]
        + [(code, gst.state_label(code)) for code in gst.STATES],
        supplier_names=suppliers.active_names(db.session),
        paid_methods=[(m, SUPPLIER_METHOD_LABELS[m]) for m in SUPPLIER_PAYMENT_METHODS],
    )


@bp.get("/purchases/<int:purchase_id>")
@admin_required
def purchase(purchase_id: int) -> str:
    """Show one received purchase."""
    found = db.session.scalar(
        select(Purchase)
        .where(Purchase.id == purchase_id)
        .options(selectinload(Purchase.lines).joinedload(PurchaseLine.product))
    )
    if found is None:
        raise NotFound(_("No such purchase."))
    return render_template(
        "inventory/purchase.html",
        purchase=found,
        tax=inventory.purchase_taxes(db.session, [found])[found.id],
        taxables=[inventory.line_taxable_shown(line) for line in found.lines],
        state_label=gst.state_label,
    )


@bp.route("/adjust/<int:product_id>", methods=["GET", "POST"])
@admin_required
def adjust(product_id: int) -> Response | str:
    """Book a stock adjustment (damage, loss, count correction) with a reason note."""
    product = catalog.get_product(db.session, product_id)
    if request.method == "POST":
        data = {
            "reason": request.form.get("reason", ""),
            "note": request.form.get("note", ""),
            "delta": request.form.get("quantity", ""),
        }
        direction = request.form.get("direction", "remove")
        quantity = data["delta"].strip()
        if direction == "remove" and quantity and not quantity.startswith("-"):
            data["delta"] = "-" + quantity

        def reshow(exc: DomainError) -> tuple[str, int]:
            fields = field_errors(exc)
            if "delta" in fields:  # the form calls the signed delta "quantity"
                fields["quantity"] = fields.pop("delta")
            return render_template(
                "inventory/adjust.html",
                product=product,
                values=request.form,
                error=exc.message,
                fields=fields,
            ), exc.status

        or_reshow(
            lambda: inventory.adjust_stock(db.session, product_id, data, current_user.id), reshow
        )
        flash(_("Stock adjusted."), "success")
        return redirect(url_for("products.detail", product_id=product_id))
    return render_template(
        "inventory/adjust.html",
        product=product,
        values={"reason": "adjust_damage", "direction": "remove"},
        error=None,
        fields={},
    )


@bp.route("/count", methods=["GET", "POST"])
@admin_required
def count() -> Response | str:
    """Stock count: enter counted quantities for a page of products; the differences are booked."""
    q = request.args.get("q", "").strip()
    category = request.args.get("category", "").strip()
    page = _page_arg()
    products, total = catalog.search_products(
        db.session, q, category=category or None, page=page, per_page=COUNT_PER_PAGE
    )
    pages = max(1, (total + COUNT_PER_PAGE - 1) // COUNT_PER_PAGE)
    context = {
        "products": products,
        "q": q,
        "category": category,
        "categories": catalog.category_names(db.session),
        "page": page,
        "pages": pages,
        "total": total,
    }
    if request.method == "POST":
        counts: dict[int, str] = {}
        for key, value in request.form.items():
            if key.startswith("count-") and key[6:].isdecimal():
                counts[int(key[6:])] = value

        def reshow(exc: DomainError) -> tuple[str, int]:
            fields = {
                key.replace("count.", "count-"): message
                for key, message in field_errors(exc).items()
            }
            return render_template(
                "inventory/count.html",
                **context,
                values=request.form,
                error=exc.message,
                fields=fields,
            ), exc.status

        results = or_reshow(
            lambda: inventory.book_stock_count(
                db.session, counts, current_user.id, request.form.get("note", "")
            ),
            reshow,
        )
        changed = [r for r in results if r.delta_milli]
        flash(
            _(
                "Stock count booked. Products counted: %(counted)s; differences: %(changed)s.",
                counted=len(results),
                changed=len(changed),
            ),
            "success",
        )
        for result in changed[:20]:
            sign = "+" if result.delta_milli > 0 else ""
            flash(
                f"{result.product.name}: {sign}{qty_str(result.delta_milli, result.product.unit)} "
                f"{result.product.unit}",
                "info",
            )
        return redirect(url_for("inventory.count", q=q or None, category=category or None))
    return render_template("inventory/count.html", **context, values={}, error=None, fields={})


@bp.get("/expiring")
@admin_required
def expiring() -> str:
    """Batches in stock that expire within the warning window, or have expired."""
    settings = shop_settings()
    try:
        days = min(3650, max(0, int(request.args.get("days", settings.expiry_warning_days))))
    except ValueError:
        days = settings.expiry_warning_days
    batches = inventory.expiring_batches(db.session, within_days=days)
    return render_template("inventory/expiring.html", batches=batches, days=days)


@bp.route("/settings", methods=["GET", "POST"])
@admin_required
def settings() -> Response | str:
    """The stock settings: negative stock, low-stock default, expiry/dead-stock, label sheet."""
    if request.method == "POST":
        or_reshow(
            lambda: inventory.update_inventory_settings(db.session, request.form, current_user.id),
            lambda exc: (
                render_template(
                    "inventory/settings.html",
                    values=request.form,
                    error=exc.message,
                    fields=field_errors(exc),
                    sheets=labels.sheet_choices(),
                ),
                exc.status,
            ),
        )
        flash(_("Stock settings saved."), "success")
        return redirect(url_for("inventory.settings"))
    current = shop_settings()
    values = {
        "stock_policy": current.stock_policy,
        "low_stock_default": qty_str(current.low_stock_default_milli, "pcs"),
        "expiry_warning_days": str(current.expiry_warning_days),
        "dead_stock_days": str(current.dead_stock_days),
        "label_sheet": current.label_sheet,
    }
    return render_template(
        "inventory/settings.html",
        values=values,
        error=None,
        fields={},
        sheets=labels.sheet_choices(),
    )
