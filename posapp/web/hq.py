"""HQ mode's pages for the owner: the shops, their sync state, and adding a shop.

Registered only in HQ mode. A new shop's enrolment code is shown once, on the answer to the
form that made it (never on a page that can be reloaded from history): HQ keeps only its hash.
"""

from __future__ import annotations

from flask import Blueprint, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from posapp.extensions import db
from posapp.services import hq
from posapp.services.upi import qr_svg
from posapp.web import admin_required
from posapp.web.forms import field_errors, flash_and_redirect, or_reshow

bp = Blueprint("hq_shops", __name__, url_prefix="/hq/shops")


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
