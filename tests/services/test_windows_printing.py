"""Receipt printers on Windows, tested here with pywin32 and libusb faked.

win32print and pywintypes are sys.modules stand-ins (and python-escpos's Win32Raw is pointed at
them); the tests assert what TillBook hands to the spooler and what the owner is told.
"""

from __future__ import annotations

import errno
import sys
import types
from collections.abc import Iterator
from typing import Any

import pytest
import usb.core
from sqlalchemy import select

from posapp.extensions import db
from posapp.models import AuditLog, Invoice, User
from posapp.models.base import write_transaction
from posapp.services import drawer, receipt_printer
from posapp.services.receipt_printer import PrinterConfig, PrinterError
from posapp.services.settings import load_settings, save_settings
from tests.services.test_invoice_pdf import a_sale, registered_shop

PRINTER = "EPSON TM-T82 Receipt"
HANDLE = "printer-handle"


class SpoolerError(Exception):
    """Like pywintypes.error: (winerror, funcname, strerror), and not an OSError."""

    def __init__(self, winerror: int, funcname: str, strerror: str) -> None:
        super().__init__(winerror, funcname, strerror)
        self.winerror, self.funcname, self.strerror = winerror, funcname, strerror


class FakeWin32Print:
    """The win32print calls python-escpos and TillBook make, recorded; `fail` makes one raise."""

    PRINTER_ENUM_NAME = 0x8

    def __init__(self, printers: list[str]) -> None:
        self.printers = printers
        self.calls: list[tuple[Any, ...]] = []
        self.fail: dict[str, SpoolerError] = {}

    def _call(self, name: str, *args: Any) -> None:
        self.calls.append((name, *args))
        if name in self.fail:
            raise self.fail[name]

    def EnumPrinters(self, flags: int, name: str | None, level: int) -> Any:
        self._call("EnumPrinters", flags, name, level)
        if level == 1:
            return [(0x800000, f"{p},EPSON driver,", p, "") for p in self.printers]
        return [{"pPrinterName": p, "pServerName": None, "Attributes": 0} for p in self.printers]

    def OpenPrinter(self, name: str) -> str:
        self._call("OpenPrinter", name)
        return HANDLE

    def StartDocPrinter(self, handle: str, level: int, info: tuple[str, ...]) -> int:
        self._call("StartDocPrinter", handle, level, info)
        return 7

    def StartPagePrinter(self, handle: str) -> None:
        self._call("StartPagePrinter", handle)

    def WritePrinter(self, handle: str, data: bytes) -> int:
        self._call("WritePrinter", handle, data)
        return len(data)

    def EndPagePrinter(self, handle: str) -> None:
        self._call("EndPagePrinter", handle)

    def EndDocPrinter(self, handle: str) -> None:
        self._call("EndDocPrinter", handle)

    def AbortPrinter(self, handle: str) -> None:
        self._call("AbortPrinter", handle)

    def ClosePrinter(self, handle: str) -> None:
        self._call("ClosePrinter", handle)

    def names(self) -> list[str]:
        return [call[0] for call in self.calls if call[0] != "EnumPrinters"]


@pytest.fixture
def spooler(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeWin32Print]:
    """Windows with pywin32 and two printers: the stand-ins, and python-escpos pointed at them."""
    fake = FakeWin32Print([PRINTER, "Microsoft Print to PDF"])
    pywintypes = types.SimpleNamespace(error=SpoolerError)
    monkeypatch.setitem(sys.modules, "win32print", fake)
    monkeypatch.setitem(sys.modules, "pywintypes", pywintypes)
    receipt_printer._escpos()
    import escpos.printer.win32raw as win32raw

    # python-escpos imported pywin32 (or failed to) when it was first imported.
    monkeypatch.setattr(win32raw, "win32print", fake, raising=False)
    monkeypatch.setattr(win32raw, "pywintypes", pywintypes, raising=False)
    monkeypatch.setattr(win32raw, "_DEP_WIN32PRINT", True)
    monkeypatch.setattr(sys, "platform", "win32")
    yield fake


