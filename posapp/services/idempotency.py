"""Idempotency keys: a retried API write answers its first result and writes nothing again.

A till on a flaky LAN may send a sale twice (the answer was lost, not the request). A caller
that sends `Idempotency-Key` on a POST creating money or stock records gets, for a retry with
the same key and body, the stored answer of the first request. The key row is written by a
`within` step (services/hooks.py) in the same transaction as the records, so a key exists
exactly when its records do: a request that failed left no key and may be retried for real.

Two requests with the same key at once both pass the first look-up; the unique constraint
(user_id, key) fails the later insert, its whole transaction (the second invoice with it) rolls
back, and the caller answers the winner's stored row instead.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from posapp.errors import ValidationError
from posapp.i18n import _
from posapp.models import IdempotencyKey
from posapp.models.base import affected, utcnow
from posapp.services.hooks import Within

T = TypeVar("T")
HEADER = "Idempotency-Key"
KEY_LIMIT = 200
KEY_RE = re.compile(r"[\x20-\x7e]{1," + str(KEY_LIMIT) + "}")
ENDPOINT_LIMIT = 80  # the column's width
KEEP = timedelta(hours=24)  # older keys may be purged: a retry comes within minutes
PURGE_EVERY_SECONDS = 600  # purge at most this often per process (one DELETE, indexed)
REUSED = "idempotency_key_reused"
_next_purge: list[int] = [0]  # time.monotonic_ns() after which the next purge may run


@dataclass(frozen=True)
class Claim:
    """What a request with a key asks for: who, which key, which operation, which body."""

    user_id: int
    key: str
    endpoint: str  # "POST /api/v1/invoice/create": the operation, not the ids in its path
    request_hash: str  # sha256 of the request's path and canonical body


@dataclass(frozen=True)
class Answer:
    """An answer as sent: its status and JSON text."""

    status_code: int
    body: str


def parse_key(raw: str | None) -> str | None:
    """Return the header's key (None when absent); 1-200 printable ASCII characters, else 422."""
    if raw is None:
        return None
    if not KEY_RE.fullmatch(raw):
        raise ValidationError(
            _(
                "%(header)s must be 1 to %(limit)s printable ASCII characters.",
                header=HEADER,
                limit=KEY_LIMIT,
            ),
            field=HEADER,
            code="invalid_idempotency_key",
        )
    return raw


def _plain(value: Any) -> Any:
    """JSON numbers arrive as Decimal (money never becomes a float): keep their exact text."""
    return str(value)


def request_hash(path: str, body: Mapping[str, Any] | None) -> str:
    """Hash a request's path and body; key order and spacing of the JSON do not matter."""
    canonical = json.dumps(
        body or {}, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_plain
    )
    return hashlib.sha256(f"{path}\n{canonical}".encode()).hexdigest()


def make_claim(user_id: int, key: str, endpoint: str, path: str, body: Mapping[str, Any]) -> Claim:
    """Build the claim of a request (the endpoint cut to the column's width)."""
    return Claim(user_id, key, endpoint[:ENDPOINT_LIMIT], request_hash(path, body))


def find(session: Session, claim: Claim) -> IdempotencyKey | None:
    """Return the stored answer for the caller's key, if a request with it succeeded."""
    return session.scalar(
        select(IdempotencyKey).where(
            IdempotencyKey.user_id == claim.user_id, IdempotencyKey.key == claim.key
        )
    )


def replay(stored: IdempotencyKey, claim: Claim) -> Answer:
    """Return the stored answer for a retry; a key reused for another request is a 422."""
    if stored.endpoint != claim.endpoint or stored.request_hash != claim.request_hash:
        raise ValidationError(
            _(
                "This %(header)s was already used for a different request; send a new key for "
                "a new request, or the same body to get the first answer again.",
                header=HEADER,
            ),
            field=HEADER,
            code=REUSED,
        )
    return Answer(stored.status_code, stored.response)


def remember(claim: Claim, answer_of: Callable[[T], Answer]) -> Within[T]:
    """Return the `within` step that stores the answer with the records, in their transaction.

    A concurrent request that stored the same key first makes this insert fail on the unique
    constraint, which rolls the whole transaction back.
    """

    def step(session: Session, result: T) -> None:
        answer = answer_of(result)
        session.add(
            IdempotencyKey(
                user_id=claim.user_id,
                key=claim.key,
                endpoint=claim.endpoint,
                request_hash=claim.request_hash,
                status_code=answer.status_code,
                response=answer.body,
                created_at=utcnow(),
            )
        )
        session.flush()
        now = time.monotonic_ns()
        if now >= _next_purge[0]:
            _next_purge[0] = now + PURGE_EVERY_SECONDS * 1_000_000_000
            purge(session)

    return step


def purge(session: Session, now: datetime | None = None) -> int:
    """Delete keys older than 24 hours (inside the caller's transaction); return how many."""
    cutoff = (now or utcnow()) - KEEP
    return affected(
        session.execute(delete(IdempotencyKey).where(IdempotencyKey.created_at < cutoff))
    )
