"""Extra desktop windows (the customer display, a page of the app) each in a process of its own.

pywebview's Qt backend builds a new disk profile named "pywebview" on the same storage folder
for every window it creates (webview/platforms/qt.py, BrowserView.__init__). The first window's
profile holds that folder, so a second window in the same process could stay white with its
page never loading, and took the till's window down with it. A child process with an
off-the-record profile of its own shares nothing with the till: it cannot hang it, and the till
closing closes it.

The child is told to close by the end of its standard input (a pipe from the till): that works
on Windows, where there is no SIGTERM, and also when the till dies without cleaning up.

On Windows the windows stay in the till's process, as pywebview means them to: its WinForms
backend creates each window on the GUI thread (winforms.py, a synchronous Invoke) and gives
every WebView2 control the same user data folder (edgechromium.py), which WebView2 supports. So
the Qt cause does not apply, the till's Customer page window keeps the cashier's login (one
profile), and a onefile TillBook.exe is not unpacked a second time for each window.
"""

from __future__ import annotations

import contextlib
import logging
import subprocess
import sys
import threading
from collections.abc import Callable
from typing import IO, Any

from posapp.config import bundle_root, is_frozen

log = logging.getLogger(__name__)
WINDOW_COMMAND = "window"  # the hidden CLI command a child runs (posapp/cli.py)
CLOSE_WAIT = 5.0  # seconds a child gets to close its window before it is ended
LOOPBACK_PREFIX = "http://127.0.0.1:"


def window_command(
    url: str,
    *,
    customer_display: bool = False,
    frozen: bool | None = None,
    executable: str | None = None,
) -> list[str]:
    """The command line of a child window on `url`: TillBook.exe itself, or app.py from source."""
    frozen = is_frozen() if frozen is None else frozen
    program = [executable or sys.executable]
    if not frozen:
        program.append(str(bundle_root() / "app.py"))
    extra = ["--customer-display"] if customer_display else []
    return [*program, WINDOW_COMMAND, *extra, url]


def spawn_options(platform: str = sys.platform) -> dict[str, Any]:
    """Popen options: a pipe to close it by, and no console window of its own on Windows."""
    options: dict[str, Any] = {
        "stdin": subprocess.PIPE,
        "stdout": subprocess.DEVNULL,
        "stderr": subprocess.DEVNULL,
    }
    if platform == "win32":
        # TillBook.exe is a console program: without this a child started from the window
        # (which owns no visible console) would pop up an empty console window.
        options["creationflags"] = 0x08000000  # CREATE_NO_WINDOW
    else:
        options["start_new_session"] = True  # a Ctrl+C in the terminal reaches the till only
    return options


def in_process(platform: str = sys.platform) -> bool:
    """Whether extra windows open in the till's own process (Windows) or as children."""
    return platform == "win32"


class ExtraWindows:
    """The extra windows the till opened; all close when the till's window closes."""

    def __init__(
        self,
        spawn: Callable[..., subprocess.Popen[bytes]] = subprocess.Popen,
        *,
        platform: str = sys.platform,
        show: Callable[..., Any] | None = None,
    ) -> None:
        self._spawn = spawn
        self._in_process = in_process(platform)
        self._show = show or show_window
        self._children: list[subprocess.Popen[bytes]] = []
        self._lock = threading.Lock()

    def open(self, url: str, *, customer_display: bool = False, js_api: Any = None) -> None:
        """Open a window on `url` (one of the app's own pages) and return at once.

        In the till's process on Windows (with `js_api`, the desktop bridge, for a page of the
        app); elsewhere a child process (which gets no bridge).
        """
        if self._in_process:
            self._show(url, customer_display=customer_display, js_api=js_api)
            return
        command = window_command(url, customer_display=customer_display)
        child = self._spawn(command, **spawn_options())
        log.info("opened a window on %s (process %s)", url, child.pid)
        with self._lock:
            ended = [c for c in self._children if c.poll() is not None]
            self._children = [c for c in self._children if c not in ended] + [child]
        for gone in ended:  # closed by the cashier: let go of its pipe
            if gone.stdin is not None:
                gone.stdin.close()

    def close_all(self, wait: float = CLOSE_WAIT) -> None:
        """Ask every child to close (end of its input), then end those that did not."""
        with self._lock:
            children, self._children = self._children, []
        for child in children:
            if child.stdin is not None:
                with contextlib.suppress(OSError):  # already gone
                    child.stdin.close()
        for child in children:
            try:
                child.wait(timeout=wait)
            except subprocess.TimeoutExpired:
                log.warning("window process %s did not close; ending it", child.pid)
                child.kill()  # TerminateProcess on Windows
                child.wait(timeout=wait)


def watch_for_close(stream: IO[bytes] | None, close: Callable[[], None]) -> threading.Thread | None:
    """Call `close` once `stream` ends (the till closed the pipe or died); None without one."""
    if stream is None:
        return None

    def wait_for_end() -> None:
        try:
            while stream.read(1024):
                pass
        except (OSError, ValueError):
            pass
        close()

    watcher = threading.Thread(target=wait_for_end, name="till-watch", daemon=True)
    watcher.start()
    return watcher


def run_window(url: str, customer_display: bool = False) -> int:
    """The child's side: show `url` in a window until it is closed or the till goes away.

    The customer display goes full screen on the second monitor, or is an ordinary window
    beside the till when there is only one.
    """
    if not url.startswith(LOOPBACK_PREFIX):
        log.error("refused to open %s: not TillBook's own page", url)
        return 2
    import webview

    from posapp.desktop import window_icon

    window = show_window(url, customer_display=customer_display)
    if window is None:  # pywebview's `initialized` handlers may cancel a window
        return 1
    watch_for_close(getattr(sys.stdin, "buffer", None), window.destroy)
    # Off the record: the till's window keeps the disk profile; nothing here is kept.
    webview.start(private_mode=True, icon=str(window_icon(sys.platform)))
    return 0


def show_window(url: str, *, customer_display: bool = False, js_api: Any = None) -> Any:
    """Create the window on `url` in this process (pywebview shows it once it runs)."""
    import webview

    from posapp.desktop import WINDOW_TITLE, customer_screen

    if customer_display:
        title = f"{WINDOW_TITLE} — customer display"
        screen = customer_screen(webview.screens)
        if screen is None:
            window = webview.create_window(title, url, width=1024, height=600)
        else:
            # Placed on that monitor first: WinForms and Qt go full screen on the monitor the
            # window is on.
            window = webview.create_window(title, url, screen=screen, fullscreen=True)
    else:
        window = webview.create_window(WINDOW_TITLE, url, width=1024, height=768, js_api=js_api)
    return window
