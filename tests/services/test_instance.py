"""One TillBook per data dir: real processes race for the lock; a crash leaves no stale lock."""

from __future__ import annotations

import http.cookiejar
import json
import os
import re
import signal
import stat
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from posapp.desktop import ShowWindowMiddleware
from posapp.instance import (
    SHOW_PATH,
    TOKEN_HEADER,
    InstanceInfo,
    InstanceLock,
    ask_to_show,
    read_info,
)

ROOT = Path(__file__).resolve().parents[2]
WAIT = 60.0
# The process tests use a POSIX shell script as $BROWSER and POSIX signals.
posix_only = pytest.mark.skipif(sys.platform == "win32", reason="POSIX shell and signals")


def wait_until(predicate, what: str, proc: subprocess.Popen[bytes] | None = None) -> None:  # type: ignore[no-untyped-def]
    """Poll (bounded) until predicate() holds; fail early if the process died."""
    deadline = time.monotonic() + WAIT
    while not predicate():
        if proc is not None and proc.poll() is not None:
            pytest.fail(f"process exited ({proc.returncode}) while waiting for {what}")
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.05)


@pytest.fixture
def browser_env(tmp_path: Path) -> dict[str, str]:
    """No display, and $BROWSER a script that appends every URL it is asked to open."""
    script = tmp_path / "browser.sh"
    script.write_text(f'#!/bin/sh\necho "$1" >> "{tmp_path / "opened.txt"}"\n')
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env.pop("TILLBOOK_DATA_DIR", None)
    env["BROWSER"] = str(script)
    return env


def opened(tmp_path: Path) -> list[str]:
    path = tmp_path / "opened.txt"
    return path.read_text().split() if path.exists() else []


