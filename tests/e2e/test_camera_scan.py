"""Scanning with a camera: chromium's fake camera plays a clip of an EAN-13 or of a GS1 Digital
Link QR code; the till reads it with the vendored ZXing reader and adds the product through
the scan field's own path. Each clip needs its own chromium (the file is a launch flag).

Decode times (frame to code, performance.now() in the page) are written to
test-artifacts/camera-decode-times.json for the report; nothing here asserts a speed."""

from __future__ import annotations

import io
import json
import statistics
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from playwright.sync_api import expect

from posapp.documents.qr import qr_png
from posapp.extensions import db
from tests.e2e.camera_video import ean13_card, qr_card, qr_card_from, write_y4m
from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS, log_in
from tests.factories import make_product, make_user

pytestmark = pytest.mark.e2e

SIZES = {"laptop": {"width": 1366, "height": 768}, "phone": {"width": 390, "height": 844}}
TEA = "8901234567890"
BISCUITS = "8901719101014"
# Batch AB12, expired at the end of January 2025 (day 00 = the month's last day).
DIGITAL_LINK = f"https://id.gs1.org/01/0{BISCUITS}/10/AB12?17=250100"
READS = 20  # decodes to measure per code type


def shop(live_server: Any) -> None:
    with live_server.app.app_context():
        make_user(db.session, "cash1", "cashier")
        make_product(db.session, name="Red Label Tea 250 g", price="140.00", code=TEA)
        make_product(db.session, name="Parle-G Biscuits", price="10.00", code=BISCUITS)


def fake_camera(clip: Path) -> list[str]:
    """Chromium's flags for a camera that plays `clip`, allowed without asking."""
    return [
        "--use-fake-ui-for-media-stream",
        "--use-fake-device-for-media-stream",
        f"--use-file-for-fake-video-capture={clip}",
    ]


@contextmanager
def camera_page(
    browser: Any, live_server: Any, flags: list[str], size: str, base_url: str | None = None
) -> Iterator[Any]:
    """A page in a chromium launched with `flags`; fails on JS errors, loads from anywhere but
    the server, and anything the CSP blocked, like the `page` fixture."""
    chromium = browser.browser_type.launch(
        executable_path=str(CHROMIUM), args=[*CHROMIUM_ARGS, *flags]
    )
    base_url = base_url or live_server.url
    context = chromium.new_context(base_url=base_url, viewport=SIZES[size], color_scheme="light")
    context.set_default_timeout(15_000)
    tab = context.new_page()
    problems: list[str] = []
    tab.on("pageerror", lambda error: problems.append(f"JS error: {error}"))
    tab.on(
        "console",
        lambda m: problems.append(m.text) if "Content Security Policy" in m.text else None,
    )
    tab.on(
        "request",
        lambda r: (
            None
            if r.url.startswith((base_url, "data:", "blob:"))
            else problems.append(f"remote load: {r.url}")
        ),
    )
    try:
        yield tab
    finally:
        context.close()
        chromium.close()
    assert not problems, problems


def start_camera(page: Any) -> None:
    """Count every decode (the till's own event), then open the camera with its key."""
    page.evaluate(
        "() => { window.cameraReads = []; document.addEventListener("
        "'tillbook:camera-read', (e) => window.cameraReads.push(e.detail)); }"
    )
    expect(page.locator("#scan")).to_be_focused()
    page.keyboard.press("F3")
    expect(page.locator("#camera-panel")).to_be_visible()


def measure(page: Any, artifacts: Path, name: str) -> dict[str, Any]:
    """Wait for READS decodes and record their times (frame to code) for the report."""
    page.wait_for_function(f"() => window.cameraReads.length >= {READS}", timeout=60_000)
    reads = page.evaluate("() => window.cameraReads")
    times = [read["ms"] for read in reads]
    result = {
        "code": name,
        "decoder": reads[0]["decoder"],
        "barcode_detector_in_browser": page.evaluate("() => 'BarcodeDetector' in window"),
        "reads": len(times),
        "p50_ms": round(statistics.median(times), 1),
        "min_ms": round(min(times), 1),
        "max_ms": round(max(times), 1),
        "added": sum(1 for read in reads if read["added"]),
    }
    out = artifacts / "camera-decode-times.json"
    known = json.loads(out.read_text("utf-8")) if out.exists() else {}
    known[name] = result
    out.write_text(json.dumps(known, indent=2), "utf-8")
    return result


