"""The customer display's pages (posapp/web/display.py, display_settings.py): pairing by code
without a login, the display token cookie, the till's bill reaching only its own displays,
revoking, and the admin's list."""

from __future__ import annotations

import threading
import time
from typing import Any

from flask import Flask, g
from flask.testing import FlaskClient
from sqlalchemy import func, select

from posapp.documents.qr import qr_png
from posapp.extensions import db
from posapp.models import DisplayDevice, User
from posapp.services import displays
from posapp.web.display import COOKIE
from tests.factories import make_user
from tests.web.helpers import AuthActions

BILL: dict[str, Any] = {
    "stage": "billing",
    "lines": [{"name": "Tata Salt 1kg", "qty": 2000, "unit": "pcs", "amount": 5600}],
    "total": 5600,
    "tenders": {"cash": 0, "card": 0, "upi": 0, "credit": 0},
    "change": None,
}
LINK = "upi://pay?pa=sharma@okbank&pn=Sharma&am=56.00&cu=INR"


def new_code(client: FlaskClient) -> str:
    g.pop("_login_user", None)
    response = client.post("/display/code")
    assert response.status_code == 200, response.get_data(as_text=True)
    return str(response.get_json()["code"])


def pair(app: Flask, code: str, name: str = "Counter 1") -> FlaskClient:
    """A fresh browser (no login) pairing itself with the code."""
    screen = app.test_client()
    response = screen.post("/display/pair", data={"code": code, "name": name})
    assert response.status_code == 303, response.get_data(as_text=True)
    return screen


def publish(client: FlaskClient, state: dict[str, Any]) -> Any:
    g.pop("_login_user", None)
    return client.post("/display/publish", json=state)


def device_count() -> int:
    return int(db.session.scalar(select(func.count()).select_from(DisplayDevice)) or 0)


def test_an_unpaired_screen_sees_only_the_pairing_form(app: Flask, cashier: User) -> None:
    screen = app.test_client()
    page = screen.get("/display/")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert 'name="code"' in text and 'id="display"' not in text
    state = screen.get("/display/state", headers={"Accept": "application/json"})
    assert state.status_code == 401 and state.get_json()["error"]["code"] == "not_paired"
    assert screen.get("/display/qr.png").status_code == 404


def test_pairing_sets_an_http_only_cookie_and_shows_the_display(
    app: Flask, cashier_client: FlaskClient
) -> None:
    code = new_code(cashier_client)
    screen = app.test_client()
    response = screen.post("/display/pair", data={"code": code, "name": "Counter 1"})
    assert response.status_code == 303 and response.headers["Location"].endswith("/display/")
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith(f"{COOKIE}=") and "HttpOnly" in cookie and "Path=/display" in cookie
    assert "SameSite=Lax" in cookie
    page = screen.get("/display/").get_data(as_text=True)
    assert 'id="display"' in page and 'name="code"' not in page
    assert "navbar" not in page  # no menu, no login: read-only
    answer = screen.get("/display/state").get_json()
    assert answer["version"] == 0 and answer["state"]["stage"] == "idle"


def test_a_wrong_code_reshows_the_form_and_pairs_nothing(
    app: Flask, cashier_client: FlaskClient
) -> None:
    code = new_code(cashier_client)
    wrong = "000000" if code != "000000" else "999999"
    screen = app.test_client()
    response = screen.post("/display/pair", data={"code": wrong, "name": "Counter 1"})
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    assert "wrong, used or expired" in text and 'value="Counter 1"' in text
    assert "Set-Cookie" not in response.headers or COOKIE not in response.headers["Set-Cookie"]
    malformed = screen.post("/display/pair", data={"code": "12ab", "name": ""})
    assert malformed.status_code == 422
    assert "6-digit code" in malformed.get_data(as_text=True)
    assert device_count() == 0


def test_wrong_codes_are_throttled(app: Flask, cashier_client: FlaskClient) -> None:
    code = new_code(cashier_client)
    wrong = "000000" if code != "000000" else "999999"
    screen = app.test_client()
    for _ in range(5):
        assert screen.post("/display/pair", data={"code": wrong, "name": "X"}).status_code == 422
    throttled = screen.post("/display/pair", data={"code": code, "name": "X"})
    assert throttled.status_code == 429
    assert "Too many wrong codes" in throttled.get_data(as_text=True)
    assert device_count() == 0


def test_the_display_follows_its_own_till_only(app: Flask, cashier_client: FlaskClient) -> None:
    screen = pair(app, new_code(cashier_client))
    other = app.test_client()
    make_user(db.session, "second", "cashier")
    AuthActions(other).login("second")
    assert publish(other, {**BILL, "total": 99900}).status_code == 200
    assert screen.get("/display/state").get_json()["state"]["stage"] == "idle"
    published = publish(cashier_client, BILL)
    assert published.status_code == 200
    version = published.get_json()["version"]
    answer = screen.get("/display/state?after=0").get_json()
    assert answer["version"] == version
    assert answer["state"]["lines"][0]["name"] == "Tata Salt 1kg"
    assert answer["state"]["total"] == 5600 and answer["qr_url"] is None
    assert screen.get("/display/state?after=0").headers["Cache-Control"] == "no-store"
    # nothing newer and wait=0: answered at once with the same version
    again = screen.get(f"/display/state?after={version}&wait=0").get_json()
    assert again["version"] == version