@pytest.fixture
def first(tmp_path: Path, browser_env: dict[str, str]) -> Iterator[subprocess.Popen[bytes]]:
    """`python app.py` on a fresh data dir, up and published in instance.json."""
    data = tmp_path / "data"
    with (tmp_path / "first.log").open("wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "app.py", "--data-dir", str(data)],
            cwd=ROOT,
            env=browser_env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_until(lambda: read_info(data) is not None and opened(tmp_path), "start", proc)
        yield proc
    finally:
        if proc.poll() is None:
            proc.terminate()
        proc.wait(timeout=30)


@pytest.mark.process
@posix_only
def test_a_second_launch_shows_the_first_and_exits_0(
    first: subprocess.Popen[bytes], tmp_path: Path, browser_env: dict[str, str]
) -> None:
    data = tmp_path / "data"
    info = read_info(data)
    assert info is not None and info.pid == first.pid
    assert opened(tmp_path) == [f"http://127.0.0.1:{info.port}/"]

    second = subprocess.run(
        [sys.executable, "app.py", "--data-dir", str(data)],
        cwd=ROOT,
        env=browser_env,
        capture_output=True,
        text=True,
        timeout=WAIT,
        check=False,
    )
    assert second.returncode == 0, second.stdout + second.stderr
    assert f"already running (process {first.pid})" in second.stdout
    # The first process was asked to show itself: with no window, it opened the browser again.
    wait_until(lambda: len(opened(tmp_path)) == 2, "the second browser open")
    assert opened(tmp_path)[1] == opened(tmp_path)[0]
    log = (data / "logs" / "tillbook.log").read_text()
    assert "another launch asked to show the window" in log
    assert first.poll() is None, "the first TillBook keeps running"

    # `serve` on the same data dir refuses with a clear message.
    serve = subprocess.run(
        [sys.executable, "app.py", "--data-dir", str(data), "serve", "--port", "0"],
        cwd=ROOT,
        env=browser_env,
        capture_output=True,
        text=True,
        timeout=WAIT,
        check=False,
    )
    assert serve.returncode == 1
    assert f"already running on {data}" in serve.stderr
    assert f"process {first.pid}" in serve.stderr

    first.send_signal(signal.SIGTERM)
    assert first.wait(timeout=WAIT) == 0
    assert not (data / "instance.json").exists()


@pytest.mark.process
@posix_only
def test_a_running_app_that_does_not_answer_is_reported(
    tmp_path: Path, browser_env: dict[str, str]
) -> None:
    data = tmp_path / "data"
    data.mkdir()
    holder = InstanceLock(data)
    assert holder.acquire()
    try:
        # Published a port nobody listens on (a hung or half-started TillBook).
        (data / "instance.json").write_text(json.dumps({"pid": 1, "port": 9, "token": "x"}))
        second = subprocess.run(
            [sys.executable, "app.py", "--data-dir", str(data)],
            cwd=ROOT,
            env=browser_env,
            capture_output=True,
            text=True,
            timeout=WAIT,
            check=False,
        )
    finally:
        holder.release()
    assert second.returncode == 1
    assert "already running" in second.stderr and "did not answer" in second.stderr
    assert not opened(tmp_path)


@pytest.mark.process
@posix_only
def test_a_killed_instance_leaves_no_stale_lock(
    first: subprocess.Popen[bytes], tmp_path: Path, browser_env: dict[str, str]
) -> None:
    data = tmp_path / "data"
    assert not InstanceLock(data).acquire(), "the running app holds the lock"
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=WAIT)
    assert (data / "instance.json").exists(), "a crash leaves instance.json behind..."
    again = InstanceLock(data)
    assert again.acquire(), "...but the OS has freed the lock"
    again.release()

    # The next start takes over: it serves, and publishes itself over the stale file.
    with (tmp_path / "next.log").open("wb") as log:
        following = subprocess.Popen(
            [sys.executable, "app.py", "--data-dir", str(data)],
            cwd=ROOT,
            env=browser_env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_until(lambda: len(opened(tmp_path)) == 2, "the next start", following)
        info = read_info(data)
        assert info is not None and info.pid == following.pid
    finally:
        following.send_signal(signal.SIGTERM)
        assert following.wait(timeout=WAIT) == 0


def test_the_show_call_needs_loopback_and_the_token() -> None:
    shown: list[bool] = []

    def app(environ: dict[str, object], start_response):  # type: ignore[no-untyped-def]
        start_response("404 Not Found", [])
        return [b"app"]

    middleware = ShowWindowMiddleware(app, "secret-token", lambda: shown.append(True))
    header = "HTTP_" + TOKEN_HEADER.upper().replace("-", "_")

    def call(**environ: str) -> str:
        statuses: list[str] = []
        base = {"PATH_INFO": SHOW_PATH, "REQUEST_METHOD": "POST", "REMOTE_ADDR": "127.0.0.1"}
        middleware({**base, **environ}, lambda status, headers: statuses.append(status))
        return statuses[0]

    assert call() == "404 Not Found"  # no token: the app's own answer
    assert call(**{header: "wrong"}) == "404 Not Found"
    assert call(**{header: "secret-token", "REMOTE_ADDR": "192.168.1.7"}) == "404 Not Found"
    assert call(**{header: "secret-token", "REQUEST_METHOD": "GET"}) == "404 Not Found"
    assert not shown
    assert call(**{header: "secret-token"}) == "204 No Content"
    assert shown == [True]


def test_instance_json_is_private_and_replaced_atomically(tmp_path: Path) -> None:
    lock = InstanceLock(tmp_path)
    assert lock.acquire()
    lock.publish(4321)
    info = read_info(tmp_path)
    assert info is not None and (info.pid, info.port) == (os.getpid(), 4321)
    assert len(info.token) >= 32
    if os.name != "nt":
        assert stat.S_IMODE((tmp_path / "instance.json").stat().st_mode) == 0o600
    assert not list(tmp_path.glob("*.tmp"))
    lock.release()
    assert not (tmp_path / "instance.json").exists()


class Recorder:
    """A stand-in user32 DLL: records each call as (function name, arguments)."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, tuple[object, ...]]] = []

    def __getattr__(self, name: str):  # type: ignore[no-untyped-def]
        def call(*args: object) -> int:
            self.calls.append((name, args))
            return 1

        return call


@pytest.fixture
def show_server() -> Iterator[tuple[int, list[str]]]:
    """A loopback HTTP server answering the show call with 204; yields (port, paths asked)."""
    import http.server
    import threading

    asked: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            asked.append(self.path)
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1], asked
    finally:
        server.shutdown()
        server.server_close()


def test_the_show_call_never_goes_through_a_proxy(
    show_server: tuple[int, list[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A system proxy (here a dead one in the environment) is not asked for 127.0.0.1."""
    port, asked = show_server
    for name in ("http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.setenv(name, "http://127.0.0.1:9")  # discard port: nothing answers
    for name in ("no_proxy", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)
    info = InstanceInfo(pid=4242, port=port, token="t")
    assert ask_to_show(info, platform="linux") is True
    assert asked == [SHOW_PATH]


def test_a_second_launch_on_windows_passes_the_foreground_first(
    show_server: tuple[int, list[str]],
) -> None:
    port, _ = show_server
    info = InstanceInfo(pid=4242, port=port, token="t")
    user32 = Recorder()
    assert ask_to_show(info, platform="win32", user32=user32)
    assert user32.calls == [("AllowSetForegroundWindow", (4242,))]
    elsewhere = Recorder()
    assert ask_to_show(info, platform="linux", user32=elsewhere)
    assert elsewhere.calls == []


@pytest.mark.process
@posix_only
def test_quit_tillbook_stops_the_browser_fallback(
    first: subprocess.Popen[bytes], tmp_path: Path
) -> None:
    """No window: the page's Quit TillBook (CSRF-protected) stops the server and exits 0."""
    data = tmp_path / "data"
    info = read_info(data)
    assert info is not None
    opener = urllib.request.build_opener(
        urllib.request.ProxyHandler({}),
        urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()),
    )
    base = f"http://127.0.0.1:{info.port}"
    with opener.open(f"{base}/setup", timeout=WAIT) as page:  # first run: the setup page
        html = page.read().decode()
    assert 'action="/desktop/quit"' in html
    token = re.search(r'data-desktop-quit>\s*<input[^>]*value="([^"]+)"', html)
    assert token, "no Quit TillBook form with its CSRF token"
    body = urllib.parse.urlencode({"csrf_token": token.group(1)}).encode()
    with opener.open(f"{base}/desktop/quit", data=body, timeout=WAIT) as answer:
        assert b"TillBook has stopped" in answer.read()
    assert first.wait(timeout=WAIT) == 0
    assert not (data / "instance.json").exists()
    assert "browser mode ended (quit)" in (data / "logs" / "tillbook.log").read_text()
