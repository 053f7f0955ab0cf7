"""Invoice queries: the searchable, paginated list."""

from __future__ import annotations

import re
from datetime import date, timedelta

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session, selectinload

from posapp.errors import ValidationError
from posapp.models import INVOICE_STATUSES, Customer, Invoice, User
from posapp.models.base import local_midnight_utc


def _parse_day(value: str | None, field: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        raise ValidationError("Dates are YYYY-MM-DD.", field=field) from None


def _customers_matching(q: str) -> Select[tuple[int]]:
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
    page: int = 1,
    per_page: int = 50,
) -> tuple[list[Invoice], int]:
    """Return a page of invoices (newest first) the user may see, and the total count."""
    stmt = select(Invoice)
    if not user.is_admin:
        stmt = stmt.where(Invoice.cashier_id == user.id)
    if q:
        stmt = stmt.where(
            or_(
                Invoice.number == q,
                Invoice.number.like(f"%{q.strip()}"),
                Invoice.customer_id.in_(_customers_matching(q)),
            )
        )
    start = _parse_day(date_from, "from")
    end = _parse_day(date_to, "to")
    if start:
        stmt = stmt.where(Invoice.created_at >= local_midnight_utc(start))
    if end:
        stmt = stmt.where(Invoice.created_at < local_midnight_utc(end + timedelta(days=1)))
    if status:
        if status not in INVOICE_STATUSES:
            raise ValidationError(
                f"Status must be one of {', '.join(INVOICE_STATUSES)}.", field="status"
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
