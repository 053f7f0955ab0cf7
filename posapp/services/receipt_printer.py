"""The ESC/POS receipt printer: its settings, its kinds (OPENERS) and sending a job to it.

python-escpos is imported only when something is sent, so the app starts (and the tests run)
on machines without a printer, without libusb and without pywin32; pywin32's modules
(win32print, pywintypes) likewise only when a Windows printer is listed or used.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import socket
import sys
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from sqlalchemy.orm import Session

from posapp.errors import DomainError, ValidationError
from posapp.i18n import LazyString, _, lazy
from posapp.services.settings import ShopSettings
from posapp.services.shop_settings import save_changes
from posapp.vocabulary import form_flag

PRINTER_KINDS = {
    "none": lazy("No receipt printer (print through the browser)"),
    "usb": lazy("USB (vendor and product id)"),
    "network": lazy("Network (IP address and port)"),
    "windows": lazy("Windows printer by name"),
}
SETTINGS_ACTION = "settings.printer"
# Characters per line in the printer's font A: 384 dots / 12 on 58 mm, 576 / 12 on 80 mm.
COLUMNS = {58: 32, 80: 48}
FONT_A_DOTS = 12  # one character of font A is 12 dots wide: a line is columns x 12 dots
# Seconds to wait for a network printer; a till must not hang on one that is switched off.
NETWORK_TIMEOUT = 5.0
USB_TIMEOUT_MS = 5000
HEX_ID = re.compile(r"(?:0x)?([0-9a-fA-F]{4})")
HOST = re.compile(r"[A-Za-z0-9]([A-Za-z0-9.-]{0,251}[A-Za-z0-9])?|\[?[0-9A-Fa-f:]{2,39}\]?")
# ESC p 0 25 25 (ms/2): pulse the drawer connector's pin 2, as python-escpos's cashdraw(2).
DRAWER_KICK_PIN = 2
# win32print's EnumPrinters flags (winspool.h): printers of this computer and shared ones added.
PRINTER_ENUM_LOCAL = 0x2
PRINTER_ENUM_CONNECTIONS = 0x4
# libusb's error codes (libusb.h), as pyusb's libusb1 backend puts them in backend_error_code.
LIBUSB_ERROR_ACCESS = -3
LIBUSB_ERROR_NOT_FOUND = -5
LIBUSB_ERROR_NOT_SUPPORTED = -12
USE_WINDOWS_PRINTER = lazy(
    "On Windows choose 'Windows printer by name' in Settings → Receipt printer and pick this "
    "printer from the list: a USB printer with its Windows driver installed belongs to that "
    "driver, and only Windows can print on it."
)
NOT_CONFIGURED = lazy(
    "No receipt printer is set up; an admin can add one in Settings → Receipt printer."
)


class PrinterError(DomainError):
    """The receipt printer could not be reached or refused the job (the sale itself stands)."""

    status = 502
    code = "printer_error"


class PrinterNotConfigured(DomainError):
    """No receipt printer is set up in the settings."""

    status = 409
    code = "printer_not_configured"


@dataclass(frozen=True)
class PrinterConfig:
    """Where the receipt printer is and how wide its paper is."""

    kind: str = "none"
    usb_vendor: int = 0
    usb_product: int = 0
    host: str = ""
    port: int = 9100
    windows_name: str = ""
    width_mm: int = 80

    @classmethod
    def from_settings(cls, settings: ShopSettings) -> PrinterConfig:
        """Read the printer's settings (bad hand-edited ids read as 0: "not found" later)."""
        return cls(
            kind=settings.printer_kind if settings.printer_kind in PRINTER_KINDS else "none",
            usb_vendor=_hex_or_zero(settings.printer_usb_vendor),
            usb_product=_hex_or_zero(settings.printer_usb_product),
            host=settings.printer_host,
            port=settings.printer_port,
            windows_name=settings.printer_windows_name,
            width_mm=settings.receipt_width_mm,
        )

    @property
    def configured(self) -> bool:
        return self.kind != "none"

    @property
    def columns(self) -> int:
        return COLUMNS.get(self.width_mm, COLUMNS[80])

    def describe(self) -> str:
        """Name the printer for messages ("network printer 192.168.1.50:9100")."""
        opener = OPENERS.get(self.kind)
        return opener.describe(self) if opener is not None else _("no printer")


def _hex_or_zero(text: str) -> int:
    match = HEX_ID.fullmatch(text.strip())
    return int(match.group(1), 16) if match else 0


