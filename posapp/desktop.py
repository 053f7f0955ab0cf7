"""The desktop launcher: one instance per data dir, waitress on a free port, a window on it."""

from __future__ import annotations

import base64
import binascii
import hmac
import logging
import os
import re
import socket
import subprocess
import sys
import threading
import time
import webbrowser
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from flask import Flask

from posapp import winsys
from posapp.config import bundled
from posapp.instance import SHOW_PATH, TOKEN_HEADER, InstanceLock, ask_to_show, read_info
from posapp.second_window import ExtraWindows
from posapp.serving import Server, stop_on_signals

log = logging.getLogger(__name__)
WINDOW_TITLE = "TillBook"
# WinForms builds the window icon with `Icon(path)`, which reads ICO data only (a PNG raises on
# the UI thread and the window never opens); Qt and GTK take the PNG.
ICON_PNG = ("static", "img", "tillbook.png")
ICON_ICO = ("static", "img", "tillbook.ico")
WEBVIEW2_CLIENT = r"Microsoft\EdgeUpdate\Clients\{F3017226-FE2A-4295-8BDF-00C3A9A7E4C5}"
# Where the WebView2 installers register the runtime (Microsoft's distribution guide):
# per-machine on 64-bit Windows, per-machine on 32-bit Windows, and per-user.
WEBVIEW2_KEYS = (
    ("HKEY_LOCAL_MACHINE", rf"SOFTWARE\WOW6432Node\{WEBVIEW2_CLIENT}"),
    ("HKEY_LOCAL_MACHINE", rf"SOFTWARE\{WEBVIEW2_CLIENT}"),
    ("HKEY_CURRENT_USER", rf"Software\{WEBVIEW2_CLIENT}"),
)
WEBVIEW2_PAGE = "https://developer.microsoft.com/microsoft-edge/webview2/"
DOTNET_PAGE = "https://dotnet.microsoft.com/download/dotnet-framework"
NET_FRAMEWORK_KEY = r"SOFTWARE\Microsoft\NET Framework Setup\NDP\v4\Full"
NET_462_RELEASE = 394802  # pywebview's WebView2 backend needs .NET Framework 4.6.2 or newer
RegistryReader = Callable[[str, str, str], str | None]


def server_url(port: int) -> str:
    """Return the loopback URL a bound server answers on."""
    return f"http://127.0.0.1:{port}/"


def window_icon(platform: str = sys.platform) -> Path:
    """Return the bundled window icon this platform's pywebview backend can read."""
    return bundled(*(ICON_ICO if platform == "win32" else ICON_PNG))


def tell_owner(text: str, kind: str = "error") -> bool:
    """Show `text` in a message box on Windows; True if one was shown.

    The shipped TillBook.exe has no console, so what is printed is seen by nobody there.
    """
    return winsys.message_box(WINDOW_TITLE, text, kind, platform=sys.platform)


