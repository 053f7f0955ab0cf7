"""The cash-drawer policy: when a sale opens the drawer, "no sale" openings, and their audit.

The drawer is plugged into the receipt printer and opens with a kick in the printer's job, so
this module decides and records while `receipt_printer` sends; the receipt's bytes come from
the caller's renderer (documents/escpos_receipt.py), since services do not import documents.
The audit entry is both the record and the guard: a sale opens the drawer at most once.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from posapp.errors import ValidationError
from posapp.i18n import _
from posapp.models import AuditLog, Invoice, User
from posapp.models.base import write_transaction
from posapp.services import audit, receipt_printer
from posapp.services.receipt_printer import PrinterConfig
from posapp.services.settings import ShopSettings

DRAWER_NO_SALE = "drawer.no_sale"
DRAWER_SALE = "drawer.sale"
REASON_MAX = 200


class ReceiptRenderer(Protocol):
    """Builds an invoice's whole ESC/POS job (escpos_receipt.receipt_job has this shape)."""

    def __call__(
        self,
        invoice: Invoice,
        settings: ShopSettings,
        *,
        duplicate: bool = False,
        open_drawer: bool = False,
        columns: int = 48,
    ) -> bytes: ...


@dataclass(frozen=True)
class PrintOutcome:
    """What printing did: the receipt printed, the drawer opened."""

    printed: bool
    drawer: bool

    def message(self) -> str:
        """The till's one-line answer."""
        if self.printed and self.drawer:
            return _("Receipt printed; the cash drawer opened.")
        if self.printed:
            return _("Receipt printed.")
        if self.drawer:
            return _("The cash drawer opened.")
        return _("Nothing to print.")


def drawer_opened_for(session: Session, invoice_id: int) -> bool:
    """Whether the drawer was already opened for this sale (a reload must not open it again)."""
    return bool(
        session.scalar(
            select(
                exists().where(
                    AuditLog.entity == "invoice",
                    AuditLog.entity_id == invoice_id,
                    AuditLog.action == DRAWER_SALE,
                )
            )
        )
    )


def sale_opens_drawer(
    session: Session, invoice: Invoice, settings: ShopSettings, *, after_sale: bool
) -> bool:
    """Whether printing this invoice kicks the drawer: right after a cash sale, once, when on."""
    return (
        after_sale
        and PrinterConfig.from_settings(settings).configured
        and settings.printer_open_drawer
        and invoice.tendered > 0
        and invoice.status != "void"
        and not drawer_opened_for(session, invoice.id)
    )


def record_sale_drawer(session: Session, invoice: Invoice, user: User) -> None:
    """Audit that the drawer opened for a cash sale."""
    with write_transaction(session):
        audit.record(
            session,
            DRAWER_SALE,
            user_id=user.id,
            entity="invoice",
            entity_id=invoice.id,
            after={"number": invoice.number, "tendered": invoice.tendered},
        )


def print_invoice_receipt(
    session: Session,
    invoice: Invoice,
    settings: ShopSettings,
    user: User,
    *,
    render: ReceiptRenderer,
    duplicate: bool = False,
    after_sale: bool = False,
) -> PrintOutcome:
    """Print an invoice's receipt on the ESC/POS printer (PrinterError if that fails).

    `after_sale` is the till's call right after checkout: it prints only when automatic
    printing is on, and opens the drawer once for a cash sale when that is on (audited, and
    never again for the same invoice, so reloading the receipt page cannot open the drawer).
    The sale itself was committed before and stands whatever the printer does.
    """
    config = PrinterConfig.from_settings(settings)
    print_it = settings.printer_auto_print if after_sale else True
    kick = sale_opens_drawer(session, invoice, settings, after_sale=after_sale)
    if not print_it and not kick:
        return PrintOutcome(False, False)
    if print_it:
        job = render(
            invoice, settings, duplicate=duplicate, open_drawer=kick, columns=config.columns
        )
    else:
        job = receipt_printer.drawer_kick()
    receipt_printer.send(config, job)
    # Logged only once the printer took the job: the log never claims an opening that a
    # switched-off printer prevented.
    if kick:
        record_sale_drawer(session, invoice, user)
    return PrintOutcome(print_it, kick)


def open_drawer_no_sale(
    session: Session, settings: ShopSettings, data: Mapping[str, Any], user: User
) -> None:
    """Open the cash drawer without a sale: a reason is required and the opening is audited.

    The drawer is kicked first and logged only once it opened, so the log never claims an
    opening that a switched-off printer prevented.
    """
    reason = str(data.get("reason") or "").strip()
    if not reason:
        raise ValidationError(_("Say why the drawer is opened without a sale."), field="reason")
    if len(reason) > REASON_MAX:
        raise ValidationError(_("At most %(limit)s characters.", limit=REASON_MAX), field="reason")
    config = PrinterConfig.from_settings(settings)
    receipt_printer.send(config, receipt_printer.drawer_kick())
    with write_transaction(session):
        audit.record(
            session,
            DRAWER_NO_SALE,
            user_id=user.id,
            entity="drawer",
            after={"reason": reason, "user": user.username},
        )
