"""One place mapping errors to responses: the JSON envelope under /api, HTML pages elsewhere."""

from __future__ import annotations

from flask import Flask, request
from flask.typing import ResponseReturnValue
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import HTTPException

from posapp.api.errors import api_error_response
from posapp.errors import DomainError
from posapp.extensions import db
from posapp.i18n import LazyString, _, lazy
from posapp.web.errors import MESSAGES, page_message, render_error

HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    429: "locked_out",
    500: "internal_error",
}


# What the API says for an HTTP error raised without words of its own: the pages' words where
# they fit a caller as well (too large, too many tries), the API's own where they speak of pages.
API_MESSAGES: dict[int, LazyString] = {
    **MESSAGES,
    403: lazy("You are not allowed to do this."),
    404: lazy("There is no such address in the API; check the path."),
    405: lazy("This address does not take that method."),
}


def _is_api() -> bool:
    """Answer JSON under /api (and HQ's /hq/api) and to the pages' own JSON calls."""
    if request.path == "/api" or request.path.startswith(("/api/", "/hq/api/")):
        return True
    return request.is_json or request.accept_mimetypes.best == "application/json"


def _rollback_quietly(app: Flask) -> None:
    """Empty the session before the error page is drawn.

    After a failed flush the session refuses every query until it is rolled back, and the page
    layout reads the user and the shop settings: without this the 500 page itself would fail.
    A rollback that fails too (the database is gone) must not hide the first error.
    """
    try:
        db.session.rollback()
    except SQLAlchemyError:
        app.logger.exception("Rollback after an unhandled error failed too")


def register_error_handlers(app: Flask) -> None:
    """Install the handlers on the app."""

    @app.errorhandler(DomainError)
    def domain_error(exc: DomainError) -> ResponseReturnValue:
        if _is_api():
            return api_error_response(exc.code, exc.message, exc.status, exc.details)
        return render_error(exc.status, exc.message)

    @app.errorhandler(CSRFError)
    def csrf_error(exc: CSRFError) -> ResponseReturnValue:
        message = _("The form expired or was sent from elsewhere; reload the page and try again.")
        if _is_api():
            return api_error_response("csrf_failed", message, 400, {"reason": exc.description})
        return render_error(400, message)

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> ResponseReturnValue:
        status = exc.code or 500
        if _is_api():
            message = exc.description or exc.name
            if exc.description == type(exc).description and status in API_MESSAGES:
                # Werkzeug's own words are English and about web pages: say the API's.
                message = str(API_MESSAGES[status])
            if status == 400:
                message = _("The request body is not valid JSON.")
                return api_error_response("malformed_json", message, 400)
            return api_error_response(HTTP_CODES.get(status, "error"), message, status)
        return render_error(status, page_message(exc))

    @app.errorhandler(Exception)
    def unexpected(exc: Exception) -> ResponseReturnValue:
        app.logger.exception("Unhandled error on %s %s", request.method, request.path)
        _rollback_quietly(app)
        message = _("Something went wrong on our side; the error was logged.")
        if _is_api():
            return api_error_response("internal_error", message, 500)
        return render_error(500, message)
