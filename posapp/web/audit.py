"""The audit log page for admins: who did what and when, filtered, with the chain's state."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any

from flask import Blueprint, render_template, request
from sqlalchemy import select

from posapp.dates import day_or_none
from posapp.errors import DomainError
from posapp.extensions import db
from posapp.models import Customer, User
from posapp.models.base import local_midnight_utc
from posapp.money import format_money
from posapp.services import audit, audit_text
from posapp.web import admin_required, id_value, page_arg, shop_settings

bp = Blueprint("audit", __name__, url_prefix="/audit")
PER_PAGE = 100


def _midnight(day: date | None, later: int = 0) -> datetime | None:
    if day is None:
        return None
    try:
        return local_midnight_utc(day + timedelta(days=later))
    except (OverflowError, ValueError):
        return None  # a day at the calendar's edge (0001-01-01, 9999-12-31) filters nothing


def sentences(entries: Sequence[Any]) -> dict[int, str]:
    """Each entry's id -> its sentence in the shop's money, with the customers' names looked
    up once for the page (a sale's entry stores the buyer's id only)."""
    settings = shop_settings()
    ids = audit_text.customer_ids([entry.after for entry in entries])
    named = select(Customer.id, Customer.name).where(Customer.id.in_(ids))
    names = {row.id: row.name for row in db.session.execute(named)} if ids else {}
    ctx = audit_text.Context(
        money=lambda minor: format_money(minor, settings.currency, settings.locale),
        customers=names,
    )
    return {
        entry.id: audit_text.describe(entry.action, entry.before, entry.after, ctx)
        for entry in entries
    }


@bp.get("/")
@admin_required
def index() -> tuple[str, int]:
    """List audit entries, newest first; verify the hash chain on request."""
    page = page_arg()
    user_id = request.args.get("user", "")
    entries: list[Any] = []
    error, status, total = None, 200, 0
    since = until = None
    try:
        since = day_or_none(request.args.get("from", ""), "from")
        until = day_or_none(request.args.get("to", ""), "to")
        entries, total = audit.list_entries(
            db.session,
            action=request.args.get("action", ""),
            user_id=id_value(user_id),
            since=_midnight(since),
            until=_midnight(until, later=1),
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
        sentences=sentences(entries),
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
