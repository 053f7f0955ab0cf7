"""HQ's side of the sync (services/hq.py): enrolment once, idempotent pushes, gaps, tenancy.

Runs on every configured backend: the upsert is PostgreSQL's and SQLite's ON CONFLICT there,
the portable select-then-write on MariaDB (and tried on its own on each backend below).
"""

from __future__ import annotations

import re
import threading
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from posapp.cli import main
from posapp.config import hq_database_problem
from posapp.errors import AuthError, Conflict, Forbidden, ValidationError
from posapp.extensions import db
from posapp.models import AuditLog, HqShop
from posapp.models.base import clock_at, utcnow, write_transaction
from posapp.services import hq

SHOP = {"name": "Andheri", "gstin": "27AAAAA0000A1Z5", "version": "0.1.0"}
NOON = datetime(2026, 12, 7, 12, 0, 0)


def enrolled(session: Session, name: str = "Andheri") -> hq.Enrolment:
    made = hq.create_shop(session, name, None)
    return hq.enrol(session, {"code": made.code, "shop": dict(SHOP, name=name)}, "Owner HQ")


def invoice(number: int, status: str = "paid", paid: int = 10000) -> dict[str, Any]:
    return {"kind": "invoice", "id": str(number), "data": {"status": status, "paid": paid}}


def changeset(seq: int, *records: dict[str, Any]) -> dict[str, Any]:
    return {"seq": seq, "at": "2026-12-07T06:30:00Z", "records": list(records)}


def push(
    session: Session,
    shop_id: str,
    *changesets: dict[str, Any],
    clock: str | None = "2026-12-07T12:00:00Z",
    now: datetime = NOON,
) -> int:
    body = {"shop_id": shop_id, "changesets": list(changesets), "shop_clock": clock}
    return hq.ingest(session, shop_id, hq.parse_push(body), now=now)


def stored(session: Session, shop_id: str) -> dict[tuple[str, str], tuple[int, Any]]:
    session.expire_all()
    return {(r.kind, r.record_id): (r.seq, r.payload) for r in hq.records_of(session, shop_id)}


def test_a_new_shop_gets_a_code_shown_once_and_stored_only_hashed(session: Session) -> None:
    made = hq.create_shop(session, "  Andheri  ", None)
    assert re.fullmatch(r"([A-Z2-7]{4}-){7}[A-Z2-7]{4}", made.code)
    shop = session.get(HqShop, made.shop.id)
    assert shop is not None and shop.name == "Andheri" and shop.credential_hash is None
    assert made.code.replace("-", "") not in shop.enrolment_code_hash
    assert shop.code_expires_at - shop.created_at == timedelta(days=7)
    entry = session.scalar(select(AuditLog).where(AuditLog.action == "hq.shop_create"))
    assert entry is not None and made.shop.id in (entry.after or "")
    assert made.code not in (entry.after or "")


@pytest.mark.parametrize("name", ["", "   ", "x" * 121, "bad\x00name"])
def test_a_shop_needs_a_storable_name(session: Session, name: str) -> None:
    with pytest.raises(ValidationError):
        hq.create_shop(session, name, None)
    assert session.scalar(select(func.count()).select_from(HqShop)) == 0


def test_enrolment_works_once(session: Session) -> None:
    made = hq.create_shop(session, "Andheri", None)
    done = hq.enrol(session, {"code": made.code.lower(), "shop": SHOP}, "Owner HQ")
    assert done.shop_id == made.shop.id and done.hq_name == "Owner HQ"
    assert len(done.credential) >= 43  # 32 random bytes, urlsafe base64
    session.expire_all()
    shop = session.get(HqShop, made.shop.id)
    assert shop is not None and shop.code_used_at is not None
    assert (shop.gstin, shop.version) == ("27AAAAA0000A1Z5", "0.1.0")
    assert shop.credential_hash and done.credential not in shop.credential_hash
    assert hq.shop_by_credential(session, done.credential).id == made.shop.id

    with pytest.raises(Forbidden) as again:
        hq.enrol(session, {"code": made.code, "shop": SHOP}, "Owner HQ")
    with pytest.raises(Forbidden) as unknown:
        hq.enrol(session, {"code": hq.new_code(), "shop": SHOP}, "Owner HQ")
    assert again.value.code == unknown.value.code == "enrolment_code_invalid"
    assert again.value.message == unknown.value.message
    session.expire_all()
    assert session.get(HqShop, made.shop.id).credential_hash == shop.credential_hash  # type: ignore[union-attr]