def validate_printer_form(data: Mapping[str, Any], platform: str = sys.platform) -> dict[str, Any]:
    """Check the printer form; return the settings to save or raise with every field's error.

    Only the fields of the chosen kind must be filled; the others are kept as they were sent,
    so switching kinds back and forth does not lose what was typed.
    """
    errors: dict[str, str] = {}
    kind = str(data.get("printer_kind") or "").strip()
    if kind not in PRINTER_KINDS:
        errors["printer_kind"] = _("Choose no printer, USB, network or a Windows printer.")
    elif kind in OPENERS and not OPENERS[kind].supported(platform):
        errors["printer_kind"] = str(OPENERS[kind].unsupported_on_form)
    values: dict[str, Any] = {"printer_kind": kind}
    for key in ("printer_usb_vendor", "printer_usb_product"):
        text = str(data.get(key) or "").strip()
        match = HEX_ID.fullmatch(text)
        if match:
            values[key] = match.group(1).lower()
        elif text or kind == "usb":
            errors[key] = _(
                "Four hexadecimal digits, e.g. 04b8 (see the printer's label or manual)."
            )
    host = str(data.get("printer_host") or "").strip()
    if host and not HOST.fullmatch(host):
        errors["printer_host"] = _("Type the printer's IP address or host name, e.g. 192.168.1.50.")
    elif not host and kind == "network":
        errors["printer_host"] = _("Type the printer's IP address, e.g. 192.168.1.50.")
    values["printer_host"] = host
    port = str(data.get("printer_port") or "").strip() or "9100"
    if not re.fullmatch(r"[0-9]{1,5}", port) or not 1 <= int(port) <= 65535:
        errors["printer_port"] = _("A port number from 1 to 65535 (usually 9100).")
    else:
        values["printer_port"] = int(port)
    name = str(data.get("printer_windows_name") or "").strip()
    if len(name) > 120:
        errors["printer_windows_name"] = _("At most %(count)s characters.", count=120)
    elif not name and kind == "windows" and "printer_kind" not in errors:
        errors["printer_windows_name"] = _("Type the printer's name as Windows shows it.")
    values["printer_windows_name"] = name
    values["printer_auto_print"] = form_flag(data, "printer_auto_print", errors)
    values["printer_open_drawer"] = form_flag(data, "printer_open_drawer", errors)
    values["printer_as_image"] = form_flag(data, "printer_as_image", errors)
    if errors:
        raise ValidationError(
            _("Some printer settings need fixing; nothing was saved."), fields=errors
        )
    return values


def printer_form_values(settings: ShopSettings) -> dict[str, str]:
    """The printer form's values as the page shows them."""
    return {
        "printer_kind": settings.printer_kind,
        "printer_usb_vendor": settings.printer_usb_vendor,
        "printer_usb_product": settings.printer_usb_product,
        "printer_host": settings.printer_host,
        "printer_port": str(settings.printer_port),
        "printer_windows_name": settings.printer_windows_name,
        "printer_auto_print": "1" if settings.printer_auto_print else "",
        "printer_open_drawer": "1" if settings.printer_open_drawer else "",
        "printer_as_image": "1" if settings.printer_as_image else "",
    }


def _escpos() -> ModuleType:
    """Import python-escpos's printer classes on first use."""
    # python-escpos caches its printer database as a pickle in a fresh temporary folder per
    # process unless told where; one folder per machine user keeps /tmp (or %TEMP%) clean.
    cache = Path(tempfile.gettempdir()) / "tillbook-escpos"
    cache.mkdir(exist_ok=True)
    os.environ.setdefault("ESCPOS_CAPABILITIES_PICKLE_DIR", str(cache))
    try:
        import escpos.printer
    except ImportError as exc:  # a broken install: say so instead of a 500
        raise PrinterError(
            _("Receipt printing is not available: %(reason)s.", reason=exc)
        ) from None
    module: ModuleType = escpos.printer
    return module


def _usb_backend() -> Any:
    """libusb from the libusb-package wheel when it is installed (no system libusb needed)."""
    try:
        import libusb_package
    except ImportError:
        return None
    return libusb_package.get_libusb1_backend()


