"""HQ mode: shops enrol with a one-time code, then push their records; HQ stores them once.

The protocol (issue 24): an admin at HQ adds a shop and gets a one-time enrolment code; the
shop trades it once for its shop id and a long-lived credential, then pushes changesets
`{"seq", "at", "records"}` in seq order. HQ keeps, per shop, the highest contiguous seq it
stored (`acked_seq`): a changeset at or below it is a duplicate and skipped, one beyond
`acked_seq + 1` is a gap (409 `sync_gap`, nothing stored), and each record is upserted by
(shop, kind, id), keeping the version with the highest seq.

Tenancy: every query here filters by one shop, except `shops_overview`, which says so.
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import delete, func, select, text, update
from sqlalchemy.dialects import sqlite
from sqlalchemy.orm import Session

from posapp.errors import AuthError, Conflict, Forbidden, NotFound, ValidationError
from posapp.i18n import _, ngettext
from posapp.models import HqRecord, HqShop
from posapp.models.base import affected, table, utcnow, write_transaction
from posapp.services import audit, hq_projections

# A code is 8 groups of 4 base32 characters (160 random bits): typed once, from a screen.
CODE_GROUPS = 8
CODE_GROUP_LENGTH = 4
CODE_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
CODE_DAYS = 7
QR_SCHEME = "tillbook-hq:"
CREDENTIAL_BYTES = 32
MAX_NAME = 120
MAX_GSTIN = 15
MAX_VERSION = 32
# A request carries at most this many changesets, in at most MAX_BODY_BYTES of JSON.
MAX_CHANGESETS = 200
MAX_BODY_BYTES = 5 * 1024 * 1024
MAX_RECORD_ID = 64
MAX_SEQ = 2**63 - 1
SILENT_AFTER = timedelta(hours=24)  # a shop quiet longer than this is flagged at HQ
# The kinds a shop of this version sends (services/sync_outbox.py KINDS). A kind HQ does not
# know yet (a newer shop) is kept all the same: refusing it would stall that shop's whole
# queue until HQ upgrades.
KINDS = frozenset(
    {
        "user",
        "category",
        "account",
        "customer",
        "supplier",
        "product",
        "cash_session",
        "invoice",
        "credit_note",
        "payment",
        "ledger_entry",
        "order",
        "purchase",
        "supplier_payment",
        "debit_note",
        "expense",
        "stock_movement",
        "journal_entry",
        "audit",
    }
)
KIND_PATTERN = re.compile(r"[a-z][a-z0-9_]{0,31}")
UPSERT_CHUNK = 1000  # rows per statement: far below every driver's parameter limit


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def new_code() -> str:
    """Return a fresh enrolment code, e.g. "ABCD-EFGH-…" (8 groups of 4)."""
    groups = (
        "".join(secrets.choice(CODE_ALPHABET) for _i in range(CODE_GROUP_LENGTH))
        for _g in range(CODE_GROUPS)
    )
    return "-".join(groups)


def normal_code(text: str) -> str:
    """The code as stored (hashed): the QR text's part after '#', without case or separators."""
    if text.startswith(QR_SCHEME) and "#" in text:
        text = text.rsplit("#", 1)[1]
    return "".join(ch for ch in text.upper() if ch.isalnum())


def qr_text(base_url: str, code: str) -> str:
    """The text of the enrolment QR: `tillbook-hq:<HQ's base URL>#<code>`."""
    return f"{QR_SCHEME}{base_url.rstrip('/')}#{code}"


@dataclass(frozen=True)
class NewCode:
    """A shop and its enrolment code, shown once (only its hash is kept)."""

    shop: HqShop
    code: str


def _shop_name(raw: Any) -> str:
    name = raw.strip() if isinstance(raw, str) else ""
    if not _storable(name):
        raise ValidationError(_("The name holds a character that cannot be stored."), field="name")
    if not name:
        raise ValidationError(_("Enter the shop's name."), field="name")
    if len(name) > MAX_NAME:
        raise ValidationError(
            _("The name takes at most %(limit)s characters.", limit=MAX_NAME), field="name"
        )
    return name


