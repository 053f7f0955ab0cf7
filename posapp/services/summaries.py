"""The daily sales summary (`daily_sales`): kept by checkout, adjustable, rebuildable, checked.

Checkout calls `apply_invoice(session, invoice, +1)` inside its own write transaction, so the
summary can never disagree with the invoices it counts. A void calls
`apply_invoice(session, invoice, -1)` in the void's transaction (the invoice leaves the
figures of the day it was sold). A return calls `apply_credit_note(session, note)`: its
figures leave the day of the return, so a day's sales are net of what came back that day
(the invoice count stays: the sale happened). So a day's `sales` is its net sales in the words
of docs/DESIGN.md ("Sales figures"): gross sales (bill totals) less returns; `net` is its net
revenue (without tax and round-off). `rebuild` recomputes the whole table from the
invoices and credit notes (`python app.py rebuild-summaries`), and `differences` is what
`python app.py check` reports.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, fields
from datetime import date, datetime
from typing import Any

from sqlalchemy import bindparam, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from posapp.models import CreditNote, DailySales, Invoice, InvoiceLine, Payment
from posapp.models.base import table, to_local
from posapp.money import round_half_up_div

METHODS = ("cash", "card", "upi", "credit")


@dataclass
class DayFigures:
    """What one invoice (or a whole day) adds to the summary; minor units."""

    invoices: int = 0
    sales: int = 0
    net: int = 0
    tax: int = 0
    discount: int = 0
    cost: int = 0
    cash: int = 0
    card: int = 0
    upi: int = 0
    credit: int = 0

    def add(self, other: DayFigures, sign: int = 1) -> None:
        """Add (or with sign -1 subtract) another set of figures into this one."""
        for f in fields(self):
            setattr(self, f.name, getattr(self, f.name) + sign * getattr(other, f.name))

    def as_dict(self) -> dict[str, int]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


def line_cost(qty_milli: int, unit_cost: int) -> int:
    """Cost of goods sold for one line: quantity times the cost snapshot, rounded half up."""
    return round_half_up_div(qty_milli * unit_cost, 1000)


def local_day(moment: datetime) -> date:
    """The shop's (local) calendar day of a stored UTC time."""
    return to_local(moment).date()


def invoice_figures(
    invoice: Invoice, lines: list[InvoiceLine], payments: list[Payment]
) -> DayFigures:
    """Figures one invoice contributes: totals, COGS, and its settlement split by method."""
    return figures_of(
        invoice,
        ((line.taxable, line.qty_milli, line.unit_cost) for line in lines),
        ((payment.method, payment.amount) for payment in payments),
    )


def figures_of(
    invoice: Invoice,
    lines: Iterable[tuple[int, int, int]],
    payments: Iterable[tuple[str, int]],
) -> DayFigures:
    """Figures of an invoice from its lines' (taxable, qty_milli, unit_cost) and its
    payments' (method, amount): checkout passes what it wrote, so nothing is read back."""
    net = cost = 0
    for taxable, qty_milli, unit_cost in lines:
        net += taxable
        cost += line_cost(qty_milli, unit_cost)
    figures = DayFigures(
        invoices=1,
        sales=invoice.total,
        net=net,
        tax=invoice.tax_total,
        discount=invoice.discount_total,
        cost=cost,
    )
    settled = 0
    for method, amount in payments:
        if method in ("cash", "card", "upi"):
            setattr(figures, method, getattr(figures, method) + amount)
            settled += amount
    figures.credit = invoice.total - settled
    return figures


def credit_note_figures(
    total: int, taxable: int, tax: int, applied: int, refund: int, method: str, cost: int
) -> DayFigures:
    """What a credit note takes away from its day: money, tax, and the restocked goods' cost.

    The part applied to what the customer still owed and a refund to store credit come off
    the credit column; a cash refund comes off cash. Damaged goods keep their cost: a loss.
    """
    figures = DayFigures(sales=total, net=taxable, tax=tax, cost=cost, credit=applied)
    if method == "cash":
        figures.cash = refund
    else:
        figures.credit += refund
    return figures


def _note_cost(note: CreditNote) -> int:
    if not note.restock:
        return 0
    return sum(line_cost(line.qty_milli, line.invoice_line.unit_cost) for line in note.lines)


def apply_credit_note(session: Session, note: CreditNote) -> None:
    """Take a return's figures off the day it was made, inside the return's transaction."""
    session.flush()
    figures = credit_note_figures(
        note.total,
        note.taxable_total,
        note.tax_total,
        note.applied,
        note.refund,
        note.refund_method,
        _note_cost(note),
    )
    adjust(session, local_day(note.created_at), figures, -1)


_DAILY = table(DailySales)
_FIGURES = tuple(f.name for f in fields(DayFigures))
# One UPDATE adds to the day's counters in the database (x = x + :x): it takes the row's write
# lock on PostgreSQL and MariaDB, so two tills never lose a sum, and costs one statement.
_ADD_TO_DAY = (
    update(_DAILY)
    .where(_DAILY.c.day == bindparam("the_day"))
    .values({name: _DAILY.c[name] + bindparam(f"d_{name}") for name in _FIGURES})
)


