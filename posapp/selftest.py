"""`app.py selftest`: the built executable proves its native parts work, one step at a time.

build.ps1 runs `TillBook.exe selftest --data-dir <temp>` right after PyInstaller, so a bundle
that lacks WebView2's .NET parts, the PDF engine, pywin32, HarfBuzz (the receipt lines drawn
for the printer) or SQLite's backup fails the build
instead of the shop's first day. Each step prints one line,
"selftest: <step>: ok (...)", "selftest: <step>: FAILED: <reason>" or
"selftest: <step>: skipped: <reason>", and any failure makes the command exit 1.

The steps take the platform and their native modules as arguments, so their Windows
branches run in the tests on any OS with stand-ins that record what they were handed.
This module sits at the command line's layer: it builds the app with create_app.
"""

from __future__ import annotations

import logging
import shutil
import sys
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path, PurePath, PureWindowsPath
from typing import Any

from flask import Flask

from posapp.https_selftest import check_https

log = logging.getLogger(__name__)
WINDOW_TIMEOUT = 60.0  # WebView2's first start on a cold build machine takes a few seconds
WINDOW_HTML = "<!doctype html><title>TillBook</title><p>TillBook self-test</p>"
# A small bill through the same engine, fonts and helper process as the real invoices: the
# rupee sign needs the bundled DejaVu font, the Hindi name the bundled Noto Sans Devanagari
# (shaped in the helper, documents/fonts.py), the static: URLs the bundled static folder.
SAMPLE_INVOICE = """<!doctype html><html><head><meta charset="utf-8"><style>
@font-face { font-family: DejaVu; src: url("static:vendor/dejavu/DejaVuSans.ttf"); }
@font-face { font-family: NotoDeva;
             src: url("static:vendor/noto-sans-devanagari-2.001/NotoSansDevanagari-Regular.ttf"); }
@page { size: a5 portrait; margin: 10mm; }
body { font-family: DejaVu, NotoDeva; font-size: 10pt; }
</style></head><body>
<h1>Tax invoice SELFTEST-1</h1>
<table><tr><th>Item</th><th>Qty</th><th>Amount</th></tr>
<tr><td>Toor Dal 1 kg</td><td>2</td><td>₹290.00</td></tr>
<tr><td>मूंग दाल 1 kg</td><td>1</td><td>₹148.50</td></tr>
<tr><td>Salt 1 kg</td><td>1</td><td>₹28.00</td></tr>
<tr><td colspan="2">Total</td><td>₹466.50</td></tr></table>
</body></html>"""
# श्री shaped: the conjunct श्र as one glyph, then the matra ी; unshaped it is four glyphs.
SHAPING_SAMPLE = "श्री"
Echo = Callable[[str], None]


class Skipped(Exception):
    """A step that does not apply here (its reason is printed)."""


class Failed(Exception):
    """A step that ran and found a problem (its reason is printed)."""


def window_icon_path(platform: str) -> Path:
    """Return the icon the desktop window uses on this platform (.ico on Windows)."""
    from posapp import desktop

    return desktop.window_icon(platform)


def check_window(
    platform: str = sys.platform,
    wanted: bool = False,
    webview: Any = None,
    read_registry: Callable[[str, str, str], str | None] | None = None,
) -> str:
    """Open a hidden pywebview window with the real icon, wait for its page, close it.

    Required on Windows (WinForms + WebView2 through pythonnet, the shipped window);
    elsewhere only with --window on a display, since Qt aborts the process without one.
    """
    from posapp import desktop

    if platform == "win32":
        problem = desktop.webview2_problem(read_registry or desktop.read_windows_registry)
        if problem is not None:
            raise Failed(problem)
    elif not wanted:
        raise Skipped("not Windows (add --window to open one here)")
    elif not desktop.has_display():
        raise Skipped("no display")
    icon = window_icon_path(platform)
    if not icon.is_file():
        raise Failed(f"the window icon {icon} is not in the bundle")
    if webview is None:
        import webview
    loaded = threading.Event()
    window = webview.create_window("TillBook self-test", html=WINDOW_HTML, hidden=True)

    def on_loaded() -> None:
        loaded.set()

    def close_when_loaded() -> None:
        # On pywebview's own thread: the GUI loop owns the main thread until the window closes.
        loaded.wait(WINDOW_TIMEOUT)
        window.destroy()

    window.events.loaded += on_loaded
    webview.start(close_when_loaded, private_mode=True, icon=str(icon))
    if not loaded.is_set():
        raise Failed(f"the window's page did not load within {WINDOW_TIMEOUT:.0f} s")
    renderer = getattr(webview, "renderer", None)
    if platform == "win32" and renderer != "edgechromium":
        # pywebview falls back to MSHTML (Internet Explorer) silently; the till needs WebView2.
        raise Failed(f"the window used {renderer!r}, not WebView2 (edgechromium)")
    return f"{renderer} window with {icon.name}"


