"""Domain errors: each carries a machine code and the HTTP status the API answers with."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """A rule of the shop was broken; safe to show the message to the user."""

    status = 400
    code = "bad_request"

    def __init__(
        self,
        message: str,
        code: str | None = None,
        status: int | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        if status:
            self.status = status
        self.details = details or {}


class ValidationError(DomainError):
    """Input is malformed or breaks a validation rule (422)."""

    status = 422
    code = "validation_error"

    def __init__(
        self,
        message: str,
        field: str | None = None,
        fields: dict[str, str] | None = None,
        code: str | None = None,
    ) -> None:
        all_fields = dict(fields or {})
        if field and field not in all_fields:
            all_fields[field] = message
        super().__init__(message, code=code, details={"fields": all_fields} if all_fields else {})
        self.fields = all_fields


class NotFound(DomainError):
    """The thing asked for does not exist (404)."""

    status = 404
    code = "not_found"


class Conflict(DomainError):
    """The request conflicts with the current state: duplicates, stock, credit (409)."""

    status = 409
    code = "conflict"


class InsufficientStock(Conflict):
    """Not enough stock to sell the requested quantity (409)."""

    code = "insufficient_stock"


class CreditLimitExceeded(Conflict):
    """A credit sale would take the customer's balance over their credit limit (409)."""

    code = "credit_limit"


class AuthError(DomainError):
    """Not logged in or wrong credentials (401)."""

    status = 401
    code = "unauthorized"


class Forbidden(DomainError):
    """Logged in, but the role may not do this (403)."""

    status = 403
    code = "forbidden"


class LockedOut(DomainError):
    """Too many failed logins from this address; wait a while before the next try (429)."""

    status = 429
    code = "locked_out"
