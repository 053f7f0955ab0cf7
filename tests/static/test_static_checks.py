"""The linters the project holds itself to, run by the test command so CI enforces them.

ruff (lint and format) over the whole tree and mypy with the configuration in pyproject.toml
(strict for the money rules, models and services). They run as the tests run them in CI: the
tools pinned in requirements-dev.txt, from the repository root.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # fixed argument lists, our own interpreter
        [sys.executable, "-m", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "PYTHONIOENCODING": "utf-8"},
        check=False,
    )


def _tool_or_skip(module: str) -> None:
    probe = _run(module, "--version")
    if probe.returncode != 0:
        if os.environ.get("CI"):
            pytest.fail(f"{module} is not installed: {probe.stderr.strip()}")
        pytest.skip(f"{module} is not installed (pip install -r requirements-dev.txt)")


def test_ruff_lint_is_clean() -> None:
    _tool_or_skip("ruff")
    result = _run("ruff", "check", "--no-cache", ".")
    assert result.returncode == 0, result.stdout + result.stderr


def test_ruff_format_is_clean() -> None:
    _tool_or_skip("ruff")
    result = _run("ruff", "format", "--no-cache", "--check", ".")
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_is_clean() -> None:
    _tool_or_skip("mypy")
    # No cache: a stale cache from another checkout must not hide an error.
    result = _run("mypy", "--no-incremental", "--cache-dir", os.devnull)
    assert result.returncode == 0, result.stdout + result.stderr


def test_no_merge_conflict_markers_in_tracked_text() -> None:
    """A merge left unresolved (DESIGN.md once kept both sides of one) fails here, not in review."""
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=False)
    if listed.returncode != 0:
        pytest.skip("not a git checkout")
    markers = ("<<<<<<< ", ">>>>>>> ")
    found = []
    for name in listed.stdout.decode().split("\0"):
        path = ROOT / name
        if not name or not path.is_file() or path.suffix in {".png", ".ico", ".wasm", ".woff2"}:
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError):
            continue
        for number, line in enumerate(text.splitlines(), start=1):
            if line.startswith(markers) or line == "=======":
                found.append(f"{name}:{number}: {line[:40]}")
    assert not found, "unresolved merge:\n" + "\n".join(found)
