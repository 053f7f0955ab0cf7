"""HTML error pages for the web blueprints."""

from __future__ import annotations

from flask import render_template

TITLES = {
    400: "Bad request",
    403: "Not allowed",
    404: "Not found",
    405: "Not allowed",
    409: "Conflict",
    413: "Too large",
    422: "Please check the input",
    429: "Locked",
    500: "Something went wrong",
}


def render_error(status: int, message: str) -> tuple[str, int]:
    """Render the error page for a status with a human message."""
    title = TITLES.get(status, "Error")
    return render_template("errors/error.html", status=status, title=title, message=message), status
