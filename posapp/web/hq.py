"""HQ mode's pages for the owner: the shops, their sync state, and adding a shop; what HQ
sends down — the catalog to shops, a shop's settings, transfers between shops.

Registered only in HQ mode. A new shop's enrolment code is shown once, on the answer to the
form that made it (never on a page that can be reloaded from history): HQ keeps only its hash.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response

from posapp.errors import ValidationError
from posapp.extensions import db
from posapp.i18n import _, ngettext
from posapp.models import HqShop
from posapp.money import money_str, qty_str
from posapp.services import hq, hq_down
from posapp.services.settings import ShopSettings
from posapp.services.upi import qr_svg
from posapp.web import admin_required
from posapp.web.forms import field_errors, flash_and_redirect, or_reshow

bp = Blueprint("hq_shops", __name__, url_prefix="/hq/shops")
catalog_bp = Blueprint("hq_catalog", __name__, url_prefix="/hq/catalog")
transfers_bp = Blueprint("hq_transfers", __name__, url_prefix="/hq/transfers")


@bp.get("/")
@admin_required
def index() -> str:
    """List every shop with its last contact, lag, changesets acked and records held."""
    rows = hq.shops_overview(db.session)
    return render_template(
        "hq/shops.html",
        rows=rows,
        lag_text=hq.lag_text,
        skew_text=hq.skew_text,
        silent=sum(1 for row in rows if row.silent),
    )


@bp.get("/new")
@admin_required
def new() -> str:
    """The form to add a shop."""
    return render_template("hq/new.html", values={}, fields={}, error=None)


def _code_page(made: hq.NewCode, *, renewed: bool) -> Response:
    text = hq.qr_text(request.url_root, made.code)
    page = render_template(
        "hq/code.html",
        shop=made.shop,
        code=made.code,
        qr_text=text,
        qr=qr_svg(text),
        renewed=renewed,
        days=hq.CODE_DAYS,
    )
    response = Response(page, mimetype="text/html")
    # The code is shown once: no cache may keep the page that holds it.
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/")
@admin_required
def create() -> Response:
    """Add a shop and show its one-time enrolment code and QR."""
    made = or_reshow(
        lambda: hq.create_shop(db.session, request.form.get("name"), current_user.id),
        lambda exc: (
            render_template(
                "hq/new.html",
                values=request.form.to_dict(),
                fields=field_errors(exc),
                error=exc.message,
            ),
            exc.status,
        ),
    )
    return _code_page(made, renewed=False)


@bp.post("/<shop_id>/code")
@admin_required
def renew(shop_id: str) -> Response:
    """Give a shop that has not enrolled yet a new code (an expired or lost one)."""
    made = or_reshow(
        lambda: hq.renew_code(db.session, shop_id, current_user.id),
        flash_and_redirect(url_for("hq_shops.index")),
        reraise=(404,),
    )
    return _code_page(made, renewed=True)


# ---------------------------------------------------------------- a shop's settings


def _shop_or_404(shop_id: str) -> HqShop:
    shop = db.session.get(HqShop, shop_id[:36])
    if shop is None:
        abort(404)
    return shop


def _settings_values(sent: dict[str, Any]) -> dict[str, Any]:
    """The form's values: what HQ last sent this shop, else a new shop's defaults."""
    base = ShopSettings()
    typed = {key: sent.get(key, getattr(base, key)) for key in hq_down.SETTINGS_KEYS}
    values: dict[str, Any] = {
        "receipt_footer": typed["receipt_footer"],
        "round_off": typed["round_off"],
        "stock_policy": typed["stock_policy"],
        "low_stock_default": qty_str(int(typed["low_stock_default_milli"]), "pcs"),
        "new_customer_credit_limit": money_str(int(typed["new_customer_credit_limit"])),
        "new_customer_no_credit_limit": typed["new_customer_no_credit_limit"],
    }
    for key in ("discount_audit_percent", "cashier_max_line_discount_percent"):
        values[key] = str(typed[key])
    values["cashier_max_bill_discount_percent"] = str(typed["cashier_max_bill_discount_percent"])
    return values


def _settings_page(
    shop: HqShop,
    values: Any,
    *,
    sent: bool,
    fields: dict[str, str] | None = None,
    error: str | None = None,
) -> str:
    return render_template(
        "hq/shop_settings.html",
        shop=shop,
        values=values,
        sent=sent,
        fields=fields or {},
        error=error,
    )


@bp.get("/<shop_id>/settings")
@admin_required
def settings(shop_id: str) -> str:
    """The owner-managed settings HQ sends this shop (what it last sent, or the defaults)."""
    shop = _shop_or_404(shop_id)
    last = hq_down.last_settings(db.session, shop.id)
    return _settings_page(shop, _settings_values(last), sent=bool(last))


@bp.post("/<shop_id>/settings")
@admin_required
def send_settings(shop_id: str) -> Response:
    """Send the shop these settings; it applies them when it next syncs (HQ wins)."""
    shop = _shop_or_404(shop_id)
    or_reshow(
        lambda: hq_down.send_settings(db.session, shop.id, request.form, current_user.id),
        lambda exc: (
            _settings_page(
                shop,
                request.form,
                sent=False,
                fields=field_errors(exc),
                error=exc.message,
            ),
            exc.status,
        ),
    )
    flash(
        _("Settings sent to %(name)s: it applies them when it next syncs.", name=shop.name),
        "success",
    )
    return redirect(url_for("hq_shops.settings", shop_id=shop.id))


# ---------------------------------------------------------------- the catalog to shops


def _shops() -> list[HqShop]:
    return list(db.session.scalars(select(HqShop).order_by(HqShop.name, HqShop.created_at)))


@catalog_bp.get("/", endpoint="index")
@admin_required
def catalog() -> tuple[str, int]:
    """The products changed since the chosen target last received them, and "Send"."""
    status = 200
    error = None
    target: str | None = None
    try:
        target = hq_down.target_shop(db.session, request.args.get("target", ""))
    except ValidationError as exc:
        error, status = exc.message, 422
    changes = hq_down.catalog_changes(db.session, target)
    return render_template(
        "hq/catalog.html",
        shops=_shops(),
        target=target or "",
        changes=changes,
        error=error,
    ), status


@catalog_bp.post("/send")
@admin_required
def send() -> Response:
    """Send the changed products to the chosen target (every shop or one)."""
    whole = request.form.get("whole") == "1"
    back = url_for("hq_catalog.index", target=request.form.get("target", "")[:36])
    sent = or_reshow(
        lambda: hq_down.send_catalog(
            db.session,
            hq_down.target_shop(db.session, request.form.get("target", "")),
            current_user.id,
            whole=whole,
        ),
        flash_and_redirect(back),
    )
    if sent:
        flash(
            ngettext(
                "%(num)s product sent: each shop applies it when it next syncs.",
                "%(num)s products sent: each shop applies them when it next syncs.",
                sent,
            ),
            "success",
        )
    else:
        flash(_("Nothing to send: the shops have the catalog as it is."), "info")
    return redirect(back)


# ---------------------------------------------------------------- transfers


def _transfers_page(
    status: int = 200,
    *,
    values: Any = None,
    fields: dict[str, str] | None = None,
    error: str | None = None,
) -> tuple[str, int]:
    return render_template(
        "hq/transfers.html",
        shops=_shops(),
        rows=hq_down.transfers(db.session),
        values=values or {},
        fields=fields or {},
        error=error,
    ), status


@transfers_bp.get("/")
@admin_required
def transfers() -> tuple[str, int]:
    """Transfers between shops, each side applied or waiting, and the form for a new one."""
    return _transfers_page()


@transfers_bp.post("/")
@admin_required
def create_transfer() -> Response:
    """Make a transfer: each shop applies its side (out, in) when it next syncs."""
    made = or_reshow(
        lambda: hq_down.create_transfer(db.session, request.form, current_user.id),
        lambda exc: _transfers_page(
            exc.status, values=request.form, fields=field_errors(exc), error=exc.message
        ),
    )
    flash(
        _("Transfer %(number)s made: each shop applies it when it next syncs.", number=made.number),
        "success",
    )
    return redirect(url_for("hq_transfers.transfers"))
