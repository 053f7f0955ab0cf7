"""The admin's Local network page: the address other tills open, its QR code, the sharing switch."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from posapp.documents.qr import qr_png
from posapp.extensions import db
from posapp.services import network
from posapp.web import admin_required, shop_settings
from posapp.web.forms import field_errors, or_reshow

bp = Blueprint("network", __name__, url_prefix="/network")


def _urls() -> tuple[str | None, str | None]:
    """Return (the URL this server shares now, the URL sharing would use after a restart)."""
    live = current_app.config.get("LAN_URL")
    settings = shop_settings()
    address = network.lan_address("0.0.0.0")  # noqa: S104 (asks which address, binds nothing)
    planned = network.share_url(address, settings.lan_port) if address else None
    return live, planned


def _page(
    status: int = 200,
    *,
    error: str | None = None,
    fields: dict | None = None,
    values: dict[str, str] | None = None,
) -> tuple[str, int]:
    settings = shop_settings()
    live, planned = _urls()
    if values is None:
        values = {
            "lan_sharing": "1" if settings.lan_sharing else "",
            "lan_port": str(settings.lan_port),
        }
    return render_template(
        "network/index.html",
        live=live,
        planned=planned,
        sharing=settings.lan_sharing,
        server_database=not current_app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"),
        values=values,
        error=error,
        fields=fields or {},
    ), status


@bp.get("/")
@admin_required
def index() -> tuple[str, int]:
    """Show where the other tills reach this TillBook, with a QR code for tablets and phones."""
    return _page()


@bp.post("/")
@admin_required
def save() -> Response:
    """Turn sharing on the local network on or off (takes effect at the next start)."""
    changed = or_reshow(
        lambda: network.update_sharing(db.session, request.form, current_user.id),
        lambda exc: _page(
            exc.status,
            error=exc.message,
            fields=field_errors(exc),
            values=request.form.to_dict(),
        ),
    )
    flash(
        "Saved. It takes effect the next time TillBook starts." if changed else "Nothing changed.",
        "success",
    )
    return redirect(url_for("network.index"))


@bp.get("/qr.png")
@admin_required
def qr() -> Response:
    """The QR code of the shared URL (now, or after a restart when sharing is switched on)."""
    live, planned = _urls()
    url = live or (planned if shop_settings().lan_sharing else None)
    if url is None:
        abort(404)
    response = Response(qr_png(url, box_size=6), mimetype="image/png")
    response.headers["Cache-Control"] = "no-store"  # the address changes with the network
    return response