def configure(**values: object) -> None:
    with write_transaction(db.session):
        save_settings(db.session, **values)
    db.session.expire_all()


def settings():  # type: ignore[no-untyped-def]
    db.session.expire_all()
    return load_settings(db.session)


def audits(action: str) -> list[AuditLog]:
    return list(db.session.scalars(select(AuditLog).where(AuditLog.action == action)))


@pytest.fixture
def sale(admin: User) -> Invoice:
    registered_shop()
    return a_sale(admin)  # paid partly in cash: the drawer opens after it


def windows_printer(**extra: object) -> None:
    configure(printer_kind="windows", printer_windows_name=PRINTER, **extra)


@pytest.mark.sqlite_only("sys.platform is faked as win32, which the drivers' TLS setup reads")
def test_the_spooler_gets_one_raw_job_committed_and_closed(
    spooler: FakeWin32Print, sale: Invoice, admin: User
) -> None:
    from posapp.documents import escpos_receipt

    windows_printer(printer_auto_print=True, printer_open_drawer=True)
    outcome = drawer.print_invoice_receipt(
        db.session, sale, settings(), admin, render=escpos_receipt.receipt_job, after_sale=True
    )
    assert (outcome.printed, outcome.drawer) == (True, True)
    assert spooler.names() == [
        "OpenPrinter",
        "StartDocPrinter",
        "StartPagePrinter",
        "WritePrinter",
        "EndPagePrinter",
        "EndDocPrinter",
        "ClosePrinter",
    ]
    assert ("OpenPrinter", PRINTER) in spooler.calls
    assert ("StartDocPrinter", HANDLE, 1, ("TillBook receipt", "", "RAW")) in spooler.calls
    (written,) = [call[2] for call in spooler.calls if call[0] == "WritePrinter"]
    assert sale.number.encode() in written
    assert len(audits(drawer.DRAWER_SALE)) == 1


@pytest.mark.sqlite_only("sys.platform is faked as win32, which the drivers' TLS setup reads")
@pytest.mark.parametrize("failing", ["EndPagePrinter", "EndDocPrinter", "ClosePrinter"])
def test_a_spooler_error_when_the_job_ends_is_a_failure_and_no_drawer_is_logged(
    spooler: FakeWin32Print, sale: Invoice, admin: User, cashier: User, failing: str
) -> None:
    from posapp.documents import escpos_receipt

    spooler.fail[failing] = SpoolerError(1804, failing, "The printer is out of paper.")
    windows_printer(printer_auto_print=True, printer_open_drawer=True)
    with pytest.raises(PrinterError) as caught:
        drawer.print_invoice_receipt(
            db.session, sale, settings(), admin, render=escpos_receipt.receipt_job, after_sale=True
        )
    assert "out of paper" in caught.value.message and PRINTER in caught.value.message
    with pytest.raises(PrinterError):
        drawer.open_drawer_no_sale(db.session, settings(), {"reason": "float"}, cashier)
    assert audits(drawer.DRAWER_SALE) == []
    assert audits(drawer.DRAWER_NO_SALE) == []
    assert spooler.names().count("ClosePrinter") == 2  # the handle is closed all the same


@pytest.mark.sqlite_only("sys.platform is faked as win32, which the drivers' TLS setup reads")
def test_a_failed_write_is_a_printer_error_and_the_job_is_thrown_away(
    spooler: FakeWin32Print, cashier: User
) -> None:
    spooler.fail["WritePrinter"] = SpoolerError(6, "WritePrinter", "The handle is invalid.")
    windows_printer()
    with pytest.raises(PrinterError) as caught:
        drawer.open_drawer_no_sale(db.session, settings(), {"reason": "float"}, cashier)
    assert "The handle is invalid" in caught.value.message
    assert spooler.names()[-2:] == ["AbortPrinter", "ClosePrinter"]
    assert "EndDocPrinter" not in spooler.names()
    assert audits(drawer.DRAWER_NO_SALE) == []


