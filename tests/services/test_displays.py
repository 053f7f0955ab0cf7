"""Customer displays (posapp/services/displays.py, display_mirror.py): pairing codes that
work once and expire, tokens stored only as hashes, revoking, the throttle on wrong codes,
and the in-memory mirror with its long poll, its cap and its checks on what a till sends."""

from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from posapp.errors import LockedOut, NotFound, ValidationError
from posapp.extensions import db
from posapp.models import AuditLog, DisplayDevice, User
from posapp.models.base import utcnow
from posapp.services import display_mirror, displays, users
from posapp.services.display_mirror import DisplaysBusy, MirrorBoard, parse_state
from tests.factories import make_user

pytestmark = pytest.mark.one_backend("pairing and mirroring customer displays")


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = utcnow()

    def __call__(self) -> datetime:
        return self.now


def actions() -> list[str]:
    return list(db.session.scalars(select(AuditLog.action).order_by(AuditLog.id)))


def test_a_code_pairs_once_and_the_token_is_stored_only_as_its_hash(cashier: User) -> None:
    codes = displays.PairingCodes()
    issued = codes.issue(cashier.id)
    assert len(issued.code) == 6 and issued.code.isdecimal()
    device, token = displays.pair(db.session, codes, issued.code, "  Counter   1 ", "10.0.0.7")
    assert device.name == "Counter 1" and device.user_id == cashier.id
    stored = db.session.get(DisplayDevice, device.id)
    assert stored is not None and stored.token_hash == displays.hash_token(token)
    assert token not in stored.token_hash and len(token) >= 40
    assert displays.device_for_token(db.session, token).id == device.id  # type: ignore[union-attr]
    with pytest.raises(ValidationError) as used:
        displays.pair(db.session, codes, issued.code, "Counter 2", "10.0.0.7")
    assert "code" in used.value.fields
    assert actions()[-2:] == ["display.pair", "display.pair_failed"]


def test_a_code_expires_after_five_minutes(cashier: User) -> None:
    clock = Clock()
    codes = displays.PairingCodes(clock=clock)
    issued = codes.issue(cashier.id)
    clock.now += displays.CODE_LIFETIME + timedelta(seconds=1)
    with pytest.raises(ValidationError, match="expired"):
        displays.pair(db.session, codes, issued.code, "Counter", "10.0.0.7")
    fresh = codes.issue(cashier.id)
    clock.now += displays.CODE_LIFETIME - timedelta(seconds=1)
    device, _token = displays.pair(db.session, codes, fresh.code, "Counter", "10.0.0.7")
    assert device.user_id == cashier.id


def test_a_new_code_ends_the_tills_earlier_code_but_not_another_tills(
    admin: User, cashier: User
) -> None:
    codes = displays.PairingCodes()
    first = codes.issue(cashier.id)
    other = codes.issue(admin.id)
    second = codes.issue(cashier.id)
    assert codes.take(first.code) is None
    assert codes.take(second.code) == cashier.id
    assert codes.take(other.code) == admin.id


@pytest.mark.parametrize("typed", ["", "12345", "1234567", "12a456", "١٢٣٤٥٦", "123 45x"])
def test_malformed_codes_and_names_are_refused_before_anything_is_written(
    cashier: User, typed: str
) -> None:
    codes = displays.PairingCodes()
    with pytest.raises(ValidationError) as bad:
        displays.pair(db.session, codes, typed, "Counter", "10.0.0.7")
    assert "code" in bad.value.fields
    with pytest.raises(ValidationError) as unnamed:
        displays.pair(db.session, codes, codes.issue(cashier.id).code, "   ", "10.0.0.7")
    assert "name" in unnamed.value.fields
    with pytest.raises(ValidationError):
        displays.pair(db.session, codes, "123456", "x" * 61, "10.0.0.7")
    assert db.session.scalars(select(DisplayDevice)).all() == []
    assert "display.pair_failed" not in actions()  # malformed input is no guess


