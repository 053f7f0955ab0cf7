"""TillBook entry point: `python app.py` opens the till; `python app.py --help` lists commands."""

import multiprocessing
import os
import sys


def _fix_windowed_streams() -> None:
    """Windowed (console-less) builds have no stdout/stderr; give them a sink."""
    for name in ("stdout", "stderr"):
        if getattr(sys, name) is None:
            setattr(sys, name, open(os.devnull, "w", encoding="utf-8"))  # noqa: SIM115


if __name__ == "__main__":
    _fix_windowed_streams()
    multiprocessing.freeze_support()
    from posapp.cli import main

    main()
