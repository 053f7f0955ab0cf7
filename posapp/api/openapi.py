"""The OpenAPI 3.1 document, assembled from the app's routes and the models of api/schemas.py.

Each API view carries an `ApiDoc` (set by `@documented`, posapp/apidoc.py), and `requires()`
marks the role it needs; `build_spec` walks `app.url_map`, so a route without documentation
cannot hide and a documented path always exists. `check_response` (posapp/apidoc.py)
validates a response against its model: the test configuration turns it on for every API
call the suite makes.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from flask import Flask
from pydantic import BaseModel
from pydantic.json_schema import GenerateJsonSchema, JsonSchemaMode, models_json_schema
from werkzeug.routing import IntegerConverter

from posapp import apidoc
from posapp.apidoc import HTML, NO_CONTENT, PDF, RESTORING, XML, ApiDoc
from posapp.converters import MAX_ID

REF = "#/components/schemas/{model}"
V1_PATHS = "/api/v1/"
WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
TILL_TAG = "till"
TILL_DESCRIPTION = (
    "The till's own JSON endpoints, called by the app's pages: the session cookie of a"
    " logged-in page, and its CSRF token in `X-CSRFToken` on writes (docs/API.md)."
)
ERROR_TEXT = {
    302: "Not logged in: sent to the login page (till endpoints).",
    400: "Malformed JSON, or a cookie-authenticated write without its CSRF token.",
    401: "No token or session, or the token is invalid or revoked.",
    403: "The role may not do this, the page is from another site, or a password reset is due.",
    404: "No such thing.",
    409: "Conflict with the current state: stock, duplicates, credit limit, closed session.",
    422: "Validation failed; `details.fields` maps each field to its message.",
    429: "Too many failed logins from this address: wait `details.retry_after` seconds.",
    502: "The receipt printer did not answer.",
    503: "A backup is being restored (`Retry-After` says when to try again), or the database"
    " does not answer.",
}
DESCRIPTION = """\
The JSON API of TillBook, version 1 (docs/API.md). Log in with `POST /api/v1/auth/login`
(or create a named token on your profile page) and send `Authorization: Bearer <token>`.

* Money is a string with exactly 2 decimals (`"42.50"`); requests take a string or a number
  with at most 2 decimals.
* Quantities are strings (`"1.250"`; whole numbers for `pcs`).
* Times are ISO 8601 with the shop's offset.
* Lists take `page` (from 1) and `per_page` (default 50, at most 500) and answer
  `{items, total, page, per_page}`.
* Every error answers `{"error": {"code", "message", "details"}}`.
* `POST` requests that create money or stock records take an `Idempotency-Key` header: a retry
  with the same key answers the first result (`Idempotent-Replayed: true`) and writes nothing.

The unversioned `/api/...` paths of the first release still answer, deprecated: they send
`Deprecation` and a `Link` to their `/api/v1/...` successor.
"""


HEADER_PARAMETERS = {
    apidoc.IDEMPOTENCY_HEADER: {
        "name": apidoc.IDEMPOTENCY_HEADER,
        "in": "header",
        "required": False,
        "schema": {"type": "string", "minLength": 1, "maxLength": 200, "pattern": r"^[ -~]+$"},
        "description": "Makes a retry safe: the same key and body answer the first result.",
    }
}


class _NoFieldTitles(GenerateJsonSchema):
    """Leave out the `title` pydantic puts on every property: the names say it already."""

    def field_title_should_be_set(self, schema: Any) -> bool:
        return False


def api_views(app: Flask) -> list[tuple[Any, Callable[..., Any]]]:
    """Return (rule, view) for every v1 route of the API blueprint, in URL order (the
    deprecated unversioned paths answer the same and are described once, in DESCRIPTION)."""
    found = [
        (rule, app.view_functions[rule.endpoint])
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("api.") and rule.rule.startswith(V1_PATHS)
    ]
    return sorted(found, key=lambda pair: (pair[0].rule, sorted(pair[0].methods or ())))


def till_views(app: Flask) -> list[tuple[Any, Callable[..., Any]]]:
    """Return (rule, view) for every documented route outside /api (the till's JSON calls)."""
    found = [
        (rule, app.view_functions[rule.endpoint])
        for rule in app.url_map.iter_rules()
        if not rule.endpoint.startswith("api.")
        and getattr(app.view_functions[rule.endpoint], "api_doc", None) is not None
    ]
    return sorted(found, key=lambda pair: (pair[0].rule, sorted(pair[0].methods or ())))


def openapi_path(rule: str) -> str:
    """Turn a Flask rule (`/api/products/<int:product_id>`) into an OpenAPI path."""
    return re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule)


def _path_parameters(rule: Any) -> list[dict[str, Any]]:
    params = []
    for name, converter in rule._converters.items():
        schema: dict[str, Any] = (
            {"type": "integer", "minimum": 1, "maximum": MAX_ID}
            if isinstance(converter, IntegerConverter)
            else {"type": "string", "minLength": 1, "pattern": r"^[^/]+$"}
        )
        described = "Id" if isinstance(converter, IntegerConverter) else "Id or number"
        params.append(
            {
                "name": name,
                "in": "path",
                "required": True,
                "schema": schema,
                "description": described,
            }
        )
    return params


