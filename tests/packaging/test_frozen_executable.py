"""The frozen executable: app.spec builds, and the binary serves, sells, prints and keeps data.

Slow (builds with PyInstaller, ~1 min on 2 cores): run with `pytest -m packaging -s` to see the
measured binary size and start-up time. Only the standard library talks to the binary.
"""

from __future__ import annotations

import io
import json
import os
import queue
import re
import shutil
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader

pytestmark = [
    pytest.mark.packaging,
    # The binary is built and driven here on Linux; on Windows build.ps1 runs the built
    # TillBook.exe's own `selftest` (window, PDF, printers, UNC backup, check).
    pytest.mark.skipif(not sys.platform.startswith("linux"), reason="console build on Linux"),
]

ROOT = Path(__file__).resolve().parents[2]
EXE_NAME = "TillBook.exe" if os.name == "nt" else "TillBook"
BUILD_TIMEOUT = 15 * 60
START_TIMEOUT = 60
SERVING = re.compile(r"TillBook is serving at (http://127\.0\.0\.1:\d+/)")
PASSWORD = "frozen-till-9"


def tail(text: str | bytes | None, lines: int = 60) -> str:
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return "\n".join((text or "").splitlines()[-lines:])


@pytest.fixture(scope="module")
def frozen_exe(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Build app.spec into a temp dir, exactly as build.ps1 does (plus the temp paths)."""
    work = tmp_path_factory.mktemp("pyinstaller")
    command = [
        sys.executable,
        "-m",
        "PyInstaller",
        "--noconfirm",
        "--clean",
        "--distpath",
        str(work / "dist"),
        "--workpath",
        str(work / "build"),
        "app.spec",
    ]
    started = time.monotonic()
    try:
        build = subprocess.run(
            command,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=BUILD_TIMEOUT,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        pytest.fail(f"PyInstaller ran over {BUILD_TIMEOUT} s:\n{tail(exc.stderr)}")
    if build.returncode != 0:
        pytest.fail(f"PyInstaller failed ({build.returncode}):\n{tail(build.stderr)}")
    exe = work / "dist" / EXE_NAME
    assert exe.is_file(), tail(build.stderr)
    print(
        f"\n[packaging] built {exe.name} in {time.monotonic() - started:.0f} s, "
        f"{exe.stat().st_size / 1_000_000:.1f} MB"
    )
    return exe


def frozen_env(tmp: Path) -> dict[str, str]:
    """The binary's environment: its own temp dir (to inspect the unpacked bundle), no
    data-dir or database overrides leaking in from the developer's shell."""
    env = {k: v for k, v in os.environ.items() if k not in ("TILLBOOK_DATA_DIR", "DATABASE_URL")}
    runtime = tmp / "runtime-tmp"
    runtime.mkdir(exist_ok=True)
    env.update(TMPDIR=str(runtime), TEMP=str(runtime), TMP=str(runtime))
    return env


class Http:
    """A minimal JSON client over urllib (the binary is tested with the stdlib only)."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.token: str | None = None

    def call(
        self, method: str, path: str, body: dict[str, Any] | None = None
    ) -> tuple[int, str, bytes]:
        """Return (status, content type, body); errors are answers too."""
        headers = {"Accept": "application/json"}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        request = urllib.request.Request(
            self.base + path.lstrip("/"), data=data, method=method, headers=headers
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, response.headers.get_content_type(), response.read()
        except urllib.error.HTTPError as exc:
            with exc:
                return exc.code, exc.headers.get_content_type(), exc.read()

    def json(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        status, _, raw = self.call(method, path, body)
        return status, json.loads(raw)


class FrozenServer:
    """`TillBook --data-dir D serve --port 0`, with its URL read from its first line.

    With `data_dir` None the binary finds its data dir itself (portable folder, user dir).
    """

    def __init__(self, exe: Path, data_dir: Path | None, env: dict[str, str], log: Path) -> None:
        self.started = time.monotonic()
        self._stderr = log.open("ab")
        chosen = ["--data-dir", str(data_dir)] if data_dir is not None else []
        self.proc = subprocess.Popen(
            [str(exe), *chosen, "serve", "--port", "0"],
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            stdin=subprocess.DEVNULL,
            env=env,
            text=True,
        )
        self._lines: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._pump, daemon=True).start()
        self.url = self._read_url(log)
        self.http = Http(self.url)
        self.first_200_seconds = self._wait_healthy()

    def _pump(self) -> None:
        """Keep reading stdout so the pipe never fills and blocks the server."""
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self._lines.put(line)
        self._lines.put(None)

    def _read_url(self, log: Path) -> str:
        deadline = time.monotonic() + START_TIMEOUT
        seen: list[str] = []
        while time.monotonic() < deadline:
            try:
                line = self._lines.get(timeout=max(0.05, deadline - time.monotonic()))
            except queue.Empty:
                break
            if line is None:
                break
            seen.append(line)
            if match := SERVING.search(line):
                return match.group(1)
        self.stop()
        pytest.fail(
            f"no 'serving at' line within {START_TIMEOUT} s; stdout: {seen!r}; "
            f"stderr:\n{tail(log.read_text(errors='replace'))}"
        )

    def _wait_healthy(self) -> float:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            try:
                status, _, _ = self.http.call("GET", "/api/health")
                if status == 200:
                    return time.monotonic() - self.started
            except OSError:
                pass
            time.sleep(0.05)
        self.stop()
        pytest.fail("/api/health never answered 200")

    def stop(self) -> None:
        """Terminate (the bootloader passes the signal on to the app) and wait for the exit."""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        if self.proc.stdout is not None:
            self.proc.stdout.close()
        self._stderr.close()


@pytest.fixture
def serve(frozen_exe: Path, tmp_path: Path) -> Iterator[Any]:
    """Start servers on demand; every one still running at the end is stopped."""
    servers: list[FrozenServer] = []
    env = frozen_env(tmp_path)

    def start(data_dir: Path) -> FrozenServer:
        server = FrozenServer(frozen_exe, data_dir, env, tmp_path / "server-stderr.log")
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


def unpacked_bundles(tmp_path: Path) -> list[Path]:
    return sorted((tmp_path / "runtime-tmp").glob("_MEI*"))


def embedded_font_names(pdf: bytes) -> set[str]:
    names: set[str] = set()
    for page in PdfReader(io.BytesIO(pdf)).pages:
        for ref in page["/Resources"].get_object().get("/Font", {}).values():
            font = ref.get_object()
            descriptor = font.get("/FontDescriptor")
            if descriptor is not None and "/FontFile2" in descriptor.get_object():
                names.add(str(font["/BaseFont"]).lstrip("/").split("+")[-1])
    return names


def test_first_start_serves_health_pages_and_static_files(
    frozen_exe: Path, serve: Any, tmp_path: Path, record_property: Any
) -> None:
    size_mb = frozen_exe.stat().st_size / 1_000_000
    server = serve(tmp_path / "fresh-data")
    record_property("binary_size_mb", round(size_mb, 1))
    record_property("start_to_first_200_s", round(server.first_200_seconds, 2))
    print(
        f"\n[packaging] {frozen_exe.name}: {size_mb:.1f} MB; process start to first HTTP 200 "
        f"of /api/health (fresh data dir, migrations included): {server.first_200_seconds:.2f} s"
    )

    status, health = server.http.json("GET", "/api/health")
    assert status == 200
    assert health["status"] == "ok"

    # Templates are bundled: the first-run page renders (no user exists yet).
    status, content_type, page = server.http.call("GET", "/setup")
    assert (status, content_type) == (200, "text/html")
    html = page.decode()
    assert "<html" in html.lower()
    # ... and static files too: every stylesheet the page links to is served.
    stylesheets = re.findall(r'<link[^>]+href="(/static/[^"]+\.css)[^"]*"', html)
    assert stylesheets, "the setup page links no stylesheet"
    for href in stylesheets:
        status, content_type, css = server.http.call("GET", href)
        assert (status, content_type) == (200, "text/css"), href
        assert css.strip()

    assert (tmp_path / "fresh-data" / "logs" / "tillbook.log").is_file()
    bundle = unpacked_bundles(tmp_path)
    assert len(bundle) == 1, "the onefile bundle unpacks into the given temp dir"
    assert not list(bundle[0].rglob("__pycache__")), "nothing is written into the bundle"


def test_user_sale_pdf_and_data_survive_a_restart(
    frozen_exe: Path, serve: Any, tmp_path: Path, record_property: Any
) -> None:
    data = tmp_path / "shop-data"
    env = frozen_env(tmp_path)
    create_user = ["create-user", "owner", "--role", "admin", "--password-stdin"]
    created = subprocess.run(
        [str(frozen_exe), "--data-dir", str(data), *create_user],
        input=PASSWORD + "\n",
        capture_output=True,
        text=True,
        env=env,
        timeout=START_TIMEOUT,
        check=False,
    )
    assert created.returncode == 0, created.stdout + created.stderr
    assert "owner" in created.stdout

    server = serve(data)
    status, login = server.http.json(
        "POST", "/api/auth/login", {"username": "owner", "password": PASSWORD}
    )
    assert status == 200, login
    server.http.token = login["token"]

    status, dal = server.http.json(
        "POST",
        "/api/products",
        {"name": "Toor Dal", "price": "45.00", "tax_rate": "5", "opening_stock": "10"},
    )
    assert status == 201, dal
    # A lakh-sized price: en_IN grouping below needs Babel's locale data in the bundle.
    status, saree = server.http.json(
        "POST",
        "/api/products",
        {"name": "Silk Saree", "price": "125000.00", "tax_rate": "12", "opening_stock": "1"},
    )
    assert status == 201, saree
    status, invoice = server.http.json(
        "POST",
        "/api/invoice/create",
        {"items": [{"product_id": dal["id"], "quantity": 1}, {"product_id": saree["id"]}]},
    )
    assert status == 201, invoice
    assert invoice["total"] == "125045.00"

    # Customers: phonenumbers loads its per-country metadata lazily, by module name; a
    # bundle without it would refuse every phone. Fuzzy search needs rapidfuzz's C parts.
    status, customer = server.http.json(
        "POST", "/api/customers", {"name": "Ramesh Iyer", "phone": "098765 43210"}
    )
    assert status == 201, customer
    assert customer["phone"] == "+919876543210"
    status, found = server.http.json("GET", "/api/customers?q=Rmaesh")
    assert status == 200 and [c["id"] for c in found["items"]] == [customer["id"]], found

    started = time.monotonic()
    status, content_type, pdf = server.http.call("GET", f"/api/invoice/{invoice['id']}/pdf")
    record_property("frozen_pdf_seconds", round(time.monotonic() - started, 3))
    assert (status, content_type) == (200, "application/pdf")
    assert pdf.startswith(b"%PDF")
    assert {"DejaVuSans", "DejaVuSans-Bold"} <= embedded_font_names(pdf)
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert invoice["number"] in text
    assert "₹1,25,045.00" in text

    assert (data / "logs" / "tillbook.log").is_file()
    assert (data / "tillbook.db").is_file()
    server.stop()
    assert not unpacked_bundles(tmp_path), "the unpacked bundle is removed on exit"

    again = serve(data)
    record_property("restart_to_first_200_s", round(again.first_200_seconds, 2))
    print(
        f"\n[packaging] start to first 200: {server.first_200_seconds:.2f} s (existing data dir), "
        f"{again.first_200_seconds:.2f} s (restart)"
    )
    again.http.token = login["token"]
    status, same = again.http.json("GET", f"/api/invoice/{invoice['number']}")
    assert status == 200, same
    assert same["id"] == invoice["id"] and same["total"] == invoice["total"]
    again.stop()

    # Nothing was written next to the executable: the data dir holds everything.
    assert sorted(p.name for p in frozen_exe.parent.iterdir()) == [EXE_NAME]


def test_portable_data_folder_next_to_the_executable_wins(frozen_exe: Path, tmp_path: Path) -> None:
    """A `TillBook-data` folder beside the exe (a USB stick) holds the data, not the user dir."""
    stick = tmp_path / "usb-stick"
    stick.mkdir()
    exe = stick / EXE_NAME
    shutil.copy2(frozen_exe, exe)
    (stick / "TillBook-data").mkdir()
    env = frozen_env(tmp_path)
    home = tmp_path / "home"  # where a per-user data dir would go, were it used
    env.update(HOME=str(home), XDG_DATA_HOME=str(home / ".local" / "share"))
    # No --data-dir: the folder beside the exe wins over the per-user dir.
    server = FrozenServer(exe, None, env, tmp_path / "portable-stderr.log")
    try:
        assert (stick / "TillBook-data" / "tillbook.db").is_file()
        assert (stick / "TillBook-data" / "logs" / "tillbook.log").is_file()
        assert not home.exists(), "nothing was written to the per-user data dir"
    finally:
        server.stop()
    assert server.proc.returncode == 0, "SIGTERM stops the frozen server cleanly"
    assert not (stick / "TillBook-data" / "tillbook.db-wal").exists()


def test_selftest_of_the_frozen_binary_passes_with_the_window_skipped(
    frozen_exe: Path, tmp_path: Path
) -> None:
    """What build.ps1 runs on Windows: the PDF helper (a spawned copy of the binary), the
    printer modules, a backup and the check, from inside the bundle."""
    data = tmp_path / "selftest-data"
    result = subprocess.run(
        [str(frozen_exe), "selftest", "--data-dir", str(data)],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        env=frozen_env(tmp_path),
        timeout=START_TIMEOUT * 3,
        check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    lines = result.stdout.splitlines()
    assert "selftest: window: skipped: not Windows (add --window to open one here)" in lines
    for step in ("pdf", "shaping", "printer", "raster", "backup", "check", "https"):
        assert any(line.startswith(f"selftest: {step}: ok") for line in lines), output
    assert lines[-1] == "selftest: passed"
    assert (data / "logs" / "cli.log").is_file()
    assert not unpacked_bundles(tmp_path), "the helper process and the binary cleaned up"
