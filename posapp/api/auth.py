"""API authentication and health: login for a bearer token."""

from __future__ import annotations

from typing import Any

from flask import Response, current_app, request
from sqlalchemy import text

from posapp.api import schemas as s
from posapp.api.base import bp, caller, caller_token_id, json_body, requires
from posapp.api.openapi import NO_CONTENT, documented
from posapp.api.serializers import user_json
from posapp.errors import AuthError, Forbidden, ValidationError
from posapp.extensions import db
from posapp.services import two_step
from posapp.services.users import (
    authenticate,
    bump_session_version,
    end_token,
    issue_token,
    record_failed_step,
)


@bp.get("/health")
@documented({200: s.Health, 503: s.Health})
def health() -> tuple[dict[str, Any], int]:
    """Report that the app and its database answer."""
    try:
        db.session.execute(text("SELECT 1"))
        db_state = "ok"
    except Exception:  # the point of a health check is to report, not to crash
        current_app.logger.exception("health check: database failed")
        db_state = "error"
    body = {
        "status": "ok" if db_state == "ok" else "degraded",
        "version": current_app.config["VERSION"],
        "db": db_state,
    }
    return body, 200 if db_state == "ok" else 503


@bp.post("/auth/login")
@documented(
    {200: s.LoginResponse},
    body=s.LoginRequest,
    errors=(429,),
    description="The token expires after the shop's days without use (30 unless an admin"
    " changed it on the Users page; each use moves the end on); `POST /api/auth/logout` ends"
    " it. Repeated wrong passwords from one address answer 429 for a growing while"
    " (`details.retry_after` seconds).",
)
def login() -> dict[str, Any]:
    """Exchange a username and password for a bearer token."""
    data = json_body()
    username, password = data.get("username"), data.get("password")
    fields = {}
    if not isinstance(username, str) or not username.strip():
        fields["username"] = "Required."
    if not isinstance(password, str) or not password:
        fields["password"] = "Required."  # noqa: S105 (a message, not a password)
    if fields:
        raise ValidationError("Username and password are required.", fields=fields)
    address = request.remote_addr or "?"
    user = authenticate(db.session, username, password, address)
    if user.totp_enabled:
        code = data.get("code")
        if not isinstance(code, str) or not two_step.verify(db.session, user.id, code):
            if isinstance(code, str) and code:
                record_failed_step(db.session, user, address)
            raise AuthError(
                "Two-step login is on: send the code from the authenticator app as `code`.",
                code="two_step_required",
            )
    if two_step.needs_enrolment(db.session, user):
        raise Forbidden("Set up two-step login in the app first.", code="two_step_setup_required")
    if user.must_change_password:
        raise Forbidden(
            "Your password was reset; choose a new one in the app first.",
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
