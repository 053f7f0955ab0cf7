"""An order's packing slip held in front of the till's camera opens the order: the QR is cut
from the printed 80 mm slip (its PDF rendered by pdftoppm) and played to chromium as its
camera, so the test reads exactly what the shop prints."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import zxingcpp
from PIL import Image
from playwright.sync_api import expect

from posapp.documents.order_pdf import render_order_slip
from posapp.extensions import db
from posapp.services import orders
from posapp.services.settings import load_settings
from tests.e2e.camera_video import qr_card_from, write_y4m
from tests.e2e.conftest import log_in
from tests.e2e.test_camera_scan import camera_page, fake_camera, start_camera
from tests.factories import make_product, make_user

pytestmark = pytest.mark.e2e


def slip_qr(pdf: bytes, folder: Path) -> Image.Image:
    """The QR code as printed on the slip: the page at 150 dpi, cut around the code."""
    source = folder / "slip.pdf"
    source.write_bytes(pdf)
    subprocess.run(["pdftoppm", "-png", "-r", "150", str(source), str(folder / "page")], check=True)
    page = Image.open(next(folder.glob("page*.png"))).convert("RGB")
    found = [r for r in zxingcpp.read_barcodes(page) if r.format == zxingcpp.BarcodeFormat.QRCode]
    assert len(found) == 1
    corners = found[0].position
    xs = [corners.top_left.x, corners.top_right.x, corners.bottom_left.x, corners.bottom_right.x]
    ys = [corners.top_left.y, corners.top_right.y, corners.bottom_left.y, corners.bottom_right.y]
    margin = 20
    return page.crop((min(xs) - margin, min(ys) - margin, max(xs) + margin, max(ys) + margin))


def test_the_slips_qr_in_front_of_the_tills_camera_opens_the_order(
    browser: Any, live_server: Any, tmp_path: Path
) -> None:
    with live_server.app.app_context():
        admin = make_user(db.session, "owner", "admin")
        make_user(db.session, "cash1", "cashier")
        tea = make_product(db.session, name="Masala chai", price="90.00")
        draft = orders.parse_order(
            {
                "customer": {"name": "Meena Iyer", "phone": "98111 22233"},
                "items": [{"product_id": tea.id, "quantity": "2"}],
            }
        )
        order = orders.create_order(db.session, draft, admin, "orders")
        number, order_id = order.number, order.id
        pdf = render_order_slip(order, load_settings(db.session), "80mm", orders.to_pay(order))
    clip = write_y4m(tmp_path / "slip.y4m", qr_card_from(slip_qr(pdf, tmp_path)))
    with camera_page(browser, live_server, fake_camera(clip), "laptop") as page:
        log_in(page, "cash1")
        start_camera(page)
        expect(page).to_have_url(re.compile(rf"/orders/{order_id}$"))
        expect(page.locator("h1")).to_contain_text(number)
        expect(page.locator("[data-order-status]")).to_have_text("Pending")
