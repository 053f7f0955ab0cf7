"""The desktop test's decision to run, skip or fail, judged from fake ldd reports (no X needed)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.desktop import environment

# ldd on libqxcb.so on a machine with Xvfb, ImageMagick and xdotool but not Qt's xcb libraries.
LDD_MISSING = """\
\tlinux-vdso.so.1 (0x00007ffd0a5f3000)
\tlibQt6XcbQpa.so.6 => /venv/PyQt6/Qt6/plugins/platforms/../../lib/libQt6XcbQpa.so.6 (0x7f)
\tlibxcb-cursor.so.0 => not found
\tlibxkbcommon-x11.so.0 => not found
\tlibX11-xcb.so.1 => /lib/x86_64-linux-gnu/libX11-xcb.so.1 (0x00007f2c1a9e0000)
\tlibxcb-cursor.so.0 => not found
\tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007f2c1a600000)
"""
LDD_COMPLETE = """\
\tlinux-vdso.so.1 (0x00007ffd0a5f3000)
\tlibxcb-cursor.so.0 => /lib/x86_64-linux-gnu/libxcb-cursor.so.0 (0x00007f2c1aa00000)
\tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007f2c1a600000)
"""


@pytest.fixture
def plugin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A stand-in libqxcb.so, so the check does not depend on PyQt6 being installed."""
    path = tmp_path / "libqxcb.so"
    path.write_bytes(b"")
    monkeypatch.setattr(environment, "xcb_plugin", lambda: path)
    return path


def test_not_found_lines_name_each_missing_library_once() -> None:
    assert environment.unresolved_libraries(LDD_MISSING) == [
        "libxcb-cursor.so.0",
        "libxkbcommon-x11.so.0",
    ]
    assert environment.unresolved_libraries(LDD_COMPLETE) == []
    assert environment.unresolved_libraries("") == []


def test_missing_xcb_libraries_skip_on_a_developer_machine_and_fail_in_ci(plugin: Path) -> None:
    asked: list[Path] = []

    def fake_ldd(library: Path) -> str:
        asked.append(library)
        return LDD_MISSING

    problem = environment.xcb_libraries_problem(fake_ldd)
    assert asked == [plugin]
    assert problem is not None
    assert "libxcb-cursor.so.0, libxkbcommon-x11.so.0" in problem
    assert environment.verdict(problem, ci=False) == "skip"
    assert environment.verdict(problem, ci=True) == "fail"


def test_a_complete_plugin_or_no_ldd_lets_the_test_run(plugin: Path) -> None:
    assert environment.xcb_libraries_problem(lambda _: LDD_COMPLETE) is None
    # Without ldd nothing is known yet: the start-up probe on the display decides.
    assert environment.xcb_libraries_problem(lambda _: None) is None
    assert environment.verdict(None, ci=True) is None
    assert environment.verdict(None, ci=False) is None


def test_no_plugin_at_all_is_a_problem(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(environment, "xcb_plugin", lambda: None)
    problem = environment.xcb_libraries_problem(lambda _: LDD_COMPLETE)
    assert problem is not None and "libqxcb.so" in problem


def test_the_requirements_list_names_the_missing_xcb_libraries(
    plugin: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Every tool and library present, as on the machine of the report; only ldd complains.
    monkeypatch.setattr(shutil, "which", lambda name: f"/usr/bin/{name}")
    monkeypatch.setattr(environment.ctypes.util, "find_library", lambda name: f"lib{name}.so")
    monkeypatch.setattr(environment.importlib.util, "find_spec", lambda name: object())
    missing = environment.missing_requirements(lambda _: LDD_MISSING)
    assert len(missing) == 1 and "libxkbcommon-x11.so.0" in missing[0]
    assert environment.missing_requirements(lambda _: LDD_COMPLETE) == []


def test_the_start_probe_reports_qts_own_words(monkeypatch: pytest.MonkeyPatch) -> None:
    # A stand-in interpreter that fails the way Qt does without its xcb libraries.
    said = (
        "qt.qpa.plugin: From 6.5.0, xcb-cursor0 or libxcb-cursor0 is needed\n"
        'qt.qpa.plugin: Could not load the Qt platform plugin "xcb" in "" even though '
        "it was found.\nThis application failed to start.\n"
    )
    monkeypatch.setattr(environment, "PROBE", f"import sys; sys.stderr.write({said!r}); exit(134)")
    problem = environment.xcb_start_problem(":99", timeout=60)
    assert problem is not None
    assert "exit 134" in problem and 'Could not load the Qt platform plugin "xcb"' in problem
    monkeypatch.setattr(environment, "PROBE", "pass")
    assert environment.xcb_start_problem(":99", timeout=60) is None


def test_a_hanging_probe_is_a_problem_too(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(environment, "PROBE", "import time; time.sleep(30)")
    problem = environment.xcb_start_problem(":99", timeout=0.5)
    assert problem is not None and "did not start" in problem
