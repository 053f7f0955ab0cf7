"""One way for a page to call a service and re-show its form when a shop rule says no.

Every form view used to repeat the same four lines: call the service, catch `DomainError`,
render the form again with the message, the field errors and the error's status. `or_reshow`
does that once. The view passes the call and a `reshow` function that builds the page for the
error; on success `or_reshow` hands back the service's result, on a `DomainError` it stops the
view with `abort(response)`: Flask answers such an exception with the response it carries and
runs no error handler, so status, page and headers are exactly what `reshow` built.
"""

from __future__ import annotations

from collections.abc import Callable, Container
from typing import Any, NoReturn, TypeVar

from flask import abort, flash, make_response, redirect, request
from flask.typing import ResponseReturnValue
from werkzeug.wrappers import Response

from posapp.errors import DomainError
from posapp.extensions import db

T = TypeVar("T")
Reshow = Callable[[DomainError], ResponseReturnValue]


def field_errors(exc: DomainError) -> dict[str, str]:
    """The per-field messages of an error ({} when it names no field)."""
    return dict(exc.details.get("fields", {}))


def form_state(exc: DomainError) -> dict[str, Any]:
    """What a page's inline form re-shows: the posted values, the message, the field errors."""
    return {"data": request.form, "error": exc.message, "fields": field_errors(exc)}


def or_reshow(
    call: Callable[[], T],
    reshow: Reshow,
    *,
    reraise: Container[int] = (),
    rollback: bool = False,
) -> T:
    """Return `call()`; on a `DomainError` answer `reshow(error)` instead of going on.

    `reraise` names statuses left to the app's error pages (a view's 404 for a missing record,
    say) rather than re-shown on the form. `rollback` empties the session first, for views
    whose re-shown page reads rows back after the service's failed flush.
    """
    try:
        return call()
    except DomainError as exc:
        if rollback:
            db.session.rollback()
        if exc.status in reraise:
            raise
        _stop_with(reshow(exc))


def _stop_with(answer: ResponseReturnValue) -> NoReturn:
    """End the view with this answer (a page, a (page, status) pair or a response)."""
    abort(make_response(answer))


def flash_and_redirect(url: str) -> Callable[[DomainError], Response]:
    """A `reshow` for buttons without a form of their own: flash the message, go back to url."""

    def reshow(exc: DomainError) -> Response:
        flash(exc.message, "danger")
        return redirect(url)

    return reshow
