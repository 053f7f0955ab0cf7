"""Admin -> HQ at the shop: enrol, the sync's state, Sync now, a refused credential."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, make_server

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from posapp.extensions import db
from posapp.models import SyncOutbox
from posapp.models.base import write_transaction
from posapp.services import hq_client
from posapp.services.settings import load_hq, save_hq
from tests.factories import make_product
from tests.hq_fake import CREDENTIAL, GOOD_CODE, SHOP_ID, FakeHq, running_hq
from tests.hq_fake import opener as hq_opener


@pytest.fixture
def hq() -> Iterator[FakeHq]:
    with running_hq() as server:
        yield server


def enrol(client: FlaskClient, hq: FakeHq) -> None:
    answer = client.post("/hq-link/enrol", data={"url": hq.url, "code": GOOD_CODE})
    assert answer.status_code == 302


def test_the_page_offers_enrolment_and_is_in_the_admin_menu(admin_client: FlaskClient) -> None:
    page = admin_client.get("/hq-link/")
    assert page.status_code == 200
    html = page.data.decode()
    assert "data-hq-enrol" in html and 'name="code"' in html
    assert 'href="/hq-link/"' in admin_client.get("/dashboard/").data.decode()


def test_enrolling_shows_the_link_without_the_credential(
    admin_client: FlaskClient, hq: FakeHq
) -> None:
    make_product(db.session)
    answer = admin_client.post(
        "/hq-link/enrol", data={"url": hq.url, "code": GOOD_CODE}, follow_redirects=True
    )
    html = answer.data.decode()
    assert answer.status_code == 200
    assert "This shop is enrolled at Sharma Stores HQ." in html
    assert SHOP_ID in html and hq.url in html
    assert CREDENTIAL not in html and "…" + CREDENTIAL[-4:] in html
    waiting = db.session.scalar(select(func.count()).select_from(SyncOutbox))
    assert f'data-hq-waiting="{waiting}"' in html and waiting > 0
    assert "Not yet" in html


def test_a_wrong_code_is_shown_and_nothing_stored(admin_client: FlaskClient, hq: FakeHq) -> None:
    answer = admin_client.post("/hq-link/enrol", data={"url": hq.url, "code": "NOPE-NOPE"})
    assert answer.status_code == 403
    html = answer.data.decode()
    assert "HQ did not accept this enrolment code" in html
    assert hq.url in html and "NOPE" not in html  # the address kept, the code not shown back
    assert not load_hq(db.session).enrolled


@pytest.mark.parametrize("url", ["", "hq.example.in", "javascript:alert(1)", "https://x y"])
def test_a_bad_address_is_refused_before_anything_is_sent(
    admin_client: FlaskClient, hq: FakeHq, url: str
) -> None:
    answer = admin_client.post("/hq-link/enrol", data={"url": url, "code": GOOD_CODE})
    assert answer.status_code == 422
    assert 'id="f-url-error"' in answer.data.decode()
    assert hq.enrolments == []


def test_an_unreachable_hq_is_an_error_on_the_page_not_a_500(admin_client: FlaskClient) -> None:
    with running_hq() as gone:
        url = gone.url
    answer = admin_client.post("/hq-link/enrol", data={"url": url, "code": GOOD_CODE})
    assert answer.status_code == 422
    assert "Could not reach HQ" in answer.data.decode()


def test_sync_now_sends_everything_and_shows_it(admin_client: FlaskClient, hq: FakeHq) -> None:
    make_product(db.session)
    enrol(admin_client, hq)
    answer = admin_client.post("/hq-link/sync", follow_redirects=True)
    html = answer.data.decode()
    assert "Synced: HQ holds everything up to number" in html
    assert 'data-hq-waiting="0"' in html and "Not yet" not in html
    assert hq.acked == load_hq(db.session).acked_seq > 0


def test_a_failed_sync_says_why_and_a_refused_credential_says_so(
    admin_client: FlaskClient, hq: FakeHq
) -> None:
    enrol(admin_client, hq)
    hq.fail_next("500")
    html = admin_client.post("/hq-link/sync", follow_redirects=True).data.decode()
    assert "Not synced: HQ answered HTTP 500" in html
    assert "The last sync failed" in html

    hq.fail_next("401")
    html = admin_client.post("/hq-link/sync", follow_redirects=True).data.decode()
    assert 'data-hq-error="refused"' in html
    assert "HQ refused this shop&#39;s credential" in html


def test_a_failure_the_push_loop_stored_is_shown_in_the_readers_language(
    admin_client: FlaskClient, hq: FakeHq
) -> None:
    # The loop's thread has no request and no language: it stores the message, not words.
    enrol(admin_client, hq)
    make_product(db.session, name="Tea")
    hq.fail_next("500")
    with pytest.raises(hq_client.HqUnavailable):
        hq_client.push(db.session, hq_opener())
    stored = load_hq(db.session).last_error
    assert "HQ answered HTTP" in stored and "पिछला" not in stored
    hindi = admin_client.get("/hq-link/", headers={"Accept-Language": "hi"}).data.decode()
    assert "पिछला सिंक नहीं हो सका: HQ ने HTTP 500 जवाब दिया: HQ fell over." in hindi
    english = admin_client.get("/hq-link/").data.decode()
    assert "The last sync failed: HQ answered HTTP 500: HQ fell over." in english
    # A value stored by an older version (plain words) or edited by hand is shown as it is.
    for plain in ("HQ answered HTTP 502.", '{"msgid": 1}'):
        with write_transaction(db.session):
            save_hq(db.session, last_error=plain)
        assert plain.replace('"', "&#34;") in admin_client.get("/hq-link/").data.decode()


def test_sync_now_when_not_enrolled_says_so(admin_client: FlaskClient) -> None:
    html = admin_client.post("/hq-link/sync", follow_redirects=True).data.decode()
    assert "This shop is not enrolled at an HQ." in html


def test_cashiers_cannot_see_or_use_it(cashier_client: FlaskClient) -> None:
    assert cashier_client.get("/hq-link/").status_code == 403
    assert cashier_client.post("/hq-link/sync").status_code == 403


def test_the_credential_is_never_in_the_api_settings(
    admin_client: FlaskClient, hq: FakeHq, admin_headers: dict[str, str]
) -> None:
    enrol(admin_client, hq)
    answer = admin_client.get("/api/settings", headers=admin_headers)
    assert answer.status_code == 200
    assert CREDENTIAL not in answer.get_data(as_text=True)
    assert not [key for key in answer.get_json() if key.startswith("hq_")]


def test_the_page_in_hindi(admin_client: FlaskClient) -> None:
    """Passes once the lead fills the catalogs from /work/frag/hq-shop.hi.json."""
    html = admin_client.get("/hq-link/", headers={"Accept-Language": "hi"}).data.decode()
    assert "इस दुकान को HQ से जोड़ें" in html
    assert "नामांकन कोड" in html


class RecordingPusher(hq_client.Pusher):
    """A push loop that is not started: it only records that it was woken."""

    def __init__(self) -> None:
        super().__init__(lambda: Session(db.engine))
        self.woken = 0

    def wake(self) -> None:
        self.woken += 1


def test_sync_now_wakes_the_running_push_loop_and_answers_at_once(
    admin_client: FlaskClient, hq: FakeHq
) -> None:
    enrol(admin_client, hq)
    pusher = RecordingPusher()
    admin_client.application.extensions["hq_pusher"] = pusher
    html = admin_client.post("/hq-link/sync", follow_redirects=True).data.decode()
    assert "Sync started: the changes waiting are being sent to HQ." in html
    assert pusher.woken == 1
    assert hq.bodies == []  # the loop sends; the page did not wait for HQ


@contextmanager
def held_hq(hq: FakeHq) -> Iterator[tuple[str, threading.Event]]:
    """The same HQ behind a door that stays shut until the test opens it (a slow HQ)."""
    door = threading.Event()

    def slow(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        door.wait(60)
        return hq.app(environ, start_response)

    server = make_server("127.0.0.1", 0, slow, handler_class=_Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", door
    finally:
        door.set()
        server.shutdown()
        server.server_close()
        thread.join()


class _Quiet(WSGIRequestHandler):
    def log_message(self, *_args: Any) -> None:
        return


def test_a_slow_hq_does_not_hold_the_page(admin_client: FlaskClient, hq: FakeHq) -> None:
    make_product(db.session)
    enrol(admin_client, hq)
    app = admin_client.application
    app.config["HQ_SYNC_WAIT_SECONDS"] = 0.05
    with held_hq(hq) as (slow_url, door):
        with write_transaction(db.session):
            save_hq(db.session, url=slow_url)
        answer = admin_client.post("/hq-link/sync", follow_redirects=True)
        html = answer.data.decode()
        assert "HQ is slow to answer: the sync goes on in the background." in html
        assert "Not yet" in html and 'data-hq-waiting="0"' not in html
        door.set()  # HQ answers now; the push finishes on its own thread
        app.extensions["hq_sync_now"].join(30)
    db.session.remove()
    html = admin_client.get("/hq-link/").data.decode()
    assert 'data-hq-waiting="0"' in html and "Not yet" not in html
    assert hq.acked == load_hq(db.session).acked_seq > 0
