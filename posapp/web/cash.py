"""Cash sessions at the till: open, pay in/out, close with a blind count, the Z-report."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from posapp.documents.z_report_pdf import render_z_report_pdf
from posapp.errors import Conflict, DomainError
from posapp.extensions import db
from posapp.i18n import _
from posapp.services import cash_sessions, drawer
from posapp.vocabulary import is_yes
from posapp.web import admin_required, shop_settings
from posapp.web.forms import Reshow, or_reshow

bp = Blueprint("cash", __name__, url_prefix="/cash")


def _render(status: int = 200, form: str = "", error: DomainError | None = None) -> tuple[str, int]:
    """Render the cash page; the form that failed re-shows what was typed and why."""
    db.session.expire_all()  # a failed write may have left stale objects behind
    current = cash_sessions.current_session(db.session, current_user)
    return render_template(
        "cash/index.html",
        current=current,
        sessions=cash_sessions.list_sessions(db.session) if current_user.is_admin else [],
        required=shop_settings().cash_session_required,
        denominations=cash_sessions.DENOMINATIONS,
        form=form,
        values=request.form if form else {},
        error=error.message if error else None,
        fields=getattr(error, "fields", {}) if error else {},
    ), status


def _reshow(form: str) -> Reshow:
    """Re-show the cash page with this form's input and error."""
    return lambda exc: _render(exc.status, form, exc)


@bp.get("/")
@login_required
def index() -> tuple[str, int]:
    """Show the user's drawer session (or the open form); admins also see every session."""
    return _render()


@bp.post("/open")
@login_required
def open_session() -> Any:
    """Open the user's session with the opening float."""
    or_reshow(
        lambda: cash_sessions.open_session(db.session, request.form, current_user),
        _reshow("open"),
    )
    return redirect(url_for("cash.index"))


@bp.post("/<int:session_id>/movement")
@login_required
def movement(session_id: int) -> Any:
    """Record a pay-in or pay-out with its reason."""
    or_reshow(
        lambda: cash_sessions.add_movement(db.session, session_id, request.form, current_user),
        _reshow("movement"),
    )
    return redirect(url_for("cash.index"))


@bp.post("/<int:session_id>/close")
@login_required
def close(session_id: int) -> Any:
    """Close with the blind count, then show the Z-report with expected and over/short."""
    or_reshow(
        lambda: cash_sessions.close_session(db.session, session_id, request.form, current_user),
        _reshow("close"),
    )
    return redirect(url_for("cash.z_report", session_id=session_id))


@bp.post("/drawer")
@login_required
def open_drawer() -> Any:
    """Open the cash drawer without a sale (reason required, audit-logged)."""
    or_reshow(
        lambda: drawer.open_drawer_no_sale(db.session, shop_settings(), request.form, current_user),
        _reshow("drawer"),
    )
    flash(_("The cash drawer opened; that is written to the audit log."), "success")
    return redirect(url_for("cash.index"))


@bp.post("/required")
@admin_required
def required() -> Response:
    """Set whether cash sales and cash refunds need an open session (admins)."""
    on = is_yes(request.form.get("required"))
    cash_sessions.set_required(db.session, on, current_user)
    flash(
        _("Cash sales now need an open session.")
        if on
        else _("Cash sales no longer need a session."),
        "success",
    )
    return redirect(url_for("cash.index"))


def _closed_report(session_id: int) -> cash_sessions.ZReport:
    cash = cash_sessions.load_session(db.session, session_id, current_user)
    if cash.is_open:
        # The count is blind: the expected cash shows only once the drawer is counted.
        raise Conflict(_("The Z-report is ready once the session is closed."), code="session_open")
    return cash_sessions.z_report(db.session, cash)


@bp.get("/<int:session_id>/z")
@login_required
def z_report(session_id: int) -> str:
    """Show the 80 mm Z-report of a closed session, ready to print."""
    return render_template("cash/z_report.html", report=_closed_report(session_id))


@bp.get("/<int:session_id>/z.pdf")
@login_required
def z_report_pdf(session_id: int) -> Response:
    """Return the Z-report as a PDF."""
    report = _closed_report(session_id)
    return Response(
        render_z_report_pdf(report, shop_settings()),
        mimetype="application/pdf",
        headers={"Content-Disposition": f'inline; filename="Z-{report.cash.id:06d}.pdf"'},
    )
