"""Read models of the customer ledger: ledger pages, statements, dues, aging, payment receipts.

Nothing here writes. The rules they read by (FIFO aging, what is an advance) are the pure
helpers of `services/ledger.py`, so a page and the write that changed it can never disagree;
`ledger.py` in turn never imports this module.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import case, func, literal, select
from sqlalchemy.orm import Session, selectinload

from posapp.errors import NotFound, ValidationError
from posapp.i18n import _
from posapp.models import Customer, Invoice, LedgerEntry, Payment, PaymentAllocation, User
from posapp.models.base import local_midnight_utc, to_local
from posapp.services.ledger import advance_part, age_buckets, local_today, open_debits


def aging(session: Session, customer_id: int, today: date | None = None) -> dict[str, int]:
    """Return what the customer owes by age bucket (adds up to the balance when positive)."""
    rows = session.execute(
        select(LedgerEntry.created_at, LedgerEntry.amount)
        .where(LedgerEntry.customer_id == customer_id)
        .order_by(LedgerEntry.id)
    ).all()
    return age_buckets(open_debits((r[0], r[1]) for r in rows), today or local_today())


def oldest_due(session: Session, customer_id: int) -> datetime | None:
    """Return when the oldest debit not yet paid off was made (None if nothing is owed)."""
    rows = session.execute(
        select(LedgerEntry.created_at, LedgerEntry.amount)
        .where(LedgerEntry.customer_id == customer_id)
        .order_by(LedgerEntry.id)
    ).all()
    left = open_debits((r[0], r[1]) for r in rows)
    return left[0][0] if left else None


@dataclass(frozen=True)
class LedgerLine:
    """A ledger entry with the balance after it."""

    entry: LedgerEntry
    running: int
    invoice_number: str | None
    username: str | None


def ledger_page(
    session: Session,
    customer_id: int,
    *,
    page: int = 1,
    per_page: int = 50,
    newest_first: bool = False,
) -> tuple[list[LedgerLine], int]:
    """Return one page of a customer's ledger with the running balance after each entry."""
    where = LedgerEntry.customer_id == customer_id
    total = int(session.scalar(select(func.count()).where(where)) or 0)
    order = LedgerEntry.id.desc() if newest_first else LedgerEntry.id
    rows = session.execute(
        select(LedgerEntry, Invoice.number, User.username)
        .outerjoin(Invoice, Invoice.id == LedgerEntry.invoice_id)
        .outerjoin(User, User.id == LedgerEntry.user_id)
        .where(where)
        .order_by(order)
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    if not rows:
        return [], total
    first_id = min(r[0].id for r in rows)
    before = int(
        session.scalar(
            select(func.coalesce(func.sum(LedgerEntry.amount), 0)).where(
                where, LedgerEntry.id < first_id
            )
        )
        or 0
    )
    ordered = sorted(rows, key=lambda r: r[0].id)
    running = before
    lines: list[LedgerLine] = []
    for entry, number, username in ordered:
        running += entry.amount
        lines.append(LedgerLine(entry, running, number, username))
    if newest_first:
        lines.reverse()
    return lines, total


@dataclass(frozen=True)
class StatementData:
    """A customer's ledger between two local dates with the balances around it."""

    customer: Customer
    start: date
    end: date
    opening: int
    lines: list[LedgerLine]
    closing: int


def statement(session: Session, customer: Customer, start: date, end: date) -> StatementData:
    """Collect the statement of a customer for a date range (inclusive, local dates)."""
    if end < start:
        raise ValidationError(_("The end date is before the start date."), field="to")
    lo, hi = local_midnight_utc(start), local_midnight_utc(end + timedelta(days=1))
    where = LedgerEntry.customer_id == customer.id
    opening = int(
        session.scalar(
            select(func.coalesce(func.sum(LedgerEntry.amount), 0)).where(
                where, LedgerEntry.created_at < lo
            )
        )
        or 0
    )
    rows = session.execute(
        select(LedgerEntry, Invoice.number, User.username)
        .outerjoin(Invoice, Invoice.id == LedgerEntry.invoice_id)
        .outerjoin(User, User.id == LedgerEntry.user_id)
        .where(where, LedgerEntry.created_at >= lo, LedgerEntry.created_at < hi)
        .order_by(LedgerEntry.id)
    ).all()
    running = opening
    lines = []
    for entry, number, username in rows:
        running += entry.amount
        lines.append(LedgerLine(entry, running, number, username))
    return StatementData(customer, start, end, opening, lines, running)


@dataclass(frozen=True)
class DueRow:
    """A customer who owes money, with how much and since when."""

    customer: Customer
    balance: int
    oldest: datetime | None

    def age_days(self, today: date) -> int:
        """Return how many days the oldest unpaid debit has been open."""
        return (today - to_local(self.oldest).date()).days if self.oldest else 0


@dataclass(frozen=True)
class DuesReport:
    """Customers who owe, sorted: one page of rows, and totals over all of them."""

    rows: list[DueRow]
    count: int
    total: int
    over_30: int
    over_30_count: int


def _oldest_open_query(customer_ids: list[int] | None) -> Any:
    """Select (cid, oldest): when each owing customer's oldest unpaid debit was made (FIFO)."""
    scope = [LedgerEntry.customer_id.in_(customer_ids)] if customer_ids is not None else []
    totals = (
        select(
            LedgerEntry.customer_id.label("cid"),
            func.sum(case((LedgerEntry.amount < 0, -LedgerEntry.amount), else_=0)).label("cred"),
        )
        .where(*scope)
        .group_by(LedgerEntry.customer_id)
        .having(func.sum(LedgerEntry.amount) > 0)
        .subquery()
    )
    # The oldest open debit is the first whose running sum of debits exceeds all credits.
    debits = (
        select(
            LedgerEntry.customer_id.label("cid"),
            LedgerEntry.created_at.label("at"),
            func.sum(LedgerEntry.amount)
            .over(partition_by=LedgerEntry.customer_id, order_by=LedgerEntry.id)
            .label("cum"),
        )
        .where(LedgerEntry.amount > 0, *scope)
        .subquery()
    )
    return (
        select(debits.c.cid.label("cid"), func.min(debits.c.at).label("oldest"))
        .join(totals, totals.c.cid == debits.c.cid)
        .where(debits.c.cum > totals.c.cred)
        .group_by(debits.c.cid)
    )


def dues(
    session: Session,
    sort: str = "amount",
    today: date | None = None,
    *,
    page: int = 1,
    per_page: int | None = None,
) -> DuesReport:
    """List customers who owe, by amount (largest first) or age (oldest first), with totals.

    Balances, totals and the over-30-days flags come from one aggregate over the ledger's
    covering index; sorting and paging happen in SQL, so only one page of rows is loaded.
    """
    if sort not in ("amount", "age"):
        raise ValidationError(_("Sort by amount or age."), field="sort")
    cutoff = local_midnight_utc((today or local_today()) - timedelta(days=30))
    old_debit = (LedgerEntry.amount > 0) & (LedgerEntry.created_at < cutoff)
    owing = (
        select(
            LedgerEntry.customer_id.label("cid"),
            func.sum(LedgerEntry.amount).label("bal"),
            case(
                (
                    func.sum(case((old_debit, LedgerEntry.amount), else_=0))
                    > func.sum(case((LedgerEntry.amount < 0, -LedgerEntry.amount), else_=0)),
                    1,
                ),
                else_=0,
            ).label("overdue"),
        )
        .group_by(LedgerEntry.customer_id)
        .having(func.sum(LedgerEntry.amount) > 0)
        .subquery()
    )
    count, total, over_30, over_30_count = session.execute(
        select(
            func.count(),
            func.coalesce(func.sum(owing.c.bal), 0),
            func.coalesce(func.sum(owing.c.bal * owing.c.overdue), 0),
            func.coalesce(func.sum(owing.c.overdue), 0),
        )
    ).one()
    if sort == "amount":
        stmt = select(owing.c.cid, owing.c.bal, literal(None).label("oldest")).order_by(
            owing.c.bal.desc(), owing.c.cid
        )
    else:
        oldest = _oldest_open_query(None).subquery()
        stmt = (
            select(owing.c.cid, owing.c.bal, oldest.c.oldest)
            .outerjoin(oldest, oldest.c.cid == owing.c.cid)
            .order_by(oldest.c.oldest.is_(None), oldest.c.oldest, owing.c.bal.desc(), owing.c.cid)
        )
    if per_page is not None:
        stmt = stmt.limit(per_page).offset((page - 1) * per_page)
    chosen = session.execute(stmt).all()
    ids = [int(r[0]) for r in chosen]
    when = {int(r[0]): _as_datetime(r[2]) for r in chosen}
    if sort == "amount" and ids:
        for start in range(0, len(ids), 500):  # far below SQLite's bound-parameter limit
            chunk = ids[start : start + 500]
            when.update(
                (int(cid), _as_datetime(at))
                for cid, at in session.execute(_oldest_open_query(chunk)).all()
            )
    found: dict[int, Customer] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        found.update(
            (c.id, c) for c in session.scalars(select(Customer).where(Customer.id.in_(chunk)))
        )
    rows = [DueRow(found[int(cid)], int(bal), when.get(int(cid))) for cid, bal, _ in chosen]
    return DuesReport(rows, int(count), int(total), int(over_30), int(over_30_count))


def _as_datetime(value: Any) -> datetime | None:
    """Window-function results lose their type on SQLite; read them back as datetimes."""
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value))


