"""HQ mode's API for shops: enrol once, push changesets, ask what HQ holds, pull what it sends.

Registered only when the app runs in HQ mode (`python app.py hq serve`). Shops authenticate
with the credential they got at enrolment (`Authorization: Bearer <credential>`), never with
a user's token; errors use the API's envelope `{"error": {"code", "message", "details"}}`.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from flask import Blueprint, Flask, current_app, g, request
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from posapp.api.errors import api_error_response
from posapp.errors import AuthError, DomainError, ValidationError
from posapp.extensions import db
from posapp.i18n import _
from posapp.services import hq, hq_down
from posapp.services.settings import load_settings
from posapp.web.uploads import upload_limit

bp = Blueprint("hq_api", __name__, url_prefix="/hq/api/v1")

HTTP_CODES = {
    400: "malformed_json",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    415: "unsupported_media_type",
}


@bp.errorhandler(DomainError)
def domain_error(exc: DomainError) -> ResponseReturnValue:
    """Answer a refused request in the API's envelope (the shop's push loop reads the code)."""
    db.session.rollback()
    return api_error_response(exc.code, exc.message, exc.status, exc.details)


@bp.errorhandler(HTTPException)
def http_error(exc: HTTPException) -> ResponseReturnValue:
    """Answer HTTP errors (a body too large, a wrong method) in the envelope too."""
    status = exc.code or 500
    if status == 413:
        message = _(
            "What was sent is too large: send at most %(limit)s MB at a time.",
            limit=hq.MAX_BODY_BYTES // (1024 * 1024),
        )
    elif status == 400:
        message = _("The request body is not valid JSON.")
    else:
        message = exc.description or exc.name
    return api_error_response(HTTP_CODES.get(status, "error"), message, status)


@bp.before_request
def shop_credential() -> None:
    """Resolve the calling shop from its bearer credential (every route but enrol)."""
    g.hq_shop_id = None
    if request.endpoint == "hq_api.enrol":
        return
    header = request.headers.get("Authorization", "")
    scheme, _space, credential = header.partition(" ")
    if scheme.lower() != "bearer" or not credential.strip():
        raise AuthError(
            _("Send the shop's credential: 'Authorization: Bearer <credential>'."),
            code="hq_credential_invalid",
        )
    g.hq_shop_id = hq.shop_by_credential(db.session, credential.strip()).id


def _body() -> Any:
    """The request's JSON (numbers with a fraction as Decimal, depth limited): 400 if broken."""
    length = request.content_length
    if length is not None and length > hq.MAX_BODY_BYTES:
        raise RequestEntityTooLarge()
    raw = request.get_data(cache=False)
    if len(raw) > hq.MAX_BODY_BYTES:  # a body sent without Content-Length
        raise RequestEntityTooLarge()
    try:
        return current_app.json.loads(raw)
    except ValueError:
        raise ValidationError(
            _("The request body is not valid JSON."), code="malformed_json"
        ) from None


@bp.post("/enrol")
@upload_limit(64 * 1024)
def enrol() -> tuple[dict[str, Any], int]:
    """Trade a one-time enrolment code for the shop's id and credential (201)."""
    body = _body()
    done = hq.enrol(db.session, body, load_settings(db.session).shop_name)
    return {"shop_id": done.shop_id, "credential": done.credential, "hq_name": done.hq_name}, 201


# In a push's JSON text, what may stand for a character PostgreSQL cannot store: the escape of
# NUL or of a UTF-16 surrogate (paired ones, as `ensure_ascii` writes emoji, match too). Raw
# control characters are not valid JSON, so without these every string is storable.
_RISKY_ESCAPE = re.compile(rb"\\u(?:0000|[dD][89a-fA-F])")


def _push_body() -> tuple[Any, bool]:
    """The push's JSON, and whether its text shows every value storable as it is: valid UTF-8,
    no risky escape, no number with a fraction, no NaN (the parser reports each it meets)."""
    fractions: list[str] = []

    def fraction(text: str) -> Decimal:
        fractions.append(text)
        return Decimal(text)

    def constant(text: str) -> float:  # NaN, Infinity: not numbers HQ keeps either
        fractions.append(text)
        return float(text)

    length = request.content_length
    if length is not None and length > hq.MAX_BODY_BYTES:
        raise RequestEntityTooLarge()
    raw = request.get_data(cache=False)
    if len(raw) > hq.MAX_BODY_BYTES:  # a body sent without Content-Length
        raise RequestEntityTooLarge()
    try:
        body = current_app.json.loads(raw, parse_float=fraction, parse_constant=constant)
    except ValueError:
        raise ValidationError(
            _("The request body is not valid JSON."), code="malformed_json"
        ) from None
    return body, not fractions and _utf8(raw) and not _RISKY_ESCAPE.search(raw)


def _utf8(raw: bytes) -> bool:
    if raw.isascii():
        return True
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:  # another encoding the parser accepted, or surrogates in UTF-8
        return False
    return True


@bp.post("/sync/push")
@upload_limit(hq.MAX_BODY_BYTES)
def push() -> dict[str, Any]:
    """Store a batch of the shop's changesets once each; answer the acked seq."""
    body, plain = _push_body()
    checked = hq.parse_push(body, scalars_checked=plain)
    return {"acked": hq.ingest(db.session, g.hq_shop_id, checked)}


@bp.get("/sync/status")
def status() -> dict[str, Any]:
    """Answer the highest contiguous seq HQ holds of the calling shop."""
    return {"acked": hq.acked_seq(db.session, g.hq_shop_id)}


@bp.get("/sync/pull")
def pull() -> dict[str, Any]:
    """Answer the items HQ sends this shop after seq `after` (its own and every shop's)."""
    after, limit = hq_down.parse_pull(request.args.get("after"), request.args.get("limit"))
    pulled = hq_down.items_for(db.session, g.hq_shop_id, after, limit)
    return {"items": pulled.items, "last": pulled.last, "more": pulled.more}


def register(app: Flask) -> None:
    """Add the HQ API to an app in HQ mode (no CSRF: shops authenticate by credential)."""
    from posapp.extensions import csrf

    app.register_blueprint(bp)
    csrf.exempt(bp)
