"""The append-only audit log, hash-chained so that any edit or deletion shows.

Each entry's plain SHA-256 hash chains it to the one before; anyone who can write the database
could still delete entries and recompute that chain. So, once an app binds a `Seal` to its
engine (create_app does), each entry also gets a keyed hash (HMAC-SHA256 of its chain hash with
a key kept in the data folder, outside the database), and the newest entry is recorded in an
anchor file beside it: id, chain hash and (when counted) how many entries lead up to it. The
anchor is written after commit at most once a second (never more than one small file write per
second, whatever the sales rate), and in full, with the count, when TillBook closes, at each
backup and restore, and when a cash session closes (the Z-report). `check` then reports a log
that ends before its anchor, an entry that differs from it, or a keyed hash that does not verify.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import secrets
import threading
import time
import weakref
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, NamedTuple

from sqlalchemy import bindparam, event, func, insert, select, text, update
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from posapp.i18n import _
from posapp.models import AuditLog
from posapp.models.base import table, utcnow
from posapp.vocabulary import AUDIT_ACTIONS, audit_action, audit_names

GENESIS = "0" * 64
# Any constant works; it only keeps the chain's lock apart from other advisory locks.
_PG_LOCK_KEY = 0x71B0_A0D1


def entry_hash(previous: str, entry: Any) -> str:
    """Hash an entry's content (an AuditLog or a row of its columns) with the previous hash."""
    content = {
        "id": entry.id,
        "at": entry.created_at.isoformat(timespec="microseconds") if entry.created_at else None,
        "user_id": entry.user_id,
        "action": entry.action,
        "entity": entry.entity,
        "entity_id": entry.entity_id,
        "before": entry.before,
        "after": entry.after,
    }
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(f"{previous}|{canonical}".encode()).hexdigest()


class _Entry(NamedTuple):
    """The hashed content of an entry about to be written (the same fields as an AuditLog)."""

    id: int
    created_at: datetime
    user_id: int | None
    action: str
    entity: str
    entity_id: int | None
    before: str | None
    after: str | None


_AUDIT = table(AuditLog)
# Statements built once: the audit entry is part of every sale, so its three statements go
# through Core (a fraction of the ORM unit of work's cost) with compiled forms cached.
_PREVIOUS = (
    select(_AUDIT.c.hash).where(_AUDIT.c.id < bindparam("before_id")).order_by(_AUDIT.c.id.desc())
).limit(1)
_SET_HASH = (
    update(_AUDIT)
    .where(_AUDIT.c.id == bindparam("entry_id"))
    .values(hash=bindparam("h"), mac=bindparam("m"))
)
_CHAIN_LOCK = text("SELECT pg_advisory_xact_lock(:key)")


def record(
    session: Session,
    action: str,
    *,
    user_id: int | None = None,
    entity: str = "",
    entity_id: int | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> int:
    """Add one chained audit entry to the current write transaction; return its id.

    The caller commits. The entry is written with Core statements on the session's
    connection, so it does not flush the caller's pending ORM objects.
    """
    if action not in AUDIT_ACTIONS:
        raise ValueError(f"audit action {action!r} has no entry in vocabulary.AUDIT_ACTIONS")
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        # SQLite's BEGIN IMMEDIATE already serialises writers; PostgreSQL needs this lock so two
        # transactions never chain onto the same previous entry.
        connection.execute(_CHAIN_LOCK, {"key": _PG_LOCK_KEY})
    values: dict[str, Any] = {
        "created_at": utcnow(),
        "user_id": user_id,
        "action": action,
        "entity": entity,
        "entity_id": entity_id,
        "before": json.dumps(before, sort_keys=True, default=str) if before is not None else None,
        "after": json.dumps(after, sort_keys=True, default=str) if after is not None else None,
        "hash": "",
    }
    # The id is part of what is hashed, so the entry is inserted first and hashed after.
    inserted = connection.execute(insert(_AUDIT), values).inserted_primary_key
    if inserted is None:
        raise RuntimeError("the database gave no id for the new audit entry")
    entry_id = int(inserted[0])
    previous = connection.execute(_PREVIOUS, {"before_id": entry_id}).scalar() or GENESIS
    del values["hash"]
    digest = entry_hash(previous, _Entry(id=entry_id, **values))
    seal = _SEALS.get(connection.engine)
    mac = seal.mac(digest) if seal is not None else None
    connection.execute(_SET_HASH, {"entry_id": entry_id, "h": digest, "m": mac})
    if seal is not None:
        tail = session.info.get(_TAIL_KEY)
        if tail is None or entry_id > tail[0]:
            session.info[_TAIL_KEY] = (entry_id, digest)
    return entry_id


# ---------------------------------------------------------------- the key and the anchor

AUDIT_KEY_ENV = "TILLBOOK_AUDIT_KEY"
KEY_FILE = "audit_key"
ANCHOR_FILE = "audit_anchor.json"
ANCHOR_EVERY_SECONDS = 1.0
_TAIL_KEY = "tillbook_audit_tail"
log = logging.getLogger(__name__)


def load_key(data_dir: Path) -> bytes:
    """Return the audit key: TILLBOOK_AUDIT_KEY, else the data folder's, made on first use.

    The file is created owner-only (0600 where the OS has modes; on Windows the data folder
    sits in the owner's profile, which other users cannot read).
    """
    given = os.environ.get(AUDIT_KEY_ENV, "").strip()
    if given:
        if len(given) < 32:
            raise RuntimeError(f"{AUDIT_KEY_ENV} must be at least 32 characters long.")
        return given.encode()
    path = Path(data_dir) / KEY_FILE
    try:
        existing = path.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError):
        existing = ""
    if len(existing) >= 64:
        return existing.encode()
    key = secrets.token_hex(32)
    partial = path.with_name(path.name + ".partial")
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="ascii") as handle:
        handle.write(key)
    os.replace(partial, path)
    return key.encode()