def test_the_upi_qr_is_the_tills_link(app: Flask, cashier_client: FlaskClient) -> None:
    screen = pair(app, new_code(cashier_client))
    assert screen.get("/display/qr.png").status_code == 404
    publish(cashier_client, {**BILL, "stage": "upi", "upi": {"amount": 5600, "link": LINK}})
    answer = screen.get("/display/state").get_json()
    assert answer["qr_url"].startswith("/display/qr.png?v=")
    image = screen.get(answer["qr_url"])
    assert image.status_code == 200 and image.mimetype == "image/png"
    assert image.data == qr_png(LINK, box_size=10)


def test_a_bad_state_is_a_422_and_changes_nothing(app: Flask, cashier_client: FlaskClient) -> None:
    screen = pair(app, new_code(cashier_client))
    for body in ({**BILL, "total": "56.00"}, ["x"], {"stage": "paid", "invoice": 7}):
        response = publish(cashier_client, body)  # type: ignore[arg-type]
        assert response.status_code == 422, body
        assert response.get_json()["error"]["code"] == "validation_error"
    g.pop("_login_user", None)
    not_json = cashier_client.post("/display/publish", data="stage=idle")
    assert not_json.status_code == 422
    assert screen.get("/display/state").get_json()["version"] == 0


def test_revoking_sends_the_screen_back_to_the_form(
    app: Flask, client: FlaskClient, admin: User, cashier: User
) -> None:
    auth = AuthActions(client)
    auth.login("cashier")
    screen = pair(app, new_code(client), name="Front <tablet>")
    auth.logout()
    auth.login("admin")
    listing = client.get("/settings/displays/").get_data(as_text=True)
    assert "Front &lt;tablet&gt;" in listing and "cashier" in listing
    device = db.session.scalars(select(DisplayDevice)).one()
    response = client.post(f"/settings/displays/{device.id}/revoke")
    assert response.status_code == 303
    assert screen.get("/display/state").status_code == 401
    page = screen.get("/display/")
    assert 'name="code"' in page.get_data(as_text=True)
    assert f"{COOKIE}=;" in page.headers["Set-Cookie"]  # the dead token is forgotten
    assert "Revoked" in client.get("/settings/displays/").get_data(as_text=True)
    assert client.post("/settings/displays/999999/revoke").status_code == 404


def test_cashiers_cannot_see_or_revoke_displays(cashier_client: FlaskClient) -> None:
    assert cashier_client.get("/settings/displays/").status_code == 403
    assert cashier_client.post("/settings/displays/1/revoke").status_code == 403


def test_the_till_page_has_the_button_and_the_settings_page_links_the_list(
    admin_client: FlaskClient,
) -> None:
    till = admin_client.get("/pos/").get_data(as_text=True)
    assert 'id="display-open"' in till and 'data-publish-url="/display/publish"' in till
    settings = admin_client.get("/settings/").get_data(as_text=True)
    assert 'href="/settings/displays/"' in settings


def test_a_display_revoked_while_it_waits_gets_no_more_bills(
    app: Flask, client: FlaskClient, admin: User, cashier: User
) -> None:
    AuthActions(client).login("cashier")
    screen = pair(app, new_code(client))
    answers: list[Any] = []
    waiter = threading.Thread(
        target=lambda: answers.append(screen.get("/display/state?after=0")), daemon=True
    )
    waiter.start()
    board = app.extensions["tillbook_display_board"]
    while board.waiting == 0:
        time.sleep(0.005)
    device = db.session.scalars(select(DisplayDevice)).one()
    displays.revoke(db.session, device.id, admin.id)
    publish(client, BILL)
    waiter.join(timeout=10)
    assert answers and answers[0].status_code == 401


def test_the_desktop_window_pairs_its_second_window_by_a_one_time_address(
    app: Flask, cashier_client: FlaskClient
) -> None:
    g.pop("_login_user", None)
    answer = cashier_client.post("/display/desktop")
    assert answer.status_code == 200
    url = answer.get_json()["url"]
    assert url.startswith("/display/claim/t-")
    window = app.test_client()
    response = window.get(url)
    assert response.status_code == 303 and "HttpOnly" in response.headers["Set-Cookie"]
    assert 'id="display"' in window.get("/display/").get_data(as_text=True)
    publish(cashier_client, BILL)
    assert window.get("/display/state").get_json()["state"]["total"] == 5600
    device = db.session.scalars(select(DisplayDevice)).one()
    assert device.name == displays.DESKTOP_NAME
    # once only: the same address later (or a made-up one) shows the pairing form
    again = app.test_client().get(url)
    assert again.status_code == 404 and 'name="code"' in again.get_data(as_text=True)
    assert app.test_client().get("/display/claim/123456").status_code == 404
    assert device_count() == 1


def test_only_this_computer_gets_a_second_window_address(cashier_client: FlaskClient) -> None:
    g.pop("_login_user", None)
    response = cashier_client.post("/display/desktop", environ_base={"REMOTE_ADDR": "192.168.1.20"})
    assert response.status_code == 403