def check_pdf() -> str:
    """Render a small invoice in the PDF helper process and check it is a PDF."""
    from posapp.documents import pdf_worker
    from posapp.documents.pdf import html_to_pdf

    try:
        data = html_to_pdf(SAMPLE_INVOICE, "the self-test invoice")
    finally:
        pdf_worker.worker.stop()
    if not data.startswith(b"%PDF"):
        raise Failed(f"the helper returned {data[:8]!r}, not a PDF")
    if b"DejaVuSans" not in data:
        raise Failed("the PDF has no DejaVu font: static/vendor/dejavu is not in the bundle")
    if b"NotoSansDevanagari" not in data:
        raise Failed("the PDF has no Devanagari font: static/vendor/noto-sans-devanagari-*")
    return f"{len(data):,} bytes from the helper process"


def check_shaping() -> str:
    """Shape श्री with HarfBuzz (uharfbuzz) and the bundled Noto Sans Devanagari."""
    from posapp.documents import fonts

    path = fonts.font_path(fonts.REGULAR_FILE)
    if not path.is_file():
        raise Failed(f"{path} is not in the bundle")
    hb_font = fonts.harfbuzz_font(path)
    glyphs = fonts.shape(hb_font, SHAPING_SAMPLE)
    unshaped = [hb_font.get_nominal_glyph(ord(char)) for char in SHAPING_SAMPLE]
    if len(glyphs) != 2 or glyphs[0].gid in unshaped:
        raise Failed(f"{SHAPING_SAMPLE} came out as glyphs {[g.gid for g in glyphs]}, not shaped")
    return f"{SHAPING_SAMPLE} as glyphs {[g.gid for g in glyphs]} with {path.name}"