def _without_null(prop: dict[str, Any]) -> dict[str, Any]:
    """Drop `null` from an optional query parameter: a query string cannot say null."""
    prop = {k: v for k, v in prop.items() if not (k == "default" and v is None)}
    options = [o for o in prop.get("anyOf", []) if o != {"type": "null"}]
    if "anyOf" in prop and len(options) == 1:
        merged = {k: v for k, v in prop.items() if k != "anyOf"}
        merged.update(options[0])
        return merged
    if "anyOf" in prop:
        prop["anyOf"] = options
    return prop


def _query_parameters(model: type[BaseModel]) -> list[dict[str, Any]]:
    schema = model.model_json_schema(mode="validation", schema_generator=_NoFieldTitles)
    required = set(schema.get("required", []))
    params = []
    for name, prop in schema["properties"].items():
        prop = _without_null(prop)
        description = prop.pop("description", None)
        param: dict[str, Any] = {
            "name": name,
            "in": "query",
            "required": name in required,
            "schema": prop,
        }
        if description:
            param["description"] = description
        params.append(param)
    return params


def _content(target: type[BaseModel] | str, refs: dict[type[BaseModel], str]) -> dict[str, Any]:
    if isinstance(target, str):
        if target == NO_CONTENT:
            return {}
        if target == PDF:
            return {PDF: {"schema": {"type": "string", "contentMediaType": PDF}}}
        if target == HTML:
            return {HTML: {"schema": {"type": "string"}}}
        if target == XML:
            return {XML: {"schema": {"type": "string"}}}
        return {"application/json": {"schema": {"type": "object"}}}
    return {"application/json": {"schema": {"$ref": refs[target]}}}


def _error_statuses(doc: ApiDoc, till: bool, method: str, has_path_params: bool) -> set[int]:
    # A bad Authorization header (401), another site's page (403) and the restore gate (503)
    # reach every route; a till endpoint sends a logged-out caller to the login page instead.
    statuses = {403, 503, *doc.errors} if till else {401, 403, 503, *doc.errors}
    if method in WRITE_METHODS:
        statuses.add(400)
    if doc.body is not None or doc.query is not None:
        statuses.add(422)
    if has_path_params:
        statuses.add(404)
    return statuses - set(doc.responses)


def _security(role: str | None, till: bool, method: str) -> list[dict[str, list[str]]]:
    """Who the caller proves to be: a bearer token (API), or the page's cookie and CSRF token."""
    if not role:
        return []
    if not till:
        return [{"bearerAuth": []}]
    if method in WRITE_METHODS:
        return [{"cookieAuth": [], "csrfHeader": []}]
    return [{"cookieAuth": []}]


def _models(app: Flask) -> list[tuple[type[BaseModel], JsonSchemaMode]]:
    pairs: dict[type[BaseModel], JsonSchemaMode] = {apidoc.Error: "serialization"}
    for _rule, view in api_views(app) + till_views(app):
        doc: ApiDoc | None = getattr(view, "api_doc", None)
        if doc is None:
            continue
        if doc.body is not None:
            pairs[doc.body] = "validation"
        for target in doc.responses.values():
            if not isinstance(target, str):
                pairs[target] = "serialization"
    return list(pairs.items())


