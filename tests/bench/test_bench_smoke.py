"""Smoke run of the benchmarks: a tiny seeded shop passes `check`, and run.py prints every row.

No figure is checked (speed is not a test); this only proves the scripts still work against
the current app: the seed writes what the models and `app.py check` expect, and every section
of the run gets its answers from the real server.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.bench

ROWS = [
    "server start (source) to first HTTP 200",
    "day's first backup done",
    "till page: HTML + ",
    "scan lookup",
    "name search keystroke",
    "add-to-cart price preview",
    "checkout 3 lines, 1 client",
    "checkout 3 lines, 4 clients",
    "checkout 3 lines, 8 clients",
    "customer phone lookup",
    "server RSS after the till work",
    "dashboard stats",
    *(
        f"report {name}, 1 month / 1 year"
        for name in [
            "sales-by-day",
            "sales-by-month",
            "sales-by-product",
            "sales-by-category",
            "sales-by-cashier",
            "sales-by-method",
            "profit-and-loss",
            "tax-by-rate",
        ]
    ),
    "GSTR-1 page / ZIP / GSTR-3B, last month",
    "invoice PDF, 50 lines",
    "label sheet PDF, 240 labels",
    "CSV import of 200 products",
    "backup of the whole database",
    "server RSS after the run",
    "frozen executable start to first HTTP 200",
    "raw sqlite3, the same sale's writes",
]


def test_seed_a_tiny_shop_then_run_every_section(tmp_path: Path) -> None:
    shop = tmp_path / "shop"
    seeded = subprocess.run(
        [sys.executable, "bench/seed.py", str(shop), "--small", "--products", "300",
         "--customers", "60", "--lines", "1500", "--days", "20", "--check"],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert seeded.returncode == 0, seeded.stdout + seeded.stderr
    assert "OK: no problems found." in seeded.stdout
    before = (shop / "tillbook.db").stat().st_mtime_ns

    ran = subprocess.run(
        [sys.executable, "bench/run.py", str(shop), "--small", "--n", "5",
         "--import-rows", "200"],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert ran.returncode == 0, ran.stdout + ran.stderr
    table = ran.stdout[ran.stdout.index("| what") :].splitlines()
    labels = [line.split("|")[1].strip() for line in table[2:] if line.startswith("|")]
    assert len(labels) == len(ROWS)
    for label, expected in zip(labels, ROWS, strict=True):
        assert label.startswith(expected), (label, expected)
    # The run works on a copy: the seeded shop itself is never changed.
    assert (shop / "tillbook.db").stat().st_mtime_ns == before
