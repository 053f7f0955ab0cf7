"""ESC/POS receipts (posapp/documents/escpos_receipt.py, posapp/services/receipt_printer.py).

The bytes come from python-escpos's own Dummy printer; the network tests send them to a real
TCP server on 127.0.0.1, as a thermal printer on port 9100 would receive them.
"""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from posapp.documents import escpos_receipt
from posapp.errors import DomainError, ValidationError
from posapp.extensions import db
from posapp.models import AuditLog, Invoice, User
from posapp.models.base import utcnow, write_transaction
from posapp.services import drawer, receipt_printer, returns
from posapp.services.receipt_printer import PrinterConfig, PrinterError, PrinterNotConfigured
from posapp.services.settings import load_settings, save_settings
from tests.factories import make_customer, make_product
from tests.printer_server import PrinterServer, closed_port
from tests.services.test_invoice_pdf import TOM, a_sale, registered_shop, sell

pytestmark = pytest.mark.one_backend("the printer's bytes")

INIT = b"\x1b@"
KICK = b"\x1bp\x00\x32\x32"  # ESC p, pin 2, 2 x 50 ms on/off: python-escpos's cashdraw(2)
CUT = b"\x1dV"
QR_STORE = b"\x1d(k"


def configure(**values: object) -> None:
    with write_transaction(db.session):
        save_settings(db.session, **values)
    db.session.expire_all()


def settings():  # type: ignore[no-untyped-def]
    db.session.expire_all()
    return load_settings(db.session)


def text_lines(job: bytes) -> list[str]:
    """The printed text lines, with the ESC/POS command sequences the receipt uses taken out."""
    commands = rb"\x1b@|\x1bp...|\x1bd.|\x1dV.|\x1b[!EatM\-{].|\x1d[!Bb].|\x1d\(k(..)"
    plain = b""
    position = 0
    for match in re.finditer(commands, job, re.DOTALL):
        plain += job[position : match.start()]
        position = match.end()
        if match.group(1):  # GS ( k pL pH: skip the 2D code's parameter bytes too
            position += match.group(1)[0] + 256 * match.group(1)[1]
    plain += job[position:]
    return plain.decode("cp437", "replace").split("\n")


def drawer_audits(action: str) -> list[AuditLog]:
    return list(db.session.scalars(select(AuditLog).where(AuditLog.action == action)))


@pytest.fixture
def sale(admin: User) -> Invoice:
    registered_shop(receipt_footer="Thank you, visit again")
    return a_sale(admin)  # UPI 50 + cash 500: change is due


def test_the_receipt_has_header_lines_taxes_payments_footer_qr_and_a_cut(sale: Invoice) -> None:
    job = escpos_receipt.receipt_job(sale, settings(), columns=48)
    assert job.startswith(INIT)
    assert KICK not in job  # no drawer unless asked
    lines = text_lines(job)
    text = "\n".join(lines)
    assert "Sharma & Sons <General Store>" in " ".join(lines[:3])  # double width: 24 a line
    for expected in (
        "GSTIN 29ABCDE1234F1ZW",
        "TAX INVOICE",
        sale.number,
        TOM,  # printed as typed: a printer has no HTML to inject into
        "Sona Masoori Rice",
        "1.250 kg x 62.50",
        "Paid by UPI",
        "Paid by Cash",
        "Cash tendered",
        "Thank you, visit again",
    ):
        assert expected in text, expected
    assert "DUPLICATE" not in text
    assert any(re.fullmatch(r"TOTAL +INR 211\.13", line) for line in lines), lines
    assert any(re.fullmatch(r"Change +338\.87", line) for line in lines)
    # 135.00 at 5 % incl.: half = 13500 × 500 / 21000 = 321.43 -> 321, taxable 135.00 − 6.42
    assert any(re.fullmatch(r"5% +128\.58 +3\.21 +3\.21", line) for line in lines)  # CGST/SGST
    number = sale.number.encode()
    # GS ( k pL pH 1 P 0 <data>: store the invoice number in the printer's QR symbol.
    assert QR_STORE + bytes([len(number) + 3, 0]) + b"1P0" + number in job
    assert job.endswith(CUT + b"\x00")  # GS V 0: full cut, last