class PrinterOpener:
    """How to reach one kind of printer: its name in messages, its platform rule, its opening.

    One subclass per kind in ``OPENERS``; adding a kind of printer is one class and one entry
    there, not a branch in every function that asks "which kind is it?".
    """

    # The platforms (sys.platform values) the kind works on; empty means every platform.
    platforms: tuple[str, ...] = ()
    # What the settings form says when the kind is chosen on another platform.
    unsupported_on_form: str | LazyString = ""

    @classmethod
    def supported(cls, platform: str) -> bool:
        """Whether this kind of printer can be used on that platform."""
        return not cls.platforms or platform in cls.platforms

    @classmethod
    def describe(cls, config: PrinterConfig) -> str:
        """Name the printer for messages."""
        raise NotImplementedError

    @classmethod
    def open(cls, printers: ModuleType, config: PrinterConfig) -> Any:
        """Open a connection to the printer, or raise PrinterError saying why not."""
        raise NotImplementedError

    @classmethod
    def finish(cls, printer: Any) -> None:
        """End a job whose bytes were all written; an error here means it did not print.

        Network and USB: once the write returned, the bytes are with the printer (TCP or the
        USB endpoint); close() only releases this side's handle, and its error cannot undo
        a print.
        """
        with contextlib.suppress(Exception):
            printer.close()

    @classmethod
    def abandon(cls, printer: Any, failures: tuple[type[BaseException], ...]) -> None:
        """Release a printer whose job failed; the first error is the one to tell."""
        with contextlib.suppress(Exception):
            printer.close()


class NetworkOpener(PrinterOpener):
    """A printer on the network, reached over raw TCP (usually port 9100)."""

    @classmethod
    def describe(cls, config: PrinterConfig) -> str:
        return _("network printer %(host)s:%(port)s", host=config.host, port=config.port)

    @classmethod
    def open(cls, printers: ModuleType, config: PrinterConfig) -> Any:
        if not config.host:
            raise PrinterError(_("The network printer has no address; set it in Settings."))
        # Connect here rather than in python-escpos's open(), which drops the socket of a
        # failed connection without closing it; create_connection closes it on failure.
        connection = socket.create_connection((config.host, config.port), NETWORK_TIMEOUT)
        printer = printers.Network(config.host, port=config.port, timeout=NETWORK_TIMEOUT)
        printer.device = connection
        return printer


class UsbOpener(PrinterOpener):
    """A USB printer reached directly through libusb, by vendor and product id."""

    @classmethod
    def describe(cls, config: PrinterConfig) -> str:
        return _(
            "USB printer %(vendor)s:%(product)s",
            vendor=f"{config.usb_vendor:04x}",
            product=f"{config.usb_product:04x}",
        )

    @classmethod
    def open(cls, printers: ModuleType, config: PrinterConfig) -> Any:
        try:
            import usb.core
        except ImportError:
            raise PrinterError(
                _("USB printing needs the pyusb package, which is missing.")
            ) from None
        usb_args: dict[str, Any] = {}
        backend = _usb_backend()
        if backend is not None:
            usb_args["backend"] = backend
        printer = printers.Usb(
            config.usb_vendor or None,
            config.usb_product or None,
            usb_args=usb_args,
            timeout=USB_TIMEOUT_MS,
        )
        try:
            printer.open()
        except usb.core.NoBackendError as exc:
            raise PrinterError(explain_usb_error(config, exc, None)) from None
        return printer


class WindowsOpener(PrinterOpener):
    """A printer Windows knows by name, written to through the spooler (pywin32)."""

    platforms = ("win32",)
    unsupported_on_form = lazy(
        "Windows printers by name work only when TillBook runs on Windows; "
        "on this computer choose USB or network."
    )

    @classmethod
    def describe(cls, config: PrinterConfig) -> str:
        return _("Windows printer “%(name)s”", name=config.windows_name)

    @classmethod
    def open(cls, printers: ModuleType, config: PrinterConfig) -> Any:
        # sys.platform is read at each job (not at import) so tests can fake the platform.
        if not cls.supported(sys.platform):
            raise PrinterError(
                _(
                    "Windows printers by name work only on Windows; choose USB or network in "
                    "Settings."
                )
            )
        printer = printers.Win32Raw(config.windows_name)
        printer.open(job_name="TillBook receipt")
        return printer

    @classmethod
    def finish(cls, printer: Any) -> None:
        # The spooler starts printing only when the job ends: its errors are the job's.
        _end_windows_job(printer, commit=True)

    @classmethod
    def abandon(cls, printer: Any, failures: tuple[type[BaseException], ...]) -> None:
        # The job failed before its end: throw it away (a half-written receipt is not printed).
        with contextlib.suppress(*failures):
            _end_windows_job(printer, commit=False)


