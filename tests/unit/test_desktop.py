"""The desktop launcher: `python app.py` serves on a free loopback port and shows the app."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_no_display_falls_back_to_the_system_browser(tmp_path: Path) -> None:
    """With no GUI backend, `app.py` with no command opens the browser on the served URL."""
    opened = tmp_path / "opened-url.txt"
    browser = tmp_path / "browser.sh"
    browser.write_text(f'#!/bin/sh\necho "$1" > "{opened}"\n')
    browser.chmod(browser.stat().st_mode | stat.S_IEXEC)
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env["BROWSER"] = str(browser)  # the stdlib webbrowser module honours $BROWSER
    log = tmp_path / "app-output.txt"
    with log.open("w") as output:
        proc = subprocess.Popen(
            [sys.executable, "app.py", "--data-dir", str(tmp_path / "data")],
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 60
        while not (opened.exists() and opened.read_text().strip()):
            assert proc.poll() is None, log.read_text()
            assert time.monotonic() < deadline, "the browser was never opened"
            time.sleep(0.1)
        url = opened.read_text().strip()
        assert url.startswith("http://127.0.0.1:")
        with urllib.request.urlopen(url + "api/health", timeout=10) as response:
            assert response.status == 200
        # First run: every page leads to the one-time setup page.
        with urllib.request.urlopen(url, timeout=10) as response:
            assert response.url.endswith("/setup")
        assert (tmp_path / "data" / "tillbook.db").exists()
        assert (tmp_path / "data" / "logs" / "tillbook.log").exists()
    finally:
        proc.terminate()
        proc.wait(timeout=20)