def create_shop(session: Session, name: Any, user_id: int | None) -> NewCode:
    """Add a shop to this HQ and return its one-time enrolment code (valid CODE_DAYS days)."""
    shop_name = _shop_name(name)
    code = new_code()
    with write_transaction(session):
        now = utcnow()
        shop = HqShop(
            id=str(uuid.uuid4()),
            name=shop_name,
            created_at=now,
            enrolment_code_hash=_digest(normal_code(code)),
            code_expires_at=now + timedelta(days=CODE_DAYS),
            acked_seq=0,
            gstin="",
            version="",
        )
        session.add(shop)
        session.flush()
        audit.record(
            session,
            "hq.shop_create",
            user_id=user_id,
            entity="hq_shop",
            after={"shop_id": shop.id, "name": shop_name, "expires": _iso(shop.code_expires_at)},
        )
    return NewCode(shop, code)


def renew_code(session: Session, shop_id: str, user_id: int | None) -> NewCode:
    """Give a shop that has not enrolled yet a new code (the old one stops working)."""
    code = new_code()
    with write_transaction(session):
        shop = _shop_for_update(session, shop_id)
        if shop.code_used_at is not None:
            raise Conflict(_("This shop has already enrolled; it needs no new code."))
        shop.enrolment_code_hash = _digest(normal_code(code))
        shop.code_expires_at = utcnow() + timedelta(days=CODE_DAYS)
        audit.record(
            session,
            "hq.shop_code",
            user_id=user_id,
            entity="hq_shop",
            after={"shop_id": shop.id, "name": shop.name, "expires": _iso(shop.code_expires_at)},
        )
    return NewCode(shop, code)


