"""The customer ledger (khata): balances, credit sales, payments and their allocation, aging.

Rules (docs/DESIGN.md §3, §6):
- The ledger is append-only; a customer's balance is the sum of their entries (never stored).
  Positive amounts mean the customer owes more.
- `invoice.paid` is money actually received for the invoice: tenders at the till plus
  allocations of account payments, less refunds of its credit notes (services/returns.py).
  What is still owed is `total - returned_total - paid` (returns first reduce the debt).
  The credit part of a sale is not a payment; it is a `credit_sale` ledger entry.
- A payment on account is allocated to the customer's open invoices oldest first; what is
  left is an advance, which the next credit sale consumes (allocated to that invoice).
- Aging applies every credit to the oldest debits first (FIFO) and buckets what is left by
  the date of its debit, so the buckets always add up to the balance owed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import case, func, literal, select
from sqlalchemy.orm import Session, selectinload

from posapp.errors import Conflict, CreditLimitExceeded, Forbidden, NotFound, ValidationError
from posapp.models import Customer, Invoice, LedgerEntry, Payment, PaymentAllocation, User
from posapp.models.base import local_midnight_utc, to_local, utcnow, write_transaction
from posapp.money import money_str, parse_money
from posapp.services import audit, cash_sessions

ACCOUNT_PAYMENT_METHODS = ("cash", "card", "upi")
OPEN_STATUSES = ("partial", "unpaid")
AGING_BUCKETS = (("0_30", 30), ("31_60", 60), ("61_90", 90), ("90_plus", None))
NOTE_LIMIT = 200


# ---------------------------------------------------------------- pure rules


def invoice_status(total: int, paid: int) -> str:
    """Return paid / partial / unpaid for an invoice's total and money received."""
    if paid >= total:
        return "paid"
    return "partial" if paid > 0 else "unpaid"


def plan_allocation(
    amount: int, open_invoices: Sequence[tuple[int, int]]
) -> tuple[list[tuple[int, int]], int]:
    """Split an amount over (invoice_id, balance_due) oldest first; return parts and remainder."""
    if amount < 0:
        raise ValueError("cannot allocate a negative amount")
    parts: list[tuple[int, int]] = []
    left = amount
    for invoice_id, due in open_invoices:
        if left == 0:
            break
        if due <= 0:
            continue
        take = min(left, due)
        parts.append((invoice_id, take))
        left -= take
    return parts, left


def open_debits(entries: Iterable[tuple[datetime, int]]) -> list[tuple[datetime, int]]:
    """Apply every credit to the oldest debits first; return what is left of each debit."""
    items = list(entries)
    credit = sum(-amount for _, amount in items if amount < 0)
    left: list[tuple[datetime, int]] = []
    for when, amount in items:
        if amount <= 0:
            continue
        if credit >= amount:
            credit -= amount
            continue
        left.append((when, amount - credit))
        credit = 0
    return left


def age_buckets(open_parts: Iterable[tuple[datetime, int]], today: date) -> dict[str, int]:
    """Bucket open debits by age in days: 0-30, 31-60, 61-90 and over 90."""
    buckets = {name: 0 for name, _ in AGING_BUCKETS}
    for when, amount in open_parts:
        days = (today - to_local(when).date()).days
        for name, upper in AGING_BUCKETS:
            if upper is None or days <= upper:
                buckets[name] += amount
                break
    return buckets


# ---------------------------------------------------------------- reading


def balance(session: Session, customer_id: int) -> int:
    """Return a customer's balance: the sum of their ledger (positive = they owe)."""
    total = session.scalar(
        select(func.coalesce(func.sum(LedgerEntry.amount), 0)).where(
            LedgerEntry.customer_id == customer_id
        )
    )
    return int(total or 0)


def balances(session: Session, customer_ids: Iterable[int]) -> dict[int, int]:
    """Return the balances of several customers (missing ones are 0)."""
    ids = list(customer_ids)
    found: dict[int, int] = dict.fromkeys(ids, 0)
    if not ids:
        return found
    for customer_id, total in session.execute(
        select(LedgerEntry.customer_id, func.sum(LedgerEntry.amount))
        .where(LedgerEntry.customer_id.in_(ids))
        .group_by(LedgerEntry.customer_id)
    ):
        found[customer_id] = int(total)
    return found


