"""API: the `Idempotency-Key` header of the POSTs that create money or stock records.

`once` runs the service call with the `within` step of services/idempotency.py, so the answer
is stored in the records' own transaction; a retry gets the stored answer back, marked
`Idempotent-Replayed: true`, and nothing is written.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import Response, current_app, request
from sqlalchemy.exc import IntegrityError

from posapp.api.base import V1_PREFIX, caller, is_legacy_path, json_body, successor_path
from posapp.apidoc import IDEMPOTENCY_HEADER
from posapp.errors import DomainError
from posapp.extensions import db
from posapp.services import idempotency
from posapp.services.hooks import Within

W = TypeVar("W")  # what the service hands its `within` step
R = TypeVar("R")  # what the service returns
REPLAYED = "Idempotent-Replayed"
__all__ = ["IDEMPOTENCY_HEADER", "KEY_DESCRIPTION", "REPLAYED", "once"]
KEY_DESCRIPTION = (
    "Send an `Idempotency-Key` header (1-200 printable ASCII characters, e.g. a UUID) to make"
    " a retry safe: the same key with the same body answers the first result again (with"
    " `Idempotent-Replayed: true`) and writes nothing; the same key with another body or"
    " operation answers 422 `idempotency_key_reused`. Keys are kept for 24 hours."
)


def _operation() -> tuple[str, str]:
    """The operation (its v1 rule) and the v1 path of this request, whichever path it came by."""
    rule = request.url_rule.rule if request.url_rule is not None else request.path
    path = request.path
    if is_legacy_path(path):
        rule, path = successor_path(rule), successor_path(path)
    assert rule.startswith(V1_PREFIX)
    return f"{request.method} {rule}", path


def _send(answer: idempotency.Answer, replayed: bool) -> Response:
    response = Response(answer.body, status=answer.status_code, mimetype="application/json")
    if replayed:
        response.headers[REPLAYED] = "true"
    return response


def once(
    call: Callable[[Within[W] | None], R],
    render: Callable[[W | R], tuple[dict[str, Any], int]],
) -> Response:
    """Run `call` (given the step that stores the answer, or None without a key) and answer
    `render` of its result (with a key: of what the service handed the step, inside its
    transaction); with a key already answered, answer that instead."""
    key = idempotency.parse_key(request.headers.get(idempotency.HEADER))
    if key is None:
        body, status = render(call(None))
        return _send(idempotency.Answer(status, current_app.json.dumps(body)), replayed=False)
    endpoint, path = _operation()
    claim = idempotency.make_claim(caller().id, key, endpoint, path, json_body())
    stored = idempotency.find(db.session, claim)
    if stored is not None:
        return _send(idempotency.replay(stored, claim), replayed=True)
    first: list[idempotency.Answer] = []

    def answer_of(result: W) -> idempotency.Answer:
        body, status = render(result)
        first.append(idempotency.Answer(status, current_app.json.dumps(body)))
        return first[-1]

    try:
        call(idempotency.remember(claim, answer_of))
    except (IntegrityError, DomainError):
        # Another request with this key may have won meanwhile: its insert made ours fail, or
        # its records (the stock, a credit limit) made ours impossible. Then its answer stands.
        db.session.rollback()
        stored = idempotency.find(db.session, claim)
        if stored is None:
            raise
        return _send(idempotency.replay(stored, claim), replayed=True)
    return _send(first[-1], replayed=False)
