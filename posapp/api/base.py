"""The API blueprint, its authentication hook and the request helpers shared by resources."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from functools import wraps
from typing import Any, TypeVar

from flask import Blueprint, Response, current_app, g, request
from flask_babel import refresh
from flask_login import current_user

from posapp.apidoc import check_response
from posapp.converters import MAX_ID
from posapp.errors import AuthError, Forbidden, ValidationError
from posapp.extensions import csrf, db
from posapp.i18n import _
from posapp.models import User
from posapp.services.limits import DEFAULT_PER_PAGE, MAX_PAGE, MAX_PER_PAGE
from posapp.services.limits import MAX_SEARCH_LENGTH as MAX_Q_LENGTH
from posapp.services.users import token_user
from posapp.vocabulary import parse_flag

F = TypeVar("F", bound=Callable[..., Any])
WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
API_PREFIX = "/api"
V1_PREFIX = "/api/v1"
# When the unversioned paths were deprecated (RFC 9745: a structured-field date), 2026-12-06.
DEPRECATED_AT = datetime(2026, 12, 6, tzinfo=UTC)


class VersionedBlueprint(Blueprint):
    """The API blueprint: every route is served under /api/v1, and the routes of the first,
    unversioned API also keep their old /api path (`legacy=False` for routes new in v1).

    Both paths share one endpoint and view, so hooks, CSRF exemption and role checks are the
    same; `url_for` builds the v1 path (registered first), so the app's own pages call v1.
    """

    def add_url_rule(
        self,
        rule: str,
        endpoint: str | None = None,
        view_func: Callable[..., Any] | None = None,
        provide_automatic_options: bool | None = None,
        **options: Any,
    ) -> None:
        legacy = options.pop("legacy", True)
        super().add_url_rule(
            "/v1" + rule, endpoint, view_func, provide_automatic_options, **options
        )
        if legacy:
            super().add_url_rule(rule, endpoint, view_func, provide_automatic_options, **options)


bp = VersionedBlueprint("api", __name__, url_prefix=API_PREFIX)


def is_legacy_path(path: str) -> bool:
    """Tell whether a request path is one of the deprecated unversioned API paths."""
    return not (path == V1_PREFIX or path.startswith(V1_PREFIX + "/"))


def successor_path(path: str) -> str:
    """The v1 path answering what a deprecated /api path answers."""
    return V1_PREFIX + path.removeprefix(API_PREFIX)


def _same_origin(origin: str) -> bool:
    """Tell whether an Origin header names this server (scheme, host and port as requested)."""
    return origin.rstrip("/").lower() == request.host_url.rstrip("/").lower()


@bp.before_request
def refuse_cross_origin() -> None:
    """Refuse browser requests from other sites: scripts send no Origin, the till its own."""
    origin = request.headers.get("Origin")
    if origin is not None and not _same_origin(origin):
        raise Forbidden(
            _("The API does not answer pages from other sites."), code="cross_origin_refused"
        )


@bp.before_request
def authenticate() -> None:
    """Resolve the caller: a bearer token, or the web UI's session cookie (+ CSRF on writes)."""
    g.api_user = None
    g.api_token_id = None
    header = request.headers.get("Authorization", "")
    if header:
        scheme, _space, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise AuthError(_("Use 'Authorization: Bearer <token>'."), code="invalid_token")
        found = token_user(db.session, token.strip())
        if found is None:
            raise AuthError(_("The token is invalid, expired or revoked."), code="invalid_token")
        user, g.api_token_id = found
        if user.must_change_password:
            raise Forbidden(
                _("Your password was reset; choose a new one in the app first."),
                code="password_change_required",
            )
        g.api_user = user
        # The token user's language counts from here on (web/i18n.py select_language):
        # forget a language chosen earlier in this request, before the caller was known.
        refresh()
        return
    if current_user.is_authenticated:
        # Login authenticates by its body, not by the cookie, so it needs no CSRF token.
        cookie_write = request.method in WRITE_METHODS and request.endpoint != "api.login"
        if cookie_write and current_app.config.get("WTF_CSRF_ENABLED", True):
            csrf.protect()
        g.api_user = current_user._get_current_object()


