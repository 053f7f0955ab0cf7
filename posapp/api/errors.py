"""The API's error envelope."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify


def api_error_response(
    code: str, message: str, status: int, details: dict[str, Any] | None = None
) -> tuple[Response, int]:
    """Answer {"error": {code, message, details}} with a status."""
    body = {"error": {"code": code, "message": message, "details": details or {}}}
    response = jsonify(body)
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="TillBook"'
    return response, status
