"""The desktop launcher: `python app.py` serves on a free loopback port and shows the app."""

from __future__ import annotations

import base64
import os
import stat
import subprocess
import sys
import threading
import time
import types
import urllib.request
from pathlib import Path

import pytest
from webview.event import Event, EventContainer

from posapp import desktop, winsys
from posapp.desktop import WEBVIEW2_KEYS, webview2_version
from posapp.second_window import ExtraWindows

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.skipif(
    sys.platform in ("win32", "darwin"), reason="a display always exists; $BROWSER is a sh script"
)
@pytest.mark.process
def test_no_display_falls_back_to_the_system_browser(tmp_path: Path) -> None:
    """With no GUI backend, `app.py` with no command opens the browser on the served URL."""
    opened = tmp_path / "opened-url.txt"
    browser = tmp_path / "browser.sh"
    browser.write_text(f'#!/bin/sh\necho "$1" > "{opened}"\n')
    browser.chmod(browser.stat().st_mode | stat.S_IEXEC)
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env["BROWSER"] = str(browser)  # the stdlib webbrowser module honours $BROWSER
    log = tmp_path / "app-output.txt"
    with log.open("w") as output:
        proc = subprocess.Popen(
            [sys.executable, "app.py", "--data-dir", str(tmp_path / "data")],
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 60
        while not (opened.exists() and opened.read_text().strip()):
            assert proc.poll() is None, log.read_text()
            assert time.monotonic() < deadline, "the browser was never opened"
            time.sleep(0.1)
        url = opened.read_text().strip()
        assert url.startswith("http://127.0.0.1:")
        with urllib.request.urlopen(url + "api/health", timeout=10) as response:
            assert response.status == 200
        # First run: every page leads to the one-time setup page.
        with urllib.request.urlopen(url, timeout=10) as response:
            assert response.url.endswith("/setup")
        assert (tmp_path / "data" / "tillbook.db").exists()
        assert (tmp_path / "data" / "logs" / "tillbook.log").exists()
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def fake_registry(values: dict[tuple[str, str], str]):  # type: ignore[no-untyped-def]
    """A registry reader over a dict of (hive, key) -> pv."""

    def read(hive: str, key: str, name: str) -> str | None:
        return values.get((hive, key)) if name in ("pv", "Release") else None

    return read


class FakeWindow:
    """A pywebview window stand-in: pywebview's own events (run in line), calls recorded."""

    def __init__(self) -> None:
        self.calls: list[str] = []
        self.on_top_changes: list[bool] = []
        self.events = EventContainer()
        for name in ("minimized", "maximized", "restored", "closed"):
            setattr(self.events, name, Event(self, should_lock=True))  # handlers run in line

    def __getattr__(self, name: str):  # type: ignore[no-untyped-def]
        if name in ("restore", "maximize", "minimize", "show", "destroy"):
            return lambda: self.calls.append(name)
        raise AttributeError(name)

    def __setattr__(self, name: str, value: object) -> None:
        if name == "on_top":
            self.on_top_changes.append(bool(value))
        object.__setattr__(self, name, value)


def fake_webview(calls: dict[str, object]) -> types.ModuleType:
    """A stand-in pywebview that records what the launcher hands it."""
    fake = types.ModuleType("webview")

    def create_window(*args: object, **kwargs: object) -> FakeWindow:
        calls.setdefault("windows", []).append((args, kwargs))  # type: ignore[union-attr]
        return FakeWindow()

    fake.create_window = create_window  # type: ignore[attr-defined]
    fake.start = lambda **kwargs: calls.update(kwargs)  # type: ignore[attr-defined]
    fake.settings = {}  # type: ignore[attr-defined]
    fake.windows = []  # type: ignore[attr-defined]
    return fake


def test_webview2_is_found_per_machine_or_per_user() -> None:
    machine64, machine32, user = (key for key in WEBVIEW2_KEYS)
    assert machine64[0] == "HKEY_LOCAL_MACHINE" and "WOW6432Node" in machine64[1]
    assert user[0] == "HKEY_CURRENT_USER"
    for where in (machine64, machine32, user):
        assert webview2_version(fake_registry({where: "131.0.2903.70"})) == "131.0.2903.70"


def test_webview2_missing_or_uninstalled_means_the_browser() -> None:
    assert webview2_version(fake_registry({})) is None
    # An uninstall leaves the key behind with an empty or zero version.
    machine64, _, user = WEBVIEW2_KEYS
    assert webview2_version(fake_registry({machine64: "0.0.0.0", user: ""})) is None
    assert webview2_version(fake_registry({machine64: "0.0.0.0", user: "120.0.1"})) == "120.0.1"


class User32:
    """A stand-in user32 DLL that records the message boxes asked for."""

    def __init__(self) -> None:
        self.boxes: list[tuple[str, str]] = []

    def MessageBoxW(self, owner: object, text: str, title: str, flags: int) -> int:
        self.boxes.append((title, text))
        return 1


@pytest.fixture
def user32(monkeypatch: pytest.MonkeyPatch) -> User32:
    """Windows' message boxes, recorded (the platform itself is faked per test)."""
    recorder = User32()
    monkeypatch.setattr(winsys, "_user32", lambda: recorder)
    return recorder


def test_windows_without_webview2_opens_the_browser_and_says_why(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    user32: User32,
) -> None:
    monkeypatch.setattr(desktop.sys, "platform", "win32")
    net = ("HKEY_LOCAL_MACHINE", desktop.NET_FRAMEWORK_KEY)
    monkeypatch.setattr(desktop, "read_windows_registry", fake_registry({net: "528040"}))
    control = desktop.WindowControl("http://127.0.0.1:1/")
    assert desktop.open_window(control.url, tmp_path, control, idle_minutes=30) is False
    assert "WebView2 runtime is not installed" in capsys.readouterr().out
    assert control.window is None
    # The .exe has no console: the same reason, the download page and how to quit, in a box.
    [(title, text)] = user32.boxes
    assert title == "TillBook"
    assert "WebView2 runtime is not installed" in text
    assert desktop.WEBVIEW2_PAGE in text
    assert "Quit TillBook" in text and "30 minutes" in text


def test_without_dotnet_the_box_points_to_dotnet(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, user32: User32
) -> None:
    monkeypatch.setattr(desktop.sys, "platform", "win32")
    monkeypatch.setattr(desktop, "read_windows_registry", fake_registry({WEBVIEW2_KEYS[0]: "1.2"}))
    control = desktop.WindowControl("http://127.0.0.1:1/")
    assert desktop.open_window(control.url, tmp_path, control) is False
    [(_, text)] = user32.boxes
    assert ".NET Framework" in text and desktop.DOTNET_PAGE in text


@pytest.mark.parametrize(("platform", "boxes"), [("win32", 1), ("linux", 0)])
def test_a_second_launch_that_gets_no_answer_says_so(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    user32: User32,
    platform: str,
    boxes: int,
) -> None:
    monkeypatch.setattr(desktop.sys, "platform", platform)
    assert desktop.hand_over(tmp_path) == 1  # no instance.json: nobody to ask
    printed = capsys.readouterr().err
    assert "already running" in printed and "did not answer" in printed
    assert len(user32.boxes) == boxes
    if boxes:
        assert user32.boxes[0][1] in printed


class FakeServer:
    """The part of serving.Server the wait loop looks at."""

    running = True


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_the_browser_fallback_stops_after_the_idle_minutes() -> None:
    clock = Clock()
    seen: list[str] = []
    watch = desktop.IdleWatch(lambda environ, start: seen.append(environ["PATH_INFO"]), clock)
    clock.now += 29 * 60
    watch({"PATH_INFO": "/pos/"}, None)  # a request: the 30 minutes start again
    assert seen == ["/pos/"]
    clock.now += 29 * 60
    assert watch.idle_seconds() == 29 * 60

    polls = 0

    def tick(timeout: float | None = None) -> bool:
        nonlocal polls
        polls += 1
        clock.now += 30  # each poll: half a minute later
        return False

    stop = threading.Event()
    stop.wait = tick  # type: ignore[method-assign]
    assert desktop.wait_for_quit(stop, FakeServer(), watch, 30) == "idle"  # type: ignore[arg-type]
    assert polls == 2  # 29.5 minutes: still running; 30: stops


def test_quit_stops_the_fallback_and_0_minutes_never_idles() -> None:
    clock = Clock()
    watch = desktop.IdleWatch(lambda environ, start: None, clock)
    clock.now += 10 * 365 * 86400
    stop = threading.Event()
    stop.set()  # Quit TillBook (or Ctrl+C) sets the event
    assert desktop.wait_for_quit(stop, FakeServer(), watch, 0) == "quit"  # type: ignore[arg-type]
    gone = FakeServer()
    gone.running = False
    assert desktop.wait_for_quit(threading.Event(), gone, watch, 0, poll=0) == "stopped"  # type: ignore[arg-type]


def test_webview2_needs_dotnet_4_6_2_too() -> None:
    net = ("HKEY_LOCAL_MACHINE", desktop.NET_FRAMEWORK_KEY)
    runtime = WEBVIEW2_KEYS[0]
    problem = desktop.webview2_problem
    assert problem(fake_registry({net: "528040", runtime: "131.0.2903.70"})) is None
    assert ".NET" in str(problem(fake_registry({net: "394254", runtime: "131.0.2903.70"})))
    assert ".NET" in str(problem(fake_registry({runtime: "131.0.2903.70"})))
    assert "WebView2" in str(problem(fake_registry({net: "528040"})))


def test_the_window_keeps_its_storage_in_the_data_dir(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    calls: dict[str, object] = {}
    fake = fake_webview(calls)
    monkeypatch.setitem(sys.modules, "webview", fake)
    monkeypatch.setattr(desktop.sys, "platform", "linux")
    monkeypatch.setenv("DISPLAY", ":99")
    control = desktop.WindowControl("http://127.0.0.1:1/")
    assert desktop.open_window(control.url, tmp_path, control) is True
    assert isinstance(control.window, FakeWindow)
    assert calls["private_mode"] is False  # localStorage (the theme) survives a restart
    assert calls["storage_path"] == str(tmp_path / "webview")
    assert Path(str(calls["icon"])).is_file()
    assert fake.settings["ALLOW_DOWNLOADS"] is True  # type: ignore[attr-defined]


WINDOWS_WITH_WEBVIEW2 = {
    ("HKEY_LOCAL_MACHINE", desktop.NET_FRAMEWORK_KEY): "528040",
    WEBVIEW2_KEYS[0]: "131.0.2903.70",
}


@pytest.mark.parametrize(
    ("platform", "magic"), [("win32", b"\x00\x00\x01\x00"), ("linux", b"\x89PNG\r\n\x1a\n")]
)
def test_the_window_icon_is_an_ico_on_windows_and_a_png_elsewhere(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, platform: str, magic: bytes
) -> None:
    """WinForms' Icon(path) reads ICO data only; a PNG kept the window from ever opening."""
    calls: dict[str, object] = {}
    monkeypatch.setitem(sys.modules, "webview", fake_webview(calls))
    monkeypatch.setattr(desktop.sys, "platform", platform)
    monkeypatch.setattr(desktop, "read_windows_registry", fake_registry(WINDOWS_WITH_WEBVIEW2))
    monkeypatch.setenv("DISPLAY", ":99")
    control = desktop.WindowControl("http://127.0.0.1:1/")
    assert desktop.open_window(control.url, tmp_path, control) is True
    icon = Path(str(calls["icon"])).read_bytes()
    assert icon.startswith(magic)


def test_the_bundled_ico_holds_every_size_windows_asks_for() -> None:
    from PIL import Image

    with Image.open(desktop.window_icon("win32")) as icon:
        assert icon.format == "ICO"
        sizes = icon.info["sizes"]
    assert {(16, 16), (32, 32), (48, 48), (256, 256)} <= sizes


def test_show_restores_only_a_minimised_window_and_to_its_size() -> None:
    control = desktop.WindowControl("http://127.0.0.1:1/")
    window = FakeWindow()
    control.attach(window)

    control.show()  # a normal window: not restored, just shown and raised
    assert window.calls == ["show"]
    assert window.on_top_changes == [True, False]

    window.events.maximized.set()
    window.calls.clear()
    control.show()  # maximised stays maximised (restore() would shrink it)
    assert window.calls == ["show"]

    window.events.minimized.set()  # minimised from maximised: back to maximised
    window.calls.clear()
    control.show()
    assert window.calls == ["maximize", "show"]

    window.events.maximized.set()
    window.events.restored.set()
    window.events.minimized.set()  # minimised from a normal window: restored
    window.calls.clear()
    control.show()
    assert window.calls == ["restore", "show"]


PDF = b"%PDF-1.7\n% a small document\n%%EOF\n"


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


@pytest.fixture
def opened(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, object]]:
    """The system's opener, faked on every platform: records (how, what) and opens nothing."""
    calls: list[tuple[str, object]] = []

    class Popen:
        def __init__(self, args: list[str], **kwargs: object) -> None:
            assert "shell" not in kwargs
            calls.append(("popen", args))

    monkeypatch.setattr(desktop.subprocess, "Popen", Popen)
    monkeypatch.setattr(
        desktop.os, "startfile", lambda path: calls.append(("startfile", path)), raising=False
    )
    return calls


@pytest.mark.parametrize(
    ("platform", "how", "command"),
    [("win32", "startfile", None), ("darwin", "popen", "open"), ("linux", "popen", "xdg-open")],
)
def test_open_document_saves_under_exports_and_opens_with_the_system_viewer(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    opened: list[tuple[str, object]],
    platform: str,
    how: str,
    command: str | None,
) -> None:
    monkeypatch.setattr(desktop.sys, "platform", platform)
    api = desktop.DesktopApi(tmp_path, "http://127.0.0.1:1/")
    saved = Path(api.open_document("INV-000042.pdf", b64(PDF), "application/pdf"))
    assert saved == tmp_path / "exports" / "documents" / "INV-000042.pdf"
    assert saved.read_bytes() == PDF
    expected = str(saved) if command is None else [command, str(saved)]
    assert opened == [(how, expected)]


def test_open_document_never_overwrites_a_document(
    tmp_path: Path, opened: list[tuple[str, object]]
) -> None:
    api = desktop.DesktopApi(tmp_path, "http://127.0.0.1:1/")
    paths = [
        api.open_document("labels.pdf", b64(PDF + bytes([n])), "application/pdf") for n in range(3)
    ]
    assert [Path(p).name for p in paths] == ["labels.pdf", "labels (2).pdf", "labels (3).pdf"]
    assert [Path(p).read_bytes()[-1] for p in paths] == [0, 1, 2]


@pytest.mark.parametrize(
    ("given", "content_type", "saved"),
    [
        ("CON.pdf", "application/pdf", "_CON.pdf"),
        ("nul", "application/pdf", "_nul.pdf"),
        ("com1.report.pdf", "application/pdf", "_com1.report.pdf"),
        ("LPT9 .pdf", "application/pdf; charset=binary", "_LPT9.pdf"),
        ('a<b>c:d"e|f?g*h.pdf', "application/pdf", "a_b_c_d_e_f_g_h.pdf"),
        ("..\\..\\Windows\\evil.pdf", "application/pdf", "evil.pdf"),
        ("../../etc/passwd", "application/pdf", "passwd.pdf"),
        ("trailing dots... ", "application/pdf", "trailing dots.pdf"),
        ("setup.exe", "application/pdf", "setup.exe.pdf"),  # the type decides the extension
        ("", "application/pdf", "document.pdf"),
        ("..", "text/csv", "document.csv"),
        ("stock.csv", "text/csv", "stock.csv"),
    ],
)
def test_document_names_are_safe_on_windows(given: str, content_type: str, saved: str) -> None:
    assert desktop.document_name(given, content_type) == saved


def test_long_names_are_cut_with_room_for_a_copy_number(tmp_path: Path) -> None:
    name = desktop.document_name("statement-" + "x" * 300 + ".pdf", "application/pdf")
    assert name.startswith("statement-xxx") and name.endswith(".pdf")
    assert len(name) + len(" (1000)") <= desktop.MAX_NAME_LENGTH


def test_open_document_refuses_other_types_and_bad_data(
    tmp_path: Path, opened: list[tuple[str, object]]
) -> None:
    api = desktop.DesktopApi(tmp_path, "http://127.0.0.1:1/")
    with pytest.raises(ValueError, match="does not open"):
        api.open_document("run.hta", b64(b"<script>"), "application/hta")
    with pytest.raises(ValueError, match="does not open"):
        api.open_document("page.html", b64(b"<html>"), "text/html")
    with pytest.raises(ValueError, match="damaged"):
        api.open_document("x.pdf", "not base64!", "application/pdf")
    assert opened == []
    assert not (tmp_path / "exports" / "documents").exists() or not any(
        (tmp_path / "exports" / "documents").iterdir()
    )


def test_open_window_opens_only_the_apps_own_pages() -> None:
    started: list[list[str]] = []

    def spawn(command: list[str], **options: object) -> subprocess.Popen[bytes]:
        started.append(command)
        return subprocess.Popen([sys.executable, "-c", "pass"])

    windows = ExtraWindows(spawn)
    api = desktop.DesktopApi(Path("."), "http://127.0.0.1:5123/", windows)
    assert api.open_window("http://127.0.0.1:5123/customers/7/display") is True
    # A process of its own (posapp/second_window.py), not a second window in this one.
    [command] = started
    assert command[-2:] == ["window", "http://127.0.0.1:5123/customers/7/display"]
    for url in ("https://wa.me/919800000000", "http://127.0.0.1:5124/", "file:///etc/passwd"):
        with pytest.raises(ValueError):
            api.open_window(url)
    assert len(started) == 1
    windows.close_all()


def test_closing_the_main_window_closes_the_others(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """pywebview keeps running while any window is open; the main one closing means quit."""
    calls: dict[str, object] = {}
    fake = fake_webview(calls)
    monkeypatch.setitem(sys.modules, "webview", fake)
    monkeypatch.setattr(desktop.sys, "platform", "linux")
    monkeypatch.setenv("DISPLAY", ":99")
    control = desktop.WindowControl("http://127.0.0.1:1/")
    assert desktop.open_window(control.url, tmp_path, control)
    second = FakeWindow()
    fake.windows[:] = [control.window, second]  # type: ignore[attr-defined]
    control.window.events.closed.set()
    assert second.calls == ["destroy"]
    assert control.window.calls == []