def test_an_ean13_in_front_of_the_camera_adds_the_product_once(
    browser: Any, live_server: Any, artifacts: Path, tmp_path: Path
) -> None:
    shop(live_server)
    clip = write_y4m(tmp_path / "ean13.y4m", ean13_card(TEA))
    with camera_page(browser, live_server, fake_camera(clip), "laptop") as page:
        log_in(page, "cash1")
        start_camera(page)
        row = page.locator("#cart-body tr", has_text="Red Label Tea 250 g")
        expect(row).to_have_count(1)
        expect(row.locator(".qty-input")).to_have_value("1")
        expect(page.locator("#camera-status")).to_have_text(f"Read {TEA}")
        result = measure(page, artifacts, "EAN-13")
        # The pack stayed in view the whole time: every later read of it was the same pack.
        expect(row.locator(".qty-input")).to_have_value("1")
        assert result["added"] == 1 and result["decoder"] in ("ZXing", "BarcodeDetector")
        page.screenshot(path=str(artifacts / "camera-ean13-laptop.png"))
        # Closing the preview gives the camera back and the scan field its focus.
        page.keyboard.press("F3")
        expect(page.locator("#camera-panel")).to_be_hidden()
        assert page.evaluate("() => document.getElementById('camera-video').srcObject") is None
        expect(page.locator("#scan")).to_be_focused()


def test_tillbooks_own_product_qr_keeps_scanning(
    browser: Any, live_server: Any, tmp_path: Path
) -> None:
    shop(live_server)
    with live_server.app.app_context():
        # No barcode of its own: TillBook gives it an internal EAN-13 and prints it in a QR.
        made = make_product(db.session, name="Loose Masala Mix", price="25.00")
        code = made.code
    card = Image.open(io.BytesIO(qr_png(code)))
    clip = write_y4m(tmp_path / "label.y4m", qr_card_from(card))
    with camera_page(browser, live_server, fake_camera(clip), "laptop") as page:
        log_in(page, "cash1")
        start_camera(page)
        row = page.locator("#cart-body tr", has_text="Loose Masala Mix")
        expect(row).to_have_count(1)
        expect(row.locator(".item-code")).to_have_text(code)
        expect(row.locator(".item-note")).not_to_contain_text("batch")


@pytest.mark.parametrize("size", list(SIZES))
def test_a_digital_link_qr_adds_the_product_with_batch_expiry_and_a_warning(
    browser: Any, live_server: Any, artifacts: Path, tmp_path: Path, size: str
) -> None:
    shop(live_server)
    clip = write_y4m(tmp_path / "link.y4m", qr_card(DIGITAL_LINK))
    with camera_page(browser, live_server, fake_camera(clip), size) as page:
        log_in(page, "cash1")
        start_camera(page)
        row = page.locator("#cart-body tr", has_text="Parle-G Biscuits")
        expect(row).to_have_count(1)
        expect(row.locator(".qty-input")).to_have_value("1")
        expect(row.locator(".item-note")).to_contain_text("batch AB12")
        expect(row.locator(".item-note")).to_contain_text("expires 31-01-2025")
        warning = row.locator(".item-warn")
        expect(warning).to_be_visible()
        expect(warning).to_have_text("⚠ Expired batch AB12 (expired on 31-01-2025): check the pack")
        # A warning, not a block: the cashier carries on and sells.
        if size == "laptop":
            result = measure(page, artifacts, "GS1 Digital Link QR")
            assert result["added"] == 1
        page.screenshot(path=str(artifacts / f"camera-digital-link-{size}.png"))
        width = page.evaluate("() => document.documentElement.scrollWidth")
        assert width <= SIZES[size]["width"], "the till scrolls sideways"
        page.keyboard.press("F3")
        page.keyboard.press("F10")
        page.keyboard.press("Enter")
        page.wait_for_url("**/pos/receipt/**")
        expect(page.get_by_text("Parle-G Biscuits").first).to_be_visible()