def overdue_count(session: Session, today: date | None = None) -> int:
    """Count customers whose oldest unpaid debit is more than 30 days old (the nav badge).

    Under FIFO that is: their debits older than 30 days exceed all their credits.
    """
    cutoff = local_midnight_utc((today or local_today()) - timedelta(days=30))
    per_customer = (
        select(
            func.sum(
                case(
                    (
                        (LedgerEntry.amount > 0) & (LedgerEntry.created_at < cutoff),
                        LedgerEntry.amount,
                    ),
                    else_=0,
                )
            ).label("old"),
            func.sum(case((LedgerEntry.amount < 0, -LedgerEntry.amount), else_=0)).label("cred"),
        )
        .group_by(LedgerEntry.customer_id)
        .subquery()
    )
    return int(
        session.scalar(
            select(func.count())
            .select_from(per_customer)
            .where(per_customer.c.old > per_customer.c.cred)
        )
        or 0
    )


def load_payment(session: Session, payment_id: int) -> Payment:
    """Load an account payment (for its receipt)."""
    payment = session.get(Payment, payment_id)
    if payment is None or payment.customer_id is None:
        raise NotFound(_("No such payment."))
    return payment


def payment_allocations(session: Session, payment_id: int) -> list[PaymentAllocation]:
    """Return how a payment was allocated, with the invoices loaded."""
    return list(
        session.scalars(
            select(PaymentAllocation)
            .options(selectinload(PaymentAllocation.invoice))
            .where(PaymentAllocation.payment_id == payment_id)
            .order_by(PaymentAllocation.id)
        )
    )