def advance_money(session: Session, customer_id: int) -> list[tuple[int, int]]:
    """Return (payment_id, unallocated amount) of the customer's account payments, oldest first."""
    allocated = (
        select(PaymentAllocation.payment_id, func.sum(PaymentAllocation.amount).label("s"))
        .group_by(PaymentAllocation.payment_id)
        .subquery()
    )
    remaining = Payment.amount - func.coalesce(allocated.c.s, 0)
    rows = session.execute(
        select(Payment.id, remaining)
        .outerjoin(allocated, allocated.c.payment_id == Payment.id)
        .where(Payment.customer_id == customer_id, Payment.invoice_id.is_(None), remaining > 0)
        .order_by(Payment.id)
    ).all()
    return [(int(pid), int(left)) for pid, left in rows]


def open_invoices(session: Session, customer_id: int) -> list[Invoice]:
    """Return the customer's partly or wholly unpaid invoices, oldest first."""
    return list(
        session.scalars(
            select(Invoice)
            .where(Invoice.customer_id == customer_id, Invoice.status.in_(OPEN_STATUSES))
            .order_by(Invoice.created_at, Invoice.id)
            # of=Invoice: PostgreSQL refuses FOR UPDATE on the nullable side of a joined load.
            .with_for_update(of=Invoice)
        )
    )


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


def local_today() -> date:
    return to_local(utcnow()).date()


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
        raise ValidationError("The end date is before the start date.", field="to")
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
        raise ValidationError("Sort by amount or age.", field="sort")
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


# ---------------------------------------------------------------- writing


def lock_customer(session: Session, customer_id: int) -> Customer:
    """Load a customer for update (row lock on PostgreSQL; SQLite's writer lock already holds)."""
    customer = session.scalar(select(Customer).where(Customer.id == customer_id).with_for_update())
    if customer is None:
        raise NotFound("No such customer.")
    return customer


def _apply(invoice: Invoice, amount: int) -> None:
    invoice.paid += amount
    invoice.status = invoice_status(invoice.net_total, invoice.paid)


def check_credit(session: Session, customer: Customer, amount: int) -> int:
    """Refuse a credit part that would take the balance over the limit; return the balance."""
    current = balance(session, customer.id)
    if amount > 0 and current + amount > customer.credit_limit:
        available = max(0, customer.credit_limit - current)
        if customer.credit_limit == 0 and current <= 0:
            message = f"{customer.name} has no credit limit; an admin can set one."
        else:
            message = (
                f"Credit of {money_str(amount)} would take {customer.name} over the credit "
                f"limit of {money_str(customer.credit_limit)}: balance {money_str(current)}, "
                f"available {money_str(available)}. An admin can raise the limit."
            )
        raise CreditLimitExceeded(
            message,
            details={
                "customer_id": customer.id,
                "limit": money_str(customer.credit_limit),
                "balance": money_str(current),
                "requested": money_str(amount),
                "available": money_str(available),
            },
        )
    return current


def record_credit_sale(
    session: Session,
    customer: Customer,
    invoice: Invoice,
    amount: int,
    user_id: int | None,
    balance_before: int,
) -> list[PaymentAllocation]:
    """Debit the credit part of a sale and let any advance pay it (inside the caller's tx)."""
    session.add(
        LedgerEntry(
            customer_id=customer.id,
            kind="credit_sale",
            amount=amount,
            invoice_id=invoice.id,
            note="",
            user_id=user_id,
            created_at=invoice.created_at,
        )
    )
    usable = min(max(0, -balance_before), amount)
    made: list[PaymentAllocation] = []
    for payment_id, left in advance_money(session, customer.id):
        if usable == 0:
            break
        take = min(left, usable)
        allocation = PaymentAllocation(
            payment_id=payment_id,
            invoice_id=invoice.id,
            amount=take,
            created_at=invoice.created_at,
        )
        session.add(allocation)
        made.append(allocation)
        _apply(invoice, take)
        usable -= take
    invoice.status = invoice_status(invoice.net_total, invoice.paid)
    return made


def advance_part(unallocated: int, balance_after: int) -> int:
    """Return how much of a payment's unallocated money is kept as an advance.

    Money not allocated to a bill first pays what is owed without a bill (an opening
    balance, an adjustment); only what is left after that is the customer's advance.
    """
    return max(0, min(unallocated, -balance_after))


@dataclass
class PaymentResult:
    """A recorded account payment, what it settled, and where the customer stands now."""

    payment: Payment
    customer: Customer
    allocations: list[PaymentAllocation] = field(default_factory=list)
    unallocated: int = 0  # not allocated to any bill
    balance: int = 0
    numbers: dict[int, str] = field(default_factory=dict)  # invoice id -> number

    @property
    def advance(self) -> int:
        """The part of this payment kept as an advance for the next credit sale."""
        return advance_part(self.unallocated, self.balance)


