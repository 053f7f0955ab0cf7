"""The users page for admins: add users, change roles, deactivate, reset passwords, timeout."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from posapp.errors import DomainError
from posapp.extensions import db
from posapp.i18n import _
from posapp.services import two_step, users
from posapp.vocabulary import is_yes
from posapp.web import admin_required
from posapp.web.forms import field_errors, or_reshow

bp = Blueprint("users", __name__, url_prefix="/users")


def _page(
    status: int = 200,
    *,
    error: str | None = None,
    values: dict[str, str] | None = None,
    fields: dict[str, str] | None = None,
) -> tuple[str, int]:
    return render_template(
        "users/index.html",
        rows=users.list_users(db.session),
        timeout=users.session_timeout_minutes(db.session),
        token_days=users.api_token_days(db.session),
        two_step_required=two_step.required_for_admins(db.session),
        error=error,
        values=values or {},
        fields=fields or {},
    ), status


def _error_page(exc: DomainError) -> tuple[str, int]:
    """Re-show the users page with the error of one of its small forms."""
    return _page(exc.status, error=exc.message)


def _done(message: str) -> Response:
    flash(message, "success")
    return redirect(url_for("users.index"))


@bp.get("/")
@admin_required
def index() -> tuple[str, int]:
    """List users with their role, state and last login."""
    return _page()


@bp.post("/")
@admin_required
def create() -> Response:
    """Add a user with a role."""
    form = request.form
    values = {"username": form.get("username", ""), "role": form.get("role", "")}
    user = or_reshow(
        lambda: users.create_user(
            db.session,
            form.get("username", ""),
            form.get("password", ""),
            form.get("role", ""),
            confirm=form.get("confirm", ""),
            by_user_id=current_user.id,
        ),
        lambda exc: _page(exc.status, error=exc.message, values=values, fields=field_errors(exc)),
    )
    return _done(_("User %(name)s added.", name=user.username))


@bp.post("/<int:user_id>/role")
@admin_required
def change_role(user_id: int) -> Response:
    """Make a user an admin or a cashier."""
    user = or_reshow(
        lambda: users.set_role(db.session, user_id, request.form.get("role", ""), current_user.id),
        _error_page,
    )
    role = _("an admin") if user.role == "admin" else _("a cashier")
    return _done(_("%(name)s is now %(role)s.", name=user.username, role=role))


@bp.post("/<int:user_id>/active")
@admin_required
def set_active(user_id: int) -> Response:
    """Deactivate (and revoke API tokens) or reactivate a user."""
    active = request.form.get("active") == "1"
    user = or_reshow(
        lambda: users.set_active(db.session, user_id, active, current_user.id), _error_page
    )
    if active:
        return _done(_("%(name)s reactivated.", name=user.username))
    return _done(_("%(name)s deactivated; their API tokens are revoked.", name=user.username))


@bp.post("/<int:user_id>/password")
@admin_required
def reset_password(user_id: int) -> Response:
    """Set a temporary password the user must change at next login."""
    form = request.form
    user = or_reshow(
        lambda: users.reset_password(
            db.session, user_id, form.get("password", ""), form.get("confirm", ""), current_user.id
        ),
        _error_page,
    )
    return _done(
        _(
            "Password of %(name)s reset; they must choose a new one at next login.",
            name=user.username,
        )
    )


@bp.post("/<int:user_id>/pin/clear")
@admin_required
def clear_pin(user_id: int) -> Response:
    """Clear a user's till PIN (one who forgot it sets a new one on their account page)."""
    user = or_reshow(lambda: users.clear_pin(db.session, user_id, current_user.id), _error_page)
    return _done(_("Till PIN of %(name)s cleared.", name=user.username))


@bp.post("/timeout")
@admin_required
def timeout() -> Response | tuple[str, int]:
    """Set the idle minutes after which a session ends."""
    raw = request.form.get("timeout", "").strip()
    if not raw.isdecimal():
        return _page(422, error=_("Type the timeout in whole minutes (0 = never)."))
    or_reshow(lambda: users.set_session_timeout(db.session, int(raw), current_user.id), _error_page)
    return _done(_("Session timeout saved."))


@bp.post("/token-days")
@admin_required
def token_days() -> Response | tuple[str, int]:
    """Set the days a token from an API login lives after its last use."""
    raw = request.form.get("token_days", "").strip()
    if not raw.isdecimal() or len(raw) > 4:
        return _page(422, error=_("Type the days as a whole number from 1 to 365."))
    or_reshow(lambda: users.set_api_token_days(db.session, int(raw), current_user.id), _error_page)
    return _done(_("API login token lifetime saved."))


@bp.post("/two-step")
@admin_required
def two_step_required() -> Response:
    """Require (or stop requiring) two-step login for every admin."""
    required = is_yes(request.form.get("required"))
    two_step.set_required_for_admins(db.session, required, current_user.id)
    if required:
        return _done(_("Every admin must now use two-step login."))
    return _done(_("Two-step login is now optional for admins."))
