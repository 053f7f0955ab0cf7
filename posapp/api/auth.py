"""API authentication and health: login for a bearer token."""

from __future__ import annotations

from typing import Any

from flask import current_app
from sqlalchemy import text

from posapp.api import schemas as s
from posapp.api.base import bp, json_body
from posapp.api.openapi import documented
from posapp.api.serializers import user_json
from posapp.errors import Forbidden, ValidationError
from posapp.extensions import db
from posapp.services.users import authenticate, issue_token


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
@documented({200: s.LoginResponse}, body=s.LoginRequest, errors=(429,))
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
    user = authenticate(db.session, username, password)
    if user.must_change_password:
        raise Forbidden(
            "Your password was reset; choose a new one in the app first.",
            code="password_change_required",
        )
    token = issue_token(db.session, user)
    return {"token": token, "user": user_json(user)}
