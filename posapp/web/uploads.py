"""Per-page upload limits: a few pages take big files, every other request keeps a small one.

The limit must be known before anything reads the body, and CSRF protection reads the form
before any view runs: setting `request.max_content_length` inside a view came too late (a
9 MB product CSV got a bare 413 although the page takes 64 MB). So the request itself asks
the matched view for its limit. Werkzeug spools every uploaded file over 500 KB to a
temporary file, so a big upload is streamed to disk, never held whole in memory.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from flask import Flask, Request, current_app
from werkzeug.exceptions import RequestEntityTooLarge

F = TypeVar("F", bound=Callable[..., object])
Limit = int | Callable[[Flask], int]
LIMIT_ATTR = "tillbook_upload_limit"
MB = 1024 * 1024


def upload_limit(limit: Limit) -> Callable[[F], F]:
    """Let a view take a request body up to `limit` bytes (or what `limit(app)` answers)."""

    def decorator(view: F) -> F:
        setattr(view, LIMIT_ATTR, limit)
        return view

    return decorator


def view_limit(app: Flask, endpoint: str | None) -> int | None:
    """The body size the view of an endpoint takes, if it set one with `upload_limit`."""
    view = app.view_functions.get(endpoint or "")
    limit = getattr(view, LIMIT_ATTR, None)
    if limit is None:
        return None
    return int(limit(app) if callable(limit) else limit)


def too_large_message(limit: int | None) -> str:
    """Say how big a request may be, in the units a shop owner knows."""
    if limit is None:
        return "The upload is too large."
    if limit >= MB:
        return f"The upload is too large: this page takes files up to {limit // MB} MB."
    return f"The upload is too large: this page takes up to {limit // 1024} KB."


class TillBookRequest(Request):
    """Flask's request, whose body limit is the matched view's (`upload_limit`) if it has one.

    A 413 says the page's limit in MB; the app's error handlers turn it into the error page
    or, under /api, the JSON error envelope.
    """

    @property
    def max_content_length(self) -> int | None:
        """The view's own limit, else one set on this request, else MAX_CONTENT_LENGTH."""
        if self._max_content_length is not None:
            return self._max_content_length
        if current_app:
            limit = view_limit(current_app, self.endpoint)
            if limit is not None:
                return limit
        return super().max_content_length

    @max_content_length.setter
    def max_content_length(self, value: int | None) -> None:
        self._max_content_length = value

    def _load_form_data(self) -> None:
        try:
            super()._load_form_data()
        except RequestEntityTooLarge:
            raise RequestEntityTooLarge(too_large_message(self.max_content_length)) from None
