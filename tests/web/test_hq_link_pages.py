"""Admin -> HQ at the shop: enrol, the sync's state, Sync now, a refused credential."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from posapp.extensions import db
from posapp.models import SyncOutbox
from posapp.services.settings import load_hq
from tests.factories import make_product
from tests.hq_fake import CREDENTIAL, GOOD_CODE, SHOP_ID, FakeHq, running_hq


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
