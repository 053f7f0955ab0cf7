"""`app.py selftest`: from source with the window skipped, and each step's Windows branch faked.

The Windows branches run here with stand-ins for pywebview, the registry and win32print that
record what they were handed; the real run is build.ps1's, on the frozen TillBook.exe.
"""

from __future__ import annotations

import mimetypes
import sys
import types
from pathlib import Path, PureWindowsPath
from typing import Any

import pytest
from click.testing import CliRunner

from posapp import selftest
from posapp.cli import main

WEBVIEW2 = "131.0.2903.70"


def fake_registry(hive: str, key: str, name: str) -> str | None:
    """A machine with the WebView2 runtime and .NET Framework 4.8 registered."""
    return "533320" if name == "Release" else WEBVIEW2


def test_selftest_from_source_passes_with_the_window_skipped(tmp_path: Path) -> None:
    data = tmp_path / "selftest-data"
    result = CliRunner().invoke(main, ["selftest", "--data-dir", str(data)])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert "selftest: window: skipped: not Windows (add --window to open one here)" in lines
    for step in ("pdf", "shaping", "printer", "raster", "backup", "static", "check", "https"):
        assert any(line.startswith(f"selftest: {step}: ok") for line in lines), step
    assert "  checked: sqlite integrity_check" in lines
    assert lines[-1] == "selftest: passed"
    backups = list((data / "selftest-backup").glob("tillbook-*-manual.db"))
    assert len(backups) == 1
    assert (data / "logs" / "cli.log").is_file()
    assert not (data / "logs" / "tillbook.log").exists()


def test_selftest_refuses_a_folder_that_is_not_empty(tmp_path: Path) -> None:
    (tmp_path / "tillbook.db").write_bytes(b"the shop's data")
    result = CliRunner().invoke(main, ["selftest", "--data-dir", str(tmp_path)])
    assert result.exit_code == 2
    assert "not empty" in result.output
    assert (tmp_path / "tillbook.db").read_bytes() == b"the shop's data"


