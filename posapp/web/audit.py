"""The audit log page for admins: who did what and when, filtered, with the chain's state."""

from __future__ import annotations

from datetime import date, timedelta

from flask import Blueprint, render_template, request
from sqlalchemy import select

from posapp.dates import check_day
from posapp.errors import DomainError
from posapp.extensions import db
from posapp.models import User
from posapp.models.base import local_midnight_utc
from posapp.services import audit
from posapp.web import admin_required

bp = Blueprint("audit", __name__)
PER_PAGE = 100


def _day(name: str) -> date | None:
    try:
        day = date.fromisoformat(request.args.get(name, "")[:10])
    except ValueError:
        return None  # an unreadable date filters nothing rather than failing the page
    return check_day(day, name)  # a readable one the clock cannot convert gets a message


@bp.get("/")
@admin_required
def index() -> tuple[str, int]:
    """List audit entries, newest first; verify the hash chain on request."""
    try:
        page = max(1, int(request.args.get("page", "1")))
    except ValueError:
        page = 1
    user_id = request.args.get("user", "")
    error, status, entries, total = None, 200, [], 0
    since = until = None
    try:
        since, until = _day("from"), _day("to")
        entries, total = audit.list_entries(
            db.session,
            action=request.args.get("action", ""),
            user_id=int(user_id) if user_id.isdecimal() else None,
            since=local_midnight_utc(since) if since else None,
            until=local_midnight_utc(until + timedelta(days=1)) if until else None,
            page=page,
            per_page=PER_PAGE,
        )
    except DomainError as exc:
        error, status = exc.message, exc.status
    users = {u.id: u.username for u in db.session.scalars(select(User).order_by(User.username))}
    verified = request.args.get("verify") == "1"
    return render_template(
        "audit/index.html",
        entries=entries,
        total=total,
        page=page,
        pages=max(1, (total + PER_PAGE - 1) // PER_PAGE),
        actions=audit.actions(db.session),
        users=users,
        filters={
            "action": request.args.get("action", ""),
            "user": user_id,
            "from": since.isoformat() if since else "",
            "to": until.isoformat() if until else "",
        },
        verified=verified,
        broken=audit.first_break(db.session) if verified else None,
        error=error,
    ), status
