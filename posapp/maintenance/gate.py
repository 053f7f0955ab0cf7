"""The request gate: a restore closes it so no request touches a file being swapped.

Also the rule that a restore waits for no backup: one running (a page's job or the daily
thread) holds the database open, and on Windows an open file cannot be replaced.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from flask import Flask

from posapp.errors import Conflict
from posapp.i18n import _, lazy
from posapp.maintenance.jobs import backup_jobs
from posapp.services.backups import BackupError

GATE_KEY = "tillbook_maintenance_gate"


class MaintenanceGate:
    """A process-wide gate: requests pass one by one, a restore closes it for the swap.

    While closed, other requests answer 503 instead of touching a database file that is
    being replaced; the restore waits (boundedly) for requests already inside to finish.
    """

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._inside = 0
        self._closed = False

    @property
    def is_closed(self) -> bool:
        return self._closed

    def enter(self) -> bool:
        """Let a request in, or tell it (False) that maintenance runs."""
        with self._cond:
            if self._closed:
                return False
            self._inside += 1
            return True

    def leave(self) -> None:
        """Mark a request as done."""
        with self._cond:
            self._inside -= 1
            self._cond.notify_all()

    @contextmanager
    def closed(self, *, own_requests: int = 1, timeout: float = 30.0) -> Iterator[None]:
        """Close the gate and wait until only `own_requests` (the caller) remain inside."""
        with self._cond:
            if self._closed:
                raise BackupError(_("A restore is already running; wait for it to finish."))
            self._closed = True
            if not self._cond.wait_for(lambda: self._inside <= own_requests, timeout=timeout):
                self._closed = False
                raise BackupError(_("The app is busy (a report or a sale is running); try again."))
        try:
            yield
        finally:
            with self._cond:
                self._closed = False
                self._cond.notify_all()


def gate(app: Flask) -> MaintenanceGate:
    """Return the app's maintenance gate."""
    found = app.extensions.get(GATE_KEY)
    if found is None:
        found = app.extensions.setdefault(GATE_KEY, MaintenanceGate())
    return found


BACKUP_RUNNING_MESSAGE = lazy(
    "A backup is being written right now; wait until it has finished, then restore."
)


def backup_running(app: Flask) -> bool:
    """Tell whether this process is writing a backup (a page's job or the daily thread)."""
    daily = app.extensions.get("tillbook_daily_backup")
    if isinstance(daily, threading.Thread) and daily.is_alive():
        return True
    return backup_jobs(app).running()


def refuse_while_backing_up(app: Flask) -> None:
    """Refuse to restore while a backup runs: it holds the database open, and on Windows an
    open file cannot be replaced; the copy would also mix the old data and the restored."""
    if backup_running(app):
        raise Conflict(str(BACKUP_RUNNING_MESSAGE), code="backup_running")


RESTORING_MESSAGE = lazy("TillBook is restoring a backup; try again in a moment.")


def install_gate(app: Flask) -> None:
    """Route every request through the maintenance gate (install before other hooks)."""
    from flask import Response, g, request
    from markupsafe import escape

    from posapp.api.errors import api_error_response

    the_gate = gate(app)

    @app.before_request
    def pass_the_gate() -> Response | tuple[Response, int] | None:
        if not the_gate.enter():
            if request.path.startswith("/api/"):
                response, status = api_error_response("restoring", str(RESTORING_MESSAGE), 503)
            else:
                page = (
                    f"<!doctype html><title>{escape(_('Restoring'))}</title>"
                    f"<p>{escape(RESTORING_MESSAGE)}</p>"
                )
                response, status = Response(page, mimetype="text/html"), 503
            response.headers["Retry-After"] = "5"
            return response, status
        g.tillbook_in_gate = True
        return None

    @app.teardown_request
    def leave_the_gate(_exc: BaseException | None) -> None:
        if g.pop("tillbook_in_gate", False):
            the_gate.leave()