def caller() -> User:
    """Return the authenticated user of this API request."""
    user: User = g.api_user
    return user


def caller_token_id() -> int | None:
    """Return the id of the bearer token of this request (None for the web UI's cookie)."""
    return g.get("api_token_id")


def requires(role: str | None = None) -> Callable[[F], F]:
    """Require an authenticated caller (401), and a role when given (403)."""

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            user = g.get("api_user")
            if user is None:
                raise AuthError(_("Log in first: send a bearer token."))
            if role == "admin" and not user.is_admin:
                raise Forbidden(_("Only an admin may do this."))
            return view(*args, **kwargs)

        # Read by openapi.py to document who may call the operation.
        wrapped.api_role = role or "any"  # type: ignore[attr-defined]
        return wrapped  # type: ignore[return-value]

    return decorator


def _too_large(value: Any) -> bool:
    """Tell whether a JSON value holds an integer no database column can store."""
    if isinstance(value, int) and not isinstance(value, bool):
        return abs(value) > MAX_ID
    if isinstance(value, dict):
        return any(_too_large(v) for v in value.values())
    if isinstance(value, list):
        return any(_too_large(v) for v in value)
    return False


def json_body() -> dict[str, Any]:
    """Return the JSON object body; malformed JSON is a 400, a non-object a 422."""
    data = request.get_json(force=True, silent=False)
    if not isinstance(data, dict):
        raise ValidationError(_("The request body must be a JSON object."))
    # An id beyond 64 bits would reach SQLite and crash there (OverflowError, a 500).
    if _too_large(data):
        raise ValidationError(_("A number in the request is too large."))
    return data


def int_arg(name: str, default: int, *, minimum: int = 1, maximum: int | None = None) -> int:
    """Read a positive integer query argument or answer 422."""
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ValidationError(_("%(name)s must be an integer.", name=name), field=name) from None
    top = MAX_ID if maximum is None else maximum
    if value < minimum or value > top:
        message = (
            _("%(name)s must be %(minimum)s or more.", name=name, minimum=minimum)
            if maximum is None
            else _(
                "%(name)s must be between %(minimum)s and %(maximum)s.",
                name=name,
                minimum=minimum,
                maximum=maximum,
            )
        )
        raise ValidationError(message, field=name)
    return value


def pagination() -> tuple[int, int]:
    """Read page (from 1) and per_page (default 50, max 500)."""
    return int_arg("page", 1, maximum=MAX_PAGE), int_arg(
        "per_page", DEFAULT_PER_PAGE, maximum=MAX_PER_PAGE
    )


def page_envelope(items: list[Any], total: int, page: int, per_page: int) -> dict[str, Any]:
    """Wrap a page of items in the list envelope."""
    return {"items": items, "total": total, "page": page, "per_page": per_page}


def flag(name: str) -> bool:
    """Read a boolean query flag: 1/true/yes or 0/false/no (absent: false); else 422."""
    return parse_flag(request.args.get(name, ""), name)


def search_text(name: str = "q") -> str:
    """Read the search text of a list (at most MAX_Q_LENGTH characters, else 422)."""
    value = request.args.get(name, "").strip()
    if len(value) > MAX_Q_LENGTH:
        raise ValidationError(
            _("The search text takes at most %(limit)s characters.", limit=MAX_Q_LENGTH),
            field=name,
        )
    return value


@bp.after_request
def mark_deprecated(response: Response) -> Response:
    """Tell callers of an unversioned /api path that it is deprecated and where v1 answers."""
    if is_legacy_path(request.path):
        response.headers["Deprecation"] = f"@{int(DEPRECATED_AT.timestamp())}"
        response.headers["Link"] = f'<{successor_path(request.path)}>; rel="successor-version"'
    return response


@bp.after_request
def check_documented_shape(response: Response) -> Response:
    """With API_CHECK_RESPONSES on (the tests), refuse any answer its documentation does not
    describe, so serializers and the OpenAPI document cannot drift apart."""
    if current_app.config.get("API_CHECK_RESPONSES"):
        check_response(current_app.view_functions.get(request.endpoint or ""), response)
    return response
