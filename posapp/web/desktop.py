"""Desktop-only actions in the pages: "Quit TillBook" when the app runs in the browser fallback.

Without a window (no WebView2, no GUI backend) the launcher serves the pages to the system
browser, and closing a browser tab cannot stop a server. The launcher then registers a stop
callback in `app.extensions[QUIT_KEY]`; only while it is there do the pages show the action.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from flask import Blueprint, abort, current_app, render_template, request
from flask_login import current_user

bp = Blueprint("desktop", __name__, url_prefix="/desktop")
log = logging.getLogger(__name__)
QUIT_KEY = "tillbook_desktop_quit"
LOOPBACK = {"127.0.0.1", "::1"}


def _quit_callback() -> Callable[[], None] | None:
    found: Callable[[], None] | None = current_app.extensions.get(QUIT_KEY)
    return found


def quit_allowed() -> bool:
    """Tell whether this request may stop TillBook: the person at this computer, or an admin.

    A cashier at another till on the shared network must not stop the shop's server.
    """
    if _quit_callback() is None:
        return False
    if request.remote_addr in LOOPBACK:
        return True
    return bool(current_user.is_authenticated and current_user.is_admin)


@bp.app_context_processor
def quit_action() -> dict[str, Callable[[], bool]]:
    """Let the navigation ask whether to show "Quit TillBook"."""
    return {"desktop_quit_shown": quit_allowed}


@bp.post("/quit")
def quit_app() -> str:
    """Stop the browser-fallback TillBook (after this answer is sent); 404 in other modes."""
    stop = _quit_callback()
    if stop is None:
        abort(404)
    if not quit_allowed():
        abort(403)
    log.info("Quit TillBook asked from %s", request.remote_addr)
    stop()  # the launcher stops the server gracefully: this answer still goes out
    return render_template("desktop/stopped.html")
