"""First-run setup under a race: six parallel setup requests through the real server create
exactly one admin (the check and the insert share one write transaction)."""

from __future__ import annotations

import http.client
import re
import threading
from urllib.parse import urlencode, urlsplit

from sqlalchemy import func, select

from posapp.extensions import db
from posapp.models import User
from tests.conftest import LiveServer
from tests.factories import PASSWORD

THREADS = 6


def _connection(base: str) -> http.client.HTTPConnection:
    parts = urlsplit(base)
    return http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)


def setup_form(base: str) -> tuple[str, str]:
    """GET /setup: return its session cookie and CSRF token."""
    connection = _connection(base)
    try:
        connection.request("GET", "/setup")
        response = connection.getresponse()
        html = response.read().decode()
        assert response.status == 200
        cookie = response.getheader("Set-Cookie", "").split(";")[0]
    finally:
        connection.close()
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    assert match and cookie
    return cookie, match.group(1)


def post_setup(base: str, cookie: str, csrf: str, username: str) -> int:
    body = urlencode(
        {
            "csrf_token": csrf,
            "username": username,
            "password": PASSWORD,
            "confirm": PASSWORD,
            "shop_name": "Race Store",
        }
    )
    headers = {"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie}
    connection = _connection(base)
    try:
        connection.request("POST", "/setup", body, headers)
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


def test_racing_setups_create_exactly_one_admin(live_server: LiveServer) -> None:
    forms = [setup_form(live_server.url) for _ in range(THREADS)]
    start = threading.Barrier(THREADS)
    results: list[int] = []
    lock = threading.Lock()

    def racer(i: int) -> None:
        cookie, csrf = forms[i]
        start.wait(timeout=30)
        status = post_setup(live_server.url, cookie, csrf, f"owner{i}")
        with lock:
            results.append(status)

    threads = [threading.Thread(target=racer, args=(i,)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads)

    assert len(results) == THREADS
    assert 500 not in results
    # One setup went through (302 to the app); the others were refused, none created a user.
    assert results.count(302) >= 1
    with live_server.app.app_context():
        admins = db.session.scalar(select(func.count()).select_from(User))
        db.session.remove()
    assert admins == 1
