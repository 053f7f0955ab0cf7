"""The HTML pages: one blueprint per area, plus shared helpers for them."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

from flask import abort, current_app, g
from flask_login import current_user, login_required

from posapp.extensions import db
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


def shop_logo() -> str | None:
    """Return the shop's logo as a data: URI (None without one), read once per request."""
    if "shop_logo" not in g:
        g.shop_logo = logo_data_uri(Path(current_app.config["DATA_DIR"]))
    return g.shop_logo