def adjust(session: Session, day: date, figures: DayFigures, sign: int = 1) -> None:
    """Add figures (sign +1) or take them away (-1) from one day, inside the caller's tx."""
    params: dict[str, Any] = {
        f"d_{name}": sign * value for name, value in figures.as_dict().items()
    }
    params["the_day"] = day
    connection = session.connection()
    if connection.execute(_ADD_TO_DAY, params).rowcount == 1:
        return
    try:
        # The day's first sale. Two tills may make it at once: the loser's insert fails on the
        # primary key (savepoint only), and it adds to the winner's row instead.
        with session.begin_nested():
            connection.execute(insert(_DAILY), {"day": day, **DayFigures().as_dict()})
    except IntegrityError:
        pass
    if connection.execute(_ADD_TO_DAY, params).rowcount != 1:
        raise RuntimeError(f"daily_sales row for {day} could be neither updated nor created")


def apply_invoice(session: Session, invoice: Invoice, sign: int = 1) -> None:
    """Count an invoice in its day (sign +1, at checkout) or take it out (-1, when voided)."""
    session.flush()
    lines = list(session.scalars(select(InvoiceLine).where(InvoiceLine.invoice_id == invoice.id)))
    payments = list(
        session.scalars(
            select(Payment).where(
                Payment.invoice_id == invoice.id, Payment.created_at <= invoice.created_at
            )
        )
    )
    adjust(session, local_day(invoice.created_at), invoice_figures(invoice, lines, payments), sign)


def computed(session: Session) -> dict[date, DayFigures]:
    """Recompute every day's figures from the invoices (void ones excluded) and credit notes."""
    days: dict[date, DayFigures] = {}
    line_sums = (
        select(
            InvoiceLine.invoice_id.label("iid"),
            func.sum(InvoiceLine.taxable).label("net"),
            # round_half_up_div(qty * cost, 1000) per line, in SQL integer arithmetic
            func.sum((InvoiceLine.qty_milli * InvoiceLine.unit_cost + 500) // 1000).label("cost"),
        )
        .group_by(InvoiceLine.invoice_id)
        .subquery()
    )
    at_sale = (
        select(Payment.invoice_id.label("iid"), Payment.method, func.sum(Payment.amount).label("a"))
        .join(Invoice, Invoice.id == Payment.invoice_id)
        .where(Payment.created_at <= Invoice.created_at)
        .group_by(Payment.invoice_id, Payment.method)
        .subquery()
    )
    methods = {
        m: select(func.coalesce(func.sum(at_sale.c.a), 0))
        .where(at_sale.c.iid == Invoice.id, at_sale.c.method == m)
        .scalar_subquery()
        for m in ("cash", "card", "upi")
    }
    stmt = (
        select(
            Invoice.created_at,
            Invoice.total,
            Invoice.tax_total,
            Invoice.discount_total,
            func.coalesce(line_sums.c.net, 0),
            func.coalesce(line_sums.c.cost, 0),
            methods["cash"],
            methods["card"],
            methods["upi"],
        )
        .outerjoin(line_sums, line_sums.c.iid == Invoice.id)
        .where(Invoice.status != "void")
        .execution_options(yield_per=5000)
    )
    for created, total, tax, discount, net, cost, cash, card, upi in session.execute(stmt):
        figures = days.setdefault(local_day(created), DayFigures())
        figures.add(
            DayFigures(
                invoices=1,
                sales=total,
                net=int(net),
                tax=tax,
                discount=discount,
                cost=int(cost),
                cash=int(cash),
                card=int(card),
                upi=int(upi),
                credit=total - int(cash) - int(card) - int(upi),
            )
        )
    notes = (
        select(CreditNote).options(selectinload(CreditNote.lines)).execution_options(yield_per=1000)
    )
    for note in session.scalars(notes):
        figures = days.setdefault(local_day(note.created_at), DayFigures())
        figures.add(
            credit_note_figures(
                note.total,
                note.taxable_total,
                note.tax_total,
                note.applied,
                note.refund,
                note.refund_method,
                _note_cost(note),
            ),
            -1,
        )
    return days


def stored(session: Session) -> dict[date, DayFigures]:
    """The summary table as it is."""
    names = [f.name for f in fields(DayFigures)]
    return {
        row.day: DayFigures(**{n: getattr(row, n) for n in names})
        for row in session.scalars(select(DailySales))
    }


def differences(session: Session) -> Iterator[str]:
    """Yield one message per day where the summary and the invoices disagree."""
    want = computed(session)
    have = stored(session)
    empty = DayFigures()
    for day in sorted(set(want) | set(have)):
        a, b = want.get(day, empty), have.get(day, empty)
        if a != b:
            wrong = {k: (v, b.as_dict()[k]) for k, v in a.as_dict().items() if v != b.as_dict()[k]}
            yield f"daily_sales {day.isoformat()}: (invoices, summary) differ {wrong}"


def rebuild(session: Session) -> int:
    """Replace the summary with figures recomputed from the invoices; return the day count.

    The caller runs this inside a write transaction.
    """
    days = computed(session)
    session.execute(delete(DailySales))
    if days:
        session.execute(
            insert(DailySales), [{"day": d, **f.as_dict()} for d, f in sorted(days.items())]
        )
    return len(days)
