"""The shop's HQ client: enrol once, then push the outbox to HQ (issue 24, the sync protocol).

Flask-free. HTTP through urllib (standard library) with a timeout on every request; the opener
is a parameter so tests and the CLI can choose one, and the tests talk real HTTP to a server.

- `enrol`: the Admin -> HQ page's form (HQ address + code, or the QR's text) -> POST
  /hq/api/v1/enrol; on 201 the shop stores HQ's address, its shop id and credential, audits
  `hq.enrol` and writes the backfill of its existing records, all in one transaction.
- `push`: sends the outbox from HQ's acked seq + 1 in batches (at most 200 changesets or
  5 MB), stores each answered `acked`; resumes from HQ's acked after a `sync_gap`; raises
  `HqRefused` on 401 (the loop stops) and `HqUnavailable` on a network error or a 5xx (the
  loop retries with backoff). HTTP never runs inside a write transaction: the sale's writer
  lock is only taken for the short write that stores an ack.
- `pull` (after every successful push): GET /hq/api/v1/sync/pull from the shop's cursor and
  apply each item in its own write transaction with the cursor (services/hq_apply.py); an HQ
  without the pull route (404) sends nothing down.
- `Pusher`: the push loop as a daemon thread with a stop event (Windows has no SIGTERM) and a
  wake event ("Sync now").
"""

from __future__ import annotations

import json
import logging
import threading
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from http.client import HTTPException
from typing import Any, Protocol

from sqlalchemy import delete, func, insert, select, text
from sqlalchemy.orm import Session

from posapp.errors import DomainError, Forbidden, ValidationError
from posapp.i18n import LazyString, _, lazy
from posapp.models import SyncOutbox
from posapp.models.base import engine_of, table, utcnow, write_transaction
from posapp.services import audit, hq_apply, sync_outbox
from posapp.services.settings import HqLink, load_hq, load_settings, save_hq

log = logging.getLogger(__name__)

ENROL_PATH = "/hq/api/v1/enrol"
PUSH_PATH = "/hq/api/v1/sync/push"
STATUS_PATH = "/hq/api/v1/sync/status"
PULL_PATH = "/hq/api/v1/sync/pull"
PULL_LIMIT = 500
QR_SCHEME = "tillbook-hq:"
MAX_CHANGESETS = 200  # per request (the protocol's bound)
MAX_BYTES = 5 * 1024 * 1024  # per request body, unless one changeset alone is larger
TIMEOUT_SECONDS = 30.0
BACKOFF_FIRST = 5.0
BACKOFF_MAX = 300.0
KEEP_ACKED_DAYS = 30  # acked outbox rows older than this are deleted (HQ holds them)
MAX_URL = 300

# What the Admin -> HQ page shows after HQ answered 401 (the push loop has stopped).
CREDENTIAL_REFUSED = lazy(
    "HQ refused this shop's credential. Ask the owner for a new enrolment code and enrol again."
)
_OUTBOX = table(SyncOutbox)


class Opener(Protocol):
    """urllib's OpenerDirector, or anything that opens a Request the same way."""

    def open(self, fullurl: urllib.request.Request, data: None = None, timeout: float = ...) -> Any:
        """Send the request; an HTTP error status raises urllib.error.HTTPError."""


def default_opener() -> Opener:
    """urllib's opener (it honours the machine's proxy settings, as a browser would)."""
    return urllib.request.build_opener()


class HqUnavailable(Exception):
    """HQ could not be reached or failed (network error, 5xx, an answer that is not JSON).

    `message` is the reason in words, for the Admin -> HQ page; the loop retries.
    """

    def __init__(self, message: str | LazyString) -> None:
        super().__init__(str(message))
        self.message = str(message)  # in the language of the moment it failed
        self.words = message  # kept as a message, so the page can say it in its reader's


class HqRefused(Exception):
    """HQ answered 401: the shop's credential is not valid any more; the loop stops."""


