"""The customer ledger (khata): its writes (credit sales, payments, adjustments) and rules.

Balances, allocation and aging rules live here as pure functions; the read models (ledger
page, statement, dues, overdue count, payment receipt) are in `services/ledger_views.py`,
which imports these rules and is never imported from here.

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

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from posapp.errors import Conflict, CreditLimitExceeded, Forbidden, NotFound, ValidationError
from posapp.i18n import _
from posapp.models import Customer, Invoice, LedgerEntry, Payment, PaymentAllocation, User
from posapp.models.base import to_local, utcnow, write_transaction
from posapp.money import format_money, money_str, parse_money
from posapp.services import audit, books_sales, cash_sessions
from posapp.services.hooks import Within
from posapp.services.limits import LEDGER_NOTE_LENGTH as NOTE_LIMIT
from posapp.services.settings import load_settings

ACCOUNT_PAYMENT_METHODS = ("cash", "card", "upi")
OPEN_STATUSES = ("partial", "unpaid")
AGING_BUCKETS = (("0_30", 30), ("31_60", 60), ("61_90", 90), ("90_plus", None))

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


def local_today() -> date:
    """Return today's date on the shop's clock (every date range in the app is local)."""
    return to_local(utcnow()).date()


# ---------------------------------------------------------------- writing


def lock_customer(session: Session, customer_id: int) -> Customer:
    """Load a customer for update (row lock on PostgreSQL; SQLite's writer lock already holds)."""
    customer = session.scalar(select(Customer).where(Customer.id == customer_id).with_for_update())
    if customer is None:
        raise NotFound(_("No such customer."))
    return customer


def _apply(invoice: Invoice, amount: int) -> None:
    invoice.paid += amount
    invoice.status = invoice_status(invoice.net_total, invoice.paid)


def available_credit(limit: int | None, owed: int) -> int | None:
    """Return how much more may go on credit: None with no limit, never below 0."""
    return None if limit is None else max(0, limit - owed)


def credit_words(limit: int | None, owed: int, money: Callable[[int], str]) -> str:
    """Say a customer's limit in plain words, as every page, the till and refusals do.

    A 0 limit must never read like "no limit": the two mean opposite things at the counter.
    """
    if limit is None:
        return _("no credit limit")
    if limit == 0:
        return _("credit limit %(zero)s — no credit allowed", zero=money(0))
    return _(
        "credit left %(left)s of %(limit)s", left=money(max(0, limit - owed)), limit=money(limit)
    )


def check_credit(session: Session, customer: Customer, amount: int) -> int:
    """Refuse a credit part that would take the balance over the limit; return the balance."""
    current = balance(session, customer.id)
    limit = customer.credit_limit
    if limit is None or amount <= 0 or current + amount <= limit:
        return current
    available = max(0, limit - current)
    settings = load_settings(session)

    def money(minor: int) -> str:
        return format_money(minor, settings.currency, settings.locale)

    if limit == 0:
        message = _(
            "%(name)s: credit limit %(limit)s — no credit allowed. Take the "
            "payment another way, or an admin can set a limit.",
            name=customer.name,
            limit=money(0),
        )
    else:
        message = _(
            "Credit of %(amount)s would take %(name)s over the limit: %(credit)s "
            "(balance %(balance)s). Put at most %(available)s on credit, or an admin can "
            "raise the limit.",
            amount=money(amount),
            name=customer.name,
            credit=credit_words(limit, current, money),
            balance=money(current),
            available=money(available),
        )
    raise CreditLimitExceeded(
        message,
        details={
            "customer_id": customer.id,
            "limit": money_str(limit),
            "balance": money_str(current),
            "requested": money_str(amount),
            "available": money_str(available),
        },
    )


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
        errors["method"] = _(
            "Method must be one of %(choices)s.", choices=", ".join(ACCOUNT_PAYMENT_METHODS)
        )
    note = data.get("note") or ""
    if not isinstance(note, str) or len(note.strip()) > NOTE_LIMIT:
        errors["note"] = _(
            "The note must be text of at most %(limit)s characters.", limit=NOTE_LIMIT
        )
        note = ""
    if errors:
        raise ValidationError(next(iter(errors.values())), fields=errors)
    return amount, str(method), note.strip()


def record_payment(
    session: Session,
    customer_id: int,
    data: Mapping[str, Any],
    user: User,
    within: Within[PaymentResult] | None = None,
) -> PaymentResult:
    """Take a payment on account: credit the ledger, settle the oldest invoices, keep the rest.

    `within` runs in the payment's transaction once it is written (services/hooks.py)."""
    amount, method, note = parse_payment(data)
    with write_transaction(session):
        customer = lock_customer(session, customer_id)
        if customer.archived:
            raise Conflict(
                _("%(name)s is archived; restore the customer first.", name=customer.name),
                code="archived",
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
        books_sales.post_customer_payment(session, payment)
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
            "customer.payment",
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
        if within is not None:
            within(session, result)
    return result


def add_adjustment(
    session: Session, customer_id: int, data: Mapping[str, Any], user: User
) -> LedgerEntry:
    """Add an admin's correction to a ledger (signed amount, reason required)."""
    if not user.is_admin:
        raise Forbidden(_("Only an admin may adjust a customer's balance."))
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
        errors["reason"] = _("Say why the balance is adjusted.")
    elif len(reason) > NOTE_LIMIT:
        errors["reason"] = _("At most %(limit)s characters.", limit=NOTE_LIMIT)
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
        books_sales.post_ledger_entry(session, entry)
        audit.record(
            session,
            "customer.adjustment",
            user_id=user.id,
            entity="customer",
            entity_id=customer.id,
            after={"entry_id": entry.id, "amount": amount, "reason": reason},
        )
    return entry
