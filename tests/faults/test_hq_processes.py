"""HQ sync proven with real processes and faults (issue 24): HQ is `app.py hq serve` on a fresh
PostgreSQL database, each shop is `app.py serve` on its own SQLite file, and every shop talks to
HQ through a proxy the test controls (tests/link_proxy.py). After each fault the same question:
does HQ hold exactly what the shop holds — every record once per (kind, id), each invoice's
total, paid and status as the shop's, and the shop's last outbox number acknowledged?

PostgreSQL only (HQ mode refuses anything else outside tests): the module is skipped unless
TILLBOOK_TEST_POSTGRESQL_URL is set (CI sets it). tests/faults is not one of conftest's
per-backend folders, so the module runs once and makes its HQ database itself with
tests/databases.py (a fresh copy of the migrated template, dropped at the end). POSIX only:
processes are killed with SIGKILL.

What a shop's own push thread would do after a failure is done here on demand instead: its
backoff (5 s doubling to 5 min) has no setting, so the tests press the shop's "Sync now"
(Admin -> HQ, in the shop's process) or run the one-shot `app.py hq push` process.
"""

from __future__ import annotations

import http.client
import os
import sys
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import suppress
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from posapp.extensions import db
from posapp.services import hq, hq_client
from tests import databases
from tests.conftest import build_app
from tests.hq_processes import HqSide, Process, Shop, http_json, push_once, wait_until
from tests.link_proxy import LinkProxy

pytestmark = [
    pytest.mark.process,
    pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX"),
    pytest.mark.skipif(
        not os.environ.get(databases.BACKEND_ENV["postgresql"]),
        reason="HQ runs on PostgreSQL: set TILLBOOK_TEST_POSTGRESQL_URL",
    ),
]