@pytest.mark.parametrize("width,columns", [(58, 32), (80, 48)])
def test_lines_fit_the_paper(sale: Invoice, width: int, columns: int) -> None:
    configure(receipt_width_mm=width)
    config = PrinterConfig.from_settings(settings())
    assert config.columns == columns
    job = escpos_receipt.receipt_job(sale, settings(), columns=config.columns)
    lines = text_lines(job)
    assert "-" * columns in lines
    assert max(len(line) for line in lines) <= columns


def test_a_reprint_is_marked_duplicate_and_a_void_invoice_void(sale: Invoice, admin: User) -> None:
    text = "\n".join(text_lines(escpos_receipt.receipt_job(sale, settings(), duplicate=True)))
    assert "*** DUPLICATE ***" in text
    returns.void_invoice(db.session, sale.id, {"reason": "wrong customer"}, admin)
    void = db.session.get(Invoice, sale.id)
    assert void is not None
    assert "*** VOID ***" in "\n".join(text_lines(escpos_receipt.receipt_job(void, settings())))


def test_the_drawer_kick_comes_first_when_asked(sale: Invoice) -> None:
    job = escpos_receipt.receipt_job(sale, settings(), open_drawer=True)
    assert job.startswith(INIT + KICK)
    assert job.count(KICK) == 1
    assert receipt_printer.drawer_kick() == KICK


def test_a_credit_sale_prints_what_is_owed(admin: User) -> None:
    customer = make_customer(db.session, admin, name="Asha", credit_limit="500.00")
    item = make_product(db.session, name="Ghee", price="80.00")
    invoice = sell(
        admin,
        {"product_id": item.id, "quantity": 1},
        customer_id=customer.id,
        payments=[{"method": "credit", "amount": "80.00"}],
    )
    lines = text_lines(escpos_receipt.receipt_job(invoice, settings(), columns=32))
    assert any(re.fullmatch(r"Customer +Asha", line) for line in lines)
    assert any(re.fullmatch(r"On credit +80\.00", line) for line in lines)


def network(port: int, **extra: object) -> None:
    configure(printer_kind="network", printer_host="127.0.0.1", printer_port=port, **extra)


def test_a_network_printer_receives_the_receipt_bytes(sale: Invoice, admin: User) -> None:
    with PrinterServer() as printer:
        network(printer.port)
        outcome = drawer.print_invoice_receipt(
            db.session, sale, settings(), admin, render=escpos_receipt.receipt_job, duplicate=True
        )
        received = printer.job()
    assert (outcome.printed, outcome.drawer) == (True, False)
    assert received == escpos_receipt.receipt_job(sale, settings(), duplicate=True, columns=48)
    assert b"*** DUPLICATE ***" in received and sale.number.encode() in received


def test_after_a_cash_sale_it_prints_and_opens_the_drawer_once(sale: Invoice, admin: User) -> None:
    with PrinterServer() as printer:
        network(printer.port, printer_auto_print=True, printer_open_drawer=True)
        first = drawer.print_invoice_receipt(
            db.session, sale, settings(), admin, render=escpos_receipt.receipt_job, after_sale=True
        )
        job = printer.job()
        # The receipt page reloaded: it prints again but the drawer stays shut.
        again = drawer.print_invoice_receipt(
            db.session, sale, settings(), admin, render=escpos_receipt.receipt_job, after_sale=True
        )
        second = printer.job()
    assert (first.printed, first.drawer) == (True, True)
    assert job.startswith(INIT + KICK) and CUT in job
    assert (again.printed, again.drawer) == (True, False)
    assert KICK not in second
    (entry,) = drawer_audits(drawer.DRAWER_SALE)
    assert entry.entity == "invoice" and entry.entity_id == sale.id and entry.user_id == admin.id


