"""Product pages for admins: list, add, edit, archive/restore, detail with QR code, re-rating."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select
from werkzeug.wrappers import Response

from posapp.documents.barcode import barcode_svg
from posapp.documents.labels_pdf import render_labels_pdf
from posapp.documents.qr import qr_png
from posapp.errors import DomainError
from posapp.extensions import db
from posapp.i18n import _, lazy
from posapp.models import Product, StockMovement
from posapp.money import money_str, qty_str
from posapp.services import catalog, inventory, labels, orders, rerate, scale_labels
from posapp.web import admin_required, id_value, page_arg, shop_settings
from posapp.web.forms import Reshow, field_errors, flash_and_redirect, or_reshow

bp = Blueprint("products", __name__, url_prefix="/products")
PER_PAGE = 50
LABEL_BLANK_ROWS = 3
# A re-rate preview lists this many products on the page; the count covers them all.
RERATE_SHOWN = 200


def product_form_values(product: Product) -> dict[str, str]:
    """Return a product's fields as the form shows them."""
    return {
        "code": product.code,
        "name": product.name,
        "category": product.category_name,
        "unit": product.unit,
        "price": money_str(product.price),
        "cost": money_str(product.cost),
        "mrp": money_str(product.mrp) if product.mrp is not None else "",
        "tax_rate": catalog.rate_text(product.tax_rate_bp),
        "hsn": product.hsn,
        "low_stock_threshold": qty_str(product.low_stock_milli, product.unit),
        "supplier": product.supplier,
        "location": product.location,
        "color": product.color,
        "scale_plu": product.scale_plu or "",
        "aliases": catalog.aliases_text(product.aliases),
        "perishable": "1" if product.perishable else "",
    }


def _scale_context() -> dict[str, Any]:
    """What the product form says about the scale PLU: which units take one, how long it is."""
    layout = scale_labels.layout_of(shop_settings())
    return {"scale_units": scale_labels.LOOSE_UNITS, "scale_digits": layout.item_digits}


def _sample_label(product: Product) -> str | None:
    """A scale label for this product as the shop's scales would print it (1.250 kg, or its
    price), to test the scanner with; None for a product without a scale PLU."""
    if not product.scale_plu or product.unit not in scale_labels.LOOSE_UNITS:
        return None
    layout = scale_labels.layout_of(shop_settings())
    if len(product.scale_plu) != layout.item_digits:
        return None  # the layout changed since the PLU was typed: no label would find it
    value = scale_labels.sample_value(layout, product.price)
    return scale_labels.make_label(layout, product.scale_plu, value)


FILTERS = ("low", "out", "archived")


