"""Receipt printer pages: the settings form and test print, printing from the receipt and the
invoice page, and the cashier's "no sale" drawer opening — against a real TCP printer."""

from __future__ import annotations

import json
import re
import sys
import types

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from posapp.extensions import db
from posapp.models import AuditLog, Invoice, User
from posapp.models.base import write_transaction
from posapp.services import checkout
from posapp.services.settings import load_settings, save_settings
from tests.factories import make_product
from tests.printer_server import PrinterServer, closed_port
from tests.services.test_windows_printing import FakeWin32Print, SpoolerError
from tests.web.helpers import login

KICK = b"\x1bp\x00\x32\x32"


def configure(**values: object) -> None:
    with write_transaction(db.session):
        save_settings(db.session, **values)
    db.session.expire_all()


def network(port: int, **extra: object) -> None:
    configure(printer_kind="network", printer_host="127.0.0.1", printer_port=port, **extra)


def a_cash_sale(user: User) -> Invoice:
    item = make_product(db.session, name="Atta 5kg", price="240.00")
    return checkout.checkout(
        db.session,
        checkout.parse_checkout(
            {
                "items": [{"product_id": item.id, "quantity": 1}],
                "payments": [{"method": "cash", "amount": 300}],
            }
        ),
        user,
    )


def flashes(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


PRINTER_FORM = {
    "printer_kind": "network",
    "printer_host": "192.168.1.50",
    "printer_port": "9100",
    "printer_usb_vendor": "",
    "printer_usb_product": "",
    "printer_windows_name": "",
    "printer_auto_print": "1",
    "printer_open_drawer": "1",
    "printer_as_image": "1",
}


def test_the_settings_page_saves_the_printer_and_audits_it(
    client: FlaskClient, admin: User
) -> None:
    login(client, "admin")
    page = client.get("/settings/")
    assert b"Receipt printer (ESC/POS)" in page.data
    assert b"Windows printer by name" in page.data  # shown everywhere, refused off Windows
    assert b"Test print" not in page.data  # nothing to test until a printer is saved
    assert b'name="printer_as_image"' in page.data
    saved = client.post("/settings/printer", data=PRINTER_FORM)
    assert saved.status_code == 302
    settings = load_settings(db.session)
    assert (settings.printer_kind, settings.printer_host) == ("network", "192.168.1.50")
    assert settings.printer_auto_print and settings.printer_open_drawer
    assert settings.printer_as_image
    entry = db.session.scalar(select(AuditLog).where(AuditLog.action == "settings.printer"))
    assert entry is not None and json.loads(entry.after or "{}")["printer_kind"] == "network"
    assert b"Test print" in client.get("/settings/").data


def test_a_windows_printer_is_refused_here_with_a_clear_message(
    client: FlaskClient, admin: User
) -> None:
    login(client, "admin")
    form = {**PRINTER_FORM, "printer_kind": "windows", "printer_windows_name": "EPSON TM-T82"}
    response = client.post("/settings/printer", data=form)
    assert response.status_code == 422
    assert "work only when TillBook runs on Windows" in flashes(response.get_data(as_text=True))
    assert 'value="EPSON TM-T82"' in response.get_data(as_text=True)  # what was typed stays
    assert load_settings(db.session).printer_kind == "none"


def test_bad_printer_fields_write_nothing(client: FlaskClient, admin: User) -> None:
    login(client, "admin")
    response = client.post("/settings/printer", data={**PRINTER_FORM, "printer_port": "99999"})
    assert response.status_code == 422
    assert "1 to 65535" in response.get_data(as_text=True)
    assert load_settings(db.session).printer_kind == "none"
    count = db.session.scalar(
        select(func.count()).select_from(AuditLog).where(AuditLog.action == "settings.printer")
    )
    assert count == 0


def test_the_test_print_reaches_the_printer_or_says_why_not(
    client: FlaskClient, admin: User
) -> None:
    login(client, "admin")
    with PrinterServer() as printer:
        network(printer.port)
        response = client.post("/settings/printer/test", follow_redirects=True)
        assert b"PRINTER TEST" in printer.job()
    assert "Test page sent to the network printer" in flashes(response.get_data(as_text=True))

    port = closed_port()
    network(port)
    response = client.post("/settings/printer/test", follow_redirects=True)
    assert response.status_code == 200
    assert f"Could not print on the network printer 127.0.0.1:{port}" in flashes(
        response.get_data(as_text=True)
    )


def test_the_receipt_page_offers_the_printer_and_prints_after_a_sale(
    client: FlaskClient, cashier: User
) -> None:
    invoice = a_cash_sale(cashier)
    login(client, "cashier")
    assert b"escpos-print" not in client.get(f"/pos/receipt/{invoice.id}?print=1").data
    with PrinterServer() as printer:
        network(printer.port, printer_auto_print=True, printer_open_drawer=True)
        page = client.get(f"/pos/receipt/{invoice.id}?print=1").get_data(as_text=True)
        assert 'id="escpos-print"' in page and 'data-escpos-auto="1"' in page
        assert 'data-escpos-drawer="1"' in page
        answer = client.post(f"/pos/receipt/{invoice.id}/print", json={"after_sale": True})
        job = printer.job()
    assert answer.status_code == 200
    assert answer.get_json() == {
        "printed": True,
        "drawer": True,
        "message": "Receipt printed; the cash drawer opened.",
    }
    assert job.startswith(b"\x1b@" + KICK) and invoice.number.encode() in job


def test_a_printer_fault_answers_json_and_keeps_the_sale(
    client: FlaskClient, cashier: User
) -> None:
    invoice = a_cash_sale(cashier)
    login(client, "cashier")
    network(closed_port(), printer_auto_print=True)
    answer = client.post(f"/pos/receipt/{invoice.id}/print", json={"after_sale": True})
    assert answer.status_code == 502
    assert answer.get_json()["error"]["code"] == "printer_error"
    assert db.session.get(Invoice, invoice.id) is not None
    configure(printer_kind="none")
    answer = client.post(f"/pos/receipt/{invoice.id}/print", json={})
    assert answer.status_code == 409
    assert answer.get_json()["error"]["code"] == "printer_not_configured"


def test_a_cashier_cannot_print_someone_elses_invoice(
    client: FlaskClient, admin: User, cashier: User
) -> None:
    invoice = a_cash_sale(admin)
    login(client, "cashier")
    with PrinterServer() as printer:
        network(printer.port)
        answer = client.post(f"/pos/receipt/{invoice.id}/print", json={})
        assert printer.jobs.empty()
    assert answer.status_code == 403


def test_the_invoice_page_reprints_a_duplicate(client: FlaskClient, cashier: User) -> None:
    invoice = a_cash_sale(cashier)
    login(client, "cashier")
    assert b"Print on receipt printer" not in client.get(f"/invoices/{invoice.id}").data
    with PrinterServer() as printer:
        network(printer.port, printer_open_drawer=True)
        assert b"Print on receipt printer" in client.get(f"/invoices/{invoice.id}").data
        response = client.post(f"/invoices/{invoice.id}/print", follow_redirects=True)
        job = printer.job()
    assert "Receipt printed." in flashes(response.get_data(as_text=True))
    assert b"*** DUPLICATE ***" in job
    assert KICK not in job  # a reprint never opens the drawer


def test_a_cashier_opens_the_drawer_without_a_sale_with_a_reason(
    client: FlaskClient, cashier: User
) -> None:
    login(client, "cashier")
    page = client.get("/cash/").get_data(as_text=True)
    assert "none is set up" in page and "data-no-sale-form" not in page
    with PrinterServer() as printer:
        network(printer.port)
        assert "data-no-sale-form" in client.get("/cash/").get_data(as_text=True)
        refused = client.post("/cash/drawer", data={"reason": ""})
        assert refused.status_code == 422
        assert "Say why the drawer is opened" in refused.get_data(as_text=True)
        opened = client.post("/cash/drawer", data={"reason": "Change for a 2000 note"})
        assert printer.job() == KICK
        assert printer.jobs.empty()
    assert opened.status_code == 302
    (entry,) = db.session.scalars(select(AuditLog).where(AuditLog.action == "drawer.no_sale"))
    assert entry.user_id == cashier.id
    assert json.loads(entry.after or "{}") == {
        "reason": "Change for a 2000 note",
        "user": "cashier",
    }
    log_page = client.get("/cash/").get_data(as_text=True)
    assert "written to the audit log" in flashes(log_page)


def test_the_drawer_with_the_printer_off_is_an_error_not_a_500(
    client: FlaskClient, cashier: User
) -> None:
    login(client, "cashier")
    network(closed_port())
    response = client.post("/cash/drawer", data={"reason": "float check"})
    assert response.status_code == 502
    assert "Could not print on the network printer" in response.get_data(as_text=True)
    assert (
        db.session.scalar(
            select(func.count()).select_from(AuditLog).where(AuditLog.action == "drawer.no_sale")
        )
        == 0
    )


@pytest.mark.parametrize(
    "layout,label", [("a4", "A4 PDF"), ("a5", "A5 PDF"), ("receipt", "Receipt PDF")]
)
def test_the_invoice_page_names_the_pdf_layout(
    client: FlaskClient, cashier: User, layout: str, label: str
) -> None:
    # The layout the invoice was issued with, not one chosen later.
    configure(invoice_layout=layout)
    invoice = a_cash_sale(cashier)
    configure(invoice_layout="a5" if layout == "a4" else "a4")
    login(client, "cashier")
    assert label in client.get(f"/invoices/{invoice.id}").get_data(as_text=True)


def test_on_windows_the_page_offers_the_installed_printers_and_steers_usb_to_them(
    client: FlaskClient, admin: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    login(client, "admin")
    here = client.get("/settings/").get_data(as_text=True)
    assert "data-windows-printers" not in here  # not Windows: the name is typed
    assert "a USB printer with its Windows driver installed is used by name" in flashes(here)

    spooler = FakeWin32Print(["Microsoft Print to PDF", "EPSON TM-T82 Receipt"])
    monkeypatch.setitem(sys.modules, "win32print", spooler)
    monkeypatch.setitem(sys.modules, "pywintypes", types.SimpleNamespace(error=SpoolerError))
    monkeypatch.setattr(sys, "platform", "win32")
    page = client.get("/settings/").get_data(as_text=True)
    listed = re.search(r'<datalist id="windows-printers"[^>]*>(.*?)</datalist>', page, re.S)
    assert listed is not None
    assert re.findall(r'<option value="([^"]+)">', listed.group(1)) == [
        "EPSON TM-T82 Receipt",
        "Microsoft Print to PDF",
    ]
    assert re.search(r'id="f-printer_windows_name"[^>]*list="windows-printers"', page)
    assert spooler.calls == [("EnumPrinters", 0x2 | 0x4, None, 1)]