def build_spec(app: Flask) -> dict[str, Any]:
    """Assemble the OpenAPI 3.1 document of every documented route: /api, then the till's."""
    models = _models(app)
    mapping, definitions = models_json_schema(
        models, ref_template=REF, schema_generator=_NoFieldTitles
    )
    refs = {model: mapping[(model, mode)]["$ref"] for model, mode in models}
    paths: dict[str, dict[str, Any]] = {}
    tags: dict[str, None] = {}
    routes = [(rule, view, False) for rule, view in api_views(app)]
    routes += [(rule, view, True) for rule, view in till_views(app)]
    for rule, view, till in routes:
        doc: ApiDoc | None = getattr(view, "api_doc", None)
        if doc is None:
            continue  # tests/api/test_openapi.py fails on undocumented routes
        role: str | None = doc.role if till else getattr(view, "api_role", None)
        tag = TILL_TAG if till else view.__module__.rsplit(".", 1)[-1]
        tags[tag] = None
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            path_params = _path_parameters(rule)
            summary, _, rest = (view.__doc__ or "").strip().partition("\n")
            description = doc.description or rest.strip()
            who = {"admin": "admins", "any": "any logged-in user", None: "anyone"}[role]
            operation: dict[str, Any] = {
                "operationId": (
                    f"till_{rule.endpoint.replace('.', '_')}"
                    if till
                    else rule.endpoint.removeprefix("api.")
                ),
                "tags": [tag],
                "summary": summary.strip().rstrip("."),
                "description": (f"{description}\n\n" if description else "") + f"Who: {who}.",
                "x-role": role or "open",
                "security": _security(role, till, method),
            }
            parameters = path_params + (_query_parameters(doc.query) if doc.query else [])
            parameters += [HEADER_PARAMETERS[name] for name in doc.headers]
            if parameters:
                operation["parameters"] = parameters
            if doc.body is not None:
                operation["requestBody"] = {
                    "required": True,
                    "content": {"application/json": {"schema": {"$ref": refs[doc.body]}}},
                }
            responses: dict[str, Any] = {}
            for status, target in sorted(doc.responses.items()):
                content = _content(target, refs)
                if (status == RESTORING or status >= 400) and target is not apidoc.Error:
                    # The restore gate and the error handlers answer with the error envelope.
                    schema = content["application/json"]["schema"]
                    error = {"$ref": refs[apidoc.Error]}
                    content["application/json"]["schema"] = {"oneOf": [schema, error]}
                responses[str(status)] = {
                    "description": "Success" if status < 300 else ERROR_TEXT.get(status, "Error"),
                }
                if content:
                    responses[str(status)]["content"] = content
            if till:
                responses["302"] = {"description": ERROR_TEXT[302]}
            for status in sorted(_error_statuses(doc, till, method, bool(path_params))):
                responses[str(status)] = {
                    "description": ERROR_TEXT.get(status, "Error"),
                    "content": _content(apidoc.Error, refs),
                }
            operation["responses"] = dict(sorted(responses.items()))
            paths.setdefault(openapi_path(rule.rule), {})[method.lower()] = operation
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "TillBook API",
            "version": app.config["VERSION"],
            "description": DESCRIPTION,
            "license": {"name": "MIT", "identifier": "MIT"},
        },
        "tags": [
            {"name": tag, "description": TILL_DESCRIPTION} if tag == TILL_TAG else {"name": tag}
            for tag in tags
        ],
        "paths": paths,
        "components": {
            "schemas": definitions["$defs"],
            "securitySchemes": {
                "bearerAuth": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "A token from POST /api/v1/auth/login or the profile page.",
                },
                "cookieAuth": {
                    "type": "apiKey",
                    "in": "cookie",
                    "name": "session",
                    "description": "The session cookie of a logged-in page (the till's calls).",
                },
                "csrfHeader": {
                    "type": "apiKey",
                    "in": "header",
                    "name": "X-CSRFToken",
                    "description": "The page's CSRF token (<meta name=csrf-token>), on writes.",
                },
            },
        },
    }


# ---------------------------------------------------------------- the readable page


def ref_name(schema: dict[str, Any]) -> str | None:
    """Return the component name a `$ref` points at, or None."""
    ref = schema.get("$ref", "")
    return ref.rsplit("/", 1)[-1] if ref else None


def type_parts(schema: dict[str, Any]) -> list[tuple[str, str | None]]:
    """Describe a schema as (text, linked component or None) parts for the API page."""
    if name := ref_name(schema):
        return [(name, name)]
    if "anyOf" in schema:
        parts: list[tuple[str, str | None]] = []
        for i, option in enumerate(schema["anyOf"]):
            if i:
                parts.append((" | ", None))
            parts.extend(type_parts(option))
        return parts
    if "enum" in schema:
        return [(" | ".join(f'"{v}"' for v in schema["enum"]), None)]
    if "const" in schema:
        return [(f'"{schema["const"]}"', None)]
    kind = schema.get("type", "any")
    if kind == "array":
        return [("array of ", None), *type_parts(schema.get("items", {}))]
    if kind == "object" and isinstance(schema.get("additionalProperties"), dict):
        return [("object of ", None), *type_parts(schema["additionalProperties"])]
    label = str(kind)
    if schema.get("pattern") == apidoc.MONEY_RE:
        label = "money string"
    elif schema.get("pattern") == apidoc.QTY_RE:
        label = "quantity string"
    elif schema.get("pattern") == apidoc.TIME_RE:
        label = "time string"
    return [(label, None)]


def property_rows(schema: dict[str, Any]) -> list[dict[str, Any]]:
    """Return one row per property of an object schema: name, type parts, required, notes."""
    required = set(schema.get("required", []))
    rows = []
    for name, prop in schema.get("properties", {}).items():
        notes = [prop.get("description", "")]
        for key, word in (
            ("maxLength", "at most {} characters"),
            ("minimum", "from {}"),
            ("maximum", "up to {}"),
            ("default", "default {}"),
        ):
            if key in prop and prop[key] is not None:
                notes.append(word.format(prop[key]))
        examples = prop.get("examples") or [
            ex for option in prop.get("anyOf", []) for ex in option.get("examples", [])
        ]
        if examples:
            notes.append(f"e.g. {examples[0]}")
        rows.append(
            {
                "name": name,
                "type": type_parts(prop),
                "required": name in required,
                "notes": "; ".join(n.rstrip(".") for n in notes if n),
            }
        )
    return rows