def test_wrong_codes_are_throttled_per_address_like_logins(cashier: User) -> None:
    codes = displays.PairingCodes()
    live = codes.issue(cashier.id)
    wrong = "000000" if live.code != "000000" else "111111"
    for _ in range(users.FREE_FAILURES):
        with pytest.raises(ValidationError):
            displays.pair(db.session, codes, wrong, "Counter", "10.0.0.9")
    with pytest.raises(LockedOut):  # even the right code, while the address must wait
        displays.pair(db.session, codes, live.code, "Counter", "10.0.0.9")
    # ...and the throttled try did not use the code up: another address pairs with it
    device, _token = displays.pair(db.session, codes, live.code, "Counter", "10.0.0.10")
    assert device.user_id == cashier.id
    # the cashier's own login is not throttled by a display guessing codes
    assert users.throttle_wait(db.session, "cashier", "10.0.0.9") is None


def test_a_code_of_a_deactivated_till_pairs_nothing(admin: User, cashier: User) -> None:
    codes = displays.PairingCodes()
    issued = codes.issue(cashier.id)
    users.set_active(db.session, cashier.id, False, admin.id)
    with pytest.raises(ValidationError):
        displays.pair(db.session, codes, issued.code, "Counter", "10.0.0.7")


def test_revoked_displays_and_unknown_tokens_find_nothing(admin: User, cashier: User) -> None:
    codes = displays.PairingCodes()
    device, token = displays.pair(db.session, codes, codes.issue(cashier.id).code, "Tab", "x")
    displays.revoke(db.session, device.id, admin.id)
    displays.revoke(db.session, device.id, admin.id)  # twice: no second entry
    assert displays.device_for_token(db.session, token) is None
    assert displays.device_for_token(db.session, "") is None
    assert displays.device_for_token(db.session, "t" * 5000) is None
    assert actions().count("display.revoke") == 1
    with pytest.raises(NotFound):
        displays.revoke(db.session, 999_999, admin.id)
    listed = displays.list_devices(db.session)
    assert [d.id for d in listed] == [device.id] and listed[0].revoked_at is not None


def test_last_seen_is_written_at_most_once_a_minute(cashier: User) -> None:
    codes = displays.PairingCodes()
    _device, token = displays.pair(db.session, codes, codes.issue(cashier.id).code, "Tab", "x")
    first = displays.device_for_token(db.session, token)
    assert first is not None and first.last_seen_at is not None
    seen = first.last_seen_at
    again = displays.device_for_token(db.session, token)
    assert again is not None and again.last_seen_at == seen


# --- the mirror ----------------------------------------------------------------------------

BILL: dict[str, Any] = {
    "stage": "billing",
    "lines": [{"name": "Tata Salt 1kg", "qty": 2000, "unit": "pcs", "amount": 5600}],
    "total": 5600,
    "tenders": {"cash": 10000},
    "change": 4400,
}


def test_a_published_state_is_normalised() -> None:
    state = parse_state(BILL)
    assert state["tenders"] == {"cash": 10000, "card": 0, "upi": 0, "credit": 0}
    assert state["discount"] == 0 and state["upi"] is None and state["invoice"] is None
    unpriced = parse_state({**BILL, "lines": [{**BILL["lines"][0], "amount": None}]})
    assert unpriced["lines"][0]["amount"] is None


@pytest.mark.parametrize(
    "change, field",
    [
        ({"stage": "sold"}, "stage"),
        ({"total": 12.5}, "total"),
        ({"total": True}, "total"),
        ({"total": -1}, "total"),
        ({"total": 10**14}, "total"),
        ({"lines": "x"}, "lines"),
        ({"lines": [{"name": "a", "qty": "1", "unit": "pcs", "amount": 1}]}, "lines.0.qty"),
        ({"lines": [{"name": "a" * 161, "qty": 1, "unit": "pcs", "amount": 1}]}, "lines.0.name"),
        ({"lines": [7]}, "lines.0"),
        ({"lines": [{"name": "a", "qty": 1, "unit": "pcs"}] * 501}, "lines"),
        ({"tenders": {"upi": "100"}}, "tenders.upi"),
        ({"tenders": []}, "tenders"),
        ({"change": -5}, "change"),
        ({"upi": {"amount": 100, "link": "https://evil.example/pay"}}, "upi.link"),
        ({"upi": {"amount": 100, "link": "upi://pay?pa=a@b\n"}}, "upi.link"),
        ({"upi": {"amount": "100"}}, "upi.amount"),
        ({"upi": "upi://pay?pa=a@b"}, "upi"),
        ({"invoice": "X" * 41}, "invoice"),
        ({"invoice": 42}, "invoice"),
    ],
)
def test_hostile_states_are_refused_naming_the_field(change: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationError) as bad:
        parse_state({**BILL, **change})
    assert field in bad.value.fields