def test_an_expired_code_is_refused_with_the_same_words(session: Session) -> None:
    with clock_at(NOON):
        made = hq.create_shop(session, "Andheri", None)
    with clock_at(NOON + timedelta(days=7, seconds=1)), pytest.raises(Forbidden) as late:
        hq.enrol(session, {"code": made.code, "shop": SHOP}, "HQ")
    assert late.value.code == "enrolment_code_invalid"
    assert late.value.message == hq.invalid_code().message
    session.expire_all()
    assert session.get(HqShop, made.shop.id).code_used_at is None  # type: ignore[union-attr]
    renewed = hq.renew_code(session, made.shop.id, None)
    assert hq.enrol(session, {"code": renewed.code, "shop": SHOP}, "HQ").shop_id == made.shop.id
    with pytest.raises(Conflict):
        hq.renew_code(session, made.shop.id, None)  # enrolled: no new code


def test_the_qr_text_enrols_too(session: Session) -> None:
    made = hq.create_shop(session, "Andheri", None)
    text = hq.qr_text("https://hq.example.in/", made.code)
    assert text == f"tillbook-hq:https://hq.example.in#{made.code}"
    assert hq.enrol(session, {"code": text, "shop": SHOP}, "HQ").shop_id == made.shop.id


@pytest.mark.parametrize(
    "body",
    [
        [],
        {"shop": SHOP},
        {"code": 12345678, "shop": SHOP},
        {"code": "ABCD", "shop": "Andheri"},
        {"code": "ABCD", "shop": {"gstin": ""}},
        {"code": "ABCD", "shop": dict(SHOP, version="v" * 33)},
    ],
)
def test_a_malformed_enrolment_is_a_422(session: Session, body: Any) -> None:
    with pytest.raises(ValidationError):
        hq.enrol(session, body, "HQ")


def test_push_stores_every_record_once_and_a_retry_changes_nothing(session: Session) -> None:
    shop = enrolled(session).shop_id
    batch = [changeset(1, invoice(1), invoice(2)), changeset(2, invoice(3))]
    assert push(session, shop, *batch) == 2
    first = stored(session, shop)
    assert set(first) == {("invoice", "1"), ("invoice", "2"), ("invoice", "3")}
    received = {r.record_id: r.received_at for r in hq.records_of(session, shop)}

    assert push(session, shop, *batch, now=NOON + timedelta(minutes=5)) == 2
    assert stored(session, shop) == first
    assert {r.record_id: r.received_at for r in hq.records_of(session, shop)} == received
    assert session.get(HqShop, shop).last_contact == NOON + timedelta(minutes=5)  # type: ignore[union-attr]


def test_an_overlapping_batch_stores_only_its_new_part(session: Session) -> None:
    shop = enrolled(session).shop_id
    push(session, shop, changeset(1, invoice(1)), changeset(2, invoice(2)))
    # Seq 2 comes again with other content: HQ already holds seq 2, so it is skipped.
    acked = push(
        session,
        shop,
        changeset(2, invoice(2, status="void"), invoice(9)),
        changeset(3, invoice(3)),
        now=NOON + timedelta(minutes=1),
    )
    assert acked == 3
    rows = stored(session, shop)
    assert set(rows) == {("invoice", "1"), ("invoice", "2"), ("invoice", "3")}
    assert rows[("invoice", "2")] == (2, {"status": "paid", "paid": 10000})


def test_a_gap_stores_nothing_and_says_what_hq_holds(session: Session) -> None:
    shop = enrolled(session).shop_id
    push(session, shop, changeset(1, invoice(1)))
    before = session.get(HqShop, shop).last_contact  # type: ignore[union-attr]
    with pytest.raises(Conflict) as gap:
        push(session, shop, changeset(3, invoice(3)), changeset(4, invoice(4)), now=NOON)
    assert gap.value.code == "sync_gap" and gap.value.details == {"acked": 1}
    session.expire_all()
    assert set(stored(session, shop)) == {("invoice", "1")}
    assert hq.acked_seq(session, shop) == 1
    assert session.get(HqShop, shop).last_contact == before  # type: ignore[union-attr]