@pytest.fixture
def hq_side(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[HqSide]:
    """A fresh HQ database on PostgreSQL, with HQ's process started on it."""
    monkeypatch.delenv("DATABASE_URL", raising=False)  # the shops' own apps: SQLite
    server = databases.backend("postgresql")
    name, url = server.fresh()
    side = HqSide(tmp_path / "hq", url)
    try:
        side.start()
        yield side
    finally:
        side.close()
        server.drop(name)


@pytest.fixture
def proxy(hq_side: HqSide) -> Iterator[LinkProxy]:
    """The link between the shops and HQ."""
    assert hq_side.process is not None
    link = LinkProxy(hq_side.process.port).start()
    yield link
    link.stop()


@pytest.fixture
def shops(tmp_path: Path) -> Iterator[list[Shop]]:
    """Shops the test sets up; their servers are stopped at the end."""
    made: list[Shop] = []
    yield made
    for shop in made:
        shop.stop()


def restart_hq(hq_side: HqSide, proxy: LinkProxy) -> Process:
    process = hq_side.start()
    proxy.retarget(process.port)
    return process


def assert_same(hq_side: HqSide, shop: Shop) -> None:
    """HQ holds exactly the shop's records: nothing lost, nothing doubled, the last version."""
    held, own = hq_side.ids(shop.shop_id), shop.ids()
    for kind in own:
        assert held.get(kind, set()) == own[kind], f"{shop.name}: {kind} differs"
    assert set(held) <= set(own), f"{shop.name}: HQ holds kinds the shop has not"
    assert hq_side.invoices(shop.shop_id) == shop.invoices()
    assert hq_side.totals(shop.shop_id) == shop.totals()
    assert hq_side.acked(shop.shop_id) == shop.last_seq()


def all_arrived(hq_side: HqSide, shop: Shop) -> bool:
    return hq_side.acked(shop.shop_id) == shop.last_seq() and shop.stored_ack() == shop.last_seq()


def test_three_shops_sell_while_hq_is_down_and_everything_arrives_once(
    hq_side: HqSide, proxy: LinkProxy, shops: list[Shop], tmp_path: Path
) -> None:
    # Three shops, each with a few sales from before it knew HQ (they go in its backfill).
    for number, area in enumerate(("Main Road", "Station Road", "Bazaar"), start=1):
        shop = Shop(f"Sharma Kirana, {area}", tmp_path / f"shop{number}")
        shop.set_up(sales=number)
        shop.enrol(proxy.url, hq_side.new_code(shop.name))
        shops.append(shop)

    # HQ goes down before the shops open; they sell all day through their own APIs, at once.
    assert hq_side.process is not None
    hq_side.process.stop()
    for shop in shops:
        shop.start()

    def trade(shop: Shop) -> None:
        sold = shop.sell(25)
        shop.give_back(sold[3])
        shop.pay_on_account("120.00")
        shop.sell(5, start=25)

    traders = [threading.Thread(target=trade, args=(shop,)) for shop in shops]
    for thread in traders:
        thread.start()
    for thread in traders:
        thread.join(timeout=300)
    assert not any(thread.is_alive() for thread in traders)
    for shop in shops:
        assert shop.last_seq() > shop.stored_ack(), "the outbox should be waiting"
        assert "The last sync failed" in shop.admin().sync_now()  # HQ is still down

    # HQ comes up (on another port: the proxy follows it); each shop's "Sync now" sends all.
    restart_hq(hq_side, proxy)
    for shop in shops:
        assert "data-hq-error" not in shop.admin().sync_now(ok=True)
    for shop in shops:
        wait_until(partial(all_arrived, hq_side, shop), f"{shop.name} all acked")
        assert_same(hq_side, shop)
        assert hq_side.ids(shop.shop_id)["credit_note"] and hq_side.ids(shop.shop_id)["payment"]

    # HQ's all-shops figures are the sum of the shops' own, to the paisa.
    own = [shop.totals() for shop in shops]
    assert hq_side.totals(None) == {key: sum(t[key] for t in own) for key in own[0]}
    assert own[0]["bills"] == 31  # 1 before enrolment and 30 sold while HQ was down


def hq_waits_on_a_lock(hq_side: HqSide) -> bool:
    """Whether one of HQ's connections waits for a row lock (its push is mid-transaction)."""
    with hq_side.engine.connect() as conn:
        waiting = conn.execute(
            text(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
        ).scalar_one()
    return int(waiting) > 0


class ShortTimeout:
    """urllib's opener with a short timeout: the client gives up on a slow HQ sooner than its
    30 s, so the test need not wait that long (the same code path: a timeout is an OSError)."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.opener = urllib.request.build_opener()

    def open(self, fullurl: urllib.request.Request, data: None = None, timeout: float = 0) -> Any:
        return self.opener.open(fullurl, data, timeout=self.seconds)


def push_here(shop: Shop, opener: Any) -> None:
    """One push from this process, as the shop's code does it, with the opener given."""
    app = build_app(shop.data_dir)
    with app.app_context():
        try:
            hq_client.push(db.session, opener)
        finally:
            db.session.remove()
            db.engine.dispose()


def test_hq_killed_mid_batch_a_shop_killed_mid_push_and_the_link_cut_lose_and_double_nothing(
    hq_side: HqSide, proxy: LinkProxy, shops: list[Shop], tmp_path: Path
) -> None:
    # A shop with a long history enrols: its backfill goes as one big request (thousands of
    # records, more than one upsert statement at HQ).
    big = Shop("Gupta Stores", tmp_path / "big")
    big.set_up(sales=200)
    big.enrol(proxy.url, hq_side.new_code(big.name))
    shops.append(big)
    outbox = big.outbox()
    assert len(outbox) <= 200
    assert sum(len(changeset["records"]) for changeset in outbox) > hq.UPSERT_CHUNK
    last = outbox[-1]["records"][-1]

    # HQ killed mid-batch: the test holds an uncommitted row on the batch's last record, so
    # HQ's push transaction (the shop locked, the first statements run) waits there; SIGKILL.
    blocker = hq_side.engine.connect()
    held = blocker.begin()
    blocker.execute(
        text(
            "INSERT INTO hq_records (shop_id, kind, record_id, seq, payload, received_at) "
            "VALUES (:s, :k, :i, 0, '{}', now())"
        ),
        {"s": big.shop_id, "k": last["kind"], "i": last["id"]},
    )
    pushing = push_once(big.data_dir)
    try:
        wait_until(lambda: hq_waits_on_a_lock(hq_side), "HQ's push waiting mid-transaction")
        assert hq_side.process is not None
        hq_side.process.kill()
        assert pushing.wait() == 1, pushing.log()
        assert "Could not reach HQ" in pushing.log(), pushing.log()
    finally:
        held.rollback()
        blocker.close()
    assert hq_side.acked(big.shop_id) == 0  # the killed transaction left nothing
    assert not any(hq_side.ids(big.shop_id).values())

    # HQ restarted: the next push sends it all again and it is stored once.
    restart_hq(hq_side, proxy)
    again = push_once(big.data_dir)
    assert again.wait() == 0, again.log()
    assert_same(hq_side, big)
    assert big.stored_ack() == big.last_seq()

    # A shop killed mid-push: HQ has stored the batch and answered, the proxy holds the answer,
    # the shop's process dies before it hears it.
    till = Shop("Gupta Stores, Station Road", tmp_path / "till")
    till.set_up(sales=2)
    till.enrol(proxy.url, hq_side.new_code(till.name))
    shops.append(till)
    till.start()  # its push thread sends the backfill at once
    wait_until(lambda: all_arrived(hq_side, till), "the backfill acked")
    till.sell(20)
    admin = till.admin()
    proxy.set_mode("hold_answer")
    pressing = threading.Thread(target=lambda: _quietly(admin.sync_now), daemon=True)
    pressing.start()
    assert proxy.answered.wait(60), "no push reached HQ"
    till.kill()
    pressing.join(timeout=60)
    proxy.release()
    proxy.set_mode("pass")
    assert hq_side.acked(till.shop_id) == till.last_seq()  # HQ has it all ...
    assert till.stored_ack() < till.last_seq()  # ... the shop never heard
    till.start()  # restarted: its push thread resends from its own ack; HQ skips the duplicates
    wait_until(lambda: all_arrived(hq_side, till), "the restarted shop acked")
    assert_same(hq_side, till)

    # The link: down (connections refused), cut mid-body, the answer cut, the answer too slow.
    # The proxy never passes in between: the shop's own push thread may try at any time, and
    # meets the same fault as "Sync now".
    admin = till.admin()
    proxy.set_mode("refuse")
    wait_until(proxy.idle, "no push left in flight")
    before = hq_side.acked(till.shop_id)
    till.sell(3, start=20)
    assert "The last sync failed" in admin.sync_now()
    proxy.set_mode("cut_request", cut_after=2000)
    till.sell(3, start=23)
    assert "The last sync failed" in admin.sync_now()
    assert hq_side.acked(till.shop_id) == before  # half a request stores nothing
    proxy.set_mode("cut_answer")
    till.sell(3, start=26)
    assert "The last sync failed" in admin.sync_now()
    assert hq_side.acked(till.shop_id) == till.last_seq()  # stored, the answer lost
    assert till.stored_ack() < till.last_seq()
    proxy.set_mode("delay", delay=4.0)
    till.sell(3, start=29)
    with pytest.raises(hq_client.HqUnavailable):
        push_here(till, ShortTimeout(1.5))
    proxy.set_mode("pass")
    assert "data-hq-error" not in admin.sync_now(ok=True)
    wait_until(lambda: all_arrived(hq_side, till), "the link back")
    for shop in (big, till):
        assert_same(hq_side, shop)


def _quietly(press: Any) -> None:
    """Press a button whose answer never comes (the shop is killed meanwhile)."""
    with suppress(OSError, urllib.error.URLError, http.client.HTTPException):
        press()


def shifted(changesets: list[dict[str, Any]], hours: int) -> list[dict[str, Any]]:
    """The changesets as a shop whose clock is `hours` off would send them: every time moved."""

    def move(value: Any, key: str = "") -> Any:
        if isinstance(value, dict):
            return {k: move(v, k) for k, v in value.items()}
        if isinstance(value, list):
            return [move(v) for v in value]
        if isinstance(value, str) and (key == "at" or key.endswith("_at")) and value.endswith("Z"):
            moment = datetime.fromisoformat(value[:-1]) + timedelta(hours=hours)
            return moment.isoformat() + "Z"
        return value

    return [move(changeset) for changeset in changesets]


def test_duplicated_reordered_and_clock_skewed_batches_are_stored_once_in_seq_order(
    hq_side: HqSide, tmp_path: Path
) -> None:
    assert hq_side.process is not None
    hq_url = hq_side.process.url
    shop = Shop("Verma General Store", tmp_path / "replay")
    shop.set_up(sales=2)
    shop.enrol(hq_url, hq_side.new_code(shop.name))
    sold = shop.sell_here(6, give_back=True)  # the return: a later version of the first bill
    outbox = shop.outbox()
    *sales, returned = outbox
    assert any(r["kind"] == "invoice" and r["id"] == str(sold[0]) for r in returned["records"]), (
        "the return's changeset carries the returned invoice"
    )
    credential = shop.credential()

    def push(changesets: list[dict[str, Any]], hours: int) -> tuple[int, Any]:
        clock = datetime.now(UTC).replace(tzinfo=None) + timedelta(hours=hours)
        body = {
            "shop_id": shop.shop_id,
            "changesets": shifted(changesets, hours),
            "shop_clock": clock.isoformat() + "Z",
        }
        return http_json(
            hq_url, "POST", "/hq/api/v1/sync/push", body, {"Authorization": f"Bearer {credential}"}
        )

    # The shop's clock is 2 hours fast. Batch 2 arrives before batch 1: a gap, nothing stored.
    half = len(sales) // 2
    first, second = sales[:half], sales[half:]
    status, answer = push(second, +2)
    assert status == 409 and answer["error"]["code"] == "sync_gap", answer
    assert answer["error"]["details"] == {"acked": 0}
    assert not any(hq_side.ids(shop.shop_id).values())
    assert push(first, +2) == (200, {"acked": first[-1]["seq"]})
    assert push(second, +2) == (200, {"acked": second[-1]["seq"]})
    stored = hq_side.snapshot(shop.shop_id)
    assert push(second, +2) == (200, {"acked": second[-1]["seq"]})  # batch 2 again
    assert push(sales, +2) == (200, {"acked": second[-1]["seq"]})  # both again
    assert hq_side.snapshot(shop.shop_id) == stored  # duplicates changed nothing
    assert 2 * 3600 - 300 < (hq_side.clock_skew(shop.shop_id) or 0) < 2 * 3600 + 300

    # The clock is then set 2 hours slow: the return's version of the bill carries times 4 h
    # older than the version HQ holds, and still replaces it (HQ orders by seq, never by time).
    older = hq_side.payload(shop.shop_id, "invoice", str(sold[0]))
    assert push([returned], -2) == (200, {"acked": returned["seq"]})
    newer = hq_side.payload(shop.shop_id, "invoice", str(sold[0]))
    assert older is not None and newer is not None and newer != older
    assert newer["created_at"] < older["created_at"]
    assert -2 * 3600 - 300 < (hq_side.clock_skew(shop.shop_id) or 0) < -2 * 3600 + 300
    assert push(sales, +2) == (200, {"acked": returned["seq"]})  # the old versions again
    assert hq_side.payload(shop.shop_id, "invoice", str(sold[0])) == newer
    assert_same(hq_side, shop)