def test_a_failing_step_is_reported_and_exits_1(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken_printers(_platform: str) -> str:
        raise ImportError("No module named 'win32print'")

    monkeypatch.setattr(selftest, "_load_printers", broken_printers)
    monkeypatch.setattr(selftest, "check_pdf", lambda: "not run here")
    result = CliRunner().invoke(main, ["selftest", "--data-dir", str(tmp_path / "d")])
    assert result.exit_code == 1
    assert (
        "selftest: printer: FAILED: ImportError: No module named 'win32print'"
        in result.output.splitlines()
    )
    assert "selftest: check: ok" in result.output  # the other steps still ran
    assert result.output.splitlines()[-1].startswith("selftest: FAILED: printer (data dir kept")


def test_shaping_step_shapes_shri_into_a_conjunct_and_a_matra() -> None:
    assert selftest.check_shaping().startswith("श्री as glyphs [")


def test_shaping_step_fails_without_the_bundled_devanagari_font(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from posapp.documents import fonts

    monkeypatch.setattr(fonts, "font_path", lambda name: tmp_path / name)
    with pytest.raises(selftest.Failed, match="is not in the bundle"):
        selftest.check_shaping()


def test_static_step_fails_when_scripts_are_served_as_text(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = selftest.fresh_app(tmp_path / "d")
    # What a Windows registry mapping .js to text/plain does once the app has started.
    monkeypatch.setitem(mimetypes.types_map, ".js", "text/plain")
    with pytest.raises(selftest.Failed, match=r"js/pos\.js is served as text/plain"):
        selftest.check_static_types(app)
    monkeypatch.setitem(mimetypes.types_map, ".js", "text/javascript")
    assert "js/pos.js: text/javascript" in selftest.check_static_types(app)


def test_the_app_overrides_a_registry_that_calls_scripts_text(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Before the app starts, as mimetypes.init() leaves it after reading such a registry.
    mimetypes.init()
    monkeypatch.setitem(mimetypes.types_map, ".js", "text/plain")
    monkeypatch.setitem(mimetypes.types_map, ".css", "text/plain")
    app = selftest.fresh_app(tmp_path / "d")
    with app.test_client() as client:
        for path, kind in (("js/pos.js", "text/javascript"), ("css/app.css", "text/css")):
            answer = client.get(f"/static/{path}")
            answer.close()
            assert answer.mimetype == kind, path


class FakeEvent:
    def __init__(self) -> None:
        self.handlers: list[Any] = []

    def __iadd__(self, handler: Any) -> FakeEvent:
        self.handlers.append(handler)
        return self


class FakeWindow:
    def __init__(self) -> None:
        self.events = types.SimpleNamespace(loaded=FakeEvent())
        self.destroyed = False

    def destroy(self) -> None:
        self.destroyed = True


class FakeWebview:
    """pywebview's module API as the WinForms backend answers it (renderer edgechromium)."""

    def __init__(self, renderer: str, loads: bool = True) -> None:
        self.renderer = renderer
        self.loads = loads
        self.window = FakeWindow()
        self.created: dict[str, Any] = {}
        self.started: dict[str, Any] = {}

    def create_window(self, title: str, **kwargs: Any) -> FakeWindow:
        self.created = {"title": title, **kwargs}
        return self.window

    def start(self, func: Any, **kwargs: Any) -> None:
        self.started = kwargs
        if self.loads:
            for handler in self.window.events.loaded.handlers:
                handler()
        func()  # pywebview runs it on a thread; the window closes when it returns


def test_window_step_on_windows_opens_a_hidden_webview2_window_with_the_ico(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    webview = FakeWebview("edgechromium")
    detail = selftest.check_window("win32", webview=webview, read_registry=fake_registry)
    assert webview.created["hidden"] is True
    assert webview.started["icon"].endswith("tillbook.ico")
    assert Path(webview.started["icon"]).is_file()
    assert webview.window.destroyed
    assert detail == "edgechromium window with tillbook.ico"


def no_webview2(hive: str, key: str, name: str) -> str | None:
    """.NET Framework 4.8 but no WebView2 runtime (a Windows 10 that never had Edge updates)."""
    return "533320" if name == "Release" else None


def test_window_step_on_windows_fails_without_webview2_or_on_mshtml(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with pytest.raises(selftest.Failed, match="WebView2"):
        selftest.check_window(
            "win32", webview=FakeWebview("edgechromium"), read_registry=no_webview2
        )
    with pytest.raises(selftest.Failed, match="'mshtml', not WebView2"):
        selftest.check_window("win32", webview=FakeWebview("mshtml"), read_registry=fake_registry)
    never_loads = FakeWebview("edgechromium", loads=False)
    monkeypatch.setattr(selftest, "WINDOW_TIMEOUT", 0.0)  # do not wait for a page that never comes
    with pytest.raises(selftest.Failed, match="did not load"):
        selftest.check_window("win32", webview=never_loads, read_registry=fake_registry)
    assert never_loads.window.destroyed, "a window that never loaded is closed too"


def test_window_step_elsewhere_is_skipped_unless_asked_with_a_display(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with pytest.raises(selftest.Skipped, match="not Windows"):
        selftest.check_window("linux", wanted=False)
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    with pytest.raises(selftest.Skipped, match="no display"):
        selftest.check_window("linux", wanted=True)


def test_printer_step_on_windows_lists_printers_through_win32print(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls: list[tuple[Any, ...]] = []
    win32print = types.ModuleType("win32print")
    win32print.PRINTER_ENUM_LOCAL = 2  # type: ignore[attr-defined]
    win32print.PRINTER_ENUM_CONNECTIONS = 4  # type: ignore[attr-defined]

    def enum_printers(*args: Any) -> list[tuple[int, str, str, str]]:
        calls.append(args)
        return [
            (8388608, "TVS RP3160,TVS,", "TVS RP3160 GOLD", ""),
            (0, "PDF", "Microsoft Print to PDF", ""),
        ]

    win32print.EnumPrinters = enum_printers  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "win32print", win32print)
    detail = selftest.check_printers("win32")
    assert calls == [(2 | 4, None, 1)]
    assert detail == "2 printer(s): TVS RP3160 GOLD, Microsoft Print to PDF"


def test_backup_step_on_windows_goes_through_the_administrative_share() -> None:
    data = PureWindowsPath(r"C:\Users\सुरेश\AppData\Local\Temp\tillbook-selftest-1")
    assert selftest.backup_folder(data, "win32") == (
        r"\\localhost\C$\Users\सुरेश\AppData\Local\Temp\tillbook-selftest-1\selftest-backup"
    )
    assert selftest.unc_path(r"d:\x") == r"\\localhost\D$\x"
    with pytest.raises(selftest.Failed, match="not on a drive letter"):
        selftest.unc_path(r"\\nas\share\x")


def test_window_icon_is_the_desktop_modules_when_it_has_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from posapp import desktop

    assert selftest.window_icon_path("win32").name == "tillbook.ico"
    assert selftest.window_icon_path("linux").suffix in (".png", ".ico")
    monkeypatch.setattr(
        desktop, "window_icon", lambda platform: Path(f"/icons/{platform}.ico"), raising=False
    )
    assert selftest.window_icon_path("win32") == Path("/icons/win32.ico")


def test_raster_step_fails_when_a_font_lacks_the_glyphs(monkeypatch: pytest.MonkeyPatch) -> None:
    from posapp.documents import raster_text

    assert "576 x" in selftest.check_raster()
    # As a bundle whose Devanagari font is some other font would shape: missing-glyph boxes.
    missing = raster_text.Shaped(
        (raster_text.PlacedGlyph("devanagari", 0, 0.0, 0.0),), 0, False, 24
    )
    monkeypatch.setattr(raster_text, "shape", lambda text: missing)
    with pytest.raises(selftest.Failed, match="missing"):
        selftest.check_raster()