def parse_payment(data: Mapping[str, Any]) -> tuple[int, str, str]:
    """Validate {amount, method, note?} of an account payment; collect every field error."""
    errors: dict[str, str] = {}
    amount = 0
    try:
        amount = parse_money(data.get("amount"), field="amount", allow_zero=False)
    except ValidationError as exc:
        errors["amount"] = exc.message
    method = data.get("method")
    if method not in ACCOUNT_PAYMENT_METHODS:
        errors["method"] = f"Method must be one of {', '.join(ACCOUNT_PAYMENT_METHODS)}."
    note = data.get("note") or ""
    if not isinstance(note, str) or len(note.strip()) > NOTE_LIMIT:
        errors["note"] = f"The note must be text of at most {NOTE_LIMIT} characters."
        note = ""
    if errors:
        raise ValidationError(next(iter(errors.values())), fields=errors)
    return amount, str(method), note.strip()


def record_payment(
    session: Session, customer_id: int, data: Mapping[str, Any], user: User
) -> PaymentResult:
    """Take a payment on account: credit the ledger, settle the oldest invoices, keep the rest."""
    amount, method, note = parse_payment(data)
    with write_transaction(session):
        customer = lock_customer(session, customer_id)
        if customer.archived:
            raise Conflict(
                f"{customer.name} is archived; restore the customer first.", code="archived"
            )
        now = utcnow()
        payment = Payment(
            invoice_id=None,
            customer_id=customer.id,
            method=method,
            amount=amount,
            note=note,
            created_at=now,
            user_id=user.id,
            # Cash taken on account goes into the receiving cashier's drawer.
            cash_session_id=cash_sessions.open_session_id(session, user.id),
        )
        session.add(payment)
        session.flush()
        session.add(
            LedgerEntry(
                customer_id=customer.id,
                kind="payment",
                amount=-amount,
                payment_id=payment.id,
                note=note,
                user_id=user.id,
                created_at=now,
            )
        )
        invoices = open_invoices(session, customer.id)
        parts, left = plan_allocation(amount, [(i.id, i.balance_due) for i in invoices])
        by_id = {i.id: i for i in invoices}
        result = PaymentResult(payment, customer, unallocated=left)
        for invoice_id, take in parts:
            allocation = PaymentAllocation(
                payment_id=payment.id, invoice_id=invoice_id, amount=take, created_at=now
            )
            session.add(allocation)
            result.allocations.append(allocation)
            result.numbers[invoice_id] = by_id[invoice_id].number
            _apply(by_id[invoice_id], take)
        session.flush()
        result.balance = balance(session, customer.id)
        audit.record(
            session,
            "customer_payment",
            user_id=user.id,
            entity="customer",
            entity_id=customer.id,
            after={
                "payment_id": payment.id,
                "amount": amount,
                "method": method,
                "allocated": {str(i): a for i, a in parts},
                "advance": left,
            },
        )
    return result


def add_adjustment(
    session: Session, customer_id: int, data: Mapping[str, Any], user: User
) -> LedgerEntry:
    """Add an admin's correction to a ledger (signed amount, reason required)."""
    if not user.is_admin:
        raise Forbidden("Only an admin may adjust a customer's balance.")
    errors: dict[str, str] = {}
    amount = 0
    try:
        amount = parse_money(
            data.get("amount"), field="amount", allow_zero=False, allow_negative=True
        )
    except ValidationError as exc:
        errors["amount"] = exc.message
    reason = data.get("reason")
    reason = reason.strip() if isinstance(reason, str) else ""
    if not reason:
        errors["reason"] = "Say why the balance is adjusted."
    elif len(reason) > NOTE_LIMIT:
        errors["reason"] = f"At most {NOTE_LIMIT} characters."
    if errors:
        raise ValidationError(next(iter(errors.values())), fields=errors)
    with write_transaction(session):
        customer = lock_customer(session, customer_id)
        entry = LedgerEntry(
            customer_id=customer.id,
            kind="adjustment",
            amount=amount,
            note=reason,
            user_id=user.id,
            created_at=utcnow(),
        )
        session.add(entry)
        session.flush()
        audit.record(
            session,
            "ledger_adjustment",
            user_id=user.id,
            entity="customer",
            entity_id=customer.id,
            after={"entry_id": entry.id, "amount": amount, "reason": reason},
        )
    return entry


def load_payment(session: Session, payment_id: int) -> Payment:
    """Load an account payment (for its receipt)."""
    payment = session.get(Payment, payment_id)
    if payment is None or payment.customer_id is None:
        raise NotFound("No such payment.")
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