def test_a_higher_seq_replaces_a_record_and_a_lower_one_never_does(session: Session) -> None:
    shop = enrolled(session).shop_id
    # The invoice is issued on credit, then paid: two versions, the later one wins, even in
    # the same batch.
    push(
        session,
        shop,
        changeset(1, invoice(7, status="credit", paid=0)),
        changeset(2, invoice(7, status="paid", paid=5000), invoice(8)),
    )
    assert stored(session, shop)[("invoice", "7")] == (2, {"status": "paid", "paid": 5000})
    push(session, shop, changeset(3, invoice(7, status="returned", paid=5000)))
    assert stored(session, shop)[("invoice", "7")] == (3, {"status": "returned", "paid": 5000})
    # An older version reaching the upsert (a replayed row) never overwrites a newer one.
    old = {
        "shop_id": shop,
        "kind": "invoice",
        "record_id": "7",
        "seq": 1,
        "payload": {"status": "credit", "paid": 0},
        "received_at": NOON,
    }
    for upsert in (hq.upsert_records, hq.upsert_by_select):
        with write_transaction(session):
            upsert(session, [old])
        assert stored(session, shop)[("invoice", "7")][0] == 3


def gone(number: int) -> dict[str, Any]:
    return {"kind": "invoice", "id": str(number), "deleted": True}


def test_a_deleted_record_goes_and_may_come_back_under_its_id(session: Session) -> None:
    shop = enrolled(session).shop_id
    push(session, shop, changeset(1, invoice(1), invoice(2)))
    push(session, shop, changeset(2, gone(1), gone(7)))  # 7: never held, nothing to drop
    assert set(stored(session, shop)) == {("invoice", "2")}
    # Deleted and made again in one push: the later changeset decides, either way.
    push(session, shop, changeset(3, invoice(1, paid=5)), changeset(4, gone(2)))
    push(session, shop, changeset(5, gone(1)), changeset(6, invoice(1, paid=7)))
    assert stored(session, shop) == {("invoice", "1"): (6, {"status": "paid", "paid": 7})}
    # A retried batch with the deletion changes nothing: it is at or below the ack.
    assert push(session, shop, changeset(5, gone(1)), changeset(6, invoice(1, paid=7))) == 6
    assert set(stored(session, shop)) == {("invoice", "1")}


def test_the_portable_upsert_inserts_and_replaces(session: Session) -> None:
    shop = enrolled(session).shop_id

    def row(record_id: str, seq: int, paid: int) -> dict[str, Any]:
        return {
            "shop_id": shop,
            "kind": "customer",
            "record_id": record_id,
            "seq": seq,
            "payload": {"paid": paid},
            "received_at": NOON,
        }

    with write_transaction(session):
        hq.upsert_by_select(session, [row("1", 1, 1), row("2", 1, 2)])
    with write_transaction(session):
        hq.upsert_by_select(session, [row("1", 2, 10), row("2", 1, 20), row("3", 2, 30)])
    assert stored(session, shop) == {
        ("customer", "1"): (2, {"paid": 10}),
        ("customer", "2"): (1, {"paid": 2}),
        ("customer", "3"): (2, {"paid": 30}),
    }


def test_two_shops_records_never_mix(session: Session) -> None:
    andheri = enrolled(session, "Andheri")
    bandra = enrolled(session, "Bandra")
    push(session, andheri.shop_id, changeset(1, invoice(1, paid=100), invoice(2)))
    push(session, bandra.shop_id, changeset(1, invoice(1, paid=999)))
    assert stored(session, andheri.shop_id)[("invoice", "1")] == (
        1,
        {"status": "paid", "paid": 100},
    )
    assert stored(session, bandra.shop_id) == {
        ("invoice", "1"): (1, {"status": "paid", "paid": 999})
    }
    assert hq.acked_seq(session, andheri.shop_id) == hq.acked_seq(session, bandra.shop_id) == 1
    # A shop's credential cannot push as another shop.
    body = {"shop_id": bandra.shop_id, "changesets": [changeset(2, invoice(5))]}
    with pytest.raises(Forbidden) as wrong:
        hq.ingest(session, andheri.shop_id, hq.parse_push(body), now=NOON)
    assert wrong.value.code == "hq_shop_mismatch"
    assert ("invoice", "5") not in stored(session, bandra.shop_id)
    assert ("invoice", "5") not in stored(session, andheri.shop_id)


