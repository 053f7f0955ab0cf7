"""The HTML pages: one blueprint per area, plus shared helpers for them."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import abort, g
from flask_login import current_user, login_required

from posapp.extensions import db
from posapp.services.settings import ShopSettings, load_settings

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
