"""The shop's HQ client over real HTTP: enrolment, push, resume after failures, 401, the loop."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import delete, func, select, text, update
from sqlalchemy.orm import Session

from posapp.cli import main
from posapp.errors import DomainError, Forbidden, ValidationError
from posapp.extensions import db
from posapp.models import AuditLog, Invoice, Product, SyncOutbox, User
from posapp.models.base import utcnow, write_transaction
from posapp.services import checkout, hq_client, sync_outbox
from posapp.services.settings import load_hq, save_hq
from tests.factories import make_customer, make_product
from tests.hq_fake import CREDENTIAL, GOOD_CODE, SHOP_ID, FakeHq, opener, running_hq

pytestmark = pytest.mark.one_backend("the shop side: a shop sells on its own SQLite file")


@pytest.fixture
def hq() -> Iterator[FakeHq]:
    with running_hq() as server:
        yield server


def sell(user: User, product: Product, qty: int = 1) -> Invoice:
    payload = {"items": [{"product_id": product.id, "quantity": qty}]}
    return checkout.checkout(db.session, checkout.parse_checkout(payload), user)


def enrol(hq: FakeHq, admin: User) -> hq_client.Enrolled:
    return hq_client.enrol(db.session, hq.url, GOOD_CODE, admin.id, "0.1.0", opener())


def outbox_seqs() -> list[int]:
    db.session.expire_all()
    return list(db.session.scalars(select(SyncOutbox.seq).order_by(SyncOutbox.seq)))


def last_seq() -> int:
    return max(outbox_seqs())


def assert_hq_holds_the_shop(hq: FakeHq) -> None:
    """Every record the shop's outbox holds is at HQ, in its latest version."""
    latest: dict[tuple[str, str], dict[str, object]] = {}
    for row in db.session.scalars(select(SyncOutbox).order_by(SyncOutbox.seq)):
        for record in json.loads(row.payload)["records"]:
            latest[(record["kind"], record["id"])] = record["data"]
    assert {key: data for key, (_seq, data) in hq.records.items()} == latest


# ---------------------------------------------------------------- enrolment


def test_enrolment_stores_the_link_audits_and_backfills(hq: FakeHq, admin: User) -> None:
    product = make_product(db.session, admin.id)
    make_customer(db.session, admin)
    invoice = sell(admin, product, 2)
    assert outbox_seqs() == []  # not enrolled: nothing recorded

    done = enrol(hq, admin)

    assert (done.hq_name, done.shop_id, done.url) == ("Sharma Stores HQ", SHOP_ID, hq.url)
    (sent,) = hq.enrolments
    assert sent["code"] == GOOD_CODE.replace("-", "")
    assert sent["shop"] == {"name": "My Shop", "gstin": "", "version": "0.1.0"}
    link = load_hq(db.session)
    assert (link.url, link.shop_id, link.credential) == (hq.url, SHOP_ID, CREDENTIAL)
    assert link.credential_hint == "…" + CREDENTIAL[-4:]
    entry = db.session.scalars(select(AuditLog).where(AuditLog.action == "hq.enrol")).one()
    assert json.loads(entry.after or "{}")["hq_shop_id"] == SHOP_ID
    assert CREDENTIAL not in (entry.after or "")  # the secret stays out of the log
    held = {
        (r["kind"], r["id"])
        for row in db.session.scalars(select(SyncOutbox))
        for r in json.loads(row.payload)["records"]
    }
    assert {("product", str(product.id)), ("invoice", str(invoice.id))} <= held
    assert ("audit", str(entry.id)) in held  # the enrolment's own entry, once
    assert len(outbox_seqs()) == done.changesets

    sell(admin, product)  # enrolled now: the next sale is its own changeset
    assert len(outbox_seqs()) == done.changesets + 1


def test_the_qr_text_fills_address_and_code(hq: FakeHq, admin: User) -> None:
    qr = f"tillbook-hq:{hq.url}/#{GOOD_CODE.lower()}"
    hq_client.enrol(db.session, "", qr, admin.id, "0.1.0", opener())
    assert load_hq(db.session).url == hq.url


def test_a_refused_code_stores_nothing(hq: FakeHq, admin: User) -> None:
    make_product(db.session, admin.id)
    with pytest.raises(Forbidden, match="unknown, used or expired"):
        hq_client.enrol(db.session, hq.url, "WRONG-CODE", admin.id, "0.1.0", opener())
    assert not load_hq(db.session).enrolled
    assert outbox_seqs() == []
    assert db.session.scalar(select(func.count()).where(AuditLog.action == "hq.enrol")) == 0


