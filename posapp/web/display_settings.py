"""The admin's Customer displays page: every paired screen, and revoking one."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from posapp.extensions import db
from posapp.i18n import _
from posapp.services import displays
from posapp.web import admin_required

bp = Blueprint("display_settings", __name__, url_prefix="/settings/displays")


@bp.get("/")
@admin_required
def index() -> str:
    """List the paired displays: name, the till they mirror, paired, last seen, revoked."""
    return render_template("settings/displays.html", devices=displays.list_devices(db.session))


@bp.post("/<int:device_id>/revoke")
@admin_required
def revoke(device_id: int) -> Response:
    """Revoke a display: its next request shows the pairing form again (audited)."""
    device = displays.revoke(db.session, device_id, current_user.id)
    flash(
        _("“%(name)s” is revoked: it shows the pairing form from now on.", name=device.name),
        "success",
    )
    return redirect(url_for("display_settings.index"), code=303)
