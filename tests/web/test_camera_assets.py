"""The camera's barcode reader: vendored with its licence, served as WebAssembly whatever the
Windows registry says, allowed to compile by the page's CSP, and the till's camera controls."""

from __future__ import annotations

import hashlib
import mimetypes
import re
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from posapp import selftest

ROOT = Path(__file__).resolve().parents[2]
VENDOR = ROOT / "static" / "vendor" / "zxing-wasm-3.1.4"
WASM = "vendor/zxing-wasm-3.1.4/reader/zxing_reader.wasm"


def test_the_reader_is_vendored_pinned_and_licensed() -> None:
    for name in ("LICENSE", "es/reader/index.js", "es/share.js", "reader/zxing_reader.wasm"):
        assert (VENDOR / name).is_file(), name
    # The module pins the digest of its own .wasm: the shipped file is that one.
    module = (VENDOR / "es" / "reader" / "index.js").read_text("utf-8")
    pinned = re.search(r'"([0-9a-f]{64})"', module)
    assert pinned is not None
    digest = hashlib.sha256((VENDOR / "reader" / "zxing_reader.wasm").read_bytes()).hexdigest()
    assert digest == pinned.group(1)
    readme = (ROOT / "static" / "vendor" / "README.md").read_text("utf-8")
    assert "zxing-wasm-3.1.4/" in readme and digest in readme
    # The camera tells the reader where its .wasm is: never the package's default CDN.
    camera = (ROOT / "static" / "js" / "pos" / "camera.js").read_text("utf-8")
    assert "locateFile" in camera


def test_the_wasm_is_served_as_webassembly(client: FlaskClient) -> None:
    answer = client.get(f"/static/{WASM}")
    assert answer.status_code == 200 and answer.mimetype == "application/wasm"
    assert answer.data[:4] == b"\0asm"
    answer.close()


def test_a_registry_without_wasm_does_not_change_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Windows: mimetypes reads HKEY_CLASSES_ROOT, which may lack .wasm or name it otherwise.
    mimetypes.init()
    monkeypatch.setitem(mimetypes.types_map, ".wasm", "application/octet-stream")
    app = selftest.fresh_app(tmp_path / "d")
    with app.test_client() as client:
        answer = client.get(f"/static/{WASM}")
        answer.close()
        assert answer.mimetype == "application/wasm"
    assert WASM in selftest.check_static_types(app)
    monkeypatch.setitem(mimetypes.types_map, ".wasm", "application/octet-stream")
    with pytest.raises(selftest.Failed, match=r"zxing_reader\.wasm is served as application/octet"):
        selftest.check_static_types(app)


def test_the_csp_lets_webassembly_compile_and_nothing_else_new(client: FlaskClient) -> None:
    csp = client.get("/login").headers["Content-Security-Policy"]
    script = csp.split("script-src")[1].split(";")[0].split()
    assert "'wasm-unsafe-eval'" in script and "'unsafe-inline'" not in script
    assert "connect-src 'self'" in csp and "default-src 'self'" in csp


def test_the_till_has_the_camera_button_and_panel(client: FlaskClient, cashier) -> None:  # type: ignore[no-untyped-def]
    from tests.factories import PASSWORD

    client.post("/login", data={"username": cashier.username, "password": PASSWORD})
    page = client.get("/pos/").get_data(as_text=True)
    assert 'id="camera-toggle"' in page and 'aria-controls="camera-panel"' in page
    assert 'id="camera-panel"' in page and 'id="camera-video"' in page
    assert "<kbd>F3</kbd> camera" in page