@pytest.mark.parametrize(
    ("address", "code", "field"),
    [
        ("", GOOD_CODE, "url"),
        ("ftp://hq.example.in", GOOD_CODE, "url"),
        ("https://", GOOD_CODE, "url"),
        ("https://hq.example.in/?x=1", GOOD_CODE, "url"),
        ("https://hq example.in", GOOD_CODE, "url"),
        ("https://hq.example.in", "", "code"),
        ("https://hq.example.in", "---", "code"),
        ("https://hq.example.in", "कोड", "code"),
    ],
)
def test_malformed_enrolment_sends_nothing(
    hq: FakeHq, admin: User, address: str, code: str, field: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        hq_client.enrol(db.session, address, code, admin.id, "0.1.0", opener())
    assert caught.value.fields == {field: caught.value.message}
    assert hq.enrolments == [] and not load_hq(db.session).enrolled


def test_an_unreachable_hq_is_a_clear_error(admin: User) -> None:
    with running_hq() as gone:
        url = gone.url  # a port nobody listens on once the block ends
    with pytest.raises(DomainError, match="Could not reach HQ") as caught:
        hq_client.enrol(db.session, url, GOOD_CODE, admin.id, "0.1.0", opener())
    assert caught.value.status == 502
    assert not load_hq(db.session).enrolled


def test_enrolling_twice_is_refused(hq: FakeHq, admin: User) -> None:
    enrol(hq, admin)
    with pytest.raises(DomainError, match="already enrolled"):
        enrol(hq, admin)
    assert len(hq.enrolments) == 1


# ---------------------------------------------------------------- push


def test_push_sends_everything_in_batches_and_stores_the_ack(
    hq: FakeHq, admin: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    product = make_product(db.session, admin.id)
    enrol(hq, admin)
    for _ in range(5):
        sell(admin, product)
    monkeypatch.setattr(hq_client, "MAX_CHANGESETS", 2)

    result = hq_client.push(db.session, opener())

    assert result.acked == last_seq() == hq.acked
    assert result.sent == len(outbox_seqs()) and result.requests == len(hq.bodies) >= 3
    assert all(len(body["changesets"]) <= 2 for body in hq.bodies)
    assert set(hq.sent_seqs.values()) == {1}  # each changeset sent once
    first = hq.bodies[0]
    assert first["shop_id"] == SHOP_ID and first["shop_clock"].endswith("Z")
    assert [c["seq"] for c in first["changesets"]] == [1, 2]
    assert_hq_holds_the_shop(hq)
    state = hq_client.status(db.session)
    assert (state.waiting_changesets, state.waiting_records) == (0, 0)
    assert state.link.acked_seq == hq.acked and state.link.last_sync
    assert state.link.last_error == "" and not state.refused


def test_push_resumes_after_a_5xx_and_a_dropped_connection(hq: FakeHq, admin: User) -> None:
    product = make_product(db.session, admin.id)
    enrol(hq, admin)
    sell(admin, product)
    hq.fail_next("500", "drop")

    with pytest.raises(hq_client.HqUnavailable, match="HTTP 500"):
        hq_client.push(db.session, opener())
    failed = load_hq(db.session)
    reason = hq_client.error_text(failed.last_error)
    assert "HTTP 500" in reason and failed.last_attempt and not failed.last_sync
    with pytest.raises(hq_client.HqUnavailable, match="Could not reach HQ"):
        hq_client.push(db.session, opener())
    assert hq.acked == 0 and load_hq(db.session).acked_seq == 0
    assert load_hq(db.session).last_attempt > failed.last_attempt  # each push's end is noted
    assert hq_client.status(db.session).waiting_changesets == len(outbox_seqs())

    hq_client.push(db.session, opener())
    assert hq.acked == last_seq() and load_hq(db.session).last_error == ""
    done = load_hq(db.session)
    assert done.last_attempt >= done.last_sync > failed.last_attempt
    assert set(hq.sent_seqs.values()) == {1}  # the failed requests stored nothing
    assert_hq_holds_the_shop(hq)


def test_a_lost_ack_resends_only_that_batch_and_hq_skips_it(
    hq: FakeHq, admin: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    product = make_product(db.session, admin.id)
    enrol(hq, admin)
    for _ in range(3):
        sell(admin, product)
    monkeypatch.setattr(hq_client, "MAX_CHANGESETS", 2)
    hq.fail_next("drop_after")  # HQ stores the first batch; its answer never arrives

    with pytest.raises(hq_client.HqUnavailable):
        hq_client.push(db.session, opener())
    assert hq.acked == 2 and load_hq(db.session).acked_seq == 0
    hq_client.push(db.session, opener())

    assert hq.acked == last_seq()
    assert {seq for seq, times in hq.sent_seqs.items() if times > 1} == {1, 2}
    assert set(hq.sent_seqs.values()) <= {1, 2}
    assert_hq_holds_the_shop(hq)


def test_after_a_sync_gap_the_shop_resends_from_hqs_ack(hq: FakeHq, admin: User) -> None:
    product = make_product(db.session, admin.id)
    enrol(hq, admin)
    sell(admin, product)
    hq_client.push(db.session, opener())
    held_before = hq.acked
    hq.restore_to(1)  # HQ comes back from an older backup
    sell(admin, product)

    hq_client.push(db.session, opener())

    assert hq.acked == last_seq() == load_hq(db.session).acked_seq
    gap_bodies = [b for b in hq.bodies if b["changesets"][0]["seq"] == held_before + 1]
    assert gap_bodies  # first it sent from its own ack, HQ answered 409 sync_gap
    assert_hq_holds_the_shop(hq)


def test_a_shop_that_lost_its_ack_resumes_from_hqs(hq: FakeHq, admin: User) -> None:
    product = make_product(db.session, admin.id)
    enrol(hq, admin)
    sell(admin, product)
    hq_client.push(db.session, opener())
    with write_transaction(db.session):
        save_hq(db.session, acked_seq=0)
    assert hq_client.resume_from_hq(db.session, opener()) == hq.acked
    sent = sum(hq.sent_seqs.values())
    hq_client.push(db.session, opener())
    assert sum(hq.sent_seqs.values()) == sent  # nothing sent again


def test_401_stops_with_the_message(hq: FakeHq, admin: User) -> None:
    product = make_product(db.session, admin.id)
    enrol(hq, admin)
    sell(admin, product)
    hq.fail_next("401")

    with pytest.raises(hq_client.HqRefused):
        hq_client.push(db.session, opener())

    state = hq_client.status(db.session)
    assert state.refused
    assert state.link.last_error == "HQ refused this shop's credential. " + (
        "Ask the owner for a new enrolment code and enrol again."
    )
    assert hq.acked == 0


def test_acked_changesets_older_than_30_days_are_deleted(hq: FakeHq, admin: User) -> None:
    product = make_product(db.session, admin.id)
    enrol(hq, admin)
    sell(admin, product)
    old = outbox_seqs()
    db.session.execute(update(SyncOutbox).values(created_at=utcnow() - timedelta(days=31)))
    db.session.commit()
    sell(admin, product)
    recent = [s for s in outbox_seqs() if s not in old]

    hq_client.push(db.session, opener())

    assert outbox_seqs() == recent and hq.acked == recent[-1]
    sell(admin, product)  # a seq once used never comes back
    assert outbox_seqs()[-1] == recent[-1] + 1


def test_not_enrolled_push_is_refused(admin: User) -> None:
    with pytest.raises(DomainError, match="not enrolled"):
        hq_client.push(db.session, opener())


# ---------------------------------------------------------------- the loop


def test_the_loop_pushes_and_stops_cleanly(hq: FakeHq, admin: User) -> None:
    product = make_product(db.session, admin.id)
    enrol(hq, admin)
    sell(admin, product)
    engine = db.engine
    pusher = hq_client.Pusher(lambda: Session(engine), opener(), idle=3600)
    pusher.start()
    try:
        assert hq.contacted.wait(60)
    finally:
        pusher.stop(timeout=60)
    assert pusher._thread is not None and not pusher._thread.is_alive()
    assert hq.acked == last_seq()


def test_the_loop_stops_pushing_on_401_until_woken(hq: FakeHq, admin: User) -> None:
    product = make_product(db.session, admin.id)
    enrol(hq, admin)
    sell(admin, product)
    engine = db.engine
    pusher = hq_client.Pusher(lambda: Session(engine), opener(), idle=3600)
    hq.fail_next("401")
    with pytest.raises(hq_client.HqRefused):
        pusher.round()
    pusher.refused = True
    assert hq.acked == 0
    pusher.wake()  # an admin pressed "Sync now" after HQ fixed the credential
    assert not pusher.refused
    pusher.round()
    assert hq.acked == last_seq()


def test_outbox_helpers_count_what_waits(hq: FakeHq, admin: User) -> None:
    enrol(hq, admin)
    changesets, records = sync_outbox.waiting(db.session, 0)
    assert changesets == len(outbox_seqs()) and records >= changesets


# ---------------------------------------------------------------- app.py hq push / status


def run_cli(data_dir: Path, *args: str) -> Result:
    return CliRunner().invoke(main, ["--data-dir", str(data_dir), *args])


def test_the_command_line_shows_the_state_and_pushes(
    hq: FakeHq, admin: User, data_dir: Path
) -> None:
    answer = run_cli(data_dir, "hq", "status")
    assert answer.exit_code == 0 and "not enrolled" in answer.output
    product = make_product(db.session, admin.id)
    enrol(hq, admin)
    sell(admin, product)
    db.session.remove()

    answer = run_cli(data_dir, "hq", "status")
    assert answer.exit_code == 0, answer.output
    assert hq.url in answer.output and SHOP_ID in answer.output
    assert CREDENTIAL not in answer.output
    assert f"Waiting: {len(outbox_seqs())} changes" in answer.output

    answer = run_cli(data_dir, "hq", "push")
    assert answer.exit_code == 0, answer.output
    assert f"HQ holds everything up to number {last_seq()}" in answer.output
    assert hq.acked == last_seq()


def test_the_command_line_push_fails_with_the_reason(
    hq: FakeHq, admin: User, data_dir: Path
) -> None:
    enrol(hq, admin)
    db.session.remove()
    hq.fail_next("401")
    answer = run_cli(data_dir, "hq", "push")
    assert answer.exit_code == 1
    assert "HQ refused this shop's credential" in answer.output
    answer = run_cli(data_dir, "hq", "status")
    assert "Last error: HQ refused this shop's credential" in answer.output


def test_a_disposed_engine_reads_the_enrolment_again(hq: FakeHq, admin: User) -> None:
    enrol(hq, admin)
    admin_id = admin.id
    db.session.remove()
    db.engine.dispose()  # what a restore does before it swaps the file in
    with write_transaction(db.session):
        save_hq(db.session, shop_id="")  # the restored file was never enrolled
    user = db.session.get(User, admin_id)
    assert user is not None
    product = make_product(db.session, admin_id)
    before = outbox_seqs()
    sell(user, product)
    assert outbox_seqs() == before  # not enrolled any more: nothing recorded


def test_after_a_restore_reused_numbers_are_sent_again_under_new_ones(
    hq: FakeHq, admin: User
) -> None:
    product = make_product(db.session, admin.id)
    enrol(hq, admin)
    sell(admin, product)
    sell(admin, product)
    hq_client.push(db.session, opener())
    top = hq.acked
    # A backup taken two changesets earlier, when HQ had acked three fewer, is restored.
    db.session.execute(delete(SyncOutbox).where(SyncOutbox.seq > top - 2))
    db.session.execute(
        text("UPDATE sqlite_sequence SET seq = :n WHERE name = 'sync_outbox'"), {"n": top - 2}
    )
    db.session.commit()
    with write_transaction(db.session):
        save_hq(db.session, acked_seq=top - 3)
    customer = make_customer(db.session, admin, name="After the restore")
    assert last_seq() == top - 1  # the new changeset took a number HQ already holds

    hq_client.push(db.session, opener())

    assert ("customer", str(customer.id)) in hq.records
    assert hq.records[("customer", str(customer.id))][1]["name"] == "After the restore"
    assert outbox_seqs()[-2:] == [top + 1, top + 2] and hq.acked == top + 2
    invoice = sell(admin, product)
    assert last_seq() == top + 3  # the numbering goes on above HQ's
    hq_client.push(db.session, opener())
    assert hq.acked == top + 3 and ("invoice", str(invoice.id)) in hq.records


def test_the_push_body_splices_the_stored_text_and_reads_as_the_records_it_holds() -> None:
    records = [{"kind": "customer", "id": "7", "data": {"name": 'सीता "दीदी"', "note": "a\\b"}}]
    stored = sync_outbox_text(records)
    # This version's compact text and any other spacing of the same object splice alike.
    spaced = json.dumps({"records": records}, ensure_ascii=True)
    batch = [
        hq_client.Changeset(4, "2026-12-07T06:00:00Z", stored),
        hq_client.Changeset(5, "2026-12-07T06:00:01Z", spaced),
    ]
    body = json.loads(hq_client.push_body("shop-ü", batch, "2026-12-07T06:00:02Z", 9))
    assert body == {
        "shop_id": "shop-ü",
        "changesets": [
            {"seq": 4, "at": "2026-12-07T06:00:00Z", "records": records},
            {"seq": 5, "at": "2026-12-07T06:00:01Z", "records": records},
        ],
        "shop_clock": "2026-12-07T06:00:02Z",
        "outbox_top": 9,
    }


def sync_outbox_text(records: list[dict[str, object]]) -> str:
    """A changeset's payload exactly as sync_outbox.add_changeset stores it."""
    return json.dumps({"records": records}, separators=(",", ":"), ensure_ascii=False)