def check_printers(platform: str = sys.platform) -> str:
    """Load the receipt printers' modules; on Windows also list the installed printers."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    try:
        return _load_printers(platform)
    finally:
        # python-escpos calls logging.basicConfig on import: without this every later
        # INFO line of the self-test (migrations, backups) would go to the console too.
        for added in [h for h in root.handlers if h not in handlers]:
            root.removeHandler(added)
        root.setLevel(level)


def _load_printers(platform: str) -> str:
    if platform == "win32":
        import win32print  # type: ignore[import-not-found,unused-ignore]
        from escpos.printer import Win32Raw  # noqa: F401 (the printer-by-name class loads)

        flags = win32print.PRINTER_ENUM_LOCAL | win32print.PRINTER_ENUM_CONNECTIONS
        names = [str(entry[2]) for entry in win32print.EnumPrinters(flags, None, 1)]
        return f"{len(names)} printer(s)" + (": " + ", ".join(names) if names else "")
    import escpos.printer  # noqa: F401
    import usb.core  # noqa: F401

    return "escpos and usb load"


def check_raster() -> str:
    """Shape and draw a Devanagari receipt line as the printer gets it (uharfbuzz, fonts)."""
    from posapp.documents import raster_text

    text = "मूंग दाल 1 kg ₹148.50"
    shaped = raster_text.shape(text)
    missing = [glyph for glyph in shaped.glyphs if glyph.gid == 0]
    if missing:
        raise Failed(f"{len(missing)} glyph(s) missing: static/vendor fonts are not in the bundle")
    image = raster_text.render_line([raster_text.Span(text, 0, 576)], 576)
    inked = image.histogram()[0]  # black dots: those the printer burns
    if image.size[0] != 576 or inked == 0:
        raise Failed(f"the line came out {image.size[0]} dots wide with {inked} dots inked")
    return f"{len(shaped.glyphs)} glyphs, {image.width} x {image.height} dots, {inked} inked"


def unc_path(path: PurePath | str) -> str:
    r"""Return the administrative-share path of a local Windows path: C:\x -> \\localhost\C$\x."""
    local = PureWindowsPath(path)
    drive = local.drive
    if len(drive) != 2 or drive[1] != ":":
        raise Failed(f"{path} is not on a drive letter")
    rest = str(local)[len(local.anchor) :]
    return f"\\\\localhost\\{drive[0].upper()}$\\{rest}"


def backup_folder(data_dir: PurePath, platform: str = sys.platform) -> str:
    """Where the backup step writes: through a UNC path on Windows (a NAS or shared folder)."""
    folder = data_dir / "selftest-backup"
    return unc_path(folder) if platform == "win32" else str(folder)


def fresh_app(data_dir: Path) -> Flask:
    """Create and migrate the app on a new data dir, with its own SQLite file whatever
    DATABASE_URL says (the self-test never touches a shop's database)."""
    from posapp import create_app

    return create_app(
        {
            "DATA_DIR": str(data_dir),
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{(data_dir / 'tillbook.db').as_posix()}",
            "LOG_FILE_NAME": "cli.log",
            "DAILY_BACKUP_IN_BACKGROUND": False,
        }
    )


def check_backup(app: Flask, platform: str = sys.platform) -> str:
    """Back the fresh database up to the UNC path (plain path elsewhere) and verify the copy."""
    from posapp.maintenance.database import head_revision
    from posapp.maintenance.jobs import backup_now
    from posapp.services import backups

    folder = Path(backup_folder(Path(app.config["DATA_DIR"]), platform))
    info = backup_now(app, folder)
    problems = backups.integrity_ok(info.path)
    if problems:
        raise Failed(f"the copy {info.path} fails its integrity check: {problems[0]}")
    if backups.schema_revision(info.path) != head_revision(app):
        raise Failed(f"the copy {info.path} is not at the newest schema")
    return f"{info.path} ({info.size:,} bytes, verified)"


def check_static_types(app: Flask) -> str:
    """Serve a page script and the style sheet as the browser must get them (see config)."""
    from posapp.config import STATIC_TYPES

    wanted = {
        "js/pos.js": STATIC_TYPES[".js"],
        "css/app.css": STATIC_TYPES[".css"],
        # The camera's barcode reader: a browser compiles WebAssembly only when sent as such.
        "vendor/zxing-wasm-3.1.4/reader/zxing_reader.wasm": STATIC_TYPES[".wasm"],
        # The pages' Devanagari font: a browser may refuse a font sent as another type.
        "vendor/noto-sans-devanagari-2.001/NotoSansDevanagari-Regular.ttf": STATIC_TYPES[".ttf"],
    }
    with app.test_client() as client:
        for path, kind in wanted.items():
            answer = client.get(f"/static/{path}")
            got = answer.mimetype
            answer.close()
            if answer.status_code != 200 or got != kind:
                raise Failed(
                    f"/static/{path} is served as {got} ({answer.status_code}), not {kind}"
                )
    return ", ".join(f"{path}: {kind}" for path, kind in wanted.items())


def check_integrity(app: Flask, echo: Echo) -> str:
    """Run the integrity check on the data dir, printing what it checked."""
    from posapp.extensions import db
    from posapp.services.integrity import run_checks

    with app.app_context():
        report = run_checks(db.session)
        db.session.remove()
    for name in report.checked:
        echo(f"  checked: {name}")
    if not report.ok:
        raise Failed("; ".join(report.problems))
    return f"{len(report.checked)} checks, no problems"


def _run_step(name: str, step: Callable[[], str], echo: Echo) -> bool:
    """Run one step and print its line; False if it failed."""
    try:
        detail = step()
    except Skipped as exc:
        echo(f"selftest: {name}: skipped: {exc}")
        return True
    except Failed as exc:
        echo(f"selftest: {name}: FAILED: {exc}")
        return False
    except Exception as exc:  # any error is the step's failure, reported, never a traceback
        log.exception("selftest step %s failed", name)
        echo(f"selftest: {name}: FAILED: {type(exc).__name__}: {exc}")
        return False
    echo(f"selftest: {name}: ok ({detail})")
    return True


def run_selftest(
    data_dir: Path | None,
    echo: Echo,
    window: bool = False,
    platform: str = sys.platform,
) -> bool:
    """Run every step (window, pdf, shaping, printer, raster, backup, static, check, https).

    True if none failed. `data_dir` must be new or empty; without one a temporary folder is
    used and deleted when every step passed. A failed run keeps its data dir for inspection.
    """
    own = data_dir is None
    folder = Path(tempfile.mkdtemp(prefix="tillbook-selftest-")) if data_dir is None else data_dir
    folder = folder.resolve()
    apps: list[Flask] = []

    def backup() -> str:
        apps.append(fresh_app(folder))  # the "fresh data dir, migrated" part of the step
        return check_backup(apps[0], platform)

    def static() -> str:
        if not apps:
            raise Failed("no app to serve from (the backup step could not create it)")
        return check_static_types(apps[0])

    def check() -> str:
        if not apps:
            raise Failed("no data dir to check (the backup step could not create it)")
        return check_integrity(apps[0], echo)

    echo(f"selftest: TillBook {_version()} on {platform}, data dir {folder}")
    steps: list[tuple[str, Callable[[], str]]] = [
        ("window", lambda: check_window(platform, window)),
        ("pdf", check_pdf),
        ("shaping", check_shaping),
        ("printer", lambda: check_printers(platform)),
        ("raster", check_raster),
        ("backup", backup),
        ("static", static),
        ("check", check),
        ("https", check_https),
    ]
    failed = [name for name, step in steps if not _run_step(name, step, echo)]
    for app in apps:
        from posapp.maintenance.startup import close_database

        close_database(app)
    if failed:
        echo(f"selftest: FAILED: {', '.join(failed)} (data dir kept: {folder})")
        return False
    echo("selftest: passed")
    if own:
        _release_log_files()  # Windows cannot delete a log file this process holds open
        shutil.rmtree(folder, ignore_errors=True)
    return True


def _version() -> str:
    from posapp import __version__

    return __version__


def _release_log_files() -> None:
    """Close the data dir's log handler (the app's file logging) before its folder goes."""
    root = logging.getLogger()
    for handler in [h for h in root.handlers if getattr(h, "tillbook", False)]:
        root.removeHandler(handler)
        handler.close()
