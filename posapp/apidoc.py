"""Documented request and response shapes, shared by the API and the till's JSON endpoints.

The neutral part of the OpenAPI machinery: `documented` attaches an `ApiDoc` (the models of a
view's body, query and answers) to a view, and `check_response` validates an answer against
it when API_CHECK_RESPONSES is on. posapp/api/openapi.py builds the document from the same
`ApiDoc`s. Both posapp/api and posapp/web import this module (web may not import api), so it
holds the vocabulary of the models too: money, quantities, times and the error envelope.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Annotated, Any, TypeVar

from flask import Blueprint, current_app, request
from flask import Response as FlaskResponse
from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema

F = TypeVar("F", bound=Callable[..., Any])
PDF = "application/pdf"
HTML = "text/html"
XML = "application/xml"
JSON_DOC = "application/json"  # a free-form JSON document (the spec itself)
NO_CONTENT = "no content"  # an empty answer (204)
IDEMPOTENCY_HEADER = "Idempotency-Key"  # a request header the money and stock POSTs take
RESTORING = 503  # the restore gate's status (posapp/web/backups.py), possible on every route

MONEY_RE = r"^-?\d+\.\d{2}$"
QTY_RE = r"^-?\d+(\.\d{3})?$"
TIME_RE = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?[+-]\d{2}:\d{2}$"
DATE_RE = r"^\d{4}-\d{2}-\d{2}$"

Money = Annotated[
    str, Field(pattern=MONEY_RE, description="Money: exactly 2 decimals.", examples=["42.50"])
]
Percent = Annotated[
    str, Field(pattern=MONEY_RE, description="A percentage with 2 decimals.", examples=["18.00"])
]
Quantity = Annotated[
    str,
    Field(
        pattern=QTY_RE,
        description="Quantity: whole for pcs, 3 decimals for measured units.",
        examples=["1.250"],
    ),
]
Timestamp = Annotated[
    str,
    Field(
        pattern=TIME_RE,
        description="ISO 8601 with the shop's UTC offset.",
        examples=["2026-11-22T14:03:05+05:30"],
    ),
]
Day = Annotated[str, Field(pattern=DATE_RE, examples=["2026-11-22"])]

# Requests take money and quantities as a string or a JSON number; the app parses JSON
# numbers as Decimal, so no float ever carries them.
MoneyIn = Annotated[
    Decimal | str,
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "string", "pattern": r"^-?\d+(\.\d{1,2})?$"},
                {"type": "number"},
            ],
            "description": "Money: a string or a number with at most 2 decimals.",
            "examples": ["42.50"],
        }
    ),
]
QuantityIn = Annotated[
    Decimal | str,
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "string", "pattern": r"^-?\d+(\.\d{1,3})?$"},
                {"type": "number"},
            ],
            "description": "Quantity: a string or a number; whole for pcs, up to 3 decimals.",
            "examples": ["1.250"],
        }
    ),
]


class Response(BaseModel):
    """A response body: every field documented, nothing else allowed."""

    model_config = ConfigDict(extra="forbid")


class Request(BaseModel):
    """A request body: the fields the service reads (others are ignored)."""

    model_config = ConfigDict(extra="allow")


class ErrorBody(Response):
    code: str = Field(description="snake_case machine code", examples=["validation_error"])
    message: str = Field(description="A sentence to show to a person.")
    details: dict[str, Any] = Field(
        description="For 422: `fields` maps each field to its message; for stock: "
        "product_id, requested, available."
    )


class Error(Response):
    """The error envelope every error status answers with."""

    error: ErrorBody


@dataclass(frozen=True)
class ApiDoc:
    """What the OpenAPI document says about one view."""

    responses: dict[int, type[BaseModel] | str]
    body: type[BaseModel] | None = None
    query: type[BaseModel] | None = None
    errors: tuple[int, ...] = ()
    description: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    # Who may call a till endpoint ("any" or "admin"); API views say it with `requires()`.
    role: str | None = None
    headers: tuple[str, ...] = ()  # optional request headers it reads (IDEMPOTENCY_HEADER)


def documented(
    responses: dict[int, type[BaseModel] | str],
    *,
    body: type[BaseModel] | None = None,
    query: type[BaseModel] | None = None,
    errors: tuple[int, ...] = (),
    description: str | None = None,
    role: str | None = None,
    headers: tuple[str, ...] = (),
) -> Callable[[F], F]:
    """Attach the view's documentation: response models by status, body and query models."""

    def decorator(view: F) -> F:
        view.api_doc = ApiDoc(  # type: ignore[attr-defined]
            responses=responses,
            body=body,
            query=query,
            errors=errors,
            description=description,
            role=role,
            headers=headers,
        )
        return view

    return decorator


class ResponseMismatch(AssertionError):
    """A response does not match its documented model (raised only when checks are on)."""


def _is_error_envelope(response: FlaskResponse) -> bool:
    try:
        Error.model_validate_json(response.get_data(), strict=True)
    except ValueError:
        return False
    return True


def check_response(view: Callable[..., Any] | None, response: FlaskResponse) -> None:
    """Validate an API response against the model documented for its status."""
    doc: ApiDoc | None = getattr(view, "api_doc", None)
    if doc is None or view is None:
        return
    status = response.status_code
    target: type[BaseModel] | str | None = doc.responses.get(status)
    if target is None:
        if status < 400:
            raise ResponseMismatch(f"{view.__name__} answered {status}, which is not documented")
        target = Error
    if target == NO_CONTENT:
        if response.get_data():
            raise ResponseMismatch(f"{view.__name__} answered {status} with a body")
        return
    if isinstance(target, str):
        if response.mimetype != target:
            raise ResponseMismatch(f"{view.__name__} answered {response.mimetype}, not {target}")
        return
    if response.mimetype != "application/json":
        raise ResponseMismatch(f"{view.__name__} answered {response.mimetype}, not JSON")
    try:
        target.model_validate_json(response.get_data(), strict=True)
    except ValueError as exc:
        # The restore gate and the app's error handlers may answer any error status with
        # the envelope, whatever shape the view itself answers with.
        if (status == RESTORING or status >= 400) and _is_error_envelope(response):
            return

        raise ResponseMismatch(
            f"{view.__name__} ({status}) breaks {target.__name__}: {exc}"
        ) from exc


def check_answers(blueprint: Blueprint) -> None:
    """Check the blueprint's documented JSON answers when API_CHECK_RESPONSES is on (tests).

    For the till's endpoints (cookie sessions): a redirect to the login page and the HTML
    error page a non-JSON request gets are the app's, not the endpoint's, so they pass.
    """

    @blueprint.after_request
    def check_documented_shape(response: FlaskResponse) -> FlaskResponse:
        if not current_app.config.get("API_CHECK_RESPONSES"):
            return response
        status = response.status_code
        if 300 <= status < 400 or (status >= 400 and response.mimetype != "application/json"):
            return response
        check_response(current_app.view_functions.get(request.endpoint or ""), response)
        return response