def test_not_an_object_is_refused() -> None:
    with pytest.raises(ValidationError):
        parse_state(["stage", "idle"])


def test_the_board_answers_at_once_when_the_display_is_behind() -> None:
    board = MirrorBoard()
    assert board.wait(1, -1, timeout=5).version == 0  # never published: idle, version 0
    version = board.publish(1, parse_state(BILL))
    answer = board.wait(1, 0, timeout=5)
    assert answer.version == version and answer.state["total"] == 5600
    # a display that saw a later version (the server restarted since) is answered at once
    assert board.wait(1, version + 50, timeout=5).version == version


def test_a_waiting_display_wakes_on_its_tills_publish_only() -> None:
    board = MirrorBoard()
    got: list[display_mirror.Published] = []
    waiter = threading.Thread(target=lambda: got.append(board.wait(1, 0, timeout=10)))
    waiter.start()
    while board.waiting == 0:
        time.sleep(0.005)
    board.publish(2, parse_state(BILL))  # another till: nothing for this display
    time.sleep(0.05)
    assert not got
    board.publish(1, parse_state({**BILL, "total": 700}))
    waiter.join(timeout=5)
    assert got and got[0].state["total"] == 700
    assert board.waiting == 0


def test_a_wait_ends_at_its_timeout_with_the_same_version() -> None:
    board = MirrorBoard()
    assert board.wait(1, 0, timeout=0.05).version == 0


def test_more_waiting_displays_than_the_cap_are_told_at_once() -> None:
    board = MirrorBoard(max_waiting=2)
    threads = [threading.Thread(target=board.wait, args=(till, 0, 10)) for till in (1, 2)]
    for thread in threads:
        thread.start()
    while board.waiting < 2:
        time.sleep(0.005)
    with pytest.raises(DisplaysBusy) as busy:
        board.wait(3, 0, timeout=10)
    assert busy.value.status == 503
    assert board.wait(3, 0, timeout=0).version == 0  # not waiting is always answered
    board.close()  # the server stops: the waiting polls answer now
    for thread in threads:
        thread.join(timeout=2)
        assert not thread.is_alive()
    assert board.wait(1, 0, timeout=10).version == 0  # and later ones at once


def test_stop_ends_a_wait_early() -> None:
    board = MirrorBoard()
    started = time.monotonic()
    board.wait(1, 0, timeout=10, stop=lambda: time.monotonic() - started > 0.1)
    assert board.waiting == 0


def test_close_all_boards_wakes_every_board() -> None:
    boards = [MirrorBoard(), MirrorBoard()]
    done = []
    threads = [
        threading.Thread(target=lambda b=b: done.append(b.wait(1, 0, timeout=20))) for b in boards
    ]
    for thread in threads:
        thread.start()
    while any(b.waiting == 0 for b in boards):
        time.sleep(0.005)
    display_mirror.close_all_boards()
    for thread in threads:
        thread.join(timeout=2)
    assert len(done) == 2


def test_an_admins_till_pairs_like_a_cashiers(app: Any) -> None:
    # the till is the logged-in user, whatever the role
    codes = displays.PairingCodes()
    owner = make_user(db.session, "owner", "admin")
    device, _ = displays.pair(db.session, codes, codes.issue(owner.id).code, "Front", "x")
    assert device.user_id == owner.id


def test_a_state_sent_earlier_that_arrives_later_is_dropped() -> None:
    board = MirrorBoard()
    paid = parse_state({"stage": "paid", "invoice": "INV-1", "at": 1_000_000})
    next_bill = parse_state({**BILL, "at": 1_000_400})
    board.publish(1, next_bill)
    version = board.latest(1).version
    assert board.publish(1, paid) == version  # the paid picture came late: the bill stays
    assert board.latest(1).state["stage"] == "billing"
    # a clock set back by more than REORDER_MS counts again, as do unstamped states
    assert board.publish(1, parse_state({"stage": "idle", "at": 1})) > version
    assert board.publish(1, parse_state({"stage": "billing", **BILL})) > version
    with pytest.raises(ValidationError) as bad:
        parse_state({"stage": "idle", "at": -5})
    assert "at" in bad.value.fields
