"""Smoke run of bench/hq.py: 2 shops of 400 sales and a catch-up of 400, on PostgreSQL.

No figure is checked (speed is not a test); this proves the script still works against the
current HQ: its templates come from a real shop's outbox, HQ takes every push, and the script's
own count of HQ's invoices (each once) holds. Skipped unless TILLBOOK_TEST_POSTGRESQL_URL is set.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests import databases

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [
    pytest.mark.bench,
    pytest.mark.skipif(
        not os.environ.get(databases.BACKEND_ENV["postgresql"]),
        reason="HQ runs on PostgreSQL: set TILLBOOK_TEST_POSTGRESQL_URL",
    ),
]


def test_a_tiny_hq_bench_runs_and_hq_holds_every_invoice_once() -> None:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    ran = subprocess.run(
        [sys.executable, "bench/hq.py", "--shops", "2", "--invoices", "400",
         "--catch-up", "400", "--threads", "4"],
        cwd=ROOT, capture_output=True, text=True, timeout=600, env=env,
    )  # fmt: skip
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert "invoices/s" in ran.stdout
    assert "caught up in" in ran.stdout
    assert "each once" in ran.stdout
