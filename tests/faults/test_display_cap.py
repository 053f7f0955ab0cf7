"""Customer displays can never starve the tills: on the real waitress server with its six
request threads, at most three displays wait at once; the others are told so at once (503)
and may ask without waiting, the till keeps selling, and stopping the server answers the
waiting displays instead of waiting 25 s for them."""

from __future__ import annotations

import http.client
import json
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from posapp.extensions import db
from posapp.services import display_mirror, displays
from posapp.serving import Server
from posapp.web.display import BOARD_KEY, CODES_KEY, COOKIE
from tests.conftest import build_app
from tests.factories import PASSWORD, make_product, make_user

DISPLAYS = 5


def call(
    base: str, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None
) -> tuple[int, Any]:
    """One HTTP request on its own connection; return (status, JSON body)."""
    parts = urlsplit(base)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
    try:
        connection.request(
            method,
            path,
            json.dumps(body) if body is not None else None,
            {"Content-Type": "application/json", "Accept": "application/json", **(headers or {})},
        )
        response = connection.getresponse()
        return response.status, json.loads(response.read() or b"null")
    finally:
        connection.close()


def test_displays_past_the_cap_are_told_and_the_till_still_sells(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    app = build_app(data_dir)
    server = Server(app, host="127.0.0.1", port=0)  # six threads, as shipped
    base = f"http://127.0.0.1:{server.port}"
    board: display_mirror.MirrorBoard = app.extensions[BOARD_KEY]
    assert board.max_waiting == display_mirror.DEFAULT_MAX_WAITING == 3
    with app.app_context():
        cashier = make_user(db.session, "cash1", "cashier")
        till = cashier.id
        product_id = make_product(db.session, name="Tea", opening_stock="10").id
        codes: displays.PairingCodes = app.extensions[CODES_KEY]
        tokens = [
            displays.pair(db.session, codes, codes.issue(till).code, f"Screen {n}", "10.0.0.5")[1]
            for n in range(DISPLAYS)
        ]
        db.session.remove()
    server.start()
    answers: list[tuple[int, Any]] = []
    lock = threading.Lock()

    def display(token: str) -> None:
        outcome = call(
            base, "GET", "/display/state?after=0", headers={"Cookie": f"{COOKIE}={token}"}
        )
        with lock:
            answers.append(outcome)

    threads = [threading.Thread(target=display, args=(token,)) for token in tokens]
    try:
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + 20
        while (board.waiting < 3 or len(answers) < DISPLAYS - 3) and time.monotonic() < deadline:
            time.sleep(0.01)
        assert board.waiting == 3
        busy = [body for status, body in answers if status == 503]
        assert len(busy) == DISPLAYS - 3 and len(answers) == DISPLAYS - 3
        assert busy[0]["error"]["code"] == "displays_busy"
        assert "refresh every few seconds" in busy[0]["error"]["message"]

        # A display past the cap may still ask without waiting.
        cookie = {"Cookie": f"{COOKIE}={tokens[4]}"}
        status, body = call(base, "GET", "/display/state?after=0&wait=0", headers=cookie)
        assert status == 200 and body["version"] == 0

        # The till sells while three threads are held by waiting displays.
        status, body = call(
            base, "POST", "/api/auth/login", {"username": "cash1", "password": PASSWORD}
        )
        assert status == 200
        bearer = {"Authorization": f"Bearer {body['token']}"}
        for _ in range(3):
            status, body = call(
                base,
                "POST",
                "/api/invoice/create",
                {"items": [{"product_id": product_id, "quantity": 1}]},
                bearer,
            )
            assert status == 201, body
        assert board.waiting == 3  # the displays still wait: nothing was published

        version = board.publish(till, display_mirror.parse_state({"stage": "idle"}))
        for thread in threads:
            thread.join(timeout=10)
        woken = [body for status, body in answers if status == 200]
        assert len(woken) == 3 and all(b["version"] == version for b in woken)

        # Stopping the server answers a waiting display at once (drained, not forced).
        late: list[tuple[int, Any]] = []
        waiter = threading.Thread(
            target=lambda: late.append(
                call(
                    base,
                    "GET",
                    f"/display/state?after={version}",
                    headers={"Cookie": f"{COOKIE}={tokens[0]}"},
                )
            )
        )
        waiter.start()
        while board.waiting == 0 and waiter.is_alive():
            time.sleep(0.01)
    finally:
        drained = server.stop()
        with app.app_context():
            db.engine.dispose()
    waiter.join(timeout=10)
    assert drained
    assert late and late[0][0] == 200