@dataclass(frozen=True)
class Anchor:
    """What the anchor file records: the newest entry, and how many lead up to it."""

    last_id: int
    hash: str
    count: int | None
    written_at: str

    def content(self) -> str:
        """The canonical text the anchor's keyed hash covers."""
        return f"{self.last_id}|{self.hash}|{self.count}|{self.written_at}"


@dataclass
class Seal:
    """An app's audit key and anchor file; bound to its engine by `bind`."""

    key: bytes
    anchor_path: Path
    every: float = ANCHOR_EVERY_SECONDS
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _anchored_id: int = 0
    _written: float = float("-inf")

    def mac(self, digest: str) -> str:
        """Return the keyed hash of an entry's chain hash."""
        return hmac.new(self.key, digest.encode("ascii"), hashlib.sha256).hexdigest()

    def note_commit(self, engine: Engine, entry_id: int, digest: str) -> None:
        """Anchor a committed entry, at most once every `every` seconds (never raises).

        The anchor moves on only while the log still holds the entry it records: otherwise
        entries written after a trimmed tail (SQLite reuses the freed ids) would hide it.
        """
        with self._lock:
            now = time.monotonic()
            if entry_id <= self._anchored_id or now - self._written < self.every:
                return
            self._written = now
            current, problem = self.read()
            if problem is not None or (current is not None and current.last_id >= entry_id):
                return  # kept as evidence, or another process anchored further already
            if current is not None and current.last_id:
                try:
                    with engine.connect() as connection:
                        if not _reaches(connection, current, count=False):
                            log.error("the audit log no longer reaches its anchor; kept")
                            return
                except SQLAlchemyError as exc:
                    log.error("could not compare the audit log with its anchor: %s", exc)
                    return
            self._write(Anchor(entry_id, digest, None, _now_text()))

    def write(self, anchor: Anchor) -> None:
        """Write a full anchor (after a restore it may go back: the log itself went back)."""
        with self._lock:
            self._write(anchor)
            self._written = time.monotonic()

    def _write(self, anchor: Anchor) -> None:
        body = {
            "last_id": anchor.last_id,
            "hash": anchor.hash,
            "count": anchor.count,
            "written_at": anchor.written_at,
            "mac": self.mac(anchor.content()),
        }
        partial = self.anchor_path.with_name(self.anchor_path.name + ".partial")
        try:
            partial.write_text(json.dumps(body, sort_keys=True), encoding="utf-8")
            os.replace(partial, self.anchor_path)
        except OSError as exc:  # a locked file (antivirus) must never fail a sale
            log.error("could not write the audit anchor: %s", exc)
            return
        self._anchored_id = anchor.last_id

    def read(self) -> tuple[Anchor | None, str | None]:
        """Return the anchor on disk (None if there is none) and a problem with it, if any."""
        try:
            raw = json.loads(self.anchor_path.read_text(encoding="utf-8"))
            anchor = Anchor(
                int(raw["last_id"]),
                str(raw["hash"]),
                None if raw.get("count") is None else int(raw["count"]),
                str(raw["written_at"]),
            )
            mac = str(raw["mac"])
        except FileNotFoundError:
            return None, None
        except (OSError, ValueError, KeyError, TypeError):
            return None, _(
                "the audit anchor %(file)s is damaged or unreadable", file=self.anchor_path.name
            )
        if not hmac.compare_digest(mac, self.mac(anchor.content())):
            return anchor, _(
                "the audit anchor %(file)s was altered (or made with another key)",
                file=self.anchor_path.name,
            )
        return anchor, None


