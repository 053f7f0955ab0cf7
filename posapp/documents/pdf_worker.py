"""xhtml2pdf in a helper process: started on the first PDF, stopped after a minute idle.

Rendering is CPU-bound Python: in the server it held the GIL for 0.4 s (an A4 invoice) to
0.8 s (a sheet of 240 labels), and every till's scan and checkout waited behind it. In a
process of its own it runs on the other core. The engine (xhtml2pdf with pypdf, svglib,
html5lib, their crypto, and reportlab's parse of the fonts) is ~40 MB that the server would
keep for good after one PDF; the helper gives it back when it stops.

The helper is started with "spawn" on every platform (the only method on Windows, and the one
the frozen executable supports through `multiprocessing.freeze_support()` in app.py).
"""

from __future__ import annotations

import io
import logging
import multiprocessing
import threading
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from posapp.config import bundled

log = logging.getLogger(__name__)
IDLE_SECONDS = 60.0  # a run of label sheets or reprints reuses one warm helper


def _static_file(uri: str, _rel: str | None) -> str:
    """Resolve a template's `static:` URL to the bundled file (from source and frozen alike)."""
    if uri.startswith("static:"):
        return str(bundled("static", *uri.removeprefix("static:").split("/")))
    return uri


def render(html: str) -> tuple[bytes, bool, int]:
    """Render xhtml2pdf HTML in this process: the PDF, whether it failed, and its warnings.

    What the helper runs; also callable directly (the tests compare both ways).
    """
    from xhtml2pdf import pisa
    from xhtml2pdf.config.resources import ResourceAccessPolicy

    from posapp.documents import fonts

    # Before xhtml2pdf reads the @font-face rules: it keeps the shaping Devanagari faces
    # registered under its names for them (documents/fonts.py).
    fonts.install()
    out = io.BytesIO()
    # Local reads confined to the bundled static dir (fonts), nothing remote: frozen, the
    # default policy would confine reads to the working directory and silently drop the fonts.
    policy = ResourceAccessPolicy(base_dir=bundled("static").resolve(), allow_remote=False)
    result = pisa.CreatePDF(
        html, dest=out, encoding="utf-8", link_callback=_static_file, resource_policy=policy
    )
    return out.getvalue(), bool(result.err), int(result.warn)


class Worker:
    """One helper process for PDFs, shared by the server's threads (PDFs queue in it)."""

    def __init__(self, idle_seconds: float = IDLE_SECONDS) -> None:
        self.idle_seconds = idle_seconds
        self._lock = threading.Lock()
        self._pool: ProcessPoolExecutor | None = None
        self._pending = 0
        self._timer: threading.Timer | None = None

    @property
    def running(self) -> bool:
        """Tell whether a helper process is up (or being started)."""
        with self._lock:
            return self._pool is not None

    def render(self, html: str, timeout: float | None = None) -> tuple[bytes, bool, int]:
        """Render in the helper; start it if needed, and once more if it died (killed, OOM).

        Waits at most `timeout` seconds for the result, then raises TimeoutError (a job not
        yet started is dropped from the helper's queue).
        """
        try:
            return self._submit(html, timeout)
        except BrokenProcessPool:
            log.warning("the PDF helper process died; starting a new one")
            return self._submit(html, timeout)

    def _submit(self, html: str, timeout: float | None) -> tuple[bytes, bool, int]:
        with self._lock:
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
            if self._pool is None:
                context = multiprocessing.get_context("spawn")
                self._pool = ProcessPoolExecutor(max_workers=1, mp_context=context)
            pool = self._pool
            self._pending += 1
        future = None
        try:
            future = pool.submit(render, html)
            return future.result(timeout)
        except TimeoutError:
            if future is not None:
                future.cancel()  # nobody waits for it any more
            raise
        except BrokenProcessPool:
            with self._lock:
                if self._pool is pool:
                    self._pool = None  # the next PDF starts a fresh helper
            pool.shutdown(wait=False)
            raise
        finally:
            with self._lock:
                self._pending -= 1
                if self._pending == 0 and self._pool is not None:
                    self._timer = threading.Timer(self.idle_seconds, self._stop_if_idle)
                    self._timer.daemon = True
                    self._timer.start()

    def _stop_if_idle(self) -> None:
        with self._lock:
            if self._pending or self._pool is None:
                return
            pool, self._pool, self._timer = self._pool, None, None
        pool.shutdown(wait=True)

    def stop(self) -> None:
        """Stop the helper now (it is started again by the next PDF)."""
        with self._lock:
            if self._timer is not None:
                self._timer.cancel()
            pool, self._pool, self._timer = self._pool, None, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)


worker = Worker()