def test_a_shop_clock_two_hours_off_changes_only_the_recorded_skew(session: Session) -> None:
    right = enrolled(session, "Right").shop_id
    wrong = enrolled(session, "Wrong").shop_id
    batch = [changeset(1, invoice(1)), changeset(2, invoice(2), invoice(1, status="void"))]
    assert push(session, right, *batch, clock="2026-12-07T12:00:00Z") == 2
    assert push(session, wrong, *batch, clock="2026-12-07T15:30:00+01:30") == 2
    assert stored(session, right) == stored(session, wrong)
    shops = {s.id: s for s in session.scalars(select(HqShop))}
    assert shops[right].shop_clock_skew_seconds == 0
    assert shops[wrong].shop_clock_skew_seconds == 2 * 3600
    assert shops[right].last_contact == shops[wrong].last_contact == NOON
    assert hq.skew_text(7200) == "2 hours ahead"


def test_hq_knows_what_waits_at_the_shop_from_its_last_push(session: Session) -> None:
    shop = enrolled(session).shop_id
    body = {"shop_id": shop, "changesets": [changeset(1, invoice(1))], "outbox_top": 250}
    assert hq.ingest(session, shop, hq.parse_push(body), now=NOON) == 1
    row = next(r for r in hq.shops_overview(session, NOON) if r.shop.id == shop)
    assert row.waiting == 249
    # The rest arrives: nothing waits. A push without the figure (an older shop) keeps it.
    body = {"shop_id": shop, "changesets": [changeset(2, invoice(2))], "outbox_top": 2}
    hq.ingest(session, shop, hq.parse_push(body), now=NOON)
    push(session, shop, changeset(3, invoice(3)))
    row = next(r for r in hq.shops_overview(session, NOON) if r.shop.id == shop)
    assert (row.shop.acked_seq, row.waiting) == (3, 0)


@pytest.mark.parametrize("top", [-1, 1.5, "7", True, 2**63])
def test_a_bad_outbox_top_is_refused_before_anything_is_stored(session: Session, top: Any) -> None:
    shop = enrolled(session).shop_id
    body = {"shop_id": shop, "changesets": [changeset(1, invoice(1))], "outbox_top": top}
    with pytest.raises(ValidationError):
        hq.parse_push(body)


def test_a_kind_hq_does_not_know_yet_is_kept(session: Session) -> None:
    # A shop on a newer version must not stall behind HQ: its records wait at HQ for it.
    shop = enrolled(session).shop_id
    push(session, shop, changeset(1, {"kind": "gift_card", "id": "4", "data": {"total": 500}}))
    assert stored(session, shop) == {("gift_card", "4"): (1, {"total": 500})}
    assert "gift_card" not in hq.KINDS


def test_a_wrong_credential_is_refused(session: Session) -> None:
    enrolled(session)
    for credential in ("", "nope", "x" * 500):
        with pytest.raises(AuthError) as refused:
            hq.shop_by_credential(session, credential)
        assert refused.value.code == "hq_credential_invalid"


def one(record: dict[str, Any]) -> dict[str, Any]:
    return {"shop_id": "s", "changesets": [changeset(1, record)]}