@bp.get("/")
@admin_required
def index() -> str:
    """List products: search, category, low/out-of-stock/archived filters, sort, pages."""
    q = request.args.get("q", "").strip()
    filter_ = request.args.get("filter", "")
    if filter_ not in FILTERS:
        filter_ = ""
    if request.args.get("archived") == "1":
        filter_ = "archived"
    category = request.args.get("category", "").strip()
    sort = request.args.get("sort", "")
    if sort not in catalog.SORTS:
        sort = ""
    page = page_arg()
    keyset = not q and sort in ("", "name")
    after = _id_arg("after") if keyset else None
    before = _id_arg("before") if keyset and after is None else None
    items, total = catalog.search_products(
        db.session,
        q,
        archived_only=filter_ == "archived",
        low_stock=filter_ == "low",
        out_of_stock=filter_ == "out",
        category=category or None,
        sort=sort,
        page=page,
        per_page=PER_PAGE,
        after=after,
        before=before,
    )
    pages = max(1, (total + PER_PAGE - 1) // PER_PAGE)
    return render_template(
        "products/index.html",
        products=items,
        q=q,
        page=page,
        pages=pages,
        total=total,
        filter=filter_,
        archived=filter_ == "archived",
        category=category,
        categories=catalog.category_names(db.session),
        sort=sort,
        sorts=SORT_LABELS,
        keyset=keyset,
    )


def _id_arg(name: str) -> int | None:
    raw = request.args.get(name, "")
    return id_value(raw)


SORT_LABELS = {
    "": lazy("Best match / name"),
    "-name": lazy("Name, Z–A"),
    "code": lazy("Code"),
    "price": lazy("Price, low first"),
    "-price": lazy("Price, high first"),
    "stock": lazy("Stock, low first"),
    "-stock": lazy("Stock, high first"),
    "newest": lazy("Newest first"),
}


def _reshow_form(product: Product | None) -> Reshow:
    """Re-show the product form with what was typed, the message and the field errors."""
    return lambda exc: (
        render_template(
            "products/form.html",
            product=product,
            values=request.form,
            error=exc.message,
            fields=field_errors(exc),
            categories=catalog.category_names(db.session),
            tax_presets=catalog.TAX_PRESETS,
            **_scale_context(),
        ),
        exc.status,
    )


@bp.route("/new", methods=["GET", "POST"])
@admin_required
def new() -> Response | str:
    """Add a product; the form re-shows with every error on bad input."""
    if request.method == "POST":
        product = or_reshow(
            lambda: catalog.create_product(db.session, request.form, current_user.id),
            _reshow_form(None),
        )
        flash(_("Added %(name)s (%(code)s).", name=product.name, code=product.code), "success")
        if request.form.get("another"):
            return redirect(url_for("products.new"))
        return redirect(url_for("products.detail", product_id=product.id))
    return render_template(
        "products/form.html",
        product=None,
        values={"tax_rate": "0", "unit": "pcs"},
        error=None,
        fields={},
        categories=catalog.category_names(db.session),
        tax_presets=catalog.TAX_PRESETS,
        **_scale_context(),
    )


@bp.route("/<int:product_id>/edit", methods=["GET", "POST"])
@admin_required
def edit(product_id: int) -> Response | str:
    """Edit a product (stock changes go through movements, not this form)."""
    product = catalog.get_product(db.session, product_id)
    if request.method == "POST":
        data = {k: v for k, v in request.form.items() if k not in ("opening_stock", "csrf_token")}
        data.setdefault("perishable", "")  # an unticked switch sends nothing: it means "no"
        or_reshow(
            lambda: catalog.update_product(db.session, product_id, data, current_user.id),
            _reshow_form(product),
        )
        flash(_("Saved."), "success")
        return redirect(url_for("products.detail", product_id=product_id))
    return render_template(
        "products/form.html",
        product=product,
        values=product_form_values(product),
        error=None,
        fields={},
        categories=catalog.category_names(db.session),
        tax_presets=catalog.TAX_PRESETS,
        **_scale_context(),
    )


@bp.post("/<int:product_id>/archive")
@admin_required
def archive(product_id: int) -> Response:
    """Archive a product: hidden from the till, history kept."""
    product = catalog.archive_product(db.session, product_id, current_user.id)
    flash(_("Archived %(name)s.", name=product.name), "info")
    return redirect(url_for("products.index"))


@bp.post("/<int:product_id>/restore")
@admin_required
def restore(product_id: int) -> Response:
    """Bring an archived product back (its name must still be free)."""
    product = or_reshow(
        lambda: catalog.update_product(
            db.session, product_id, {"archived": False}, current_user.id
        ),
        flash_and_redirect(url_for("products.detail", product_id=product_id)),
    )
    flash(_("Restored %(name)s.", name=product.name), "success")
    return redirect(url_for("products.detail", product_id=product_id))


@bp.get("/<int:product_id>")
@admin_required
def detail(product_id: int) -> str:
    """Show a product: QR and barcode, expiry warning, sales of 30 days, stock movements."""
    product = catalog.get_product(db.session, product_id)
    movements = db.session.scalars(
        select(StockMovement)
        .where(StockMovement.product_id == product_id)
        .order_by(StockMovement.id.desc())
        .limit(100)
    ).all()
    expiring = inventory.expiring_batches(
        db.session, within_days=shop_settings().expiry_warning_days, product_ids=[product_id]
    )
    return render_template(
        "products/detail.html",
        product=product,
        movements=movements,
        sales=inventory.recent_sales(db.session, product_id),
        expiring=expiring,
        sample_label=_sample_label(product),
        available_milli=orders.available_milli(product),
    )


@bp.get("/<int:product_id>/barcode.svg")
@admin_required
def barcode(product_id: int) -> Response:
    """Serve the product's barcode (EAN-13 or Code 128) as SVG."""
    product = catalog.get_product(db.session, product_id)
    response = Response(barcode_svg(product.code), mimetype="image/svg+xml")
    response.headers["Cache-Control"] = "private, max-age=3600"
    return response


@bp.get("/<int:product_id>/scale-label.svg")
@admin_required
def scale_label(product_id: int) -> Response:
    """A sample scale label of a weighed product as an EAN-13 image (404 without a PLU)."""
    code = _sample_label(catalog.get_product(db.session, product_id))
    if code is None:
        abort(404)
    response = Response(barcode_svg(code), mimetype="image/svg+xml")
    response.headers["Cache-Control"] = "no-store"  # follows the scale settings
    return response


@bp.get("/<int:product_id>/qr.png")
@login_required
def qr(product_id: int) -> Response:
    """Serve the product's QR code (payload: its code)."""
    product = catalog.get_product(db.session, product_id)
    response = Response(qr_png(product.code), mimetype="image/png")
    response.headers["Cache-Control"] = "private, max-age=3600"
    return response


def _pdf_response(pdf: bytes, filename: str) -> Response:
    response = Response(pdf, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


def _label_rows_from_form() -> list[dict[str, str]]:
    codes = request.form.getlist("code")
    counts = request.form.getlist("count")
    return [
        {"code": codes[i] if i < len(codes) else "", "count": counts[i] if i < len(counts) else ""}
        for i in range(max(len(codes), len(counts)))
    ]


def _label_page(
    rows: list[dict[str, str]], values: dict[str, str], error: str | None, fields: dict[str, str]
) -> str:
    names = labels.names_by_code(db.session, [row["code"] for row in rows])
    shown = rows + [{"code": "", "count": ""}] * LABEL_BLANK_ROWS
    return render_template(
        "products/labels.html",
        rows=shown,
        names=names,
        values=values,
        error=error,
        fields=fields,
        formats=labels.SHEET_FORMATS,
    )


@bp.route("/labels", methods=["GET", "POST"])
@admin_required
def label_sheet() -> Response | str:
    """Choose products, counts, sheet and start position; answer the labels as a PDF."""
    if request.method == "POST":
        rows = _label_rows_from_form()
        sheet = request.form.get("sheet", "")
        skip = request.form.get("skip", "")
        values = {"sheet": sheet, "skip": skip}
        wanted = or_reshow(
            lambda: labels.parse_label_request(db.session, rows, sheet, skip),
            lambda exc: (_label_page(rows, values, exc.message, field_errors(exc)), exc.status),
        )
        return _pdf_response(render_labels_pdf(wanted, shop_settings()), "labels.pdf")
    ids = [n for n in map(id_value, request.args.getlist("ids")) if n is not None]
    ids = ids[: labels.MAX_ROWS]
    rows = [{"code": p.code, "count": "1"} for p in labels.active_products(db.session, ids)]
    values = {"sheet": shop_settings().label_sheet, "skip": "0"}
    return _label_page(rows, values, None, {})


@bp.get("/<int:product_id>/label.pdf")
@admin_required
def label(product_id: int) -> Response:
    """One 50 x 30 mm label of the product, for a thermal label printer."""
    wanted = labels.single_label(db.session, product_id)
    code = wanted.items[0][0].code
    return _pdf_response(render_labels_pdf(wanted, shop_settings()), f"label-{code}.pdf")


def _rerate_page(
    values: Mapping[str, str],
    *,
    preview: rerate.Preview | None = None,
    error: DomainError | None = None,
) -> str:
    """The "Change tax rates" page: the choice, and the preview with its confirm button."""
    return render_template(
        "products/rerate.html",
        values=values,
        preview=preview,
        shown=RERATE_SHOWN,
        error=error.message if error else None,
        fields=field_errors(error) if error else {},
        categories=catalog.category_names(db.session),
        in_use=rerate.rates_in_use(db.session),
        rate_text=catalog.rate_text,
        tax_presets=catalog.TAX_PRESETS,
        **_scale_context(),
    )


def _rerate_values(request_: rerate.RerateRequest) -> dict[str, str]:
    """What the form shows (and the confirm form carries) for a parsed request."""
    current = request_.selection.rate_bp
    return {
        "category": request_.selection.category,
        "current_rate": "" if current is None else catalog.rate_text(current),
        "new_rate": catalog.rate_text(request_.new_rate_bp),
    }


def _rerate_reshow(exc: DomainError) -> tuple[str, int]:
    return _rerate_page(request.form, error=exc), exc.status


@bp.route("/rerate", methods=["GET", "POST"])
@admin_required
def rerate_products() -> str:
    """Change the tax rate of many products: choose by category and/or rate, then preview."""
    if request.method == "GET":
        return _rerate_page({"current_rate": request.args.get("rate", "")[:8]})
    wanted = or_reshow(lambda: rerate.parse_rerate(request.form), _rerate_reshow)
    preview = or_reshow(
        lambda: rerate.preview(db.session, wanted.selection, wanted.new_rate_bp), _rerate_reshow
    )
    return _rerate_page(_rerate_values(wanted), preview=preview)


@bp.post("/rerate/apply")
@admin_required
def rerate_apply() -> Response:
    """Apply a previewed re-rate; a stale preview re-shows the fresh one with the reason."""
    wanted = or_reshow(lambda: rerate.parse_rerate(request.form), _rerate_reshow)

    def stale(exc: DomainError) -> tuple[str, int]:
        if not isinstance(exc, rerate.StalePreview):
            return _rerate_reshow(exc)
        fresh = rerate.preview(db.session, wanted.selection, wanted.new_rate_bp)
        return _rerate_page(_rerate_values(wanted), preview=fresh, error=exc), exc.status

    applied = or_reshow(
        lambda: rerate.apply(
            db.session,
            wanted.selection,
            wanted.new_rate_bp,
            request.form.get("token"),
            current_user.id,
        ),
        stale,
    )
    # The count after a label, not "product(s)": it reads right for any number in any language.
    flash(
        _(
            "Changed the tax rate to %(rate)s %%. Products changed: %(count)s.",
            rate=catalog.rate_text(applied.new_rate_bp),
            count=applied.count,
        ),
        "success",
    )
    return redirect(url_for("products.index", category=wanted.selection.category or None))