# kind -> how to reach it; "none" has no opener (nothing to print on).
OPENERS: dict[str, type[PrinterOpener]] = {
    "usb": UsbOpener,
    "network": NetworkOpener,
    "windows": WindowsOpener,
}


def _open(config: PrinterConfig) -> Any:
    """Open a connection to the configured printer, or raise PrinterError saying why not."""
    printers = _escpos()
    opener = OPENERS.get(config.kind)
    if opener is None:
        raise PrinterNotConfigured(str(NOT_CONFIGURED))
    return opener.open(printers, config)


def installed_printers(platform: str | None = None) -> list[str]:
    """The names of the printers Windows has (its own and shared ones added), sorted.

    Empty off Windows, without pywin32, or when the spooler does not answer: the settings page
    then still takes a typed name.
    """
    if (platform or sys.platform) != "win32":
        return []
    try:
        import pywintypes
        import win32print
    except ImportError:
        return []
    try:
        # Level 1 rows are (flags, description, name, comment): the name without asking each
        # shared printer's server for its status, as level 2 would.
        rows = win32print.EnumPrinters(PRINTER_ENUM_LOCAL | PRINTER_ENUM_CONNECTIONS, None, 1)
    except pywintypes.error:
        return []
    return sorted({str(row[2]) for row in rows if row[2]}, key=str.casefold)


def _failures() -> tuple[type[BaseException], ...]:
    """The exceptions that mean "the printer failed", built when a job is sent.

    pywintypes.error (the spooler's errors) is not an OSError, and pywintypes exists only
    where pywin32 is installed, so it cannot be named in a static except clause.
    """
    from escpos.exceptions import Error as EscposError

    # OSError: refused/unreachable/timed out sockets and USB I/O (usb.core.USBError);
    # RuntimeError: python-escpos's "needs pyusb/pywin32"; AssertionError: its checks.
    failures: list[type[BaseException]] = [EscposError, OSError, RuntimeError, AssertionError]
    try:
        import pywintypes
    except ImportError:
        pass
    else:
        failures.append(pywintypes.error)
    return tuple(failures)


def _usb_cause(exc: BaseException) -> BaseException:
    """The USB error under python-escpos's DeviceNotFoundError (it wraps what open() met)."""
    from escpos.exceptions import DeviceNotFoundError

    if isinstance(exc, DeviceNotFoundError) and exc.__context__ is not None:
        cause: BaseException = exc.__context__
        return cause
    return exc


def explain_usb_error(config: PrinterConfig, exc: BaseException, platform: str | None) -> str:
    """Say what a libusb failure means for the owner and what to do about it."""
    on_windows = (platform or sys.platform) == "win32"
    cause = _usb_cause(exc)
    name = config.describe()
    if type(cause).__name__ == "NoBackendError":  # by name: pyusb itself may be missing
        if on_windows:
            return _(
                "TillBook cannot reach the %(printer)s directly here. %(advice)s",
                printer=name,
                advice=str(USE_WINDOWS_PRINTER),
            )
        return _(
            "No USB driver (libusb) was found on this computer to reach the %(printer)s: "
            "install libusb or use a network printer.",
            printer=name,
        )
    if isinstance(cause, AssertionError):  # python-escpos's "device not found"
        if on_windows:
            return _(
                "The %(printer)s was not found. Check that it is switched on and its cable is "
                "plugged in, and that the vendor and product ids match its label. %(advice)s",
                printer=name,
                advice=str(USE_WINDOWS_PRINTER),
            )
        return _(
            "The %(printer)s was not found. Check that it is switched on and its cable is "
            "plugged in, and that the vendor and product ids match its label.",
            printer=name,
        )
    code = getattr(cause, "backend_error_code", None)
    number = getattr(cause, "errno", None)
    denied = code == LIBUSB_ERROR_ACCESS or number == errno.EACCES
    unsupported = code in (LIBUSB_ERROR_NOT_FOUND, LIBUSB_ERROR_NOT_SUPPORTED) or number in (
        errno.ENOENT,
        errno.ENOSYS,
    )
    if on_windows and (denied or unsupported):
        return _(
            "Windows does not let TillBook use the %(printer)s directly. %(advice)s",
            printer=name,
            advice=str(USE_WINDOWS_PRINTER),
        )
    if denied:
        return _(
            "This computer's user may not use the %(printer)s: give it access (on Linux a udev "
            "rule or the lp group) or use a network printer.",
            printer=name,
        )
    if unsupported:
        return _(
            "The %(printer)s was unplugged or is held by another driver: plug it in again, "
            "or use a network printer.",
            printer=name,
        )
    detail = " ".join(str(cause).split()) or type(cause).__name__
    return _("Could not print on the %(printer)s: %(reason)s", printer=name, reason=detail)


