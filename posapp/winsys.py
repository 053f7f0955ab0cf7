"""Calls into Windows itself (user32 through ctypes): message boxes and the like.

The shipped TillBook.exe is started from Explorer with its console hidden, so a message that
the owner must read (no WebView2, the port is taken, TillBook already runs) has to appear in a
window of its own. Every function takes the platform and the DLL as arguments so the Windows
branch runs in the tests on any OS with a stand-in DLL that records what it was handed.
"""

from __future__ import annotations

import logging
import sys
from typing import Any

log = logging.getLogger(__name__)

# MessageBoxW's uType flags (winuser.h).
MB_OK = 0x00000000
MB_ICONERROR = 0x00000010
MB_ICONWARNING = 0x00000030
MB_ICONINFORMATION = 0x00000040
MB_SETFOREGROUND = 0x00010000
MB_TOPMOST = 0x00040000
ICONS = {"error": MB_ICONERROR, "warning": MB_ICONWARNING, "info": MB_ICONINFORMATION}


def _user32() -> Any:
    import ctypes

    return ctypes.windll.user32  # type: ignore[attr-defined]


def message_box(
    title: str,
    text: str,
    kind: str = "error",
    platform: str = sys.platform,
    user32: Any = None,
) -> bool:
    """Show a modal message box on Windows and wait for OK; False (nothing shown) elsewhere.

    The box is top-most and takes the foreground: it is often the only thing a double-click
    produces, and behind other windows it would look as if TillBook did nothing.
    """
    if platform != "win32":
        return False
    flags = MB_OK | ICONS.get(kind, MB_ICONERROR) | MB_SETFOREGROUND | MB_TOPMOST
    try:
        (user32 or _user32()).MessageBoxW(None, text, title, flags)
    except (OSError, AttributeError) as exc:  # a locked-down desktop session: log, carry on
        log.warning("could not show a message box (%s): %s", exc, text)
        return False
    return True


def allow_set_foreground(pid: int, platform: str = sys.platform, user32: Any = None) -> bool:
    """Let process `pid` take the foreground; True if Windows agreed, False elsewhere.

    Windows lets only the process the user last clicked bring a window to the front; anyone
    else only makes its taskbar button flash. A second double-click is that process, so it
    hands the right on to the running TillBook before asking it to show its window.
    """
    if platform != "win32":
        return False
    try:
        return bool((user32 or _user32()).AllowSetForegroundWindow(pid))
    except (OSError, AttributeError) as exc:
        log.warning("could not pass the foreground to process %s (%s)", pid, exc)
        return False
