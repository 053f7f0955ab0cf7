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
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from posapp.extensions import db
from posapp.instance import read_info
from posapp.models import DisplayDevice
from posapp.services.displays import DESKTOP_NAME
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


def x_windows(env: dict[str, str], title: str = "^TillBook$") -> list[int]:
    """The X windows whose title matches `title` (a regular expression)."""
    found = subprocess.run(
        ["xdotool", "search", "--name", title],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    return [int(line) for line in found.stdout.split()]


@dataclass
class Running:
    """The desktop app under test: its process, environment and the first window's page."""

    app: subprocess.Popen[bytes]
    env: dict[str, str]
    data: Path
    output: Path
    origin: str = ""
    first: Cdp | None = None
    web_processes: set[int] = field(default_factory=set)
    window_processes: set[int] = field(default_factory=set)

    def wait_for(self, what: str, done: Callable[[], bool]) -> None:
        """Poll (bounded) until `done`; fail with the app's output if it exits first."""
        deadline = time.monotonic() + WAIT
        while not done():
            if self.app.poll() is not None:
                pytest.fail(
                    f"app exited ({self.app.returncode}) before {what}:\n{self.output.read_text()}"
                )
            if time.monotonic() > deadline:
                pytest.fail(f"timed out waiting for {what}:\n{self.output.read_text()}")
            time.sleep(0.1)

    def rendered(self, window: int, shot: Path) -> None:
        """Wait until the X window shows more than a blank (white) surface; keep a shot."""

        def done() -> bool:
            # xdotool finds a window by its title before the window manager has mapped it;
            # until then `import` cannot read it ("Resource temporarily unavailable"), which
            # is "not rendered yet", not a failure. wait_for still bounds the wait.
            capture = subprocess.run(
                ["import", "-window", str(window), str(shot)],
                env=self.env,
                capture_output=True,
                check=False,
            )
            if capture.returncode != 0:
                return False
            return colours(shot) > 32  # text, inputs, buttons: not a white window

        self.wait_for(f"window {window} rendered", done)
        SHOTS.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(shot, SHOTS / f"desktop-second-{shot.name}")


@contextmanager
def logged_in_app(display_name: str, tmp_path: Path) -> Iterator[Running]:
    """Start app.py under Xvfb, add an admin and log the first window in."""
    data = tmp_path / "data"
    devtools = free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("TILLBOOK_DATA_DIR", "DATABASE_URL")}
    env.update(
        DISPLAY=display_name,
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
    running = Running(app, env, data, output)
    try:
        running.wait_for("instance.json", lambda: read_info(data) is not None)
        info = read_info(data)
        assert info is not None
        running.origin = f"http://127.0.0.1:{info.port}"
        flask_app = build_app(data, AUTO_MIGRATE=False, AUTO_BACKUP=False)
        with flask_app.app_context():
            make_user(db.session, "admin", "admin")
            db.session.commit()
            db.session.remove()
            db.engine.dispose()
        first = running.first = Cdp(page_socket(devtools, running.origin, WAIT), timeout=ANSWER)
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
        yield running
    finally:
        if running.first is not None:
            running.first.close()
        if app.poll() is None:
            app.kill()
            app.wait(timeout=30)


def closes_cleanly(running: Running, main_window: int, display_name: str) -> None:
    """Close the till's window: the app exits 0 and takes every window process with it."""
    running.web_processes = children(running.app.pid, "QtWebEngineProcess")
    running.window_processes = children(running.app.pid, "python")
    assert running.window_processes, "the second window runs in a process of its own"
    close_window(display_name, main_window)
    code = running.app.wait(timeout=WAIT)
    assert code == 0, running.output.read_text()
    processes = running.web_processes | running.window_processes
    deadline = time.monotonic() + 30
    while any(alive(pid) for pid in processes) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not [pid for pid in processes if alive(pid)], "a window process outlived the app"
    assert not (running.data / "instance.json").exists()


def test_second_window_opens_loads_and_both_windows_stay_responsive_and_close(
    display: str,  # noqa: F811 (the fixture imported above)
    tmp_path: Path,
) -> None:
    with logged_in_app(display, tmp_path) as running:
        first, origin, env = running.first, running.origin, running.env
        assert first is not None
        first.evaluate("location.assign('/customers/')")
        first.wait_for(f"location.pathname === '/customers/' && {API_READY}", "customers", WAIT)

        # What the page's link handler (static/js/desktop.js) does for a same-origin page.
        opened = first.evaluate(f"window.pywebview.api.open_window('{origin}/display/')")
        assert opened is True

        # It is a process of its own (its DevTools port is the first one's, so taken): judge
        # it as the cashier does, by a second window that is not white.
        running.wait_for("a second TillBook window", lambda: len(x_windows(env)) == 2)

        # The first window still answers: its own JavaScript and a call into Python.
        assert first.evaluate("document.title.length > 0") is True
        refused = "window.pywebview.api.open_window('https://wa.me/9198').catch(e => 'no')"
        assert first.evaluate(refused) == "no"

        windows = x_windows(env)
        assert len(windows) == 2, windows
        for number, window in enumerate(windows):
            running.rendered(window, tmp_path / f"window-{number}.png")

        # The second window closes on its own; the app and the first window go on.
        main_window = min(windows)  # X hands out ids in creation order
        close_window(display, max(windows))
        running.wait_for("the second window closed", lambda: x_windows(env) == [main_window])
        assert running.app.poll() is None
        assert first.evaluate("1 + 1") == 2

        # Opened again and left open: closing the till's window closes it too.
        assert first.evaluate(f"window.pywebview.api.open_window('{origin}/display/')") is True
        running.wait_for("the window opened again", lambda: len(x_windows(env)) == 2)
        closes_cleanly(running, main_window, display)


def test_open_customer_display_pairs_a_window_of_its_own(
    display: str,  # noqa: F811 (the fixture imported above)
    tmp_path: Path,
) -> None:
    """The till's "Open customer display" button, for real. Xvfb has one screen, so the
    display opens as an ordinary window beside the till (full screen needs a second one)."""
    with logged_in_app(display, tmp_path) as running:
        first, env = running.first, running.env
        assert first is not None
        first.evaluate("location.assign('/pos/')")
        first.wait_for(
            "location.pathname === '/pos/' && !document.getElementById('display-window').hidden",
            "the Open customer display button",
            WAIT,
        )
        [main_window] = x_windows(env)
        first.evaluate("document.getElementById('display-window').click()")
        title = "customer display$"
        running.wait_for("the customer display window", lambda: len(x_windows(env, title)) == 1)
        [screen] = x_windows(env, title)
        running.rendered(screen, tmp_path / "customer-display.png")

        def paired() -> bool:
            flask_app = build_app(running.data, AUTO_MIGRATE=False, AUTO_BACKUP=False)
            with flask_app.app_context():
                names = list(db.session.scalars(db.select(DisplayDevice.name)))
                db.session.remove()
                db.engine.dispose()
            return names == [DESKTOP_NAME]

        # The window claimed its one-time address: the till now has this display paired.
        running.wait_for("the display paired by its address", paired)
        assert first.evaluate("document.activeElement.id") == "scan"  # back to scanning
        assert first.evaluate("1 + 1") == 2
        closes_cleanly(running, main_window, display)