def has_display() -> bool:
    """Tell whether a window can be shown at all (Linux/BSD need an X11 or Wayland display)."""
    if sys.platform in ("win32", "darwin"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


# What open_document saves and hands to the system's viewer. The extension always comes from
# this list, never from the page's file name: opening "x.exe" or "x.hta" would run it.
DOCUMENT_TYPES = {
    "application/pdf": ".pdf",
    "text/csv": ".csv",
    "text/plain": ".txt",
    "image/png": ".png",
}
DOCUMENTS_DIR = ("exports", "documents")
# Windows refuses these as file names, with any extension (and trailing dots or spaces).
WINDOWS_RESERVED = {"CON", "PRN", "AUX", "NUL"} | {
    f"{kind}{n}" for kind in ("COM", "LPT") for n in "0123456789¹²³"
}
UNSAFE_CHARACTERS = re.compile(r'[<>:"/\\|?*\x00-\x1f\x7f]')
MAX_NAME_LENGTH = 100  # well inside MAX_PATH (260) even in a deep data dir
MAX_COPIES = 1000


def document_name(name: str, content_type: str) -> str:
    """Turn a page's file name into a safe one with the content type's extension.

    Safe on Windows too: no path, none of <>:"/\\|?* or control characters, no reserved
    device name (CON, NUL, COM1...), no trailing dot or space, at most MAX_NAME_LENGTH long.
    Raises ValueError for a content type that is not a document TillBook opens.
    """
    extension = DOCUMENT_TYPES.get(content_type.split(";")[0].strip().lower())
    if extension is None:
        raise ValueError(f"TillBook does not open {content_type or 'untyped'} files.")
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    stem = base[: -len(extension)] if base.lower().endswith(extension) else base
    stem = UNSAFE_CHARACTERS.sub("_", stem).strip(" .")
    if stem.split(".")[0].strip().upper() in WINDOWS_RESERVED:
        stem = f"_{stem}"
    stem = stem[: MAX_NAME_LENGTH - len(extension) - len(" (1000)")].rstrip(" .")
    return f"{stem or 'document'}{extension}"


def save_document(folder: Path, name: str, data: bytes) -> Path:
    """Write `data` as `name` in `folder`, as "name (2).pdf"... if that name is taken."""
    folder.mkdir(parents=True, exist_ok=True)
    stem, dot, extension = name.rpartition(".")
    for copy in range(1, MAX_COPIES + 1):
        path = folder / (name if copy == 1 else f"{stem} ({copy}){dot}{extension}")
        try:
            with path.open("xb") as out:  # exclusive: never overwrites a document being viewed
                out.write(data)
        except FileExistsError:
            continue
        return path
    raise ValueError(f"{folder} already holds {MAX_COPIES} copies of {name}.")


def open_with_system(path: Path) -> None:
    """Open a file in the system's viewer for its type, without waiting for the viewer."""
    if sys.platform == "win32":
        os.startfile(str(path))  # type: ignore[attr-defined]  # noqa: S606 (the file we saved)
        return
    command = "open" if sys.platform == "darwin" else "xdg-open"
    subprocess.Popen(  # noqa: S603 (a fixed program and the path we wrote; no shell)
        [command, str(path)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # the viewer outlives neither a Ctrl+C nor waits on us
    )


class DesktopApi:
    """What the pages may ask of the desktop window (pywebview's js_api).

    pywebview exposes every public method (and walks public attributes), so the state is kept
    in private attributes.
    """

    def __init__(self, data_dir: Path, base_url: str, windows: ExtraWindows | None = None) -> None:
        self._data_dir = data_dir
        self._base_url = base_url
        self._windows = windows if windows is not None else ExtraWindows()

    def choose_folder(self) -> str | None:
        """Open the system's folder dialog (to pick a USB stick); None if cancelled."""
        import webview

        kind = getattr(getattr(webview, "FileDialog", None), "FOLDER", None)
        if kind is None:
            kind = webview.FOLDER_DIALOG
        chosen = webview.windows[0].create_file_dialog(kind)
        if not chosen:
            return None
        return str(chosen[0] if isinstance(chosen, (list, tuple)) else chosen)

    def open_document(self, name: str, data_b64: str, content_type: str) -> str:
        """Save a document the page fetched (base64) under exports/documents, open it in the
        system's viewer, and return where it was saved.

        The window's own fetch carries the login cookie; the outside browser pywebview would
        hand a target=_blank link to has none and shows the login page instead.
        """
        filename = document_name(str(name), str(content_type))
        try:
            data = base64.b64decode(str(data_b64), validate=True)
        except (binascii.Error, ValueError):
            raise ValueError("The document arrived damaged; try again.") from None
        path = save_document(self._data_dir.joinpath(*DOCUMENTS_DIR), filename, data)
        log.info("document saved to %s (%d bytes); opening it", path, len(data))
        open_with_system(path)
        return str(path)

    def open_window(self, url: str) -> bool:
        """Open one of the app's own pages (the till's customer page) in a second window.

        In the till's process on Windows (one WebView2 profile: the page keeps the login), in a
        process of its own elsewhere (posapp/second_window.py): with pywebview's Qt backend a
        second window in this process stayed white and hung the till's window with it.
        """
        if not str(url).startswith(self._base_url):
            raise ValueError("Only TillBook's own pages open in a TillBook window.")
        self._windows.open(str(url), js_api=self)
        return True

    def open_customer_display(self, url: str) -> bool:
        """Open the customer display (a one-time pairing address) in a window of its own:
        full screen on the second monitor when there is one (True), else an ordinary window
        beside the till (False). A child process like open_window's; it gets no js_api (the
        display is read-only)."""
        if not str(url).startswith(self._base_url + "display/claim/"):
            raise ValueError("Only the customer display opens in this window.")
        import webview

        self._windows.open(str(url), customer_display=True)
        return customer_screen(webview.screens) is not None


def customer_screen(screens: Iterable[Any]) -> Any | None:
    """The monitor for the customer display: the first that is not the primary, or None.

    The primary monitor has its top-left corner at (0, 0) on Windows (WinForms'
    Screen.AllScreens, which pywebview lists) and under X11; every other starts elsewhere.
    """
    for screen in screens:
        if (int(screen.x), int(screen.y)) != (0, 0):
            return screen
    return None


def webview2_version(
    read: RegistryReader, keys: Iterable[tuple[str, str]] = WEBVIEW2_KEYS
) -> str | None:
    """Return the installed WebView2 runtime's version, or None when it is missing.

    The installers leave the key with `pv` empty or "0.0.0.0" after an uninstall.
    """
    for hive, key in keys:
        version = (read(hive, key, "pv") or "").strip()
        if version and version != "0.0.0.0":  # noqa: S104 (a version, not an address)
            return version
    return None


def webview2_problem(read: RegistryReader) -> str | None:
    """Say why the WebView2 window cannot work here (pywebview would use MSHTML); None if it can."""
    try:
        release = int(read("HKEY_LOCAL_MACHINE", NET_FRAMEWORK_KEY, "Release") or 0)
    except ValueError:
        release = 0
    if release < NET_462_RELEASE:
        return "the .NET Framework 4.6.2 or newer is not installed"
    if webview2_version(read) is None:
        return "the Microsoft Edge WebView2 runtime is not installed"
    return None


def read_windows_registry(hive: str, key: str, name: str) -> str | None:
    """Read one string value from the Windows registry; None if it is not there."""
    if sys.platform != "win32":  # also tells mypy, on Linux, that winreg is not there
        return None
    import winreg

    try:
        with winreg.OpenKey(getattr(winreg, hive), key) as handle:
            value, _kind = winreg.QueryValueEx(handle, name)
    except OSError:
        return None
    return str(value)


class WindowControl:
    """What the show-window call acts on: the pywebview window, or else the browser."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.window: Any = None
        # Kept from the window's own events: pywebview 6.2 has no getter for the window state.
        self.minimised = False
        self.maximised = False

    def attach(self, window: Any) -> None:
        """Act on this pywebview window from now on, following its minimise/maximise events."""
        self.window = window
        window.events.minimized += self._on_minimised
        window.events.maximized += self._on_maximised
        window.events.restored += self._on_restored

    def _on_minimised(self) -> None:
        self.minimised = True  # `maximised` stays: un-minimising returns to it

    def _on_maximised(self) -> None:
        self.minimised, self.maximised = False, True

    def _on_restored(self) -> None:
        self.minimised = self.maximised = False

    def show(self) -> None:
        """Bring the window forward (un-minimise, show, briefly on top); else open the browser.

        Only a minimised window is restored, and to the size it had: restore() on a maximised
        window would shrink it to its normal size.
        """
        log.info("another launch asked to show the window")
        window = self.window
        if window is None:
            webbrowser.open(self.url)
            return
        if self.minimised:
            if self.maximised:
                window.maximize()
            else:
                window.restore()
        window.show()
        window.on_top = True  # raise it over other windows, then behave normally again
        window.on_top = False


class ShowWindowMiddleware:
    """Answer `POST /desktop/show` from a second launch, before Flask sees the request.

    Only a loopback caller that sends this run's secret token (from instance.json, which only
    the shop's user can read) gets through; pages in a browser cannot read that file, and the
    custom header makes a cross-site request need a CORS pre-flight that is never granted.
    Everything else goes on to the app unchanged (so other callers get the app's 404).
    """

    def __init__(self, app: Any, token: str, show: Callable[[], None]) -> None:
        self.app = app
        self.token = token
        self.show = show

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        """Handle the show call, or pass the request on."""
        if environ.get("PATH_INFO") == SHOW_PATH and environ.get("REQUEST_METHOD") == "POST":
            sent = environ.get("HTTP_" + TOKEN_HEADER.upper().replace("-", "_"), "")
            loopback = environ.get("REMOTE_ADDR") in ("127.0.0.1", "::1")
            if loopback and hmac.compare_digest(sent.encode(), self.token.encode()):
                self.show()
                start_response("204 No Content", [("Content-Length", "0")])
                return [b""]
        return self.app(environ, start_response)


def open_window(url: str, data_dir: Path, control: WindowControl, idle_minutes: int = 0) -> bool:
    """Open a pywebview window on the URL and block until it closes; False if no GUI backend.

    `idle_minutes` is only told to the owner: when the browser fallback stops by itself.
    """
    if not has_display():
        # Qt aborts the whole process (not an exception) when it finds no display.
        log.warning("no display; falling back to the browser")
        return False
    if sys.platform == "win32":
        problem = webview2_problem(read_windows_registry)
        if problem is not None:
            # pywebview would silently fall back to the old MSHTML (Internet Explorer) engine.
            log.warning("no WebView2 window: %s; falling back to the browser", problem)
            page = DOTNET_PAGE if ".NET" in problem else WEBVIEW2_PAGE
            print(
                f"TillBook opens in your web browser because {problem}. Install it "
                f"({page}) for the app window.",
                flush=True,
            )
            stops = (
                f" It also stops by itself after {idle_minutes} minutes without use."
                if idle_minutes
                else ""
            )
            tell_owner(
                f"TillBook opens in your web browser because {problem}.\n\n"
                f"For the TillBook window, install it from:\n{page}\n\n"
                f"To stop TillBook, click Quit TillBook at the top of its page.{stops}",
                "warning",
            )
            return False
        log.info("WebView2 runtime %s", webview2_version(read_windows_registry))
    try:
        import webview
    except Exception:  # pywebview missing or its platform libraries missing
        log.warning("pywebview is not importable; falling back to the browser")
        return False
    try:
        # CSV and ZIP downloads then open the system's save dialog (pick the USB stick there).
        webview.settings["ALLOW_DOWNLOADS"] = True
        extra_windows = ExtraWindows()
        control.attach(
            webview.create_window(
                WINDOW_TITLE,
                url,
                width=1280,
                height=820,
                min_size=(900, 600),
                js_api=DesktopApi(data_dir, url, extra_windows),
            )
        )
        main = control.window

        def close_the_others() -> None:
            # pywebview runs on while any window is open: the main one closing means quit.
            for other in list(webview.windows):
                if other is not main:
                    other.destroy()
            extra_windows.close_all()

        main.events.closed += close_the_others
        webview.start(
            private_mode=False,  # keep localStorage (the theme) and cookies between runs
            storage_path=str(data_dir / "webview"),
            icon=str(window_icon(sys.platform)),
        )
        return True
    except Exception as exc:  # no GUI backend here (e.g. a server without Qt/GTK)
        control.window = None
        log.warning("no pywebview GUI backend (%s); falling back to the browser", exc)
        return False


def hand_over(data_dir: Path) -> int:
    """A second launch on a data dir in use: ask the running TillBook to show itself."""
    info = read_info(data_dir)
    if info is not None and ask_to_show(info):
        print(f"TillBook is already running (process {info.pid}); its window was brought forward.")
        return 0
    who = f"process {info.pid}, port {info.port}" if info else "it has not published its port"
    text = (
        f"TillBook is already running on {data_dir} ({who}) but did not answer. "
        "Wait a moment and try again, or close that TillBook (Task Manager if it hangs)."
    )
    print(text, file=sys.stderr)
    tell_owner(text)
    return 1


def start_server(app: Flask) -> Server:
    """Bind loopback on a free port, or every interface when the shop shares on the LAN."""
    from posapp.extensions import db
    from posapp.services import network
    from posapp.services.settings import load_settings

    with app.app_context():
        settings = load_settings(db.session)
        db.session.remove()
    if not settings.lan_sharing:
        return Server(app)
    try:
        # Probe first: waitress leaks its socket when its own bind fails.
        with socket.socket() as probe:
            probe.bind(("0.0.0.0", settings.lan_port))  # noqa: S104 (the setting asked for it)
        # A fixed port, so the address the other tills bookmarked stays valid across restarts.
        server = Server(app, host="0.0.0.0", port=settings.lan_port)  # noqa: S104 (the setting)
    except OSError as exc:
        log.warning("cannot share on port %s (%s); this computer only", settings.lan_port, exc)
        text = (
            f"Port {settings.lan_port} is in use, so TillBook is not shared on the network this "
            "time. Choose another port on the Admin > Local network page."
        )
        print(text, flush=True)
        tell_owner(text, "warning")
        return Server(app)
    address = network.lan_address("0.0.0.0")  # noqa: S104 (asks which address, binds nothing)
    if address:
        app.config["LAN_URL"] = network.share_url(address, server.port)
        log.info("shared on the local network at %s", app.config["LAN_URL"])
        print(f"Other tills open {app.config['LAN_URL']}", flush=True)
    from posapp.lan_https import start_https  # cheroot and cryptography only when shared

    start_https(app, "0.0.0.0", echo=lambda text: print(text, flush=True), warn=_warn)  # noqa: S104
    return server


def _warn(text: str) -> None:
    print(text, flush=True)
    tell_owner(text, "warning")


class IdleWatch:
    """WSGI middleware that notes when the last request came in (for the idle stop)."""

    def __init__(self, app: Any, clock: Callable[[], float] = time.monotonic) -> None:
        self.app = app
        self.clock = clock
        self.last = clock()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        """Note the time, then pass the request on."""
        self.last = self.clock()
        return self.app(environ, start_response)

    def idle_seconds(self) -> float:
        """Seconds since the last request (or since the watch began)."""
        return self.clock() - self.last


def wait_for_quit(
    stop: threading.Event, server: Server, watch: IdleWatch, idle_minutes: int, poll: float = 0.25
) -> str:
    """Block until Quit TillBook or a signal ("quit"), no request for `idle_minutes` ("idle")
    or the server thread ends ("stopped"); 0 minutes never stops for idleness.
    """
    while not stop.wait(poll):
        if not server.running:
            return "stopped"
        if idle_minutes and watch.idle_seconds() >= idle_minutes * 60:
            log.info("no request for %d minutes: stopping", idle_minutes)
            return "idle"
    return "quit"


def run_in_browser(app: Flask, server: Server, url: str) -> None:
    """The fallback without a window: the system browser, until Quit TillBook or idleness."""
    from posapp.web.desktop import QUIT_KEY

    idle_minutes = int(app.config.get("DESKTOP_IDLE_MINUTES") or 0)
    stop = threading.Event()
    stop_on_signals(stop)
    watch = IdleWatch(app.wsgi_app)
    app.wsgi_app = watch  # type: ignore[method-assign]
    app.extensions[QUIT_KEY] = stop.set  # the pages now offer "Quit TillBook"
    print(
        "No app window; opening your browser. Stop TillBook with Quit TillBook in its page "
        "or Ctrl+C here.",
        flush=True,
    )
    webbrowser.open(url)
    why = wait_for_quit(stop, server, watch, idle_minutes)
    log.info("browser mode ended (%s)", why)
    if why == "idle":
        print(f"TillBook stopped after {idle_minutes} minutes without use.", flush=True)


def run_desktop(data_dir: Path, make_app: Callable[[], Flask]) -> int:
    """Serve the app and show it in a window (or the browser); return the exit code."""
    from posapp.maintenance.startup import close_database

    lock = InstanceLock(data_dir)
    if not lock.acquire():
        return hand_over(data_dir)
    try:
        app = make_app()
        control = WindowControl("")
        app.wsgi_app = ShowWindowMiddleware(app.wsgi_app, lock.token, control.show)  # type: ignore[method-assign]
        try:
            server = start_server(app)
        except OSError as exc:  # e.g. a security product refusing even a loopback socket
            log.error("cannot start the server: %s", exc)
            text = (
                "TillBook cannot start: it could not open its connection on this computer "
                f"({exc}). Restart the computer and try again."
            )
            print(text, file=sys.stderr, flush=True)
            tell_owner(text)
            close_database(app)
            return 1
        control.url = url = server_url(server.port)
        server.start()
        lock.publish(server.port)
        log.info("serving on %s", url)
        print(f"TillBook is running at {url}", flush=True)
        try:
            idle_minutes = int(app.config.get("DESKTOP_IDLE_MINUTES") or 0)
            if not open_window(url, data_dir, control, idle_minutes):
                run_in_browser(app, server, url)
        finally:
            from posapp.lan_https import stop_https

            stop_https(app)
            server.stop()
            close_database(app)
        log.info("TillBook stopped")
        return 0
    finally:
        lock.release()
