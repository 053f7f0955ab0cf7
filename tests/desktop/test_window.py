"""The real desktop window: pywebview's Qt backend under Xvfb opens, shows the app, and closes.

Needs Debian's xvfb, imagemagick (`import`), xdotool, libX11 and `pywebview[qt]`
(requirements-dev.txt); .ci/run installs them. Without them the test skips, unless CI is set.
Run with `pytest -m desktop -s` to see the measured time to a visible window.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import importlib.util
import os
import shutil
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image

from posapp.instance import read_info

pytestmark = [
    pytest.mark.desktop,
    pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Xvfb is Linux only"),
]

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
WAIT = 90.0
TOOLS = ("Xvfb", "import", "xdotool")


def missing_requirements() -> list[str]:
    """Name what this machine lacks for a real window under Xvfb."""
    missing = [tool for tool in TOOLS if shutil.which(tool) is None]
    if ctypes.util.find_library("X11") is None:
        missing.append("libX11")
    if importlib.util.find_spec("PyQt6") is None or importlib.util.find_spec("qtpy") is None:
        missing.append("pywebview[qt] (PyQt6, PyQt6-WebEngine, qtpy)")
    return missing


@pytest.fixture(scope="module")
def display() -> Iterator[str]:
    """An Xvfb server on a display number it picks itself (-displayfd: no race)."""
    missing = missing_requirements()
    if missing:
        message = "no desktop test environment: missing " + ", ".join(missing)
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
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


def test_window_opens_renders_comes_forward_and_closes_cleanly(
    display: str, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    env = {k: v for k, v in os.environ.items() if k not in ("TILLBOOK_DATA_DIR", "DATABASE_URL")}
    env.update(
        DISPLAY=display,
        PYWEBVIEW_GUI="qt",
        QTWEBENGINE_CHROMIUM_FLAGS="--no-sandbox",  # Chromium's sandbox refuses to run as root
        QT_QPA_PLATFORM="xcb",
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