def test_without_automatic_printing_a_cash_sale_only_kicks_the_drawer(
    sale: Invoice, admin: User
) -> None:
    with PrinterServer() as printer:
        network(printer.port, printer_auto_print=False, printer_open_drawer=True)
        outcome = drawer.print_invoice_receipt(
            db.session, sale, settings(), admin, render=escpos_receipt.receipt_job, after_sale=True
        )
        assert printer.job() == KICK
    assert (outcome.printed, outcome.drawer) == (False, True)


def test_a_sale_without_cash_never_opens_the_drawer(admin: User) -> None:
    item = make_product(db.session, name="Pen", price="10.00")
    invoice = sell(
        admin, {"product_id": item.id, "quantity": 1}, payments=[{"method": "upi", "amount": 10}]
    )
    with PrinterServer() as printer:
        network(printer.port, printer_auto_print=False, printer_open_drawer=True)
        outcome = drawer.print_invoice_receipt(
            db.session,
            invoice,
            settings(),
            admin,
            render=escpos_receipt.receipt_job,
            after_sale=True,
        )
        assert printer.jobs.empty()
    assert (outcome.printed, outcome.drawer) == (False, False)


def test_an_unreachable_printer_is_a_clear_error_and_the_sale_stands(
    sale: Invoice, admin: User
) -> None:
    port = closed_port()
    network(port, printer_auto_print=True, printer_open_drawer=True)
    with pytest.raises(PrinterError) as caught:
        drawer.print_invoice_receipt(
            db.session, sale, settings(), admin, render=escpos_receipt.receipt_job, after_sale=True
        )
    assert caught.value.status == 502 and caught.value.code == "printer_error"
    assert f"network printer 127.0.0.1:{port}" in caught.value.message
    assert db.session.get(Invoice, sale.id) is not None
    assert db.session.scalar(select(func.count()).select_from(Invoice)) == 1
    assert drawer_audits(drawer.DRAWER_SALE) == []  # it did not open


def test_a_missing_usb_printer_is_a_clear_error(sale: Invoice, admin: User) -> None:
    configure(printer_kind="usb", printer_usb_vendor="04b8", printer_usb_product="0e15")
    with pytest.raises(PrinterError) as caught:
        drawer.print_invoice_receipt(
            db.session, sale, settings(), admin, render=escpos_receipt.receipt_job
        )
    assert "USB printer 04b8:0e15" in caught.value.message


def test_a_windows_printer_is_refused_on_other_systems(sale: Invoice, admin: User) -> None:
    # As if the settings came from a Windows till's backup restored here.
    configure(printer_kind="windows", printer_windows_name="EPSON TM-T82")
    with pytest.raises(PrinterError) as caught:
        drawer.print_invoice_receipt(
            db.session, sale, settings(), admin, render=escpos_receipt.receipt_job
        )
    assert "only on Windows" in caught.value.message


def test_no_printer_configured_is_a_conflict(sale: Invoice, admin: User) -> None:
    with pytest.raises(PrinterNotConfigured) as caught:
        drawer.print_invoice_receipt(
            db.session, sale, settings(), admin, render=escpos_receipt.receipt_job
        )
    assert caught.value.status == 409
    assert "Settings" in caught.value.message


def test_the_test_page_names_the_printer_and_shows_the_width(app: object) -> None:
    with PrinterServer() as printer:
        network(printer.port, receipt_width_mm=58)
        now = utcnow()
        config = receipt_printer.print_test_page(
            settings(), lambda printer: escpos_receipt.printer_test_job(settings(), printer, now)
        )
        job = printer.job()
    assert config.columns == 32
    text = "\n".join(text_lines(job))
    assert "PRINTER TEST" in text and f"127.0.0.1:{printer.port}" in text
    assert "12345678901234567890123456789012" in text
    assert KICK not in job and CUT in job


def test_no_sale_opens_the_drawer_and_audits_who_and_why(admin: User, cashier: User) -> None:
    with PrinterServer() as printer:
        network(printer.port)
        drawer.open_drawer_no_sale(
            db.session, settings(), {"reason": "change for a 500 note"}, cashier
        )
        assert printer.job() == KICK
    (entry,) = drawer_audits(drawer.DRAWER_NO_SALE)
    assert entry.user_id == cashier.id and entry.created_at is not None
    assert "change for a 500 note" in (entry.after or "")


