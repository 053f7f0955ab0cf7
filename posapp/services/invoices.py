"""Invoice queries: one invoice as a user may see it, the searchable list, its history."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session, joinedload, selectinload

from posapp.dates import optional_day
from posapp.errors import Forbidden, NotFound, ValidationError
from posapp.i18n import _
from posapp.models import (
    INVOICE_STATUSES,
    PAYMENT_METHODS,
    AuditLog,
    CreditNote,
    Customer,
    Invoice,
    Payment,
    User,
)
from posapp.models.base import by_id_or_number, local_midnight_utc, write_transaction
from posapp.money import parse_money
from posapp.services import audit, limits


def load_invoice(session: Session, key: int | str) -> Invoice:
    """Load an invoice with its lines and payments by id or number."""
    stmt = select(Invoice).options(
        joinedload(Invoice.cashier),  # every view of an invoice names its cashier
        selectinload(Invoice.lines),
        selectinload(Invoice.payments),
        selectinload(Invoice.allocations),
    )
    invoice = session.scalar(stmt.where(by_id_or_number(Invoice.id, Invoice.number, key)))
    if invoice is None:
        raise NotFound(_("No such invoice."))
    return invoice


def invoice_for_user(session: Session, key: int | str, user: User) -> Invoice:
    """Load an invoice the user may see: admins all, cashiers their own."""
    invoice = load_invoice(session, key)
    if not user.is_admin and invoice.cashier_id != user.id:
        raise Forbidden(_("Cashiers can open only their own invoices."))
    return invoice


def _customers_matching(q: str) -> Select[int]:
    """Select the ids of customers whose name starts with q, or whose phone holds its digits."""
    text = q.strip().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    conditions = [
        Customer.name.ilike(f"{text}%", escape="\\"),
        Customer.name.ilike(f"% {text}%", escape="\\"),
    ]
    digits = re.sub(r"\D", "", q)
    if len(digits) >= 3 and re.fullmatch(r"[\d\s+\-().]+", q.strip()):
        conditions.append(Customer.phone_digits.like(f"%{digits.lstrip('0') or digits}%"))
    return select(Customer.id).where(or_(*conditions))


def list_invoices(
    session: Session,
    user: User,
    *,
    q: str = "",
    date_from: str | None = None,
    date_to: str | None = None,
    status: str | None = None,
    customer_id: int | None = None,
    method: str | None = None,
    cashier_id: int | None = None,
    amount_min: str | None = None,
    amount_max: str | None = None,
    page: int = 1,
    per_page: int = 50,
) -> tuple[list[Invoice], int]:
    """Return a page of invoices (newest first) the user may see, and the total count.

    `method` keeps invoices paid (at least partly) by that method; `cashier_id` filters by
    cashier for admins (a cashier always sees only their own); `amount_min`/`amount_max`
    bound the bill total (money strings, inclusive).
    """
    q = limits.search_text(q)
    stmt = select(Invoice)
    if not user.is_admin:
        stmt = stmt.where(Invoice.cashier_id == user.id)
    elif cashier_id is not None:
        stmt = stmt.where(Invoice.cashier_id == cashier_id)
    if method:
        if method not in PAYMENT_METHODS:
            raise ValidationError(
                _("Payment method must be one of %(choices)s.", choices=", ".join(PAYMENT_METHODS)),
                field="method",
            )
        paid_by = select(Payment.invoice_id).where(Payment.method == method, Payment.amount > 0)
        stmt = stmt.where(Invoice.id.in_(paid_by))
    low = parse_money(amount_min, field="min") if amount_min not in (None, "") else None
    high = parse_money(amount_max, field="max") if amount_max not in (None, "") else None
    if low is not None and high is not None and low > high:
        raise ValidationError(_("The smallest amount is above the largest."), field="min")
    if low is not None:
        stmt = stmt.where(Invoice.total >= low)
    if high is not None:
        stmt = stmt.where(Invoice.total <= high)
    if q:
        stmt = stmt.where(
            or_(
                Invoice.number == q,
                Invoice.number.like(f"%{q.strip()}"),
                Invoice.customer_id.in_(_customers_matching(q)),
            )
        )
    start = optional_day(date_from, "from", date_part=True)
    end = optional_day(date_to, "to", date_part=True)
    try:
        if start:
            stmt = stmt.where(Invoice.created_at >= local_midnight_utc(start))
        if end:
            stmt = stmt.where(Invoice.created_at < local_midnight_utc(end + timedelta(days=1)))
    except (OverflowError, ValueError):  # 0001-01-01, 9999-12-31: off the calendar
        raise ValidationError(
            _("That date is too far in the past or future."), field="from"
        ) from None
    if status:
        if status not in INVOICE_STATUSES:
            raise ValidationError(
                _("Status must be one of %(choices)s.", choices=", ".join(INVOICE_STATUSES)),
                field="status",
            )
        stmt = stmt.where(Invoice.status == status)
    if customer_id is not None:
        stmt = stmt.where(Invoice.customer_id == customer_id)
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    items = session.scalars(
        stmt.options(
            selectinload(Invoice.lines),
            selectinload(Invoice.payments),
            selectinload(Invoice.allocations),
        )
        .order_by(Invoice.created_at.desc(), Invoice.id.desc())
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    return list(items), int(total)


def invoice_history(session: Session, invoice_id: int) -> list[AuditLog]:
    """Return the audit entries about one invoice, oldest first."""
    return list(
        session.scalars(
            select(AuditLog)
            .where(AuditLog.entity == "invoice", AuditLog.entity_id == invoice_id)
            .order_by(AuditLog.id)
        )
    )


def credit_notes_of(session: Session, invoice_id: int) -> list[CreditNote]:
    """Return the credit notes issued against one invoice, oldest first, with their lines."""
    return list(
        session.scalars(
            select(CreditNote)
            .where(CreditNote.invoice_id == invoice_id)
            .options(selectinload(CreditNote.lines))
            .order_by(CreditNote.id)
        )
    )


def cashiers(session: Session) -> list[User]:
    """Return every user, by name, for the admin's cashier filter."""
    return list(session.scalars(select(User).order_by(User.username)))


REPRINT_KINDS = ("pdf", "receipt", "receipt_printer")


def record_reprint(session: Session, invoice: Invoice, user: User, kind: str) -> None:
    """Audit a duplicate copy of an invoice (a PDF, a receipt page or a printed receipt).

    A duplicate is how a bill is handed out twice; the log says who made one and when.
    """
    if kind not in REPRINT_KINDS:
        raise ValueError(f"unknown reprint kind {kind!r}")
    with write_transaction(session):
        audit.record(
            session,
            "invoice.reprint",
            user_id=user.id,
            entity="invoice",
            entity_id=invoice.id,
            after={"number": invoice.number, "copy": kind},
        )
