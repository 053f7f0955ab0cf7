"""Admin -> HQ at the shop: enrol this shop at its owner's HQ, see the sync, sync now."""

from __future__ import annotations

from datetime import datetime

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from posapp import start_hq_push
from posapp.extensions import db
from posapp.i18n import _
from posapp.services import hq_apply, hq_client
from posapp.web import admin_required
from posapp.web.forms import field_errors, or_reshow

bp = Blueprint("hq_link", __name__, url_prefix="/hq-link")


def _page(
    status: int = 200,
    *,
    error: str | None = None,
    fields: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
) -> tuple[str, int]:
    state = hq_client.status(db.session)
    last_sync = state.link.last_sync
    return render_template(
        "hq_link/index.html",
        state=state,
        pull=hq_apply.state(db.session),
        last_sync=datetime.fromisoformat(last_sync) if last_sync else None,
        values=values or {},
        fields=fields or {},
        error=error,
    ), status


@bp.get("/")
@admin_required
def index() -> tuple[str, int]:
    """The shop's link to HQ: the enrolment form, or the sync's state."""
    return _page()


@bp.post("/enrol")
@admin_required
def enrol() -> Response:
    """Enrol with HQ's address and the one-time code (or the QR's text)."""
    done = or_reshow(
        lambda: hq_client.enrol(
            db.session,
            request.form.get("url", ""),
            request.form.get("code", ""),
            current_user.id,
            current_app.config["VERSION"],
        ),
        lambda exc: _page(
            exc.status if exc.status < 500 else 422,
            error=exc.message,
            fields=field_errors(exc),
            values={"url": request.form.get("url", "")},  # the code is not shown back
        ),
    )
    pusher = current_app.extensions.get("hq_pusher")
    if pusher is not None:
        pusher.wake()
    elif not current_app.config["TESTING"] and current_app.config.get("HQ_PUSH_THREAD", True):
        start_hq_push(current_app._get_current_object())  # type: ignore[attr-defined]
    flash(
        _("This shop is enrolled at %(name)s. Its records are being sent.", name=done.hq_name)
        if done.hq_name
        else _("This shop is enrolled at HQ. Its records are being sent."),
        "success",
    )
    return redirect(url_for("hq_link.index"))


@bp.post("/sync")
@admin_required
def sync_now() -> Response:
    """Push everything waiting now (the page says how it went)."""
    if not hq_client.status(db.session).link.enrolled:
        flash(_("This shop is not enrolled at an HQ."), "warning")
        return redirect(url_for("hq_link.index"))
    try:
        result = hq_client.push(db.session)
    except hq_client.HqRefused:
        flash(str(hq_client.CREDENTIAL_REFUSED), "danger")
    except hq_client.HqUnavailable as exc:
        flash(_("Not synced: %(reason)s", reason=exc.message), "warning")
    else:
        pusher = current_app.extensions.get("hq_pusher")
        if pusher is not None:
            pusher.wake()  # a 401 had stopped it; the credential works again
        flash(_("Synced: HQ holds everything up to number %(seq)s.", seq=result.acked), "success")
    return redirect(url_for("hq_link.index"))