@dataclass(frozen=True)
class PaymentReceipt:
    """What a payment receipt shows: the payment, what it settled, and the balance after it."""

    payment: Payment
    customer: Customer
    allocations: list[PaymentAllocation]
    unallocated: int
    balance_after: int

    @property
    def advance(self) -> int:
        """The part of this payment kept as an advance."""
        return advance_part(self.unallocated, self.balance_after)

    @property
    def towards_balance(self) -> int:
        """The part of this payment that paid debts without a bill (opening, adjustments)."""
        return self.unallocated - self.advance


def payment_receipt(session: Session, payment_id: int) -> PaymentReceipt:
    """Collect a payment on account with its allocations and the balance right after it."""
    payment = load_payment(session, payment_id)
    assert payment.customer_id is not None
    customer = session.get(Customer, payment.customer_id)
    assert customer is not None
    allocations = payment_allocations(session, payment.id)
    entry_id = session.scalar(
        select(LedgerEntry.id).where(
            LedgerEntry.payment_id == payment.id, LedgerEntry.kind == "payment"
        )
    )
    after = int(
        session.scalar(
            select(func.coalesce(func.sum(LedgerEntry.amount), 0)).where(
                LedgerEntry.customer_id == customer.id, LedgerEntry.id <= (entry_id or 0)
            )
        )
        or 0
    )
    return PaymentReceipt(
        payment,
        customer,
        allocations,
        payment.amount - sum(a.amount for a in allocations),
        after,
    )
