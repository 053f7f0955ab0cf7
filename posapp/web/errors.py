"""HTML error pages for the web blueprints, in the request's language."""

from __future__ import annotations

from flask import render_template
from werkzeug.exceptions import HTTPException

from posapp.i18n import LazyString, lazy

TITLES: dict[int, LazyString] = {
    400: lazy("Bad request"),
    403: lazy("Not allowed"),
    404: lazy("Not found"),
    405: lazy("Not allowed"),
    409: lazy("Conflict"),
    413: lazy("Too large"),
    422: lazy("Please check the input"),
    429: lazy("Locked"),
    500: lazy("Something went wrong"),
}
# Werkzeug's own descriptions are English and technical: a page says these instead. An
# abort() with words of its own keeps them (they are marked where they are written).
MESSAGES: dict[int, LazyString] = {
    400: lazy("The page sent something it cannot use. Go back and try again."),
    403: lazy("You are not allowed to open this page."),
    404: lazy("There is no such page. Check the address, or go back."),
    405: lazy("This page cannot be opened that way."),
    413: lazy("What was sent is too large."),
    429: lazy("Too many tries. Wait a few minutes, then try again."),
    500: lazy("Something went wrong on our side; the error was logged."),
}


def page_message(exc: HTTPException) -> str:
    """The words of an HTTP error's page: its own, else the status's, else its title."""
    status = exc.code or 500
    if exc.description and exc.description != type(exc).description:
        return exc.description
    return str(MESSAGES.get(status) or TITLES.get(status) or lazy("Error"))


def render_error(status: int, message: str) -> tuple[str, int]:
    """Render the error page for a status with a human message."""
    title = str(TITLES.get(status) or lazy("Error"))
    return render_template("errors/error.html", status=status, title=title, message=message), status