def test_a_refused_camera_says_so_and_the_till_carries_on(
    browser: Any, live_server: Any, tmp_path: Path
) -> None:
    shop(live_server)
    clip = write_y4m(tmp_path / "ean13.y4m", ean13_card(TEA))
    # A camera, but no "allow" answered for the page: the browser refuses it.
    flags = ["--use-fake-device-for-media-stream", f"--use-file-for-fake-video-capture={clip}"]
    with camera_page(browser, live_server, flags, "laptop") as page:
        log_in(page, "cash1")
        page.keyboard.press("F3")
        status = page.locator("#camera-status")
        expect(status).to_contain_text("The camera was not allowed.")
        expect(status).to_contain_text("site settings")
        page.keyboard.press("F3")
        expect(page.locator("#camera-panel")).to_be_hidden()
        page.keyboard.type(TEA)
        page.keyboard.press("Enter")
        expect(page.locator("#cart-body tr", has_text="Red Label Tea 250 g")).to_have_count(1)


def test_an_insecure_address_says_where_the_camera_works(
    browser: Any, live_server: Any, artifacts: Path
) -> None:
    shop(live_server)
    # The till opened by a LAN name over plain http: not a secure context, no camera.
    live_server.app.config["ALLOWED_HOSTS"] = [*live_server.app.config["ALLOWED_HOSTS"], "till.lan"]
    port = live_server.url.rsplit(":", 1)[1]
    flags = ["--host-resolver-rules=MAP till.lan 127.0.0.1", "--use-fake-ui-for-media-stream"]
    lan = f"http://till.lan:{port}"
    with camera_page(browser, live_server, flags, "phone", base_url=lan) as page:
        log_in(page, "cash1")
        assert page.evaluate("() => window.isSecureContext") is False
        page.locator("#camera-toggle").click()
        expect(page.locator("#camera-status")).to_have_text(
            "The camera needs a secure address: open the till as https://… (the shop's HTTPS "
            "address; its steps and certificate are on the page /network/trust) or, on this "
            f"computer, as http://127.0.0.1:{port}/pos/."
        )
        page.screenshot(path=str(artifacts / "camera-insecure-phone.png"))


# Debian's chromium has no BarcodeDetector (it is built only where the platform offers one:
# macOS, Android, ChromeOS). Where it exists the till uses it if it reads every format the till
# needs; these stand-ins of the browser's API check that choice, the camera and the page real.
DETECTOR = """
window.BarcodeDetector = class {
  static async getSupportedFormats() { return %s; }
  constructor(options) { this.formats = options.formats; }
  async detect(video) { return video.videoWidth ? [{ rawValue: "%s", format: "ean_13" }] : []; }
};
"""


@pytest.mark.parametrize(
    ("supported", "decoder"),
    [
        (
            '["aztec", "code_128", "ean_13", "ean_8", "qr_code", "upc_a", "upc_e"]',
            "BarcodeDetector",
        ),
        ('["ean_13", "ean_8", "qr_code", "upc_a"]', "ZXing"),  # no Code 128: not enough
    ],
)
def test_the_browsers_barcode_detector_is_used_when_it_reads_every_format(
    browser: Any, live_server: Any, tmp_path: Path, supported: str, decoder: str
) -> None:
    shop(live_server)
    clip = write_y4m(tmp_path / "ean13.y4m", ean13_card(TEA))
    with camera_page(browser, live_server, fake_camera(clip), "laptop") as page:
        page.context.add_init_script(DETECTOR % (supported, TEA))
        log_in(page, "cash1")
        start_camera(page)
        expect(page.locator("#cart-body tr", has_text="Red Label Tea 250 g")).to_have_count(1)
        expect(page.locator("#camera-panel")).to_have_attribute("data-decoder", decoder)


def test_a_gs1_element_string_typed_like_a_scanner_shows_batch_and_expiry(
    page: Any, live_server: Any
) -> None:
    # A scanner set to send GS1-128 the human way types this and Enter: the same lookup.
    shop(live_server)
    page.set_viewport_size(SIZES["laptop"])
    log_in(page, "cash1")
    page.keyboard.type(f"(01)0{TEA}(17)491200(10)L-7")
    page.keyboard.press("Enter")
    row = page.locator("#cart-body tr", has_text="Red Label Tea 250 g")
    expect(row.locator(".item-note")).to_have_text("batch L-7 · expires 31-12-2049")
    expect(row.locator(".item-warn")).to_be_hidden()
    # A misread check digit is refused with what is wrong, and the bill keeps its line.
    page.keyboard.type("(01)08901234567891")
    page.keyboard.press("Enter")
    expect(page.locator("#scan-alert")).to_contain_text("the check digit is wrong")
    expect(page.locator("#cart-body tr")).to_have_count(1)
