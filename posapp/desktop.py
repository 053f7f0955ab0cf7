"""The desktop launcher: waitress on a free loopback port in a thread, and a window on it."""

from __future__ import annotations

import logging
import os
import sys
import threading
import webbrowser
from typing import Any

from flask import Flask
from waitress.server import create_server

log = logging.getLogger(__name__)
WINDOW_TITLE = "TillBook"


def start_server(app: Flask, host: str = "127.0.0.1", port: int = 0, threads: int = 6) -> Any:
    """Bind waitress (port 0 = a free port, no race) and serve from a daemon thread."""
    server = create_server(app, host=host, port=port, threads=threads, ident="TillBook")
    thread = threading.Thread(target=server.run, name="waitress", daemon=True)
    thread.start()
    return server


def server_url(server: Any, host: str = "127.0.0.1") -> str:
    """Return the http URL a bound server answers on."""
    return f"http://{host}:{server.effective_port}/"


def has_display() -> bool:
    """Tell whether a window can be shown at all (Linux/BSD need an X11 or Wayland display)."""
    if sys.platform in ("win32", "darwin"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


class DesktopApi:
    """What the pages may ask of the desktop window (pywebview's js_api)."""

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


def open_window(url: str) -> bool:
    """Open a pywebview window on the URL and block until it closes; False if no GUI backend."""
    if not has_display():
        # Qt aborts the whole process (not an exception) when it finds no display.
        log.warning("no display; falling back to the browser")
        return False
    try:
        import webview
    except Exception:  # pywebview missing or its platform libraries missing
        log.warning("pywebview is not importable; falling back to the browser")
        return False
    try:
        # CSV and ZIP downloads then open the system's save dialog (pick the USB stick there).
        webview.settings["ALLOW_DOWNLOADS"] = True
        webview.create_window(
            WINDOW_TITLE,
            url,
            width=1280,
            height=820,
            min_size=(900, 600),
            js_api=DesktopApi(),
        )
        webview.start()
        return True
    except Exception as exc:  # no GUI backend here (e.g. a server without Qt/GTK)
        log.warning("no pywebview GUI backend (%s); falling back to the browser", exc)
        return False


def run_desktop(app: Flask) -> None:
    """Serve the app and show it in a window, or in the system browser as a fallback."""
    server = start_server(app)
    url = server_url(server)
    log.info("serving on %s", url)
    print(f"TillBook is running at {url}", flush=True)
    try:
        if open_window(url):
            return
        print(
            "No window backend available; opening your browser. Press Ctrl+C to stop.", flush=True
        )
        webbrowser.open(url)
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.close()