@dataclass(frozen=True)
class Answer:
    """An HTTP answer from HQ: its status and its JSON body ({} when it had none)."""

    status: int
    body: dict[str, Any]

    @property
    def error_code(self) -> str:
        """The API error envelope's machine code, "" when there is none."""
        error = self.body.get("error")
        return str(error.get("code", "")) if isinstance(error, dict) else ""

    @property
    def error_details(self) -> dict[str, Any]:
        error = self.body.get("error")
        details = error.get("details") if isinstance(error, dict) else None
        return details if isinstance(details, dict) else {}


def call(
    opener: Opener,
    method: str,
    url: str,
    body: dict[str, Any] | bytes | None = None,
    credential: str = "",
    timeout: float = TIMEOUT_SECONDS,
) -> Answer:
    """Send one JSON request to HQ (`body` a dict, or JSON already encoded); raise
    HqUnavailable when no HTTP answer came back."""
    if isinstance(body, bytes):
        data: bytes | None = body
    else:
        data = json.dumps(body, separators=(",", ":")).encode("utf-8") if body is not None else None
    headers = {"Accept": "application/json", "User-Agent": "TillBook-shop"}
    if data is not None:
        headers["Content-Type"] = "application/json"
    if credential:
        headers["Authorization"] = f"Bearer {credential}"
    if not url.startswith(("https://", "http://")):
        raise ValueError(f"HQ's address must be http(s): {url!r}")
    # Only http(s), checked above (parse_enrolment checked the stored address too).
    request = urllib.request.Request(url, data=data, headers=headers, method=method)  # noqa: S310
    try:
        response = opener.open(request, timeout=timeout)
        try:
            status, raw = response.status, response.read()
        finally:
            response.close()
    except urllib.error.HTTPError as exc:  # an answer with an error status: read its envelope
        try:
            status, raw = exc.code, exc.read()
        except (OSError, HTTPException):
            status, raw = exc.code, b""
        finally:
            exc.close()
    except (urllib.error.URLError, OSError, HTTPException, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        raise HqUnavailable(
            lazy("Could not reach HQ at %(url)s: %(reason)s", url=url, reason=str(reason))
        ) from exc
    try:
        parsed = json.loads(raw.decode("utf-8")) if raw else {}
    except (UnicodeDecodeError, ValueError):
        parsed = None
    if not isinstance(parsed, dict):
        if status >= 500:
            parsed = {}
        else:
            raise HqUnavailable(
                lazy("HQ's answer was not understood (HTTP %(status)s).", status=status)
            )
    return Answer(status, parsed)


# ---------------------------------------------------------------- enrolment


def parse_enrolment(address: str, code: str) -> tuple[str, str]:
    """HQ's base URL and the enrolment code from the form (the QR's text fills both).

    Raises ValidationError (nothing is sent) for a missing or malformed address or code.
    """
    address, code = (address or "").strip(), (code or "").strip()
    for given in (code, address):
        if given.startswith(QR_SCHEME) and "#" in given:
            address, code = given[len(QR_SCHEME) :].rsplit("#", 1)
            break
    address = address.strip().rstrip("/")
    if not address:
        raise ValidationError(_("Enter HQ's address, e.g. https://hq.example.in."), field="url")
    parts = urllib.parse.urlsplit(address)
    if (
        len(address) > MAX_URL
        or parts.scheme not in ("http", "https")
        or not parts.hostname
        or parts.query
        or parts.fragment
        or any(ch.isspace() for ch in address)
    ):
        raise ValidationError(
            _("HQ's address must be a web address starting with https:// or http://."),
            field="url",
        )
    normal = "".join(ch for ch in code.upper() if ch.isalnum())
    if not normal or len(normal) > 64 or not normal.isascii():
        raise ValidationError(_("Enter the enrolment code HQ showed."), field="code")
    return address, normal


@dataclass(frozen=True)
class Enrolled:
    """What enrolment stored: HQ's name and address, the shop id, the backfill's size."""

    hq_name: str
    url: str
    shop_id: str
    changesets: int


def enrol(
    session: Session,
    address: str,
    code: str,
    user_id: int | None,
    version: str,
    opener: Opener | None = None,
) -> Enrolled:
    """Enrol this shop at HQ with a one-time code and start its outbox (see module doc)."""
    if load_hq(session).enrolled:
        raise DomainError(_("This shop is already enrolled at an HQ."), code="conflict", status=409)
    url, normal = parse_enrolment(address, code)
    settings = load_settings(session)
    body = {
        "code": normal,
        "shop": {"name": settings.shop_name, "gstin": settings.tax_number, "version": version},
    }
    session.rollback()  # end the read: no transaction stays open while HQ answers
    try:
        answer = call(opener or default_opener(), "POST", url + ENROL_PATH, body)
    except HqUnavailable as exc:
        raise DomainError(exc.message, code="hq_unreachable", status=502) from None
    if answer.status == 403 or answer.error_code == "enrolment_code_invalid":
        raise Forbidden(
            _("HQ did not accept this enrolment code: it is unknown, used or expired."),
            code="enrolment_code_invalid",
        )
    shop_id = answer.body.get("shop_id")
    credential = answer.body.get("credential")
    hq_name = answer.body.get("hq_name")
    if (
        answer.status != 201
        or not isinstance(shop_id, str)
        or not 0 < len(shop_id) <= 64
        or not isinstance(credential, str)
        or not 32 <= len(credential) <= 512
    ):
        raise DomainError(
            _("HQ could not enrol this shop (HTTP %(status)s).", status=answer.status),
            code="hq_error",
            status=502,
        )
    name = hq_name if isinstance(hq_name, str) else ""
    with write_transaction(session):
        if load_hq(session).enrolled:  # another admin enrolled meanwhile
            raise DomainError(
                _("This shop is already enrolled at an HQ."), code="conflict", status=409
            )
        save_hq(
            session,
            url=url,
            shop_id=shop_id,
            credential=credential,
            acked_seq=0,
            last_sync="",
            last_error="",
        )
        audit.record(
            session,
            "hq.enrol",
            user_id=user_id,
            entity="settings",
            after={"hq_url": url, "hq_shop_id": shop_id, "hq_name": name[:120]},
        )
        # The backfill holds every record, this transaction's audit entry too: its own
        # changeset would only repeat it.
        sync_outbox.discard_pending(session)
        changesets = sync_outbox.backfill(session)
    sync_outbox.set_enrolled(engine_of(session), True)
    return Enrolled(name[:120], url, shop_id, changesets)


# ---------------------------------------------------------------- push


@dataclass
class PushResult:
    """One push run: the changesets HQ acknowledged and where it stands."""

    sent: int = 0  # changesets HQ newly acknowledged in this run
    acked: int = 0
    requests: int = 0
    applied: int = 0  # items pulled from HQ and applied after the push
    refused: int = 0  # items pulled from HQ that this shop could not apply (recorded)
    pulled_seq: int = 0  # the shop's cursor of HQ's items after the run


@dataclass(frozen=True)
class Changeset:
    """One outbox row ready to send: its payload is the stored JSON text, sent as it is."""

    seq: int
    at: str
    payload: str


_RECORDS_PREFIX = '{"records":'


def _batch(session: Session, after: int) -> list[Changeset]:
    """The next changesets after seq `after`: consecutive, at most MAX_CHANGESETS or MAX_BYTES
    (one larger changeset goes alone). The first is sent even past a hole: HQ answers
    `sync_gap` when it lacks what lies between."""
    rows = session.execute(
        select(_OUTBOX.c.seq, _OUTBOX.c.created_at, _OUTBOX.c.payload)
        .where(_OUTBOX.c.seq > after)
        .order_by(_OUTBOX.c.seq)
        .limit(MAX_CHANGESETS)
    ).all()
    session.rollback()  # a read only: release it before talking to HQ
    batch: list[Changeset] = []
    size = 0
    for seq, created_at, payload in rows:
        if batch and (seq != batch[-1].seq + 1 or size + len(payload) > MAX_BYTES):
            break  # a hole (on PostgreSQL, a transaction still committing): next request
        if not payload.startswith(_RECORDS_PREFIX):
            # Not as this version writes it (sync_outbox.add_changeset): normalise once.
            records = json.loads(payload)["records"]
            payload = json.dumps({"records": records}, separators=(",", ":"), ensure_ascii=False)
        batch.append(Changeset(seq, created_at.isoformat() + "Z", payload))
        size += len(payload)
    return batch


def push_body(shop_id: str, batch: list[Changeset], clock: str, top: int) -> bytes:
    """The push request's JSON, with each changeset's stored text spliced in as it is.

    Decoding every stored changeset only to encode it again cost the shop about as much time
    as HQ spends storing it (a week's catch-up is 70 requests); the text is already JSON.
    """
    head = json.dumps(shop_id)
    parts = [
        '{"seq":%d,"at":%s,%s' % (c.seq, json.dumps(c.at), c.payload[1:])  # noqa: UP031
        for c in batch
    ]
    text = '{"shop_id":%s,"changesets":[%s],"shop_clock":%s,"outbox_top":%d}' % (  # noqa: UP031
        head,
        ",".join(parts),
        json.dumps(clock),
        top,
    )
    return text.encode("utf-8")


def _store(session: Session, **values: str | int) -> None:
    """Store the push's state. Bookkeeping, not a user's action: no audit entry (one per
    push would flood the log), and settings are not a synced kind, so no changeset either."""
    with write_transaction(session):
        save_hq(session, **values)
        if "acked_seq" in values:
            cutoff = utcnow() - timedelta(days=KEEP_ACKED_DAYS)
            session.execute(
                delete(_OUTBOX).where(
                    _OUTBOX.c.seq <= int(values["acked_seq"]), _OUTBOX.c.created_at < cutoff
                )
            )


def _failed(session: Session, message: str | LazyString) -> None:
    try:
        _store(session, last_error=_stored_words(message), last_attempt=utcnow().isoformat())
    except Exception:  # the shop's database busy: the page misses one reason
        log.exception("could not store the HQ push error")


# A failure is stored as its message and values, not as words: the push thread has no reader
# (no request, no language), and the page says it in the language of whoever opens it.
_WORDS_PREFIX = '{"msgid":'


def _stored_words(message: str | LazyString) -> str:
    if not isinstance(message, LazyString) or message.context is not None:
        return str(message)
    values = {
        name: value if isinstance(value, int | str) else str(value)
        for name, value in message.values.items()
    }
    return json.dumps({"msgid": message.message, "values": values}, ensure_ascii=False)


def error_text(stored: str) -> str:
    """The stored reason the last push failed, in the current language ("" for none)."""
    if not stored.startswith(_WORDS_PREFIX):
        return stored  # plain words: the refused credential's, or from an older version
    try:
        found = json.loads(stored)
        return _(str(found["msgid"]), **dict(found["values"]))
    except (ValueError, KeyError, TypeError):
        return stored  # a hand-edited value: shown as it is rather than failing the page


# One push at a time per process (the loop and "Sync now"): two would store acks out of order.
_PUSH_LOCK = threading.Lock()


def push(session: Session, opener: Opener | None = None) -> PushResult:
    """Push the outbox to HQ until it is empty (see the module doc for errors)."""
    with _PUSH_LOCK:
        result = _push(session, opener)
        _pull(session, opener or default_opener(), result)
        return result


def _pull(session: Session, opener: Opener, result: PushResult) -> None:
    """Pull HQ's items after the shop's cursor and apply each (services/hq_apply.py).

    Network errors, 5xx and 401 are handled as a push's; an HQ without the route (404, an
    older HQ) sends nothing down. A malformed answer stops the pull (HqUnavailable), the
    cursor where the last applied item left it.
    """
    link = load_hq(session)
    while True:
        cursor = hq_apply.pulled_seq(session)
        session.rollback()
        path = f"{PULL_PATH}?after={cursor}&limit={PULL_LIMIT}"
        answer = _send(session, opener, link, path, None)
        if answer.status == 404 and answer.error_code in ("not_found", ""):
            result.pulled_seq = cursor
            return
        items, last, more = (
            answer.body.get("items"),
            answer.body.get("last"),
            answer.body.get("more"),
        )
        if (
            answer.status != 200
            or not isinstance(items, list)
            or _acked_in({"acked": last}) is None
            or not isinstance(more, bool)
        ):
            message = (
                _unexpected(answer)
                if answer.status != 200
                else lazy("HQ's changes were not understood (HTTP %(status)s).", status=200)
            )
            _failed(session, message)
            raise HqUnavailable(message)
        for item in items:
            if not isinstance(item, dict) or _acked_in({"acked": item.get("seq")}) is None:
                message = lazy("HQ's changes were not understood (HTTP %(status)s).", status=200)
                _failed(session, message)
                raise HqUnavailable(message)
            if int(item["seq"]) <= cursor:
                continue  # applied before
            if hq_apply.apply(session, item) is None:
                result.applied += 1
            else:
                result.refused += 1
        assert isinstance(last, int)
        if last > hq_apply.pulled_seq(session):
            # Items of other shops lie up to `last`: the cursor passes them once.
            with write_transaction(session):
                hq_apply.move_cursor(session, last)
        result.pulled_seq = hq_apply.pulled_seq(session)
        session.rollback()
        if not more or not items:
            return


def _push(session: Session, opener: Opener | None) -> PushResult:
    opener = opener or default_opener()
    link = load_hq(session)
    if not link.enrolled:
        session.rollback()
        raise DomainError(_("This shop is not enrolled at an HQ."), code="not_enrolled")
    result = PushResult(acked=link.acked_seq)
    acked = link.acked_seq
    if link.recheck_ack:
        acked = result.acked = _recheck_ack(session, opener, link)
    while True:
        batch = _batch(session, acked)
        if not batch:
            now = utcnow().isoformat()
            _store(session, last_sync=now, last_error="", last_attempt=now)
            return result
        top = session.scalar(select(func.max(_OUTBOX.c.seq))) or batch[-1].seq
        session.rollback()
        body = push_body(link.shop_id, batch, utcnow().isoformat() + "Z", int(top))
        answer = _send(session, opener, link, PUSH_PATH, body)
        result.requests += 1
        if answer.status == 409 and answer.error_code == "sync_gap":
            # HQ holds less than the shop thinks (HQ restored from a backup, or the shop's
            # record of the ack is newer than HQ's): send again from what HQ holds.
            held = _acked_in(answer.error_details)
            if held is None or held >= acked:
                # Sending from HQ's seq did not help: the shop pruned what HQ now lacks.
                message = lazy(
                    "HQ is missing changesets this shop no longer holds (HQ has them up to "
                    "number %(acked)s).",
                    acked=held if held is not None else "?",
                )
                _failed(session, message)
                raise HqUnavailable(message)
            acked = result.acked = held
            _store(session, acked_seq=acked)
            continue
        held = _acked_in(answer.body) if answer.status == 200 else None
        if held is None:
            message = _unexpected(answer)
            _failed(session, message)
            raise HqUnavailable(message)
        if held > batch[-1].seq and _renumber_after(session, acked, held):
            # HQ holds numbers this shop has not sent: its database went back (a restore)
            # and the changesets since then reused them. Sent again under new numbers.
            log.warning("outbox numbers reused after a restore: renumbered above %s", held)
            _store(session, acked_seq=held)
            acked = result.acked = held
            continue
        result.sent += max(0, held - acked)
        acked = result.acked = held
        _store(session, acked_seq=acked, last_sync=utcnow().isoformat(), last_error="")


def _renumber_after(session: Session, acked: int, held: int) -> bool:
    """Give the changesets after `acked` numbers above `held`, if the shop never issued `held`.

    HQ acknowledging a number above every one the shop holds means the shop's numbering went
    back (a backup restored after HQ had more): the changesets after the shop's own ack may be
    new ones HQ skipped as duplicates, so they go again as new changesets. Returns whether it
    renumbered.
    """
    with write_transaction(session):
        newest = session.execute(select(func.max(_OUTBOX.c.seq))).scalar() or 0
        if held <= newest:
            return False
        _move_above(session, acked, held)
    return True


def _recheck_ack(session: Session, opener: Opener, link: HqLink) -> int:
    """After a restore, before sending: ask HQ's ack, and renumber if HQ is ahead.

    A restored copy only knows the ack it was backed up with. If HQ holds more (the old
    computer pushed after the backup), the copy's new changesets reuse numbers HQ already
    holds and HQ would skip them as duplicates; the answer to a push cannot show that when
    the copy has written past HQ's number. So every changeset after the copy's ack goes
    again above HQ's (re-sending one HQ has is harmless: records are upserted). Returns the
    ack to send from. The flag is cleared in the same transaction as the renumbering.
    """
    held = _ask_acked(session, opener, link)
    with write_transaction(session):
        if held > link.acked_seq:
            _move_above(session, link.acked_seq, held)
            save_hq(session, acked_seq=held)
            log.warning("HQ holds changesets up to %s after a restore: renumbered above", held)
        save_hq(session, recheck_ack=False)
    # HQ behind the copy (HQ itself restored) is the push's sync_gap answer's case.
    return max(held, link.acked_seq)


def _ask_acked(session: Session, opener: Opener, link: HqLink) -> int:
    """HQ's acked seq for this shop (GET sync/status); HqUnavailable, stored, if not said."""
    answer = _send(session, opener, link, STATUS_PATH, None)
    held = _acked_in(answer.body) if answer.status == 200 else None
    if held is None:
        message = _unexpected(answer)
        _failed(session, message)
        raise HqUnavailable(message)
    return held


def _move_above(session: Session, acked: int, held: int) -> None:
    """Renumber the changesets after `acked` to follow `held`, in order (caller's transaction)."""
    rows = session.execute(
        select(_OUTBOX.c.created_at, _OUTBOX.c.payload, _OUTBOX.c.size)
        .where(_OUTBOX.c.seq > acked)
        .order_by(_OUTBOX.c.seq)
    ).all()
    session.execute(delete(_OUTBOX).where(_OUTBOX.c.seq > acked))
    for number, row in enumerate(rows, start=held + 1):
        session.execute(insert(_OUTBOX).values(seq=number, **row._mapping))
    if session.get_bind().dialect.name == "postgresql":
        # Explicit numbers do not move PostgreSQL's sequence (SQLite's AUTOINCREMENT moves).
        session.execute(
            text("SELECT setval(pg_get_serial_sequence('sync_outbox', 'seq'), :last)"),
            {"last": held + len(rows)},
        )


def _acked_in(body: dict[str, Any]) -> int | None:
    value = body.get("acked")
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


def _unexpected(answer: Answer) -> LazyString:
    error = answer.body.get("error")
    message = error.get("message") if isinstance(error, dict) else None
    if isinstance(message, str) and message:
        return lazy(
            "HQ answered HTTP %(status)s: %(reason)s", status=answer.status, reason=message[:300]
        )
    return lazy("HQ answered HTTP %(status)s.", status=answer.status)


def _send(
    session: Session, opener: Opener, link: HqLink, path: str, body: dict[str, Any] | bytes | None
) -> Answer:
    """One authenticated request; 401 stops, a network error or 5xx is retried later."""
    try:
        answer = call(
            opener, "POST" if body is not None else "GET", link.url + path, body, link.credential
        )
    except HqUnavailable as exc:
        _failed(session, exc.words)
        raise
    if answer.status == 401:
        # Stored in English, the words the page looks up in the reader's language: the page
        # tells a refused credential from other errors by them.
        _failed(session, CREDENTIAL_REFUSED.message)
        raise HqRefused(str(CREDENTIAL_REFUSED))
    if answer.status >= 500:
        message = _unexpected(answer)
        _failed(session, message)
        raise HqUnavailable(message)
    return answer


def resume_from_hq(session: Session, opener: Opener | None = None) -> int:
    """Ask HQ for its acked seq (GET sync/status) and store it: for a shop that lost its own."""
    link = load_hq(session)
    session.rollback()
    if not link.enrolled:
        raise DomainError(_("This shop is not enrolled at an HQ."), code="not_enrolled")
    held = _ask_acked(session, opener or default_opener(), link)
    _store(session, acked_seq=held)
    return held


# ---------------------------------------------------------------- status


@dataclass(frozen=True)
class Status:
    """What the Admin -> HQ page and `app.py hq status` show."""

    link: HqLink
    waiting_changesets: int
    waiting_records: int
    refused: bool  # HQ refused the credential: the loop has stopped


def status(session: Session) -> Status:
    """The link to HQ and what waits to go."""
    link = load_hq(session)
    changesets, records = sync_outbox.waiting(session, link.acked_seq)
    return Status(link, changesets, records, link.last_error == CREDENTIAL_REFUSED.message)


# ---------------------------------------------------------------- the push loop


class Pusher:
    """The push loop: a daemon thread pushing whenever there is something to send.

    `session_factory` gives a fresh session per round (closed after it). Between rounds it
    waits `idle` seconds, or until `wake()` ("Sync now", a sale); after a failure it waits
    5 s, doubling to 5 min. A 401 ends the loop until `wake()` after a new enrolment.
    """

    def __init__(
        self,
        session_factory: Callable[[], Session],
        opener: Opener | None = None,
        idle: float = 30.0,
    ) -> None:
        self._session_factory = session_factory
        self._opener = opener
        self._idle = idle
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self.refused = False

    def start(self) -> None:
        """Start the thread (a daemon: it never keeps the process alive)."""
        self._thread = threading.Thread(target=self._run, name="hq-push", daemon=True)
        self._thread.start()

    def wake(self) -> None:
        """Push now, without waiting out the idle time or a backoff."""
        self.refused = False
        self._wake.set()

    def stop(self, timeout: float = 5.0) -> None:
        """Ask the loop to stop and wait for it (a request in flight ends at its timeout)."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _run(self) -> None:
        delay = BACKOFF_FIRST
        while not self._stop.is_set():
            wait = self._idle
            if not self.refused:
                try:
                    self.round()
                    delay = BACKOFF_FIRST
                except HqRefused:
                    self.refused = True  # until an admin acts (wake)
                    log.warning("HQ refused this shop's credential; pushing stopped")
                except HqUnavailable as exc:
                    log.info("HQ push failed, retrying in %.0f s: %s", delay, exc.message)
                    wait, delay = delay, min(delay * 2, BACKOFF_MAX)
                except Exception:  # the loop must outlive any one failure
                    log.exception("HQ push failed")
                    wait, delay = delay, min(delay * 2, BACKOFF_MAX)
            self._wake.wait(wait)
            self._wake.clear()

    def round(self) -> PushResult | None:
        """One push of everything waiting (None when the shop is not enrolled)."""
        session = self._session_factory()
        try:
            if not load_hq(session).enrolled:
                return None
            return push(session, self._opener)
        finally:
            session.close()
