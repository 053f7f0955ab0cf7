"""The real desktop window: pywebview's Qt backend under Xvfb opens, shows the app, and closes.

The window's own page is driven through QtWebEngine's DevTools endpoint (tests/desktop/cdp.py):
a label PDF made there opens through DesktopApi.open_document and a fake `xdg-open`.

Needs Debian's xvfb, imagemagick (`import`), xdotool, libX11 and `pywebview[qt]`
(requirements-dev.txt), and the X libraries Qt's xcb platform plugin links; .ci/run installs
them. tests/desktop/environment.py checks all of it first: without them the test skips with
the reason, unless CI is set.
Run with `pytest -m desktop -s` to see the measured time to a visible window.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import NoReturn

import pytest
from PIL import Image

from posapp.extensions import db
from posapp.instance import read_info
from tests.conftest import build_app
from tests.desktop import environment
from tests.desktop.cdp import Cdp, page_socket
from tests.factories import PASSWORD, make_product, make_user

pytestmark = [
    pytest.mark.desktop,
    pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Xvfb is Linux only"),
]

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
WAIT = 90.0


def give_up(problem: str) -> NoReturn:
    """Fail in CI, skip on a developer machine (environment.verdict decides)."""
    if environment.verdict(problem, ci=bool(os.environ.get("CI"))) == "fail":
        pytest.fail(problem)
    pytest.skip(problem)


@pytest.fixture(scope="module")
def display() -> Iterator[str]:
    """An Xvfb server on a display number it picks itself (-displayfd: no race)."""
    missing = environment.missing_requirements()
    if missing:
        give_up("no desktop test environment: missing " + ", ".join(missing))
    read_end, write_end = os.pipe()
    xvfb = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write_end), "-screen", "0", "1366x900x24", "-nolisten", "tcp"],
        pass_fds=(write_end,),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    os.close(write_end)
    try:
        with os.fdopen(read_end) as numbers:
            number = numbers.readline().strip()  # written once the server accepts clients
        assert number.isdigit(), f"Xvfb did not start (exit code {xvfb.poll()})"
        # ldd may see every library and Qt still refuse the display: try it before the test.
        problem = environment.xcb_start_problem(f":{number}")
        if problem:
            give_up("no desktop test environment: " + problem)
        yield f":{number}"
    finally:
        xvfb.terminate()
        xvfb.wait(timeout=30)


def colours(png: Path) -> int:
    """Count the distinct colours of a screenshot (a blank screen has one)."""
    with Image.open(png) as image:
        found = image.convert("RGB").getcolors(maxcolors=1 << 16)
    return len(found) if found is not None else 1 << 16


def children(pid: int, name: str) -> set[int]:
    """Pids of the descendants of `pid` whose command is `name`."""
    parents: dict[int, int] = {}
    names: dict[int, str] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        command, rest = stat[stat.index("(") + 1 : stat.rindex(")")], stat[stat.rindex(")") + 2 :]
        parents[int(entry.name)] = int(rest.split()[1])
        names[int(entry.name)] = command
    found = set()
    for candidate, command in names.items():
        if not command.startswith(name[:15]):  # /proc truncates names to 15 characters
            continue
        ancestor = parents.get(candidate, 0)
        while ancestor > 1:
            if ancestor == pid:
                found.add(candidate)
                break
            ancestor = parents.get(ancestor, 0)
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


class XClientMessageEvent(ctypes.Structure):
    _fields_ = [
        ("type", ctypes.c_int),
        ("serial", ctypes.c_ulong),
        ("send_event", ctypes.c_int),
        ("display", ctypes.c_void_p),
        ("window", ctypes.c_ulong),
        ("message_type", ctypes.c_ulong),
        ("format", ctypes.c_int),
        ("data", ctypes.c_long * 5),
    ]


class XEvent(ctypes.Union):
    _fields_ = [("xclient", XClientMessageEvent), ("pad", ctypes.c_long * 24)]


def close_window(display_name: str, window: int) -> None:
    """Send WM_DELETE_WINDOW, as a window manager does when the user clicks the close button."""
    x11 = ctypes.CDLL(ctypes.util.find_library("X11"))
    x11.XOpenDisplay.restype = ctypes.c_void_p
    x11.XOpenDisplay.argtypes = [ctypes.c_char_p]
    x11.XInternAtom.restype = ctypes.c_ulong
    x11.XInternAtom.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int]
    x11.XSendEvent.argtypes = [
        ctypes.c_void_p,
        ctypes.c_ulong,
        ctypes.c_int,
        ctypes.c_long,
        ctypes.POINTER(XEvent),
    ]
    x11.XFlush.argtypes = [ctypes.c_void_p]
    x11.XCloseDisplay.argtypes = [ctypes.c_void_p]
    connection = x11.XOpenDisplay(display_name.encode())
    assert connection, f"cannot open display {display_name}"
    try:
        event = XEvent()
        event.xclient.type = 33  # ClientMessage
        event.xclient.display = connection
        event.xclient.window = window
        event.xclient.message_type = x11.XInternAtom(connection, b"WM_PROTOCOLS", 0)
        event.xclient.format = 32
        event.xclient.data[0] = x11.XInternAtom(connection, b"WM_DELETE_WINDOW", 0)
        event.xclient.data[1] = 0  # CurrentTime
        assert x11.XSendEvent(connection, window, 0, 0, ctypes.byref(event))
        x11.XFlush(connection)
    finally:
        x11.XCloseDisplay(connection)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def recorder(folder: Path, name: str) -> Path:
    """A program `name` in `folder` that appends its argument to `<folder>/<name>.txt`."""
    record = folder / f"{name}.txt"
    program = folder / name
    program.write_text(f'#!/bin/sh\necho "$1" >> "{record}"\n')
    program.chmod(0o755)
    return record


def recorded(record: Path, what: str, wait: float) -> list[str]:
    """The arguments a recorder program got, once it got one (polled, bounded)."""
    deadline = time.monotonic() + wait
    while not (record.exists() and record.read_text().strip()):
        if time.monotonic() > deadline:
            pytest.fail(f"{what} never happened")
        time.sleep(0.1)
    return record.read_text().split()


def documents_open_in_the_system_viewer(
    data: Path, port: int, devtools: int, opened: Path, browsed: Path
) -> None:
    """In the real window: a label PDF (a POST form) reaches the viewer; WhatsApp the browser."""
    app = build_app(data, AUTO_MIGRATE=False, AUTO_BACKUP=False)
    with app.app_context():
        make_user(db.session, "admin", "admin")
        product = make_product(db.session, name="Desktop tea")
        db.session.commit()
        product_id = product.id
        db.session.remove()
        db.engine.dispose()
    origin = f"http://127.0.0.1:{port}"
    page = Cdp(page_socket(devtools, origin, WAIT))
    ready = "document.readyState === 'complete' && !!window.pywebview?.api?.open_document"
    try:
        page.wait_for(ready, "pywebview's js_api", WAIT)
        # Log the window itself in (its cookies are what the document fetch must carry).
        credentials = json.dumps({"username": "admin", "password": PASSWORD})
        landed = page.evaluate(
            """(async () => {
              const login = await (await fetch("/login")).text();
              const token = /name="csrf_token" value="([^"]+)"/.exec(login)[1];
              const body = new URLSearchParams({...CREDENTIALS, csrf_token: token});
              return (await fetch("/login", {method: "POST", body})).url;
            })()""".replace("CREDENTIALS", credentials)
        )
        assert landed.endswith("/pos/"), landed
        page.evaluate(f"location.assign('/products/labels?ids={product_id}')")
        page.wait_for(f"location.pathname === '/products/labels' && {ready}", "labels", WAIT)
        page.evaluate("document.querySelector('[data-labels-form] [type=submit]').click()")
        [saved] = recorded(opened, "xdg-open on the label PDF", WAIT)
        assert Path(saved) == data / "exports" / "documents" / "labels.pdf"
        assert Path(saved).read_bytes().startswith(b"%PDF")
        page.wait_for("!!document.getElementById('desktop-toast')", "the saved note", WAIT)
        note = page.evaluate("document.getElementById('desktop-toast').textContent")
        assert f"Saved to {saved} and opened" in note
        assert page.evaluate("location.pathname") == "/products/labels"  # the till stays
        # Another site's link is not intercepted: pywebview hands it to the outside browser.
        page.evaluate(
            """(() => {
              const link = Object.assign(document.createElement("a"),
                {href: "https://wa.me/919800000001", target: "_blank", textContent: "wa"});
              document.body.append(link);
              link.click();
            })()"""
        )
        assert recorded(browsed, "the outside browser on wa.me", WAIT) == [
            "https://wa.me/919800000001"
        ]
        assert recorded(opened, "xdg-open", WAIT) == [saved]  # nothing else was opened
    finally:
        page.close()


def test_window_opens_renders_comes_forward_and_closes_cleanly(
    display: str, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    programs = tmp_path / "bin"
    programs.mkdir()
    opened = recorder(programs, "xdg-open")  # DesktopApi.open_document's viewer on Linux
    browsed = recorder(programs, "browser")  # the outside browser (webbrowser honours $BROWSER)
    devtools = free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("TILLBOOK_DATA_DIR", "DATABASE_URL")}
    env.update(
        DISPLAY=display,
        PYWEBVIEW_GUI="qt",
        QTWEBENGINE_CHROMIUM_FLAGS="--no-sandbox",  # Chromium's sandbox refuses to run as root
        QT_QPA_PLATFORM="xcb",
        QTWEBENGINE_REMOTE_DEBUGGING=f"127.0.0.1:{devtools}",
        PATH=f"{programs}{os.pathsep}{os.environ.get('PATH', '')}",
        BROWSER=str(programs / "browser"),
    )
    env.pop("WAYLAND_DISPLAY", None)
    output = tmp_path / "app-output.txt"
    shot = tmp_path / "shot.png"
    started = time.monotonic()
    with output.open("wb") as sink:
        app = subprocess.Popen(
            [sys.executable, "app.py", "--data-dir", str(data)],
            cwd=ROOT,
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    web_processes: set[int] = set()
    try:

        def wait_for(what: str, done) -> None:  # type: ignore[no-untyped-def]
            deadline = time.monotonic() + WAIT
            while not done():
                if app.poll() is not None:
                    pytest.fail(
                        f"app exited ({app.returncode}) before {what}:\n{output.read_text()}"
                    )
                if time.monotonic() > deadline:
                    pytest.fail(f"timed out waiting for {what}:\n{output.read_text()}")
                time.sleep(0.1)

        wait_for("instance.json", lambda: read_info(data) is not None)
        info = read_info(data)
        assert info is not None and info.pid == app.pid
        with urllib.request.urlopen(f"http://127.0.0.1:{info.port}/setup", timeout=30) as page:
            assert page.status == 200

        def rendered() -> bool:
            subprocess.run(["import", "-window", "root", str(shot)], env=env, check=True)
            return colours(shot) > 32  # the setup page: text, inputs, a button

        wait_for("a rendered window", rendered)
        visible = time.monotonic() - started
        ARTIFACTS.mkdir(exist_ok=True)
        shutil.copyfile(shot, ARTIFACTS / "desktop-window.png")
        print(f"\n[desktop] process start to a rendered window under Xvfb: {visible:.2f} s")
        web_processes = children(app.pid, "QtWebEngineProcess")
        assert web_processes, "the page renders in QtWebEngine's helper process"
        assert (data / "webview").is_dir(), "the window keeps its storage in the data dir"

        # A second launch brings this window forward and exits 0.
        second = subprocess.run(
            [sys.executable, "app.py", "--data-dir", str(data)],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=WAIT,
            check=False,
        )
        assert second.returncode == 0, second.stdout + second.stderr
        assert "window was brought forward" in second.stdout
        assert (
            "another launch asked to show the window"
            in (data / "logs" / "tillbook.log").read_text()
        )

        documents_open_in_the_system_viewer(data, info.port, devtools, opened, browsed)

        found = subprocess.run(
            ["xdotool", "search", "--name", "^TillBook$"],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        windows = [int(line) for line in found.stdout.split()]
        assert windows, "no window named TillBook"
        for window in windows:
            close_window(display, window)
        code = app.wait(timeout=WAIT)
    finally:
        if app.poll() is None:
            app.kill()
            app.wait(timeout=30)
    assert code == 0, output.read_text()
    deadline = time.monotonic() + 30
    while any(alive(pid) for pid in web_processes) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not [pid for pid in web_processes if alive(pid)], "a QtWebEngineProcess outlived the app"
    assert not (data / "instance.json").exists()
    log = (data / "logs" / "tillbook.log").read_text()
    assert "database closed and checkpointed" in log
