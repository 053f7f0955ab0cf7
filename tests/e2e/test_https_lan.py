"""HTTPS on the LAN serves the till to a second browser: a secure context, so the camera works.

The shop computer's "LAN address" is 127.0.0.2 and its name `till.shop.test` (an allowed host
name, so it is in the certificate); chromium resolves that name to 127.0.0.2. Chromium treats
every 127/8 address itself as trustworthy, so only the name shows what a tablet meets: over
http it is not a secure context (the browser blocks the camera), over https it is.

The second browser trusts the shop CA's key alone (`--ignore-certificate-errors-spki-list`,
which chromium honours only with a profile folder of its own, as Playwright gives it), not
every certificate as `ignore_https_errors` would. That switch skips chromium's whole check
for chains holding that key, names included; that the certificate names the right addresses
is proven with real name checks in tests/services/test_tls.py and test_https_listener.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from posapp.extensions import db
from posapp.https_server import HttpsServer
from posapp.lan_https import start_https, stop_https
from posapp.services import tls
from posapp.services.settings import save_settings
from posapp.serving import Server
from tests.conftest import LiveServer
from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS
from tests.factories import PASSWORD, make_product, make_user

pytestmark = pytest.mark.e2e

LAN = "127.0.0.2"
NAME = "till.shop.test"
SHOTS = Path("/tmp/h20-https")
SECURE = "() => ({secure: window.isSecureContext, media: !!navigator.mediaDevices})"


@pytest.fixture
def lan(live_server: LiveServer) -> Iterator[tuple[HttpsServer, Server]]:
    """The app's HTTPS listener and a plain http one, both on the "LAN address"."""
    app = live_server.app
    with app.app_context():
        # Settings > allowed host names; the real LAN address is allowed while shared, and
        # 127.0.0.2 stands in for it here.
        save_settings(db.session, allowed_hosts=f"{NAME}, {LAN}")
        db.session.commit()
        make_user(db.session, "cash1", "cashier")
        db.session.remove()
    https = start_https(app, LAN, 0, echo=lambda _text: None)
    assert https is not None
    plain = Server(app, host=LAN, port=0)
    plain.start()
    yield https, plain
    plain.stop()
    stop_https(app)


@pytest.fixture
def tablet(browser: Any, lan: tuple[HttpsServer, Server], live_server: LiveServer) -> Iterator[Any]:
    """A second chromium, as a tablet would be after trusting the shop's CA.

    Launched from the session's Playwright (the `browser` fixture): a second sync_playwright()
    in the same thread refuses to start while that one runs.
    """
    ca = tls.ca_certificate(Path(live_server.app.config["DATA_DIR"]))
    assert ca is not None
    args = [
        *CHROMIUM_ARGS,
        f"--ignore-certificate-errors-spki-list={tls.spki_sha256(ca)}",
        f"--host-resolver-rules=MAP {NAME} {LAN}",
    ]
    tablet_browser = browser.browser_type.launch(executable_path=str(CHROMIUM), args=args)
    yield tablet_browser
    tablet_browser.close()


def test_https_on_the_lan_serves_the_till_to_a_second_browser(
    lan: tuple[HttpsServer, Server], tablet: Any, live_server: LiveServer
) -> None:
    https, _plain = lan
    with live_server.app.app_context():
        product = make_product(db.session, name="Parle-G 100g", price="10.00")
        code = product.code
    assert code and NAME in https.adapter.material.names
    SHOTS.mkdir(parents=True, exist_ok=True)

    for url, viewport, shot in (
        (f"https://{NAME}:{https.port}", {"width": 1366, "height": 768}, "till-https-1366.png"),
        (f"https://{LAN}:{https.port}", {"width": 390, "height": 844}, "till-https-390.png"),
    ):
        context = tablet.new_context(base_url=url, viewport=viewport, color_scheme="light")
        context.set_default_timeout(15_000)
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda error, errors=errors: errors.append(str(error)))
        page.goto("/login")
        assert page.url.startswith("https://")  # no certificate warning page in between
        page.fill("#f-username", "cash1")
        page.fill("#f-password", PASSWORD)
        page.keyboard.press("Enter")
        page.wait_for_url("**/pos/")
        scan = page.locator("#scan")
        expect(scan).to_be_focused()
        scan.press_sequentially(code)
        scan.press("Enter")
        rows = page.locator("#cart-body tr")
        expect(rows).to_have_count(1)
        expect(rows.first).to_contain_text("Parle-G 100g")
        expect(page.locator("#total-amount")).to_have_text("₹10.00")
        assert page.evaluate(SECURE) == {"secure": True, "media": True}
        cookies = {c["name"]: c for c in context.cookies()}
        assert cookies["__Host-session"]["secure"]
        page.screenshot(path=str(SHOTS / shot))
        assert errors == []
        context.close()


def test_plain_http_by_name_is_no_secure_context_so_the_camera_is_blocked(
    lan: tuple[HttpsServer, Server], tablet: Any
) -> None:
    _https, plain = lan
    context = tablet.new_context(viewport={"width": 1366, "height": 768})
    page = context.new_page()
    page.goto(f"http://{NAME}:{plain.port}/login")
    expect(page.locator("#f-username")).to_be_visible()
    # No secure context: browsers hide navigator.mediaDevices, so no page can ask for the camera.
    assert page.evaluate(SECURE) == {"secure": False, "media": False}
    page.goto(f"http://{NAME}:{plain.port}/network/trust")
    expect(page.locator("[data-ca-fingerprint]")).to_be_visible()
    page.screenshot(path=str(SHOTS / "trust-page-1366.png"), full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    expect(page.locator("[data-ca-crt]")).to_be_visible()
    page.screenshot(path=str(SHOTS / "trust-page-390.png"), full_page=True)
    context.close()


@pytest.mark.parametrize("width", [1366, 390])
def test_the_owner_finds_the_https_address_and_the_fingerprint(
    lan: tuple[HttpsServer, Server], page: Any, live_server: LiveServer, width: int
) -> None:
    https, plain = lan
    app = live_server.app
    with app.app_context():
        save_settings(db.session, lan_sharing=True)
        db.session.commit()
        make_user(db.session, "owner", "admin")
    # What the launcher sets when it shares (the real LAN address there, 127.0.0.2 here).
    app.config["LAN_URL"] = f"http://{LAN}:{plain.port}/"
    app.config["LAN_HTTPS_URL"] = f"https://{LAN}:{https.port}/"
    page.set_viewport_size({"width": width, "height": 768 if width > 400 else 844})
    page.goto("/login")
    page.fill("#f-username", "owner")
    page.fill("#f-password", PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url("**/pos/")
    page.goto("/network/")
    card = page.locator("[data-https-card]")
    expect(card.locator("[data-https-url]")).to_have_text(f"https://{LAN}:{https.port}/")
    ca = tls.ca_info(Path(app.config["DATA_DIR"]))
    assert ca is not None
    expect(card.locator("[data-ca-fingerprint]")).to_have_text(ca.fingerprint)
    assert page.evaluate("document.querySelector('[data-https-qr]').naturalWidth") > 100
    expect(page.locator("#f-lan_https_port")).to_have_value("8443")
    card.scroll_into_view_if_needed()
    page.screenshot(path=str(SHOTS / f"network-page-{width}.png"), full_page=True)
