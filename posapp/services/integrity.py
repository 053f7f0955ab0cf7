"""The checks behind `app.py check`: database integrity and the invariants of DESIGN §2-3."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from posapp.models import Invoice, InvoiceLine, Payment, Product, StockMovement


@dataclass
class CheckReport:
    """What `check` found: a list of problems, each naming where it is."""

    problems: list[str] = field(default_factory=list)
    checked: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def run_checks(session: Session) -> CheckReport:
    """Run every check; never raises for a broken invariant, reports it instead."""
    report = CheckReport()
    if session.get_bind().dialect.name == "sqlite":
        rows = [r[0] for r in session.execute(text("PRAGMA integrity_check")).all()]
        report.checked.append("sqlite integrity_check")
        if rows != ["ok"]:
            report.problems.extend(f"integrity_check: {r}" for r in rows)
        fk = session.execute(text("PRAGMA foreign_key_check")).all()
        report.checked.append("sqlite foreign_key_check")
        report.problems.extend(f"foreign key broken: {tuple(r)}" for r in fk)

    movement_sums = (
        select(StockMovement.product_id, func.sum(StockMovement.delta_milli).label("s"))
        .group_by(StockMovement.product_id)
        .subquery()
    )
    stock_rows = session.execute(
        select(Product.id, Product.code, Product.stock_milli, func.coalesce(movement_sums.c.s, 0))
        .outerjoin(movement_sums, movement_sums.c.product_id == Product.id)
        .where(Product.stock_milli != func.coalesce(movement_sums.c.s, 0))
    ).all()
    report.checked.append("product stock = sum of its movements")
    for pid, code, stock, moved in stock_rows:
        report.problems.append(
            f"product {pid} ({code}): stock_milli {stock} != sum of movements {moved}"
        )

    line_sums = (
        select(
            InvoiceLine.invoice_id,
            func.sum(InvoiceLine.total).label("total"),
            func.sum(InvoiceLine.tax).label("tax"),
            func.sum(InvoiceLine.gross).label("gross"),
        )
        .group_by(InvoiceLine.invoice_id)
        .subquery()
    )
    bad = session.execute(
        select(
            Invoice.number,
            Invoice.total,
            Invoice.round_off,
            Invoice.tax_total,
            Invoice.subtotal,
            line_sums.c.total,
            line_sums.c.tax,
            line_sums.c.gross,
        )
        .join(line_sums, line_sums.c.invoice_id == Invoice.id)
        .where(
            (Invoice.total != line_sums.c.total + Invoice.round_off)
            | (Invoice.tax_total != line_sums.c.tax)
            | (Invoice.subtotal != line_sums.c.gross)
        )
    ).all()
    report.checked.append("invoice total = sum of line totals + round-off; tax = sum of line tax")
    for number, total, round_off, tax, subtotal, lt, ltax, lgross in bad:
        report.problems.append(
            f"invoice {number}: total {total} (round-off {round_off}) vs lines {lt}; "
            f"tax {tax} vs lines {ltax}; subtotal {subtotal} vs lines {lgross}"
        )

    pay_sums = (
        select(Payment.invoice_id, func.sum(Payment.amount).label("s"))
        .where(Payment.invoice_id.is_not(None))
        .group_by(Payment.invoice_id)
        .subquery()
    )
    unpaid = session.execute(
        select(Invoice.number, Invoice.paid, func.coalesce(pay_sums.c.s, 0))
        .outerjoin(pay_sums, pay_sums.c.invoice_id == Invoice.id)
        .where(Invoice.paid != func.coalesce(pay_sums.c.s, 0))
    ).all()
    report.checked.append("invoice paid = sum of its payments")
    for number, paid, summed in unpaid:
        report.problems.append(f"invoice {number}: paid {paid} != sum of payments {summed}")

    report.checked.append("invoice numbers gapless per financial year")
    for fy, count, top in session.execute(
        select(Invoice.fy, func.count(), func.max(Invoice.seq)).group_by(Invoice.fy)
    ).all():
        if count != top:
            report.problems.append(
                f"financial year {fy}: {count} invoices but the highest number is {top} (gap)"
            )
    return report
