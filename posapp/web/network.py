"""The admin's Local network page (the addresses other tills open, their QR codes, the sharing
switch and ports) and the open "Trust this till" page with the shop's CA certificate."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from posapp.documents.qr import qr_png
from posapp.extensions import db
from posapp.i18n import _
from posapp.services import network, tls
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


def _https_urls() -> tuple[str | None, str | None]:
    """Return (the HTTPS URL served now, the one sharing would serve after a restart)."""
    live = current_app.config.get("LAN_HTTPS_URL")
    settings = shop_settings()
    address = network.lan_address("0.0.0.0")  # noqa: S104 (asks which address, binds nothing)
    planned = network.share_url(address, settings.lan_https_port, "https") if address else None
    return live, planned


def _ca() -> tls.CaInfo | None:
    return tls.ca_info(Path(current_app.config["DATA_DIR"]))


def _page(
    status: int = 200,
    *,
    error: str | None = None,
    fields: dict | None = None,
    values: dict[str, str] | None = None,
) -> tuple[str, int]:
    settings = shop_settings()
    live, planned = _urls()
    https_live, https_planned = _https_urls()
    ca = _ca()
    if values is None:
        values = {
            "lan_sharing": "1" if settings.lan_sharing else "",
            "lan_port": str(settings.lan_port),
            "lan_https_port": str(settings.lan_https_port),
        }
    return render_template(
        "network/index.html",
        live=live,
        planned=planned,
        https_live=https_live,
        https_planned=https_planned,
        ca=ca,
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
        _("Saved. It takes effect the next time TillBook starts.")
        if changed
        else _("Nothing changed."),
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


@bp.get("/https-qr.png")
@admin_required
def https_qr() -> Response:
    """The QR code of the HTTPS address (now, or after a restart when sharing is on)."""
    live, planned = _https_urls()
    url = live or (planned if shop_settings().lan_sharing else None)
    if url is None:
        abort(404)
    response = Response(qr_png(url, box_size=6), mimetype="image/png")
    response.headers["Cache-Control"] = "no-store"
    return response


# Open to everyone, like the login page: a tablet installs the certificate before anyone signs
# in on it. A CA certificate is public (every HTTPS answer sends it); its key never leaves.
@bp.get("/trust")
def trust() -> str:
    """How to make a tablet, phone or laptop trust this till's HTTPS (per device)."""
    return render_template(
        "network/trust.html", ca=_ca(), https_url=current_app.config.get("LAN_HTTPS_URL")
    )


def _certificate(data: bytes, mimetype: str, name: str) -> Response:
    response = Response(data, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Cache-Control"] = "no-store"  # a CA made anew must not be served stale
    return response


@bp.get("/tillbook-ca.crt")
def ca_der() -> Response:
    """The shop's CA certificate as DER: Android and Windows install this one."""
    ca = _ca()
    if ca is None:
        abort(404)
    return _certificate(ca.der, "application/x-x509-ca-cert", "tillbook-ca.crt")


@bp.get("/tillbook-ca.pem")
def ca_pem() -> Response:
    """The shop's CA certificate as PEM: iPhone/iPad, Firefox and Linux take this one."""
    ca = _ca()
    if ca is None:
        abort(404)
    return _certificate(ca.pem, "application/x-pem-file", "tillbook-ca.pem")
