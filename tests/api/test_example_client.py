"""docs/examples/api_client.py runs against a live server: log in, create, sell, PDF."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from posapp.extensions import db
from posapp.models import Invoice, Product
from tests.conftest import LiveServer
from tests.factories import PASSWORD, make_user

pytestmark = pytest.mark.one_backend(
    "the documented example client (the API it calls is tested on each backend)"
)

SCRIPT = Path(__file__).resolve().parents[2] / "docs" / "examples" / "api_client.py"


def _run(live_server: LiveServer, out: Path, password: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "TILLBOOK_USER": "owner", "TILLBOOK_PASSWORD": password}
    return subprocess.run(
        [sys.executable, str(SCRIPT), "--base-url", live_server.url, "--out", str(out)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )


def test_the_example_client_sells_and_downloads_the_pdf(
    live_server: LiveServer, tmp_path: Path
) -> None:
    with live_server.app.app_context():
        make_user(db.session, "owner", "admin")
    out = tmp_path / "invoice.pdf"
    result = _run(live_server, out, PASSWORD)
    assert result.returncode == 0, result.stderr
    assert "logged in as owner (admin)" in result.stdout
    assert out.read_bytes().startswith(b"%PDF-")
    with live_server.app.app_context():
        product = db.session.scalar(select(Product).where(Product.name.like("Example ball pen%")))
        assert product is not None and product.stock_milli == 8000  # 10 in, 2 sold
        invoice = db.session.scalar(select(Invoice))
        assert invoice is not None and invoice.total == 9000 and invoice.status == "paid"
        assert f"invoice {invoice.number} total 90.00" in result.stdout
        db.session.remove()


def test_the_example_client_reports_the_apis_error(live_server: LiveServer, tmp_path: Path) -> None:
    with live_server.app.app_context():
        make_user(db.session, "owner", "admin")
        db.session.remove()
    result = _run(live_server, tmp_path / "x.pdf", "wrong-password")
    assert result.returncode == 1
    assert "401 invalid_credentials: Wrong username or password." in result.stderr
    assert not (tmp_path / "x.pdf").exists()