def test_a_printer_windows_does_not_have_is_named(spooler: FakeWin32Print) -> None:
    config = PrinterConfig(kind="windows", windows_name="EPSON TM-T20")
    with pytest.raises(PrinterError) as caught:
        receipt_printer.send(config, b"\x1b@")
    assert "Windows has no printer named “EPSON TM-T20”" in caught.value.message
    assert "OpenPrinter" not in spooler.names()


def test_installed_printers_are_listed_on_windows_only(
    spooler: FakeWin32Print, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert receipt_printer.installed_printers() == [
        "EPSON TM-T82 Receipt",
        "Microsoft Print to PDF",
    ]
    local_and_connections = 0x2 | 0x4
    assert spooler.calls == [("EnumPrinters", local_and_connections, None, 1)]
    spooler.fail["EnumPrinters"] = SpoolerError(
        1722, "EnumPrinters", "The RPC server is unavailable."
    )
    assert receipt_printer.installed_printers() == []  # the spooler is stopped: type the name
    assert receipt_printer.installed_printers(platform="linux") == []
    monkeypatch.delitem(sys.modules, "win32print")
    monkeypatch.setattr(sys, "platform", "linux")
    assert receipt_printer.installed_printers() == []


class FakeUsbBackend:
    """Not libusb1's backend: python-escpos then skips its kernel-driver check."""


class FakeUsbContext:
    """What usb.util.dispose_resources calls when python-escpos closes the printer."""

    def dispose(self, device: object) -> None:
        pass


class FakeUsbDevice:
    """A USB printer pyusb found whose writes fail as libusb fails them on Windows."""

    def __init__(self, error: usb.core.USBError) -> None:
        self.error = error
        self.backend = FakeUsbBackend()
        self._ctx = FakeUsbContext()

    def set_configuration(self) -> None:
        raise self.error  # python-escpos only logs this one

    def reset(self) -> None:
        pass

    def write(self, endpoint: int, data: bytes, timeout: int) -> int:
        raise self.error


USB = PrinterConfig(kind="usb", usb_vendor=0x04B8, usb_product=0x0E15)
ACCESS = usb.core.USBError("Access denied (insufficient permissions)", -3, errno.EACCES)
NOT_FOUND = usb.core.USBError("Entity not found", -5, errno.ENOENT)
NOT_SUPPORTED = usb.core.USBError(
    "Operation not supported or unimplemented on this platform", -12, errno.ENOSYS
)


@pytest.mark.parametrize(
    "found,platform,expected",
    [
        (ACCESS, "win32", "Windows does not let TillBook use the USB printer 04b8:0e15"),
        (NOT_FOUND, "win32", "Windows does not let TillBook use the USB printer"),
        (NOT_SUPPORTED, "win32", "Windows does not let TillBook use the USB printer"),
        (None, "win32", "The USB printer 04b8:0e15 was not found"),
        (
            usb.core.NoBackendError("No backend available"),
            "win32",
            "cannot reach the USB printer 04b8:0e15 directly",
        ),
        (ACCESS, "linux", "udev rule"),
        (NOT_SUPPORTED, "linux", "held by another driver"),
        (
            usb.core.NoBackendError("No backend available"),
            "linux",
            "to reach the USB printer 04b8:0e15: install libusb",
        ),
    ],
)
def test_libusb_errors_tell_the_owner_what_to_do(
    monkeypatch: pytest.MonkeyPatch, found: Any, platform: str, expected: str
) -> None:
    def find(**_: Any) -> FakeUsbDevice | None:
        if isinstance(found, usb.core.NoBackendError):
            raise found
        return FakeUsbDevice(found) if found is not None else None

    receipt_printer._escpos()
    monkeypatch.setattr(usb.core, "find", find)
    monkeypatch.setattr(sys, "platform", platform)
    with pytest.raises(PrinterError) as caught:
        receipt_printer.send(USB, b"\x1b@")
    assert expected in caught.value.message
    told_to_use_the_name = "choose 'Windows printer by name'" in caught.value.message
    assert told_to_use_the_name == (platform == "win32")
