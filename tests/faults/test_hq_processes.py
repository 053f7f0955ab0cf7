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

import os
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests import databases
from tests.hq_processes import HqSide, Process, Shop, wait_until
from tests.link_proxy import LinkProxy

pytestmark = [
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
        assert "Not synced" in shop.admin().sync_now()  # HQ is still down

    # HQ comes up (on another port: the proxy follows it); each shop's "Sync now" sends all.
    restart_hq(hq_side, proxy)
    for shop in shops:
        assert "Synced" in shop.admin().sync_now()
    for shop in shops:
        wait_until(lambda shop=shop: all_arrived(hq_side, shop), f"{shop.name} all acked")
        assert_same(hq_side, shop)
        assert hq_side.ids(shop.shop_id)["credit_note"] and hq_side.ids(shop.shop_id)["payment"]

    # HQ's all-shops figures are the sum of the shops' own, to the paisa.
    own = [shop.totals() for shop in shops]
    assert hq_side.totals(None) == {key: sum(t[key] for t in own) for key in own[0]}
    assert own[0]["bills"] == 31  # 1 before enrolment and 30 sold while HQ was down