def _shop_for_update(session: Session, shop_id: str) -> HqShop:
    # FOR UPDATE: two pushes of one shop queue here, so both read the acked seq the other left.
    shop = session.scalar(
        select(HqShop)
        .where(HqShop.id == shop_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if shop is None:
        raise NotFound(_("There is no such shop at this HQ."))
    return shop


@dataclass(frozen=True)
class Enrolment:
    """What HQ answers an enrolled shop: its id, its credential (shown once) and HQ's name."""

    shop_id: str
    credential: str
    hq_name: str


def _text(raw: Any, field: str, limit: int, *, required: bool = False) -> str:
    if raw is None and not required:
        return ""
    if not isinstance(raw, str):
        raise ValidationError(_("%(name)s must be text.", name=field), field=field)
    value = raw.strip()
    if not _storable(value):
        raise ValidationError(
            _("%(name)s holds a character that cannot be stored.", name=field), field=field
        )
    if required and not value:
        raise ValidationError(_("%(name)s is required.", name=field), field=field)
    if len(value) > limit:
        raise ValidationError(
            _("%(name)s takes at most %(limit)s characters.", name=field, limit=limit),
            field=field,
        )
    return value


def invalid_code() -> Forbidden:
    """The one answer for an unknown, used or expired code (it tells a guesser nothing)."""
    return Forbidden(
        _("This enrolment code is not valid: it may be mistyped, used or expired."),
        code="enrolment_code_invalid",
    )


def enrol(session: Session, body: Any, hq_name: str) -> Enrolment:
    """Trade a one-time enrolment code for the shop's id and a new credential.

    The code is used up in the same UPDATE that checks it, so two shops racing with one
    code cannot both enrol.
    """
    if not isinstance(body, dict):
        raise ValidationError(_("The request body must be a JSON object."))
    code = normal_code(_text(body.get("code"), "code", 200, required=True))
    about = body.get("shop")
    if not isinstance(about, dict):
        raise ValidationError(_("shop must be an object."), field="shop")
    _text(about.get("name"), "shop.name", MAX_NAME, required=True)
    gstin = _text(about.get("gstin"), "shop.gstin", MAX_GSTIN)
    version = _text(about.get("version"), "shop.version", MAX_VERSION)
    credential = secrets.token_urlsafe(CREDENTIAL_BYTES)
    with write_transaction(session):
        now = utcnow()
        shop_id = session.scalar(
            select(HqShop.id).where(HqShop.enrolment_code_hash == _digest(code))
        )
        if shop_id is None:
            raise invalid_code()
        used = session.execute(
            update(HqShop)
            .where(
                HqShop.id == shop_id,
                HqShop.code_used_at.is_(None),
                HqShop.code_expires_at > now,
            )
            .values(
                code_used_at=now,
                credential_hash=_digest(credential),
                gstin=gstin,
                version=version,
            )
        )
        if affected(used) != 1:
            raise invalid_code()
        name = session.scalar(select(HqShop.name).where(HqShop.id == shop_id))
        audit.record(
            session,
            "hq.shop_enrol",
            entity="hq_shop",
            after={"shop_id": shop_id, "name": name, "gstin": gstin, "version": version},
        )
    return Enrolment(shop_id, credential, hq_name)


def shop_by_credential(session: Session, credential: str) -> HqShop:
    """Return the enrolled shop holding this credential, or refuse (401)."""
    shop = None
    if credential and len(credential) <= 200:
        shop = session.scalar(select(HqShop).where(HqShop.credential_hash == _digest(credential)))
    if shop is None:
        raise AuthError(_("HQ does not know this shop's credential."), code="hq_credential_invalid")
    return shop


@dataclass(frozen=True)
class Changeset:
    """One committed transaction of a shop: its seq and its records (kind, id, data)."""

    seq: int
    records: list[tuple[str, str, dict[str, Any] | None]]  # None: the record was deleted


@dataclass(frozen=True)
class Push:
    """A checked push request."""

    shop_id: str
    changesets: list[Changeset]
    shop_clock: datetime | None
    # The highest changeset the shop holds (optional): HQ shows what waits at the shop.
    outbox_top: int | None = None


def _storable(text: str) -> bool:
    """Tell whether PostgreSQL can store a text: no NUL, no lone surrogate (not UTF-8)."""
    if "\x00" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _data_fault(value: Any, where: str) -> str | None:
    """Say what in a record's data HQ cannot keep exactly (None when all is well)."""
    stack = [value]
    while stack:  # a loop: the nesting depth is the JSON parser's to limit
        item = stack.pop()
        if isinstance(item, float | Decimal):
            return _(
                "%(where)s: numbers must be whole (money in paise, quantities in thousandths).",
                where=where,
            )
        if isinstance(item, str) and not _storable(item):
            return _("%(where)s: a text holds a character that cannot be stored.", where=where)
        if isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return None


def _seq(raw: Any, where: str) -> int:
    if isinstance(raw, bool) or not isinstance(raw, int) or not 1 <= raw <= MAX_SEQ:
        raise ValidationError(
            _("%(where)s: seq must be a whole number from 1.", where=where), field="changesets"
        )
    return raw


def _record(
    raw: Any, where: str, *, scalars_checked: bool
) -> tuple[str, str, dict[str, Any] | None]:
    if not isinstance(raw, dict):
        raise ValidationError(
            _("%(where)s: a record must be an object.", where=where), field="changesets"
        )
    kind, record_id, data = raw.get("kind"), raw.get("id"), raw.get("data")
    if not isinstance(kind, str) or not KIND_PATTERN.fullmatch(kind):
        raise ValidationError(
            _("%(where)s: a record's kind must be a name like invoice.", where=where),
            field="changesets",
        )
    if not isinstance(record_id, str) or not 1 <= len(record_id) <= MAX_RECORD_ID:
        raise ValidationError(
            _("%(where)s: a record's id must be text of 1 to 64 characters.", where=where),
            field="changesets",
        )
    deleted = raw.get("deleted", False)
    if deleted is not False:
        # A record the shop no longer has (deleted there, or gone with a restore): no data.
        if deleted is not True or data is not None:
            raise ValidationError(
                _("%(where)s: a deleted record has deleted: true and no data.", where=where),
                field="changesets",
            )
        return kind, record_id, None
    if not isinstance(data, dict):
        raise ValidationError(
            _("%(where)s: a record's data must be an object.", where=where), field="changesets"
        )
    if not scalars_checked:
        fault = _data_fault([record_id, data], where)
        if fault is not None:
            raise ValidationError(fault, field="changesets")
    return kind, record_id, data


def parse_time(raw: Any, field: str) -> datetime:
    """Read an ISO 8601 time ("Z" or an offset; none means UTC) as naive UTC."""
    if not isinstance(raw, str) or len(raw) > 40:
        raise ValidationError(_("%(name)s must be an ISO 8601 time.", name=field), field=field)
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        raise ValidationError(
            _("%(name)s must be an ISO 8601 time.", name=field), field=field
        ) from None
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment


def parse_push(body: Any, *, scalars_checked: bool = False) -> Push:
    """Check a push request whole before anything is written; 422 on the first fault.

    `scalars_checked`: the caller parsed the body from JSON text it saw hold no number with a
    fraction and no character PostgreSQL cannot store (see api/hq.py), so the walk over
    every value of every record (half of a push's checking time) is left out.
    """
    if not isinstance(body, dict):
        raise ValidationError(_("The request body must be a JSON object."))
    shop_id = body.get("shop_id")
    if not isinstance(shop_id, str) or not shop_id:
        raise ValidationError(_("shop_id is required."), field="shop_id")
    raw_sets = body.get("changesets")
    if not isinstance(raw_sets, list):
        raise ValidationError(_("changesets must be a list."), field="changesets")
    if len(raw_sets) > MAX_CHANGESETS:
        raise ValidationError(
            _("Send at most %(limit)s changesets at a time.", limit=MAX_CHANGESETS),
            field="changesets",
        )
    changesets: list[Changeset] = []
    for index, raw in enumerate(raw_sets):
        where = _("changeset %(num)s", num=index + 1)
        if not isinstance(raw, dict) or not isinstance(raw.get("records"), list):
            raise ValidationError(
                _("%(where)s: must be an object with a list of records.", where=where),
                field="changesets",
            )
        seq = _seq(raw.get("seq"), where)
        if changesets and seq != changesets[-1].seq + 1:
            raise ValidationError(
                _("%(where)s: changesets must come in consecutive seq order.", where=where),
                field="changesets",
            )
        if raw.get("at") is not None:
            parse_time(raw.get("at"), "at")
        records = [
            _record(record, where, scalars_checked=scalars_checked) for record in raw["records"]
        ]
        changesets.append(Changeset(seq, records))
    clock = body.get("shop_clock")
    top = body.get("outbox_top")
    return Push(
        shop_id,
        changesets,
        None if clock is None else parse_time(clock, "shop_clock"),
        None if top is None else _outbox_top(top),
    )


def _outbox_top(raw: Any) -> int:
    if isinstance(raw, bool) or not isinstance(raw, int) or not 0 <= raw <= MAX_SEQ:
        raise ValidationError(_("outbox_top must be a whole number from 0."), field="outbox_top")
    return raw


def ingest(session: Session, shop_id: str, push: Push, now: datetime | None = None) -> int:
    """Store a shop's push in one transaction and return the new acked seq.

    No audit entry per push: the shop's own audit entries arrive as records, and the audit
    chain's lock would queue every shop's push behind every other's on PostgreSQL.
    """
    if push.shop_id != shop_id:
        raise Forbidden(_("This credential belongs to another shop."), code="hq_shop_mismatch")
    with write_transaction(session):
        locked = _shop_for_update(session, shop_id)
        moment = now or utcnow()
        acked = locked.acked_seq
        fresh = [changeset for changeset in push.changesets if changeset.seq > acked]
        if fresh and fresh[0].seq > acked + 1:
            raise Conflict(
                _(
                    "HQ holds changesets up to %(acked)s; send from %(next)s.",
                    acked=acked,
                    next=acked + 1,
                ),
                code="sync_gap",
                details={"acked": acked},
            )
        latest: dict[tuple[str, str], tuple[int, dict[str, Any] | None]] = {}
        for changeset in fresh:  # in seq order: a later changeset's version replaces
            for kind, record_id, data in changeset.records:
                latest[(kind, record_id)] = (changeset.seq, data)
        rows = [
            {
                "shop_id": shop_id,
                "kind": kind,
                "record_id": record_id,
                "seq": seq,
                "payload": data,
                "received_at": moment,
            }
            for (kind, record_id), (seq, data) in latest.items()
            if data is not None
        ]
        # Changesets are applied in seq order only (fresh, after acked), so a deletion is
        # later than every version HQ holds: the record simply goes, with its report rows.
        gone = [key for key, (_seq, data) in latest.items() if data is None]
        upsert_records(session, rows)
        delete_records(session, shop_id, gone)
        hq_projections.project(session, shop_id, rows, gone)
        if fresh:
            locked.acked_seq = fresh[-1].seq
        locked.last_contact = moment
        if push.shop_clock is not None:
            locked.shop_clock_skew_seconds = round((push.shop_clock - moment).total_seconds())
        if push.outbox_top is not None:
            locked.shop_top_seq = max(push.outbox_top, locked.acked_seq)
        acked = locked.acked_seq
    return acked


def upsert_records(session: Session, rows: list[dict[str, Any]]) -> None:
    """Insert records, or replace the stored version when the new seq is higher.

    One statement per chunk: INSERT ... ON CONFLICT DO UPDATE ... WHERE seq < excluded.seq.
    PostgreSQL gets the chunk as one JSON document (`upsert_json`); SQLite as VALUES rows;
    elsewhere (MariaDB) `upsert_by_select` does it, under the writer lock.
    """
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        for start in range(0, len(rows), UPSERT_CHUNK):
            upsert_json(session, rows[start : start + UPSERT_CHUNK])
        return
    if dialect != "sqlite":
        upsert_by_select(session, rows)
        return
    records = table(HqRecord)
    for start in range(0, len(rows), UPSERT_CHUNK):
        statement = sqlite.insert(records).values(rows[start : start + UPSERT_CHUNK])
        excluded = statement.excluded
        session.execute(
            statement.on_conflict_do_update(
                index_elements=["shop_id", "kind", "record_id"],
                set_={
                    "seq": excluded.seq,
                    "payload": excluded.payload,
                    "received_at": excluded.received_at,
                },
                where=records.c.seq < excluded.seq,
            )
        )


# PostgreSQL unpacks the rows from one JSON parameter (jsonb_to_recordset): a push of 200
# changesets is ~1 400 rows of ~0.7 KB, and binding them as VALUES cost SQLAlchemy a fresh
# compilation and psycopg 8 400 adapted parameters per statement (1.4 s a push on the bench;
# this takes a tenth of that). Rows of one chunk have distinct keys (ingest keeps the latest).
_UPSERT_JSON = text(
    "INSERT INTO hq_records (shop_id, kind, record_id, seq, payload, received_at) "
    "SELECT r.shop_id, r.kind, r.record_id, r.seq, r.payload, :received_at "
    "FROM jsonb_to_recordset(CAST(:rows AS jsonb)) "
    "AS r(shop_id text, kind text, record_id text, seq bigint, payload jsonb) "
    "ON CONFLICT (shop_id, kind, record_id) DO UPDATE "
    "SET seq = excluded.seq, payload = excluded.payload, received_at = excluded.received_at "
    "WHERE hq_records.seq < excluded.seq"
)


def upsert_json(session: Session, rows: list[dict[str, Any]]) -> None:
    """PostgreSQL's upsert of one chunk of rows sharing one received_at (see _UPSERT_JSON)."""
    if not rows:
        return
    document = json.dumps(
        [
            {
                "shop_id": row["shop_id"],
                "kind": row["kind"],
                "record_id": row["record_id"],
                "seq": row["seq"],
                "payload": row["payload"],
            }
            for row in rows
        ],
        separators=(",", ":"),
        ensure_ascii=False,
    )
    session.execute(_UPSERT_JSON, {"rows": document, "received_at": rows[0]["received_at"]})


def upsert_by_select(session: Session, rows: list[dict[str, Any]]) -> None:
    """The portable upsert: read the stored seqs, insert the new keys, update the older ones.

    Safe only inside the shop's push transaction: the shop's row is locked, so no other
    push of this shop writes its records meanwhile (records never cross shops).
    """
    records = table(HqRecord)
    by_kind: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for row in rows:
        by_kind.setdefault((row["shop_id"], row["kind"]), []).append(row)
    for (shop_id, kind), group in by_kind.items():
        for start in range(0, len(group), UPSERT_CHUNK):
            chunk = group[start : start + UPSERT_CHUNK]
            found = session.execute(
                select(records.c.record_id, records.c.seq).where(
                    records.c.shop_id == shop_id,
                    records.c.kind == kind,
                    records.c.record_id.in_([row["record_id"] for row in chunk]),
                )
            )
            stored: dict[str, int] = {record_id: seq for record_id, seq in found}
            new = [row for row in chunk if row["record_id"] not in stored]
            newer = [
                row
                for row in chunk
                if row["record_id"] in stored and stored[row["record_id"]] < row["seq"]
            ]
            if new:
                session.execute(records.insert(), new)
            for row in newer:
                session.execute(
                    records.update()
                    .where(
                        records.c.shop_id == shop_id,
                        records.c.kind == kind,
                        records.c.record_id == row["record_id"],
                        records.c.seq < row["seq"],
                    )
                    .values(seq=row["seq"], payload=row["payload"], received_at=row["received_at"])
                )


def delete_records(session: Session, shop_id: str, keys: list[tuple[str, str]]) -> None:
    """Remove the records a shop no longer has (inside the shop's push transaction)."""
    records = table(HqRecord)
    by_kind: dict[str, list[str]] = {}
    for kind, record_id in keys:
        by_kind.setdefault(kind, []).append(record_id)
    for kind, ids in by_kind.items():
        for start in range(0, len(ids), UPSERT_CHUNK):
            session.execute(
                delete(records).where(
                    records.c.shop_id == shop_id,
                    records.c.kind == kind,
                    records.c.record_id.in_(ids[start : start + UPSERT_CHUNK]),
                )
            )


def acked_seq(session: Session, shop_id: str) -> int:
    """The highest contiguous seq HQ holds of this shop (the shop resumes after it)."""
    found = session.scalar(select(HqShop.acked_seq).where(HqShop.id == shop_id))
    return int(found or 0)


def records_of(session: Session, shop_id: str, kind: str | None = None) -> list[HqRecord]:
    """One shop's records (of one kind when given), in (kind, id) order."""
    query = select(HqRecord).where(HqRecord.shop_id == shop_id)
    if kind is not None:
        query = query.where(HqRecord.kind == kind)
    return list(session.scalars(query.order_by(HqRecord.kind, HqRecord.record_id)))


@dataclass(frozen=True)
class ShopRow:
    """One line of the Shops page."""

    shop: HqShop
    records: int
    lag: timedelta | None  # now - last contact (None: never pushed)
    silent: bool  # enrolled, and nothing heard for more than SILENT_AFTER

    @property
    def waiting(self) -> int:
        """Changesets the shop still held unsent at its last push."""
        return max(0, self.shop.shop_top_seq - self.shop.acked_seq)

    @property
    def enrolled(self) -> bool:
        """Whether the shop has used its enrolment code."""
        return self.shop.code_used_at is not None

    @property
    def code_expired(self) -> bool:
        """Whether the shop's unused code has expired (it needs a new one)."""
        return not self.enrolled and self.shop.code_expires_at <= utcnow()


def shops_overview(session: Session, now: datetime | None = None) -> list[ShopRow]:
    """All shops (this query spans every shop on purpose), with their sync state, by name."""
    moment = now or utcnow()
    found = session.execute(select(HqRecord.shop_id, func.count()).group_by(HqRecord.shop_id))
    counts: dict[str, int] = {shop_id: count for shop_id, count in found}
    rows = []
    for shop in session.scalars(select(HqShop).order_by(HqShop.name, HqShop.created_at)):
        lag = None if shop.last_contact is None else moment - shop.last_contact
        heard = shop.last_contact or shop.code_used_at
        silent = heard is not None and moment - heard > SILENT_AFTER
        rows.append(ShopRow(shop, int(counts.get(shop.id, 0)), lag, silent))
    return rows


def lag_text(lag: timedelta | None) -> str:
    """A lag in words: "never", "2 minutes", "3 hours", "5 days"."""
    if lag is None:
        return _("never")
    seconds = max(0, int(lag.total_seconds()))
    if seconds < 60:
        return ngettext("%(num)s second", "%(num)s seconds", seconds)
    if seconds < 3600:
        return ngettext("%(num)s minute", "%(num)s minutes", seconds // 60)
    if seconds < 86400:
        return ngettext("%(num)s hour", "%(num)s hours", seconds // 3600)
    return ngettext("%(num)s day", "%(num)s days", seconds // 86400)


def skew_text(seconds: int) -> str:
    """A shop's clock against HQ's in words: "2 hours ahead", "5 minutes behind"."""
    amount = lag_text(timedelta(seconds=abs(seconds)))
    if seconds >= 0:
        return _("%(time)s ahead", time=amount)
    return _("%(time)s behind", time=amount)


def _iso(moment: datetime) -> str:
    return moment.replace(tzinfo=UTC).isoformat().replace("+00:00", "Z")
