"""A second desktop window (DesktopApi.open_window) opens, renders, and both windows stay alive.

In the real pywebview window (Qt backend under Xvfb) the page asks for one of the app's pages
in a window of its own, as the till does for the customer display. The second window must load
its page (the JS API included), the first must keep answering while and after it opens, and
both must close: the second on its own, then the app with the first.

Same environment as tests/desktop/test_window.py (Xvfb, xdotool, `import`, pywebview[qt]).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from posapp.extensions import db
from posapp.instance import read_info
from tests.conftest import build_app
from tests.desktop.cdp import Cdp, page_socket
from tests.desktop.test_window import (  # noqa: F401 (display is a fixture used by name)
    ROOT,
    alive,
    children,
    close_window,
    colours,
    display,
    free_port,
)
from tests.factories import PASSWORD, make_user

pytestmark = [
    pytest.mark.desktop,
    pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Xvfb is Linux only"),
]

WAIT = 90.0
SHOTS = ROOT / "test-artifacts"
# Short on purpose: a window that answers does so in milliseconds; a hung one never does.
ANSWER = 20.0
API_READY = "document.readyState === 'complete' && !!window.pywebview?.api?.open_window"


def page_targets(devtools: int, origin: str) -> list[dict[str, str]]:
    """The DevTools pages showing `origin` (one per window)."""
    with urllib.request.urlopen(f"http://127.0.0.1:{devtools}/json/list", timeout=5) as answer:
        targets = json.loads(answer.read())
    return [t for t in targets if t.get("type") == "page" and t.get("url", "").startswith(origin)]


def x_windows(env: dict[str, str]) -> list[int]:
    """The X windows titled TillBook."""
    found = subprocess.run(
        ["xdotool", "search", "--name", "^TillBook$"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    return [int(line) for line in found.stdout.split()]


def test_second_window_opens_loads_and_both_windows_stay_responsive_and_close(
    display: str,  # noqa: F811 (the fixture imported above)
    tmp_path: Path,
) -> None:
    data = tmp_path / "data"
    devtools = free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("TILLBOOK_DATA_DIR", "DATABASE_URL")}
    env.update(
        DISPLAY=display,
        PYWEBVIEW_GUI="qt",
        QTWEBENGINE_CHROMIUM_FLAGS="--no-sandbox",  # Chromium's sandbox refuses to run as root
        QT_QPA_PLATFORM="xcb",
        QTWEBENGINE_REMOTE_DEBUGGING=f"127.0.0.1:{devtools}",
    )
    env.pop("WAYLAND_DISPLAY", None)
    output = tmp_path / "app-output.txt"
    with output.open("wb") as sink:
        app = subprocess.Popen(
            [sys.executable, "app.py", "--data-dir", str(data)],
            cwd=ROOT,
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    web_processes: set[int] = set()
    window_processes: set[int] = set()
    pages: list[Cdp] = []

    def wait_for(what: str, done) -> None:  # type: ignore[no-untyped-def]
        deadline = time.monotonic() + WAIT
        while not done():
            if app.poll() is not None:
                pytest.fail(f"app exited ({app.returncode}) before {what}:\n{output.read_text()}")
            if time.monotonic() > deadline:
                pytest.fail(f"timed out waiting for {what}:\n{output.read_text()}")
            time.sleep(0.1)

    try:
        wait_for("instance.json", lambda: read_info(data) is not None)
        info = read_info(data)
        assert info is not None
        origin = f"http://127.0.0.1:{info.port}"
        flask_app = build_app(data, AUTO_MIGRATE=False, AUTO_BACKUP=False)
        with flask_app.app_context():
            make_user(db.session, "admin", "admin")
            db.session.commit()
            db.session.remove()
            db.engine.dispose()

        first = Cdp(page_socket(devtools, origin, WAIT), timeout=ANSWER)
        pages.append(first)
        first.wait_for(API_READY, "pywebview's js_api in the first window", WAIT)
        credentials = json.dumps({"username": "admin", "password": PASSWORD})
        landed = first.evaluate(
            """(async () => {
              const login = await (await fetch("/login")).text();
              const token = /name="csrf_token" value="([^"]+)"/.exec(login)[1];
              const body = new URLSearchParams({...CREDENTIALS, csrf_token: token});
              return (await fetch("/login", {method: "POST", body})).url;
            })()""".replace("CREDENTIALS", credentials)
        )
        assert landed.endswith("/pos/"), landed
        first.evaluate("location.assign('/customers/')")
        first.wait_for(f"location.pathname === '/customers/' && {API_READY}", "customers", WAIT)

        # What the page's link handler (static/js/desktop.js) does for a same-origin page.
        opened = first.evaluate(f"window.pywebview.api.open_window('{origin}/display/')")
        assert opened is True

        # It is a process of its own (its DevTools port is the first one's, so taken): judge
        # it as the cashier does, by a second window that is not white.
        wait_for("a second TillBook window", lambda: len(x_windows(env)) == 2)

        # The first window still answers: its own JavaScript and a call into Python.
        assert first.evaluate("document.title.length > 0") is True
        assert (
            first.evaluate(
                "window.pywebview.api.open_window('https://wa.me/919800000001').catch(e => 'no')"
            )
            == "no"
        )

        windows = x_windows(env)
        assert len(windows) == 2, windows
        shots = []
        for number, window in enumerate(windows):
            shot = tmp_path / f"window-{number}.png"

            def rendered(window: int = window, shot: Path = shot) -> bool:
                subprocess.run(["import", "-window", str(window), str(shot)], env=env, check=True)
                return colours(shot) > 32  # text, inputs, buttons: not a white window

            wait_for(f"window {window} rendered", rendered)
            shots.append(shot)
        SHOTS.mkdir(parents=True, exist_ok=True)
        for shot in shots:
            shutil.copyfile(shot, SHOTS / f"desktop-second-{shot.name}")

        # The second window closes on its own; the app and the first window go on.
        main_window = min(windows)  # X hands out ids in creation order
        close_window(display, max(windows))
        wait_for("the second window closed", lambda: x_windows(env) == [main_window])
        assert app.poll() is None
        assert first.evaluate("1 + 1") == 2

        # Opened again and left open: closing the till's window closes it too.
        assert first.evaluate(f"window.pywebview.api.open_window('{origin}/display/')") is True
        wait_for("the window opened again", lambda: len(x_windows(env)) == 2)
        web_processes = children(app.pid, "QtWebEngineProcess")
        window_processes = children(app.pid, "python")
        assert window_processes, "the second window runs in a process of its own"
        close_window(display, main_window)
        code = app.wait(timeout=WAIT)
    finally:
        for page in pages:
            page.close()
        if app.poll() is None:
            app.kill()
            app.wait(timeout=30)
    assert code == 0, output.read_text()
    deadline = time.monotonic() + 30
    while any(alive(pid) for pid in web_processes) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not [pid for pid in web_processes if alive(pid)], "a QtWebEngineProcess outlived the app"
    assert not [pid for pid in window_processes if alive(pid)], "a window process outlived the app"
    assert not (data / "instance.json").exists()
