"""Quit TillBook: the browser fallback's way to stop (no window to close, no console)."""

from __future__ import annotations

import re

from flask import Flask
from flask.testing import FlaskClient

from posapp.extensions import db
from posapp.web.desktop import QUIT_KEY
from tests.factories import PASSWORD, make_user

LAN = {"REMOTE_ADDR": "192.168.1.7"}


def token(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "no CSRF token on the page"
    return match.group(1)


def log_in(client: FlaskClient, username: str) -> str:
    """Log in through the real form (CSRF on); return the home page's HTML."""
    login = client.get("/login").data.decode()
    client.post(
        "/login", data={"username": username, "password": PASSWORD, "csrf_token": token(login)}
    )
    return client.get("/", follow_redirects=True).data.decode()


def fallback(app: Flask) -> list[bool]:
    """Put the app in browser-fallback mode as the launcher does; return the stop calls."""
    stops: list[bool] = []
    app.extensions[QUIT_KEY] = lambda: stops.append(True)
    return stops


def test_no_quit_action_with_a_window_or_on_a_server(csrf_app: Flask) -> None:
    make_user(db.session, "admin", "admin")
    client = csrf_app.test_client()
    page = log_in(client, "admin")
    assert "Quit TillBook" not in page
    assert client.post("/desktop/quit", data={"csrf_token": token(page)}).status_code == 404


def test_the_fallback_quits_from_this_computer_with_the_csrf_token(csrf_app: Flask) -> None:
    make_user(db.session, "cashier", "cashier")
    stops = fallback(csrf_app)
    client = csrf_app.test_client()
    login = client.get("/login").data.decode()
    assert "Quit TillBook" in login  # also before anyone logs in (nobody remembers a password)
    page = log_in(client, "cashier")
    assert 'action="/desktop/quit"' in page
    assert client.post("/desktop/quit").status_code == 400  # no CSRF token: refused
    assert stops == []
    answer = client.post("/desktop/quit", data={"csrf_token": token(page)})
    assert answer.status_code == 200
    assert b"TillBook has stopped" in answer.data
    assert stops == [True]


def test_on_first_run_the_setup_page_can_quit(csrf_app: Flask) -> None:
    stops = fallback(csrf_app)
    client = csrf_app.test_client()
    setup = client.get("/", follow_redirects=True).data.decode()
    assert "Quit TillBook" in setup
    assert client.post("/desktop/quit", data={"csrf_token": token(setup)}).status_code == 200
    assert stops == [True]


def test_a_cashier_at_another_till_cannot_quit(csrf_app: Flask) -> None:
    make_user(db.session, "cashier", "cashier")
    stops = fallback(csrf_app)
    cashier = csrf_app.test_client()
    cashier.environ_base.update(LAN)
    page = log_in(cashier, "cashier")
    assert "Quit TillBook" not in page
    assert cashier.post("/desktop/quit", data={"csrf_token": token(page)}).status_code == 403
    assert stops == []


def test_an_admin_at_another_till_can_quit(csrf_app: Flask) -> None:
    make_user(db.session, "admin", "admin")
    stops = fallback(csrf_app)
    admin = csrf_app.test_client()
    admin.environ_base.update(LAN)
    page = log_in(admin, "admin")
    assert "Quit TillBook" in page
    assert admin.post("/desktop/quit", data={"csrf_token": token(page)}).status_code == 200
    assert stops == [True]
