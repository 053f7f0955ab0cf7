"""The Windows build, read on Linux: app.spec's EXE arguments, the Windows requirements, build.ps1.

app.spec is executed with stand-ins for PyInstaller's spec globals (Analysis, PYZ, EXE) and
its hooks, with `sys.platform` set to the platform under test, so the arguments PyInstaller
would receive on Windows are checked without Windows or a build.
"""

from __future__ import annotations

import re
import sys
import types
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]


class Recorder:
    """A stand-in for a spec global: remembers the arguments of every call."""

    def __init__(self) -> None:
        self.calls: list[tuple[tuple[Any, ...], dict[str, Any]]] = []

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        self.calls.append((args, kwargs))
        return types.SimpleNamespace(pure=[], scripts=[], binaries=[], datas=[])


def exe_arguments(platform: str, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """Execute app.spec as PyInstaller would on `platform`; return the EXE keyword arguments."""
    hooks = types.ModuleType("PyInstaller.utils.hooks")
    hooks.collect_data_files = lambda *_a, **_k: []  # type: ignore[attr-defined]
    hooks.collect_dynamic_libs = lambda *_a, **_k: []  # type: ignore[attr-defined]
    hooks.collect_submodules = lambda *_a, **_k: []  # type: ignore[attr-defined]
    versioninfo = types.ModuleType("PyInstaller.utils.win32.versioninfo")
    for name in (
        "FixedFileInfo",
        "StringFileInfo",
        "StringStruct",
        "StringTable",
        "VarFileInfo",
        "VarStruct",
        "VSVersionInfo",
    ):
        setattr(versioninfo, name, Recorder())  # the real module needs pefile (Windows only)
    monkeypatch.setitem(sys.modules, "PyInstaller.utils.hooks", hooks)
    monkeypatch.setitem(sys.modules, "PyInstaller.utils.win32.versioninfo", versioninfo)
    monkeypatch.setattr(sys, "platform", platform)
    exe = Recorder()
    spec_globals = {
        "__name__": "__main__",
        "SPECPATH": str(ROOT),
        "Analysis": Recorder(),
        "PYZ": Recorder(),
        "EXE": exe,
    }
    source = (ROOT / "app.spec").read_text(encoding="utf-8")
    exec(compile(source, "app.spec", "exec"), spec_globals)  # noqa: S102 (our own spec)
    assert len(exe.calls) == 1
    return exe.calls[0][1]


def test_windows_exe_is_a_console_program_that_hides_a_console_of_its_own(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    exe = exe_arguments("win32", monkeypatch)
    # Console: `TillBook.exe check` prints in cmd; hide-early: a double-click shows no console.
    assert exe["console"] is True
    assert exe["hide_console"] == "hide-early"
    assert exe["name"] == "TillBook"
    assert exe["icon"].endswith("tillbook.ico")
    assert exe["version"] is not None


def test_linux_exe_is_unchanged_a_console_program(monkeypatch: pytest.MonkeyPatch) -> None:
    exe = exe_arguments("linux", monkeypatch)
    assert exe["console"] is True
    assert exe["hide_console"] is None  # PyInstaller ignores it off Windows, with a warning
    assert exe["icon"] is None and exe["version"] is None


REQUIREMENT = re.compile(r"^([A-Za-z0-9_.-]+)==([0-9][0-9A-Za-z.]*)(\s*;[^#]+)?\s+#\s*\S")


def test_windows_requirements_are_pinned_and_explained() -> None:
    lines = (ROOT / "requirements-windows.txt").read_text(encoding="utf-8").splitlines()
    requirements = [line for line in lines if line.strip() and not line.startswith("#")]
    assert all(ord(char) < 128 for char in "".join(lines)), "pip decodes it with the locale"
    pins = {}
    for line in requirements:
        match = REQUIREMENT.match(line)
        assert match, f"not pinned with == and a comment: {line!r}"
        pins[match.group(1).lower().replace("_", "-")] = match.group(2)
    assert {
        "pythonnet",
        "clr-loader",
        "proxy-tools",
        "bottle",
        "pyinstaller-hooks-contrib",
        "pywin32",
        "pefile",
        "pywin32-ctypes",
    } <= set(pins)
    clr_loader = tuple(int(part) for part in pins["clr-loader"].split(".")[:3])
    assert clr_loader >= (0, 2, 6), "older clr_loader fails in non-ASCII user folders"


def test_build_script_installs_windows_requirements_and_runs_the_selftest() -> None:
    script = (ROOT / "build.ps1").read_text(encoding="utf-8")
    assert "'-r', 'requirements-windows.txt'" in script
    assert re.search(r"& \$Exe @\('selftest', '--data-dir'", script)
    assert "$LASTEXITCODE" in script
    assert "-WindowStyle Hidden" not in script
    workflow = (ROOT / ".github" / "workflows" / "build.yml").read_text(encoding="utf-8")
    assert "./build.ps1" in workflow
