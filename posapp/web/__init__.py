"""The HTML pages: one blueprint per area, plus shared helpers for them."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

from flask import abort, current_app, g, request
from flask_login import current_user, login_required

from posapp.extensions import db
from posapp.models.base import ID_DIGITS
from posapp.money import format_money
from posapp.services.limits import MAX_PAGE  # keeps OFFSET inside 64 bits (SQLite: a 500)
from posapp.services.settings import ShopSettings, load_settings
from posapp.services.shop_settings import logo_data_uri

F = TypeVar("F", bound=Callable[..., Any])


def admin_required(view: F) -> F:
    """Let only logged-in admins in; cashiers get 403."""

    @wraps(view)
    @login_required
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if not current_user.is_admin:
            abort(403)
        return view(*args, **kwargs)

    return wrapped  # type: ignore[return-value]


def shop_settings() -> ShopSettings:
    """Return the shop settings, loaded once per request."""
    if "shop_settings" not in g:
        g.shop_settings = load_settings(db.session)
    return g.shop_settings


def money_text(minor: int) -> str:
    """An amount as the pages write it (₹7,020.00), for flash messages."""
    settings = shop_settings()
    return format_money(minor, settings.currency, settings.locale)


def shop_logo() -> str | None:
    """Return the shop's logo as a data: URI (None without one), read once per request."""
    if "shop_logo" not in g:
        g.shop_logo = logo_data_uri(Path(current_app.config["DATA_DIR"]), shop_settings().logo)
    return g.shop_logo


def document_logo(name: str) -> str | None:
    """The logo a document was issued with (its snapshot's content name) as a data: URI."""
    return logo_data_uri(Path(current_app.config["DATA_DIR"]), name)


def id_value(text: str) -> int | None:
    """Read an id typed into a filter: ASCII digits that fit a column, else None (no filter).

    isdecimal() alone let through other scripts' digits and 20-digit numbers that SQLite
    cannot bind (OverflowError, a 500).
    """
    text = text.strip()
    if text.isascii() and text.isdecimal() and len(text) <= ID_DIGITS:
        return int(text)
    return None


def page_arg(name: str = "page") -> int:
    """Read a page number from the query: 1 when unreadable, at most MAX_PAGE."""
    raw = request.args.get(name, "").strip()
    if not (raw.isascii() and raw.isdecimal()):
        return 1
    if len(raw) > len(str(MAX_PAGE)):
        return MAX_PAGE  # never int() a 60 kB number
    return min(MAX_PAGE, max(1, int(raw)))