def _now_text() -> str:
    return utcnow().isoformat(timespec="seconds")


_SEALS: weakref.WeakKeyDictionary[Engine, Seal] = weakref.WeakKeyDictionary()


def bind(engine: Engine, seal: Seal) -> None:
    """Give an engine's audit entries keyed hashes and an anchor."""
    _SEALS[engine] = seal


def seal_of(session: Session) -> Seal | None:
    """Return the seal bound to the session's engine (None: plain hashes only)."""
    bind_ = session.get_bind()
    engine = bind_ if isinstance(bind_, Engine) else bind_.engine
    return _SEALS.get(engine)


@event.listens_for(Session, "after_commit")
def _anchor_after_commit(session: Session) -> None:
    """Once the entries are committed (never before: a rollback would leave a false anchor)."""
    tail = session.info.pop(_TAIL_KEY, None)
    if tail is None:
        return
    seal = seal_of(session)
    if seal is not None:
        bind_ = session.get_bind()
        seal.note_commit(bind_ if isinstance(bind_, Engine) else bind_.engine, *tail)


@event.listens_for(Session, "after_rollback")
def _forget_after_rollback(session: Session) -> None:
    session.info.pop(_TAIL_KEY, None)


def write_anchor(session: Session, *, restored: bool = False) -> Anchor | None:
    """Anchor the log as it is now, with its count (at close, backup, restore, Z-report).

    Reads on a connection of its own, so the caller's session and objects are untouched; only
    committed entries are anchored. An anchor the log no longer reaches is evidence and is
    kept (the problem is logged; `check` reports it); only a restore, which really does take
    the log back, moves the anchor back (`restored=True`).
    """
    seal = seal_of(session)
    if seal is None:
        return None
    bind_ = session.get_bind()
    engine = bind_ if isinstance(bind_, Engine) else bind_.engine
    current, problem = (None, None) if restored else seal.read()
    with engine.connect() as connection:
        count, last_id = connection.execute(select(func.count(), func.max(_AUDIT.c.id))).one()
        digest = ""
        if last_id is not None:
            found = connection.execute(select(_AUDIT.c.hash).where(_AUDIT.c.id == last_id))
            digest = found.scalar() or ""
        kept = current is not None and problem is None and current.last_id > 0
        if kept and current is not None and not _reaches(connection, current, count=True):
            log.error(
                "the audit log no longer matches its anchor (#%d); the anchor is kept",
                current.last_id,
            )
            return current
    anchor = Anchor(int(last_id or 0), digest, int(count or 0), _now_text())
    seal.write(anchor)
    return anchor


def _reaches(connection: Connection, anchor: Anchor, *, count: bool) -> bool:
    """Tell whether the log still holds the anchored entry (and, if asked, the count)."""
    reached = connection.execute(
        select(_AUDIT.c.hash).where(_AUDIT.c.id == anchor.last_id)
    ).scalar()
    if reached != anchor.hash:
        return False
    if not count or anchor.count is None:
        return True
    held = connection.execute(select(func.count()).where(_AUDIT.c.id <= anchor.last_id)).scalar()
    return held == anchor.count


