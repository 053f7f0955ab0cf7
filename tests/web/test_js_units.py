"""The page scripts' own tests: `node --test` on tests/js (pure modules such as lib/money.js).

Node is not a Python dependency: on a developer machine without it these skip; in CI (the
environment variable CI is set, and .ci/run installs Debian's nodejs) they fail instead.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
JS_TESTS = ROOT / "tests" / "js"
STATIC_JS = ROOT / "static" / "js"


def node() -> str:
    """The node executable (Debian also names it nodejs), or skip/fail the test without it."""
    found = shutil.which("node") or shutil.which("nodejs")
    if found is None:
        message = "node is missing: apt-get install nodejs"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return found


def test_there_are_js_tests() -> None:
    assert sorted(JS_TESTS.glob("*.test.mjs")), "tests/js holds no *.test.mjs"


def test_node_test_passes() -> None:
    # The files are named one by one: how `node --test DIR` treats a directory differs
    # between Node versions (Debian's may be older than a developer's).
    files = [str(path) for path in sorted(JS_TESTS.glob("*.test.mjs"))]
    result = subprocess.run(
        [node(), "--test", *files],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]


def test_every_page_script_parses() -> None:
    """A syntax error in a script no browser test opens would otherwise only show in a shop."""
    executable = node()
    scripts = sorted(STATIC_JS.rglob("*.js"))
    assert scripts
    broken = []
    for script in scripts:
        result = subprocess.run(
            [executable, "--check", str(script)],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        if result.returncode != 0:
            broken.append(f"{script.relative_to(ROOT)}:\n{result.stderr}")
    assert not broken, "\n".join(broken)