@pytest.mark.parametrize(
    "body",
    [
        {"shop_id": "s", "changesets": [changeset(1, invoice(1))] * 201},
        {"shop_id": "s", "changesets": [changeset(1), changeset(3)]},
        {"shop_id": "s", "changesets": [changeset(0)]},
        {"shop_id": "s", "changesets": [changeset(True)]},
        one({"kind": "Invoice; DROP", "id": "1", "data": {}}),
        one({"kind": "k" * 33, "id": "1", "data": {}}),
        one({"kind": "invoice", "id": 1, "data": {}}),
        one({"kind": "invoice", "id": "", "data": {}}),
        one({"kind": "invoice", "id": "1", "data": []}),
        one({"kind": "invoice", "id": "1", "data": {"paid": 12.5}}),
        one({"kind": "invoice", "id": "1", "data": {"lines": [{"qty": Decimal("0.5")}]}}),
        one({"kind": "invoice", "id": "1", "data": {"note": "a\x00b"}}),
        one({"kind": "invoice", "id": "1", "data": {"note\ud800": "x"}}),
        one({"kind": "invoice", "id": "1", "deleted": True, "data": {}}),
        one({"kind": "invoice", "id": "1", "deleted": "yes"}),
        one({"kind": "invoice", "id": "1", "deleted": 1}),
        one({"kind": "invoice", "id": "1", "deleted": False}),
        {"shop_id": "s", "changesets": [{"seq": 1, "at": "yesterday", "records": []}]},
        {"shop_id": "s", "changesets": [], "shop_clock": "noon"},
        {"shop_id": "", "changesets": []},
        {"shop_id": "s", "changesets": {}},
    ],
)
def test_a_malformed_push_is_refused_whole(body: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        hq.parse_push(body)


def test_the_shops_page_flags_a_shop_silent_for_more_than_a_day(session: Session) -> None:
    with clock_at(NOON - timedelta(days=3)):
        quiet = enrolled(session, "Quiet").shop_id
        recent = enrolled(session, "Recent").shop_id
        hq.create_shop(session, "Waiting", None)  # not enrolled: nothing to hear from yet
    push(session, quiet, changeset(1, invoice(1)), now=NOON - timedelta(hours=25))
    push(session, recent, changeset(1, invoice(1), invoice(2)), now=NOON - timedelta(hours=23))
    rows = {row.shop.name: row for row in hq.shops_overview(session, now=NOON)}
    assert rows["Quiet"].silent and not rows["Recent"].silent and not rows["Waiting"].silent
    assert rows["Quiet"].lag == timedelta(hours=25)
    assert (rows["Recent"].records, rows["Recent"].shop.acked_seq) == (2, 1)
    assert rows["Waiting"].lag is None and not rows["Waiting"].enrolled
    assert hq.lag_text(rows["Quiet"].lag) == "1 day"
    assert hq.lag_text(timedelta(minutes=1)) == "1 minute"
    assert hq.lag_text(None) == "never"


def test_an_enrolled_shop_that_never_pushed_is_flagged_after_a_day(session: Session) -> None:
    with clock_at(NOON - timedelta(hours=30)):
        enrolled(session, "Mute")
    (row,) = hq.shops_overview(session, now=NOON)
    assert row.silent and row.lag is None


def test_hq_mode_needs_postgresql_outside_the_tests() -> None:
    assert hq_database_problem("postgresql+psycopg://u:p@h/db", testing=False) is None
    problem = hq_database_problem("sqlite:///x.db", testing=False)
    assert problem is not None and "PostgreSQL" in problem
    assert hq_database_problem("sqlite:///x.db", testing=True) is None


def test_a_shops_times_are_read_as_naive_utc() -> None:
    # Stored times are naive UTC (utcnow()); a shop's "Z" or offset time is read the same way.
    assert hq.parse_time("2026-12-07T12:00:00Z", "at") == NOON
    assert hq.parse_time("2026-12-07T17:30:00+05:30", "at") == NOON
    assert utcnow().tzinfo is None


def test_hq_serve_refuses_sqlite(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    result = CliRunner().invoke(main, ["--data-dir", str(tmp_path / "hq"), "hq", "serve"])
    assert result.exit_code == 1
    assert "HQ needs PostgreSQL" in result.output
    assert not (tmp_path / "hq" / "tillbook.db").exists()  # refused before any app was built


def test_the_hq_compose_file_runs_hq_serve_on_postgresql_15() -> None:
    root = Path(__file__).resolve().parents[2]
    compose = yaml.safe_load((root / "docker-compose.hq.yml").read_text(encoding="utf-8"))
    db, app = compose["services"]["db"], compose["services"]["hq"]
    assert db["image"] == "postgres:15" and "?" in db["environment"]["POSTGRES_PASSWORD"]
    assert app["command"][:4] == ["python", "app.py", "hq", "serve"]
    assert app["environment"]["DATABASE_URL"].startswith("postgresql+psycopg://")
    assert app["depends_on"]["db"]["condition"] == "service_healthy"
    assert app["ports"] == ["${HQ_PUBLISH:-127.0.0.1:8000}:8000"]  # loopback unless opened
    for service in (db, app):
        assert service["volumes"][0].split(":")[0] in compose["volumes"]


def test_two_pushes_of_one_batch_at_once_store_it_once(app: Flask, session: Session) -> None:
    # A shop that timed out and retried while its first push was still running.
    shop = enrolled(session).shop_id
    body = {"shop_id": shop, "changesets": [changeset(1, invoice(1)), changeset(2, invoice(2))]}
    start = threading.Barrier(2)
    answers: list[int] = []

    def push_once() -> None:
        with app.app_context():
            start.wait()
            answers.append(hq.ingest(db.session, shop, hq.parse_push(body), now=NOON))
            db.session.remove()

    threads = [threading.Thread(target=push_once) for _i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert answers == [2, 2]
    assert set(stored(session, shop)) == {("invoice", "1"), ("invoice", "2")}