def anchor_problems(session: Session) -> list[str]:
    """Compare the log with its anchor: a missing tail, a changed entry, deleted entries."""
    seal = seal_of(session)
    if seal is None:
        return []
    anchor, problem = seal.read()
    problems = [problem] if problem else []
    if anchor is None or anchor.last_id == 0:
        return problems
    newest = session.scalar(select(func.max(AuditLog.id))) or 0
    if newest < anchor.last_id:
        problems.append(
            _(
                "the audit log ends at #%(newest)s but the anchor records #%(last)s "
                "(written %(when)s): its newest entries were deleted",
                newest=newest,
                last=anchor.last_id,
                when=anchor.written_at,
            )
        )
        return problems
    recorded = session.scalar(select(AuditLog.hash).where(AuditLog.id == anchor.last_id))
    if recorded != anchor.hash:
        problems.append(
            _(
                "audit log entry #%(last)s is missing or differs from the anchor: entries up "
                "to it were deleted or rewritten",
                last=anchor.last_id,
            )
        )
    if anchor.count is not None:
        held = session.scalar(select(func.count()).where(AuditLog.id <= anchor.last_id)) or 0
        if held != anchor.count:
            problems.append(
                _(
                    "the anchor records %(count)s audit entries up to #%(last)s, the log holds "
                    "%(held)s: %(missing)s were deleted",
                    count=anchor.count,
                    last=anchor.last_id,
                    held=held,
                    missing=anchor.count - held,
                )
            )
    return problems


@dataclass(frozen=True)
class ChainBreak:
    """The first audit entry whose hash does not follow from the entries before it."""

    entry_id: int
    action: str
    created_at: datetime | None


class _Chain:
    """Walks entries in id order, remembering the last good hash.

    With a seal, keyed hashes are checked too: once an entry has one, every later entry must
    have a valid one (entries from before keyed hashes existed have none).
    """

    def __init__(self, seal: Seal | None = None) -> None:
        self.previous = GENESIS
        self.seal = seal
        self.keyed = False

    def broken(self, entries: Iterable[Any]) -> ChainBreak | None:
        for entry in entries:
            if entry.hash != entry_hash(self.previous, entry) or not self._mac_ok(entry):
                return ChainBreak(entry.id, entry.action, entry.created_at)
            self.previous = entry.hash
        return None

    def _mac_ok(self, entry: Any) -> bool:
        mac = getattr(entry, "mac", None)
        if self.seal is None:
            return True
        if mac is None:
            return not self.keyed
        self.keyed = True
        return hmac.compare_digest(mac, self.seal.mac(entry.hash))


def verify_chain(entries: Iterable[Any], seal: Seal | None = None) -> ChainBreak | None:
    """Return the first entry (in id order) whose hash does not follow, or None."""
    return _Chain(seal).broken(entries)


_COLUMNS = (
    AuditLog.id,
    AuditLog.created_at,
    AuditLog.user_id,
    AuditLog.action,
    AuditLog.entity,
    AuditLog.entity_id,
    AuditLog.before,
    AuditLog.after,
    AuditLog.hash,
    AuditLog.mac,
)


def first_break(session: Session, batch: int = 5000) -> ChainBreak | None:
    """Verify the whole log in batches of plain rows (it grows for years)."""
    chain = _Chain(seal_of(session))
    last_id = 0
    while True:
        rows = session.execute(
            select(*_COLUMNS).where(AuditLog.id > last_id).order_by(AuditLog.id).limit(batch)
        ).all()
        if not rows:
            return None
        found = chain.broken(rows)
        if found is not None:
            return found
        last_id = rows[-1].id


def count_entries(session: Session) -> int:
    """Return how many entries the log holds."""
    return int(session.scalar(select(func.count()).select_from(AuditLog)) or 0)


def actions(session: Session) -> list[str]:
    """Return every action the log holds under its current name (legacy names mapped), for
    the filter."""
    stored = session.scalars(select(AuditLog.action).distinct())
    return sorted({audit_action(name) for name in stored})


def list_entries(
    session: Session,
    *,
    action: str = "",
    user_id: int | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    page: int = 1,
    per_page: int = 100,
) -> tuple[list[AuditLog], int]:
    """Return a page of entries, newest first, filtered by action, user and time."""
    stmt = select(AuditLog)
    if action:
        stmt = stmt.where(AuditLog.action.in_(audit_names(action)))
    if user_id is not None:
        stmt = stmt.where(AuditLog.user_id == user_id)
    if since is not None:
        stmt = stmt.where(AuditLog.created_at >= since)
    if until is not None:
        stmt = stmt.where(AuditLog.created_at < until)
    total = int(session.scalar(select(func.count()).select_from(stmt.subquery())) or 0)
    rows = session.scalars(
        stmt.order_by(AuditLog.id.desc()).limit(per_page).offset((page - 1) * per_page)
    )
    return list(rows), total
