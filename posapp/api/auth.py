"""API authentication and health: login for a bearer token, who am I, refresh, logout."""

from __future__ import annotations

from typing import Any

from flask import Response, current_app, request
from sqlalchemy.exc import SQLAlchemyError

from posapp.api import schemas as s
from posapp.api import v1_schemas as v1
from posapp.api.base import bp, caller, caller_token_id, json_body, requires
from posapp.api.errors import api_error_response
from posapp.api.serializers import iso, user_json
from posapp.apidoc import NO_CONTENT, documented
from posapp.errors import AuthError, Conflict, Forbidden, ValidationError
from posapp.extensions import db
from posapp.i18n import _
from posapp.maintenance.database import head_revision
from posapp.models import ApiToken, User
from posapp.services import schema, two_step
from posapp.services.settings import load_settings
from posapp.services.users import (
    authenticate,
    bump_session_version,
    end_token,
    issue_token,
    record_failed_step,
    refresh_token,
)

HEAD_KEY = "tillbook_head_revision"


@bp.get("/health")
@documented({200: s.Health})
def health() -> tuple[dict[str, Any], int] | tuple[Response, int]:
    """Report that the app answers and its database has this version's schema."""
    # Not just SELECT 1: a database at another revision, or without a table the app reads,
    # answers that and still fails every page. A 503 carries the problem in the envelope.
    try:
        with db.engine.connect() as connection:
            problems = schema.health_problems(connection, _head_revision())
    except SQLAlchemyError as exc:  # no connection at all (a server down, a file gone)
        current_app.logger.warning("health check: database failed: %s", exc)
        problems = ["the database does not answer"]
    if problems:
        current_app.logger.warning("health check: %s", problems[0])
        details = {"status": "degraded", "version": current_app.config["VERSION"], "db": "error"}
        return api_error_response(
            "unhealthy", f"The database is not usable: {problems[0]}.", 503, details
        )
    return {"status": "ok", "version": current_app.config["VERSION"], "db": "ok"}, 200


def _head_revision() -> str | None:
    """This version's head revision, read from the migration scripts once per app."""
    found = current_app.extensions.get(HEAD_KEY)
    if found is None:
        found = current_app.extensions.setdefault(
            HEAD_KEY,
            (head_revision(current_app._get_current_object()),),  # type: ignore[attr-defined]
        )
    head: str | None = found[0]
    return head


@bp.post("/auth/login")
@documented(
    {200: s.LoginResponse},
    body=s.LoginRequest,
    errors=(429,),
    description="The token expires after the shop's days without use (30 unless an admin"
    " changed it on the Users page; each use moves the end on); `POST /api/v1/auth/logout`"
    " ends it, `POST /api/v1/auth/refresh` swaps it for a new one. Repeated wrong passwords"
    " from one address answer 429 for a growing while"
    " (`details.retry_after` seconds).",
)
def login() -> dict[str, Any]:
    """Exchange a username and password for a bearer token."""
    data = json_body()
    username, password = data.get("username"), data.get("password")
    fields = {}
    if not isinstance(username, str) or not username.strip():
        fields["username"] = _("Required.")
    if not isinstance(password, str) or not password:
        fields["password"] = _("Required.")
    if fields or not isinstance(username, str) or not isinstance(password, str):
        raise ValidationError(_("Username and password are required."), fields=fields)
    address = request.remote_addr or "?"
    user = authenticate(db.session, username, password, address)
    if user.totp_enabled:
        code = data.get("code")
        if not isinstance(code, str) or not two_step.verify(db.session, user.id, code):
            if isinstance(code, str) and code:
                record_failed_step(db.session, user, address)
            raise AuthError(
                _("Two-step login is on: send the code from the authenticator app as `code`."),
                code="two_step_required",
            )
    if two_step.needs_enrolment(db.session, user):
        raise Forbidden(
            _("Set up two-step login in the app first."), code="two_step_setup_required"
        )
    if user.must_change_password:
        raise Forbidden(
            _("Your password was reset; choose a new one in the app first."),
            code="password_change_required",
        )
    token = issue_token(db.session, user)
    return {"token": token, "user": user_json(user)}


@bp.post("/auth/logout")
@documented({204: NO_CONTENT})
@requires()
def logout() -> Response:
    """End the calling token for good: it answers 401 from now on.

    Called with the web UI's session cookie instead, it ends that user's sessions.
    """
    token_id = caller_token_id()
    if token_id is not None:
        end_token(db.session, token_id)
    else:
        bump_session_version(db.session, caller().id)
    return Response(status=204)


@bp.get("/auth/me", legacy=False)
@documented({200: v1.Me})
@requires()
def me() -> dict[str, Any]:
    """Return the caller: user, role, the shop, and when the calling token ends."""
    user = caller()
    settings = load_settings(db.session)
    token_id = caller_token_id()
    token = db.session.get(ApiToken, token_id) if token_id is not None else None
    return {
        "user": user_json(user),
        "role": user.role,
        "shop": {
            "name": settings.shop_name,
            "gstin": settings.tax_number or None,
            "currency": settings.currency,
        },
        "token_expires_at": iso(token.expires_at) if token is not None else None,
    }


@bp.post("/auth/refresh", legacy=False)
@documented(
    {200: s.LoginResponse},
    errors=(409,),
    description="The new token lives the shop's days without use, as a login's; the calling"
    " token ends (401 from now on). Only a bearer token can be refreshed (409 otherwise).",
)
@requires()
def refresh() -> dict[str, Any]:
    """Swap the calling token for a new one."""
    token_id = caller_token_id()
    if token_id is None:
        raise Conflict(_("Only a bearer token can be refreshed; log in for one."), code="no_token")
    user = caller()
    user_id = user.id
    token = refresh_token(db.session, user, token_id)
    fresh = db.session.get(User, user_id)
    assert fresh is not None
    return {"token": token, "user": user_json(fresh)}