def _describe_failure(config: PrinterConfig, exc: BaseException, platform: str | None) -> str:
    """The message for a failed job: USB failures explained, the rest named as they came."""
    if config.kind == "usb":
        return explain_usb_error(config, exc, platform)
    from escpos.exceptions import DeviceNotFoundError

    if (
        config.kind == "windows"
        and isinstance(exc, DeviceNotFoundError)
        and isinstance(exc.__context__, AssertionError)
    ):
        return _(
            "Windows has no printer named “%(name)s”: pick it from the list "
            "in Settings → Receipt printer.",
            name=config.windows_name,
        )
    detail = " ".join(str(exc).split()) or type(exc).__name__
    return _(
        "Could not print on the %(printer)s: %(reason)s", printer=config.describe(), reason=detail
    )


def _end_windows_job(printer: Any, commit: bool) -> None:
    """End the Windows print job, committing it or throwing it away, and close the printer.

    The spooler starts printing in EndPagePrinter/EndDocPrinter, so their errors are the job's
    errors and must reach the caller. python-escpos's close() stops at the first failing call
    and leaves the handle open; ClosePrinter is called here whatever happened before it.
    """
    import win32print

    handle = printer._device
    printer._device = False  # python-escpos's close() (also run by __del__) then does nothing
    if not handle:
        return
    try:
        if commit:
            win32print.EndPagePrinter(handle)
            win32print.EndDocPrinter(handle)
        else:
            win32print.AbortPrinter(handle)  # a half-written receipt is not printed
    finally:
        win32print.ClosePrinter(handle)


def send(config: PrinterConfig, job: bytes) -> None:
    """Send a finished ESC/POS job to the printer in one write; PrinterError if it fails.

    For a Windows printer the job counts as printed only once the spooler accepted its end.
    """
    if not config.configured:
        raise PrinterNotConfigured(str(NOT_CONFIGURED))
    _escpos()  # a broken install is reported as such, not as a printer fault
    failures = _failures()
    opener = OPENERS.get(config.kind, PrinterOpener)
    printer = None
    try:
        printer = _open(config)  # an unknown kind raises PrinterNotConfigured here
        printer._raw(job)  # the job is already encoded; python-escpos has no public raw write
        opened, printer = printer, None
        opener.finish(opened)
    except DomainError:
        raise
    except failures as exc:
        raise PrinterError(_describe_failure(config, exc, None)) from None
    finally:
        if printer is not None:
            opener.abandon(printer, failures)


def dummy_printer() -> Any:
    """A python-escpos Dummy printer: collects a job's bytes to send them in one write."""
    return _escpos().Dummy()


def print_image(printer: Any, image: Any) -> None:
    """Print a 1-bit image the paper's width on an escpos printer as a raster (GS v 0).

    python-escpos checks an image against its profile's paper width, which the generic
    profile leaves "Unknown" (it then prints a notice on stdout); this printer object is
    told the image's width, on its own copy of the profile data (the class's is shared).
    """
    profile = printer.profile
    data = dict(profile.profile_data)
    data["media"] = {**data.get("media", {}), "width": {"pixels": image.width}}
    profile.profile_data = data
    printer.image(image, impl="bitImageRaster")


def drawer_kick() -> bytes:
    """The bytes that open the cash drawer plugged into the printer (ESC p 0 …)."""
    dummy = dummy_printer()
    dummy.cashdraw(DRAWER_KICK_PIN)
    output: bytes = dummy.output
    return output


def save_printer_settings(
    session: Session, data: Mapping[str, Any], user_id: int | None, platform: str = sys.platform
) -> dict[str, tuple[str, str]]:
    """Validate and save the printer form (audited); nothing is written on any error."""
    return save_changes(session, validate_printer_form(data, platform), SETTINGS_ACTION, user_id)


def print_test_page(
    settings: ShopSettings, render: Callable[[PrinterConfig], bytes]
) -> PrinterConfig:
    """Print the test page (built by `render` for the printer) and return the printer it went to."""
    config = PrinterConfig.from_settings(settings)
    send(config, render(config))
    return config
