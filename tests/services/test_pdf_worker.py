"""The PDF helper process: PDFs leave the server's process, it stops when idle, survives a kill."""

from __future__ import annotations

import multiprocessing
import subprocess
import sys
import time
from pathlib import Path

import pytest

from posapp.documents import pdf, pdf_worker

HTML = (
    "<html><head><style>"
    '@font-face { font-family: DejaVu; src: url("static:vendor/dejavu/DejaVuSans.ttf"); }'
    "body { font-family: DejaVu; }</style></head><body><p>Rice 1 kg ₹ 60.00</p></body></html>"
)


def _wait_until(check, seconds: float = 20.0) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.05)
    return False


@pytest.mark.process
def test_the_server_never_loads_the_pdf_engine_itself(tmp_path: Path) -> None:
    # xhtml2pdf holds the GIL for the whole rendering and keeps ~40 MB once loaded: the server
    # starts without it and hands every PDF to the helper process.
    probe = (
        "import sys\n"
        "from posapp import create_app\n"
        "from posapp.documents.pdf import html_to_pdf\n"
        f"app = create_app({{'DATA_DIR': {str(tmp_path)!r}}})\n"
        "started = sorted({'xhtml2pdf', 'pypdf', 'svglib'} & set(sys.modules))\n"
        f"pdf = html_to_pdf({HTML!r}, 'a test')\n"
        "print(started, pdf[:5], sorted({'xhtml2pdf', 'pypdf'} & set(sys.modules)))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=120
    )
    assert done.stdout.strip().splitlines()[-1] == "[] b'%PDF-' []", done.stdout + done.stderr


def test_the_helper_stops_when_idle_and_a_killed_one_is_replaced() -> None:
    worker = pdf_worker.Worker(idle_seconds=0.3)
    before = set(multiprocessing.active_children())
    pdf, failed, warnings = worker.render(HTML)
    assert pdf.startswith(b"%PDF-") and not failed and warnings == 0
    (helper,) = set(multiprocessing.active_children()) - before
    helper.kill()  # as the OS would under memory pressure
    helper.join(10)
    again, failed, _ = worker.render(HTML)  # a new helper, no error for the shop
    assert again.startswith(b"%PDF-") and not failed
    assert _wait_until(lambda: not worker.running)
    assert _wait_until(lambda: not set(multiprocessing.active_children()) - before)


def test_rendering_in_the_helper_equals_rendering_here() -> None:
    worker = pdf_worker.Worker()
    try:
        there = worker.render(HTML)
    finally:
        worker.stop()
    assert not worker.running
    here = pdf_worker.render(HTML)
    # The same document; only the creation time and the file id differ.
    assert there[1:] == here[1:] == (False, 0)
    assert abs(len(there[0]) - len(here[0])) < 64


def test_a_pdf_caller_waits_a_bounded_time_then_gets_a_503(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A PDF not made within PDF_WAIT_SECONDS is a PdfBusy (503, "try again"); its slot and
    the helper are free for the next PDF."""
    worker = pdf_worker.Worker(idle_seconds=0.3)
    monkeypatch.setattr(pdf_worker, "worker", worker)
    monkeypatch.setattr(pdf, "PDF_WAIT_SECONDS", 0.0)  # the helper cannot even start in 0 s
    try:
        with pytest.raises(pdf.PdfBusy) as caught:
            pdf.html_to_pdf(HTML, "a test")
        assert caught.value.status == 503 and "try this one again" in caught.value.message
        monkeypatch.setattr(pdf, "PDF_WAIT_SECONDS", 120.0)
        assert pdf.html_to_pdf(HTML, "a test").startswith(b"%PDF-")
    finally:
        worker.stop()
