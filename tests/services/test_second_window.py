"""Extra desktop windows run as child processes that close when the till's pipe ends.

The children here are real Python processes standing in for the window (a window needs a
display: tests/desktop/test_second_window.py opens the real one); the pipe, the spawn options
and the escalation to kill are the real ones.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from posapp import second_window
from posapp.config import bundle_root
from posapp.second_window import ExtraWindows, spawn_options, watch_for_close, window_command

# Reads its input to the end, as the child window's watcher does, then exits 0.
UNTIL_EOF = "import sys; sys.stdin.buffer.read(); sys.exit(0)"
# Ignores its input: a window that hangs while closing.
STUCK = "import time; time.sleep(60)"


def test_the_command_runs_the_exe_itself_when_frozen_and_app_py_from_source() -> None:
    frozen = window_command(
        "http://127.0.0.1:5000/display/", frozen=True, executable=r"C:\TillBook\TillBook.exe"
    )
    assert frozen == [r"C:\TillBook\TillBook.exe", "window", "http://127.0.0.1:5000/display/"]
    source = window_command("http://127.0.0.1:5000/display/", customer_display=True, frozen=False)
    assert source == [
        sys.executable,
        str(bundle_root() / "app.py"),
        "window",
        "--customer-display",
        "http://127.0.0.1:5000/display/",
    ]


def test_on_windows_the_child_gets_no_console_window_and_no_posix_session() -> None:
    options = spawn_options("win32")
    assert options["creationflags"] == 0x08000000  # CREATE_NO_WINDOW
    assert "start_new_session" not in options  # not supported by Popen on Windows
    assert options["stdin"] is subprocess.PIPE  # how the child is told to close
    linux = spawn_options("linux")
    assert linux["start_new_session"] is True
    assert "creationflags" not in linux


def stand_in(program: str):  # type: ignore[no-untyped-def]
    """A spawn that runs `program` instead of the window, with the real spawn options."""
    commands: list[list[str]] = []

    def spawn(command: list[str], **options: object) -> subprocess.Popen[bytes]:
        commands.append(command)
        return subprocess.Popen([sys.executable, "-c", program], **options)  # type: ignore[call-overload]

    return spawn, commands


def test_closing_ends_each_childs_input_and_it_exits_by_itself() -> None:
    spawn, commands = stand_in(UNTIL_EOF)
    windows = ExtraWindows(spawn)
    windows.open("http://127.0.0.1:5000/display/")
    windows.open("http://127.0.0.1:5000/customers/3")
    children = list(windows._children)
    assert len(children) == 2 and all(child.poll() is None for child in children)
    windows.close_all(wait=30)
    assert [child.returncode for child in children] == [0, 0]  # exited, not killed
    assert windows._children == []
    assert [c[-1] for c in commands] == [
        "http://127.0.0.1:5000/display/",
        "http://127.0.0.1:5000/customers/3",
    ]


def test_a_child_that_does_not_close_is_ended() -> None:
    spawn, _ = stand_in(STUCK)
    windows = ExtraWindows(spawn)
    windows.open("http://127.0.0.1:5000/display/")
    [child] = windows._children
    windows.close_all(wait=0.5)
    assert child.returncode not in (None, 0)


def test_children_that_closed_themselves_are_forgotten() -> None:
    spawn, _ = stand_in("pass")
    windows = ExtraWindows(spawn)
    windows.open("http://127.0.0.1:5000/a")
    windows._children[0].wait(timeout=30)
    first = windows._children[0]
    windows.open("http://127.0.0.1:5000/b")
    assert len(windows._children) == 1
    assert first.stdin is not None and first.stdin.closed  # its pipe let go of
    windows.close_all(wait=30)


def test_the_watcher_closes_the_window_when_the_pipe_ends() -> None:
    read_end, write_end = os.pipe()
    closed = threading.Event()
    with os.fdopen(read_end, "rb") as stream:
        watcher = watch_for_close(stream, closed.set)
        assert watcher is not None
        os.write(write_end, b"anything the till might send is ignored")
        assert not closed.wait(0.2)
        os.close(write_end)  # the till closed it, or died
        watcher.join(timeout=30)
        assert closed.is_set()
    assert watch_for_close(None, closed.set) is None  # no input at all: nothing to watch


@pytest.mark.parametrize(
    "url", ["https://wa.me/919800000000", "file:///etc/passwd", "http://example.com/"]
)
def test_a_child_opens_only_loopback_pages(url: str, tmp_path: Path) -> None:
    assert second_window.run_window(url) == 2


def test_on_windows_the_window_opens_in_the_tills_process_with_the_bridge() -> None:
    """WebView2 windows share one profile in one process: no child, the login is kept."""
    shown: list[tuple[str, bool, object]] = []

    def no_spawn(*_args: object, **_kwargs: object) -> subprocess.Popen[bytes]:
        raise AssertionError("Windows opens no child process")

    def show(url: str, *, customer_display: bool, js_api: object) -> None:
        shown.append((url, customer_display, js_api))

    bridge = object()
    windows = ExtraWindows(no_spawn, platform="win32", show=show)
    windows.open("http://127.0.0.1:5000/customers/3", js_api=bridge)
    windows.open("http://127.0.0.1:5000/display/claim/x", customer_display=True)
    assert shown == [
        ("http://127.0.0.1:5000/customers/3", False, bridge),
        ("http://127.0.0.1:5000/display/claim/x", True, None),
    ]
    assert windows._children == []
    windows.close_all(wait=1)  # nothing to end: the till's window closes its own
    assert second_window.in_process("win32") and not second_window.in_process("linux")
