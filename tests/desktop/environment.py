"""Can this machine run the desktop test? Asked before it decides to run, skip or fail.

It needs Debian's Xvfb, ImageMagick (`import`), xdotool and libX11, and pywebview's Qt backend.
Those being installed is not enough: Qt's xcb platform plugin
(`libqxcb.so`, in the PyQt6 wheel) links X libraries the wheel does not ship (libxcb-cursor0,
libxkbcommon-x11-0, ...). Without them Qt aborts with "could not load the Qt platform plugin
xcb" and the test failed instead of skipping. Two checks, cheap to dear:

- `ldd` on the plugin names the libraries the dynamic linker cannot find;
- a `QGuiApplication` started on the test's own Xvfb display, in a subprocess with a timeout,
  catches whatever else keeps the plugin from loading.
"""

from __future__ import annotations

import ctypes.util
import importlib.util
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

PROBE_SECONDS = 60.0
# Starting the application is enough: that is when Qt loads the platform plugin.
PROBE = "import sys; from PyQt6.QtGui import QGuiApplication; QGuiApplication(sys.argv)"

TOOLS = ("Xvfb", "import", "xdotool")

LddRunner = Callable[[Path], str | None]


def xcb_plugin() -> Path | None:
    """The xcb platform plugin inside the installed PyQt6, or None without one."""
    spec = importlib.util.find_spec("PyQt6")
    if spec is None or not spec.submodule_search_locations:
        return None
    for folder in spec.submodule_search_locations:
        plugin = Path(folder) / "Qt6" / "plugins" / "platforms" / "libqxcb.so"
        if plugin.exists():
            return plugin
    return None


def run_ldd(library: Path) -> str | None:
    """ldd's report on a library, or None when ldd is not there to ask (nothing is known)."""
    ldd = shutil.which("ldd")
    if ldd is None:
        return None
    done = subprocess.run(
        [ldd, str(library)], capture_output=True, text=True, timeout=30, check=False
    )
    return done.stdout + done.stderr


def unresolved_libraries(ldd_output: str) -> list[str]:
    """The libraries ldd reports as "not found" (`libxcb-cursor.so.0 => not found`)."""
    missing = []
    for line in ldd_output.splitlines():
        name, arrow, target = line.strip().partition("=>")
        if arrow and target.strip() == "not found" and name.strip() not in missing:
            missing.append(name.strip())
    return missing


def xcb_libraries_problem(ldd: LddRunner = run_ldd) -> str | None:
    """Why the xcb plugin cannot load, judged from ldd; None when nothing is seen missing."""
    plugin = xcb_plugin()
    if plugin is None:
        return "Qt's xcb platform plugin (libqxcb.so is not in PyQt6)"
    report = ldd(plugin)
    if report is None:
        return None  # no ldd: the start-up probe on the display still decides
    missing = unresolved_libraries(report)
    if missing:
        return "the libraries Qt's xcb platform plugin needs (" + ", ".join(missing) + ")"
    return None


def xcb_start_problem(display: str, timeout: float = PROBE_SECONDS) -> str | None:
    """Start a QGuiApplication on the display; the reason it could not, or None if it did."""
    env = {**os.environ, "DISPLAY": display, "QT_QPA_PLATFORM": "xcb"}
    try:
        done = subprocess.run(
            [sys.executable, "-c", PROBE],
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return f"Qt did not start on {display} within {timeout:.0f} s"
    if done.returncode == 0:
        return None
    lines = [line.strip() for line in done.stderr.splitlines() if line.strip()]
    # Qt's own log lines say why ("could not connect to display", the libraries it wants);
    # the text after them is the same for every cause.
    said = "; ".join(line for line in lines if line.startswith("qt.")) or (lines or [""])[-1]
    return f"Qt cannot open a window on {display} (exit {done.returncode}): {said}"


def missing_requirements(ldd: LddRunner = run_ldd) -> list[str]:
    """Name what this machine lacks for a real window under Xvfb ([] when nothing is seen)."""
    missing = [tool for tool in TOOLS if shutil.which(tool) is None]
    if ctypes.util.find_library("X11") is None:
        missing.append("libX11")
    if importlib.util.find_spec("PyQt6") is None or importlib.util.find_spec("qtpy") is None:
        missing.append("pywebview[qt] (PyQt6, PyQt6-WebEngine, qtpy)")
        return missing  # no plugin to look at
    problem = xcb_libraries_problem(ldd)
    if problem:
        missing.append(problem)
    return missing


def verdict(problem: str | None, ci: bool) -> str | None:
    """What the desktop test does about a problem: "fail", "skip", or None to run.

    CI must have the whole environment, so there a problem is a failure; a developer machine
    without it skips, with the reason.
    """
    if problem is None:
        return None
    return "fail" if ci else "skip"
