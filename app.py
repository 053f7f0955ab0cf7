"""TillBook entry point: `python app.py` opens the till; `python app.py --help` lists commands."""

import multiprocessing
import os
import sys
from typing import Any


def _fix_windowed_streams() -> None:
    """Windowed (console-less) builds have no stdout/stderr; give them a sink."""
    for name in ("stdout", "stderr"):
        if getattr(sys, name) is None:
            setattr(sys, name, open(os.devnull, "w", encoding="utf-8"))  # noqa: SIM115


def _is_console(stream: Any) -> bool:
    """Tell whether a stream writes to a console (a terminal), not to a file or a pipe."""
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError, OSError):
        return False


def reconfigure_streams(streams: tuple[Any, ...] | None = None) -> None:
    """Make stdout/stderr unable to crash on a character their encoding lacks.

    Python 3.11 on Windows writes to a console in UTF-16 through the console API (the
    encoding reads "utf-8"), but to a file or pipe in the ANSI code page (cp1252), where
    `₹` or a Devanagari user folder in a message raised UnicodeEncodeError and killed
    `TillBook.exe backup > log.txt`. A console keeps its encoding; a redirected stream
    becomes UTF-8. Either way a character that still cannot be written becomes "?".
    """
    for stream in streams if streams is not None else (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is None:  # not a TextIOWrapper (a test runner's capture): leave it
            continue
        if _is_console(stream):
            reconfigure(errors="replace")
        else:
            reconfigure(encoding="utf-8", errors="replace")


if __name__ == "__main__":
    _fix_windowed_streams()
    reconfigure_streams()
    multiprocessing.freeze_support()
    from posapp.cli import main

    main()