@pytest.mark.parametrize("reason", ["", "   ", "x" * 201])
def test_no_sale_needs_a_short_reason_and_sends_nothing_without(cashier: User, reason: str) -> None:
    with PrinterServer() as printer:
        network(printer.port)
        with pytest.raises(ValidationError) as caught:
            drawer.open_drawer_no_sale(db.session, settings(), {"reason": reason}, cashier)
        assert "reason" in caught.value.fields
        assert printer.jobs.empty()
    assert drawer_audits(drawer.DRAWER_NO_SALE) == []


def test_no_sale_with_the_printer_off_is_not_logged_as_opened(cashier: User) -> None:
    network(closed_port())
    with pytest.raises(DomainError):
        drawer.open_drawer_no_sale(db.session, settings(), {"reason": "float"}, cashier)
    assert drawer_audits(drawer.DRAWER_NO_SALE) == []


GOOD_NETWORK = {"printer_kind": "network", "printer_host": "192.168.1.50", "printer_port": "9100"}


@pytest.mark.parametrize(
    "form,field",
    [
        ({"printer_kind": "bluetooth"}, "printer_kind"),
        ({**GOOD_NETWORK, "printer_host": ""}, "printer_host"),
        ({**GOOD_NETWORK, "printer_host": "bad host!"}, "printer_host"),
        ({**GOOD_NETWORK, "printer_port": "70000"}, "printer_port"),
        ({**GOOD_NETWORK, "printer_port": "²"}, "printer_port"),
        ({"printer_kind": "usb", "printer_usb_vendor": "04b8"}, "printer_usb_product"),
        (
            {"printer_kind": "usb", "printer_usb_vendor": "xyz1", "printer_usb_product": "0202"},
            "printer_usb_vendor",
        ),
        ({**GOOD_NETWORK, "printer_auto_print": "maybe"}, "printer_auto_print"),
        ({"printer_kind": "windows", "printer_windows_name": "EPSON"}, "printer_kind"),
    ],
)
def test_the_printer_form_is_checked(form: dict[str, str], field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        receipt_printer.validate_printer_form(form, platform="linux")
    assert field in caught.value.fields


def test_the_windows_printer_is_accepted_on_windows_with_a_name() -> None:
    form = {"printer_kind": "windows", "printer_windows_name": "EPSON TM-T82"}
    values = receipt_printer.validate_printer_form(form, platform="win32")
    assert values["printer_kind"] == "windows"
    assert values["printer_windows_name"] == "EPSON TM-T82"
    with pytest.raises(ValidationError) as caught:
        receipt_printer.validate_printer_form({"printer_kind": "windows"}, platform="win32")
    assert "printer_windows_name" in caught.value.fields


def test_saving_the_printer_is_audited_and_ids_are_normalised(admin: User) -> None:
    form = {"printer_kind": "usb", "printer_usb_vendor": "0x04B8", "printer_usb_product": "0202"}
    changed = receipt_printer.save_printer_settings(db.session, form, admin.id, platform="linux")
    assert changed["printer_kind"] == ("none", "usb")
    saved = settings()
    assert (saved.printer_usb_vendor, saved.printer_usb_product) == ("04b8", "0202")
    (entry,) = drawer_audits(receipt_printer.SETTINGS_ACTION)
    assert entry.user_id == admin.id


def test_every_printer_kind_but_none_has_an_opener_with_its_platform_rule() -> None:
    assert set(receipt_printer.OPENERS) == set(receipt_printer.PRINTER_KINDS) - {"none"}
    windows = receipt_printer.OPENERS["windows"]
    assert windows.supported("win32") and not windows.supported("linux")
    assert all(receipt_printer.OPENERS[kind].supported("linux") for kind in ("usb", "network"))
    assert (
        PrinterConfig(kind="network", host="10.0.0.9").describe() == "network printer 10.0.0.9:9100"
    )
    assert PrinterConfig().describe() == "no printer"
