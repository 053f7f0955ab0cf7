"""The checks behind `app.py check`: database integrity and the invariants of docs/DESIGN.md."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import case, func, select, text
from sqlalchemy.orm import Session

from posapp.models import (
    CreditNote,
    CreditNoteLine,
    Invoice,
    InvoiceLine,
    LedgerEntry,
    Order,
    OrderLine,
    Payment,
    PaymentAllocation,
    Product,
    StockMovement,
)
from posapp.services import audit, books_checks, numbering, schema, summaries, suppliers


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
        if rows != ["ok"]:
            # The rest would read damaged pages: stop with what is known (restore a backup).
            report.problems.append("further checks skipped: the database file is damaged")
            return report
        fk = session.execute(text("PRAGMA foreign_key_check")).all()
        report.checked.append("sqlite foreign_key_check")
        report.problems.extend(f"foreign key broken: {tuple(r)}" for r in fk)
    report.checked.append("every table and column of this version exists")
    missing = schema.missing_schema(session.connection())
    if missing:
        report.problems.extend(missing)
        report.problems.append("further checks skipped: the database lacks TillBook's tables")
        return report

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

    _check_paid(session, report)
    _check_ledger(session, report)
    _check_credit_notes(session, report)
    _check_tax_heads(session, report)
    _check_order_in_time(session, report)
    _check_orders(session, report)
    checked, problems = suppliers.check_problems(session)
    report.checked.extend(checked)
    report.problems.extend(problems)
    checked, problems = books_checks.check_problems(session)
    report.checked.extend(checked)
    report.problems.extend(problems)

    # Numbers skipped after a restore (they went out with the restored-over data) are known
    # gaps, not lost documents.
    skipped = numbering.lost_ranges(session)
    for kind, model, series in (
        ("invoice", Invoice, "invoice"),
        ("credit note", CreditNote, "credit_note"),
    ):
        report.checked.append(f"{kind} numbers gapless per financial year")
        for fy, count, top in session.execute(
            select(model.fy, func.count(), func.max(model.seq)).group_by(model.fy)
        ).all():
            if count + numbering.lost_in(skipped, series, fy, top) != top:
                report.problems.append(
                    f"financial year {fy}: {count} {kind}s but the highest number is {top} (gap)"
                )
    _check_audit_chain(session, report)
    report.checked.append("daily sales summary = its invoices")
    report.problems.extend(summaries.differences(session))
    return report


def _check_orders(session: Session, report: CheckReport) -> None:
    """Reservations agree with the open orders that hold them; delivered orders have their
    invoice; services hold no stock (docs/DESIGN.md "Orders")."""
    open_statuses = ("confirmed", "packed", "ready_for_pickup", "out_for_delivery")
    held = (
        select(OrderLine.product_id, func.sum(OrderLine.reserved_milli).label("s"))
        .join(Order, Order.id == OrderLine.order_id)
        .where(Order.status.in_(open_statuses))
        .group_by(OrderLine.product_id)
        .subquery()
    )
    report.checked.append("product reserved = sum of its open orders' reservations, never < 0")
    for pid, code, reserved, summed in session.execute(
        select(Product.id, Product.code, Product.reserved_milli, func.coalesce(held.c.s, 0))
        .outerjoin(held, held.c.product_id == Product.id)
        .where(
            (Product.reserved_milli != func.coalesce(held.c.s, 0)) | (Product.reserved_milli < 0)
        )
    ).all():
        report.problems.append(
            f"product {pid} ({code}): reserved_milli {reserved} != open orders' {summed}"
        )
    report.checked.append("an order holds stock exactly while confirmed and not yet delivered")
    # Open and past pending: each stocked line holds its quantity; otherwise nothing.
    expected = case(
        (Order.status.in_(open_statuses) & Product.is_service.is_(False), OrderLine.qty_milli),
        else_=0,
    )
    for number, name, status, reserved in session.execute(
        select(Order.number, OrderLine.name, Order.status, OrderLine.reserved_milli)
        .join(Order, Order.id == OrderLine.order_id)
        .join(Product, Product.id == OrderLine.product_id)
        .where(OrderLine.reserved_milli != expected)
    ).all():
        report.problems.append(
            f"order {number} ({status}): {name} holds {reserved} reserved, it should not"
            if status not in open_statuses
            else f"order {number} ({status}): {name} holds {reserved}, not its quantity"
        )
    report.checked.append("every delivered order has its invoice")
    for (number,) in session.execute(
        select(Order.number).where(Order.status == "delivered", Order.invoice_id.is_(None))
    ).all():
        report.problems.append(f"order {number}: delivered without an invoice")
    report.checked.append("a service product has no stock, reservation or stock value")
    for pid, code in session.execute(
        select(Product.id, Product.code).where(
            Product.is_service.is_(True),
            (Product.stock_milli != 0) | (Product.reserved_milli != 0) | (Product.stock_value != 0),
        )
    ).all():
        report.problems.append(f"product {pid} ({code}): a service with stock")


def _check_audit_chain(session: Session, report: CheckReport) -> None:
    """Recompute the audit log's hash chain; name the first entry that does not follow."""
    report.checked.append("audit log hash chain unbroken")
    broken = audit.first_break(session)
    if broken is not None:
        when = broken.created_at.isoformat(sep=" ", timespec="seconds") if broken.created_at else ""
        report.problems.append(
            f"audit log entry {broken.entry_id} ({broken.action}, {when}) was changed, or an "
            "entry before it was deleted: the hash chain breaks there"
        )
    report.checked.append("audit log reaches its anchor (nothing trimmed)")
    report.problems.extend(audit.anchor_problems(session))


def _check_tax_heads(session: Session, report: CheckReport) -> None:
    """Every line's tax is its heads; intra-state halves are equal, IGST stands alone.

    Documents of tax_rule 1 were issued before the heads were stored per line: their
    backfilled halves may differ by the odd paisa, so only their sum is checked.
    """
    report.checked.append(
        "line tax = CGST + SGST + IGST + cess; CGST = SGST and no IGST intra-state (tax_rule "
        "2); no CGST/SGST on IGST documents; no tax on a bill of supply"
    )
    documents = (
        ("invoice", Invoice, InvoiceLine, InvoiceLine.invoice_id),
        ("credit note", CreditNote, CreditNoteLine, CreditNoteLine.credit_note_id),
    )
    for kind, document, line, parent in documents:
        heads = line.cgst + line.sgst + line.igst + line.cess
        intra = (document.tax_split == "cgst_sgst") & (document.tax_rule >= 2)
        rows = session.execute(
            select(
                document.number,
                document.tax_split,
                line.position,
                line.tax,
                line.cgst,
                line.sgst,
                line.igst,
                line.cess,
            )
            .join(document, document.id == parent)
            .where(
                (line.tax != heads)
                | (intra & ((line.cgst != line.sgst) | (line.igst != 0)))
                | ((document.tax_split == "igst") & ((line.cgst != 0) | (line.sgst != 0)))
                | ((document.tax_split == "none") & (line.tax != 0))
            )
            .order_by(document.id, line.position)
        ).all()
        for number, split, position, tax, cgst, sgst, igst, cess in rows:
            report.problems.append(
                f"{kind} {number} ({split}), line {position}: tax {tax} vs CGST {cgst} + "
                f"SGST {sgst} + IGST {igst} + cess {cess}"
            )


def _check_credit_notes(session: Session, report: CheckReport) -> None:
    """Credit notes add up, never return more than was sold, and their invoices agree."""
    report.checked.append("credit note total = sum of its lines + round-off; split = total")
    sums = (
        select(
            CreditNoteLine.credit_note_id.label("cid"),
            func.sum(CreditNoteLine.total).label("total"),
            func.sum(CreditNoteLine.taxable).label("taxable"),
            func.sum(CreditNoteLine.tax).label("tax"),
            func.sum(
                case(
                    (CreditNoteLine.total != CreditNoteLine.taxable + CreditNoteLine.tax, 1),
                    else_=0,
                )
            ).label("bad"),
        )
        .group_by(CreditNoteLine.credit_note_id)
        .subquery()
    )
    for number, total, round_off, applied, refund, lines_total in session.execute(
        select(
            CreditNote.number,
            CreditNote.total,
            CreditNote.round_off,
            CreditNote.applied,
            CreditNote.refund,
            func.coalesce(sums.c.total, 0),
        )
        .outerjoin(sums, sums.c.cid == CreditNote.id)
        .where(
            (CreditNote.total != func.coalesce(sums.c.total, 0) + CreditNote.round_off)
            | (CreditNote.taxable_total != func.coalesce(sums.c.taxable, 0))
            | (CreditNote.tax_total != func.coalesce(sums.c.tax, 0))
            | (func.coalesce(sums.c.bad, 0) > 0)
            | (CreditNote.applied + CreditNote.refund != CreditNote.total)
        )
    ).all():
        report.problems.append(
            f"credit note {number}: total {total} (round-off {round_off}) vs lines "
            f"{lines_total}; applied {applied} + refund {refund}"
        )

    report.checked.append("returned quantity and amounts never exceed what the line sold")
    returned = (
        select(
            CreditNoteLine.invoice_line_id.label("lid"),
            func.sum(CreditNoteLine.qty_milli).label("qty"),
            func.sum(CreditNoteLine.total).label("total"),
        )
        .group_by(CreditNoteLine.invoice_line_id)
        .subquery()
    )
    for number, line_id, sold, qty, total, line_total in session.execute(
        select(
            Invoice.number,
            InvoiceLine.id,
            InvoiceLine.qty_milli,
            returned.c.qty,
            returned.c.total,
            InvoiceLine.total,
        )
        .join(returned, returned.c.lid == InvoiceLine.id)
        .join(Invoice, Invoice.id == InvoiceLine.invoice_id)
        .where((returned.c.qty > InvoiceLine.qty_milli) | (returned.c.total > InvoiceLine.total))
    ).all():
        report.problems.append(
            f"invoice {number} line {line_id}: returned {qty} of {sold} sold "
            f"(amount {total} of {line_total})"
        )

    report.checked.append("invoice returned_total = sum of its credit notes")
    notes = (
        select(CreditNote.invoice_id.label("iid"), func.sum(CreditNote.total).label("s"))
        .group_by(CreditNote.invoice_id)
        .subquery()
    )
    for number, recorded, summed in session.execute(
        select(Invoice.number, Invoice.returned_total, func.coalesce(notes.c.s, 0))
        .outerjoin(notes, notes.c.iid == Invoice.id)
        .where(Invoice.returned_total != func.coalesce(notes.c.s, 0))
    ).all():
        report.problems.append(
            f"invoice {number}: returned_total {recorded} != its credit notes {summed}"
        )


def _check_paid(session: Session, report: CheckReport) -> None:
    """Every invoice's direct payments and allocations add up to its `paid`."""
    direct = (
        select(Payment.invoice_id.label("iid"), func.sum(Payment.amount).label("s"))
        .where(Payment.invoice_id.is_not(None))
        .group_by(Payment.invoice_id)
        .subquery()
    )
    allocated = (
        select(
            PaymentAllocation.invoice_id.label("iid"), func.sum(PaymentAllocation.amount).label("s")
        )
        .group_by(PaymentAllocation.invoice_id)
        .subquery()
    )
    received = func.coalesce(direct.c.s, 0) + func.coalesce(allocated.c.s, 0)
    rows = session.execute(
        select(Invoice.number, Invoice.paid, received)
        .outerjoin(direct, direct.c.iid == Invoice.id)
        .outerjoin(allocated, allocated.c.iid == Invoice.id)
        .where(Invoice.paid != received)
    ).all()
    report.checked.append("invoice paid = sum of its payments and allocations")
    for number, paid, summed in rows:
        report.problems.append(
            f"invoice {number}: paid {paid} != payments and allocations {summed}"
        )

    report.checked.append("invoice status follows paid (paid / partial / unpaid)")
    open_states = ("paid", "partial", "unpaid")
    net = Invoice.total - Invoice.returned_total
    expected = case((Invoice.paid >= net, "paid"), (Invoice.paid > 0, "partial"), else_="unpaid")
    for number, status, paid, total in session.execute(
        select(Invoice.number, Invoice.status, Invoice.paid, net).where(
            Invoice.status.in_(open_states), Invoice.status != expected
        )
    ).all():
        report.problems.append(f"invoice {number}: status {status} but paid {paid} of {total}")
    for number, paid, total in session.execute(
        select(Invoice.number, Invoice.paid, net).where(
            Invoice.status.in_(open_states), Invoice.paid > net
        )
    ).all():
        report.problems.append(f"invoice {number}: paid {paid} exceeds its total {total}")


def _check_ledger(session: Session, report: CheckReport) -> None:
    """The ledger agrees with the invoices and payments it records."""
    report.checked.append("credit sale entry = invoice total - money received at the till")
    direct = (
        select(Payment.invoice_id.label("iid"), func.sum(Payment.amount).label("s"))
        .where(Payment.invoice_id.is_not(None), Payment.credit_note_id.is_(None))
        .group_by(Payment.invoice_id)
        .subquery()
    )
    rows = session.execute(
        select(Invoice.number, LedgerEntry.amount, Invoice.total, func.coalesce(direct.c.s, 0))
        .join(Invoice, Invoice.id == LedgerEntry.invoice_id)
        .outerjoin(direct, direct.c.iid == Invoice.id)
        .where(
            LedgerEntry.kind == "credit_sale",
            LedgerEntry.amount != Invoice.total - func.coalesce(direct.c.s, 0),
        )
    ).all()
    for number, amount, total, received in rows:
        report.problems.append(
            f"invoice {number}: credit entry {amount} != total {total} - received {received}"
        )
    for (number,) in session.execute(
        select(Invoice.number).where(
            Invoice.customer_id.is_not(None),
            Invoice.status.in_(("partial", "unpaid")),
            ~select(LedgerEntry.id)
            .where(LedgerEntry.invoice_id == Invoice.id, LedgerEntry.kind == "credit_sale")
            .exists(),
        )
    ).all():
        report.problems.append(f"invoice {number}: owed on credit but not in the ledger")

    report.checked.append("every account payment is one ledger credit of its amount")
    entries = (
        select(LedgerEntry.payment_id.label("pid"), func.sum(LedgerEntry.amount).label("s"))
        # Store credit from a credit note is an account payment booked as a `return` credit.
        .where(LedgerEntry.kind.in_(("payment", "return")))
        .group_by(LedgerEntry.payment_id)
        .subquery()
    )
    for pid, amount, entry in session.execute(
        select(Payment.id, Payment.amount, entries.c.s)
        .outerjoin(entries, entries.c.pid == Payment.id)
        .where(
            Payment.customer_id.is_not(None),
            Payment.invoice_id.is_(None),
            func.coalesce(entries.c.s, 0) != -Payment.amount,
        )
    ).all():
        report.problems.append(f"payment {pid}: amount {amount} but ledger credit {entry}")

    _check_allocations(session, report)

    report.checked.append("allocations never exceed their payment; same customer")
    allocated = (
        select(
            PaymentAllocation.payment_id.label("pid"), func.sum(PaymentAllocation.amount).label("s")
        )
        .group_by(PaymentAllocation.payment_id)
        .subquery()
    )
    for pid, amount, summed in session.execute(
        select(Payment.id, Payment.amount, allocated.c.s)
        .join(allocated, allocated.c.pid == Payment.id)
        .where(allocated.c.s > Payment.amount)
    ).all():
        report.problems.append(f"payment {pid}: allocated {summed} of only {amount}")
    for aid, pid, number in session.execute(
        select(PaymentAllocation.id, Payment.id, Invoice.number)
        .join(Payment, Payment.id == PaymentAllocation.payment_id)
        .join(Invoice, Invoice.id == PaymentAllocation.invoice_id)
        .where(
            (Payment.customer_id.is_(None))
            | (Invoice.customer_id.is_(None))
            | (Payment.customer_id != Invoice.customer_id)
        )
    ).all():
        report.problems.append(
            f"allocation {aid}: payment {pid} settles invoice {number} of another customer"
        )


def _check_allocations(session: Session, report: CheckReport) -> None:
    """No allocation pays a void bill, and each customer's bills, advances and ledger agree.

    Per customer the ledger balance must equal what their bills still owe, less the account
    money not allocated to any bill, plus what is owed without a bill (opening balance,
    adjustments). A payment left allocated to a void bill (money kept silently) breaks both.
    """
    report.checked.append("no allocation on a void invoice")
    for aid, pid, number, amount in session.execute(
        select(
            PaymentAllocation.id,
            PaymentAllocation.payment_id,
            Invoice.number,
            PaymentAllocation.amount,
        )
        .join(Invoice, Invoice.id == PaymentAllocation.invoice_id)
        .where(Invoice.status == "void")
    ).all():
        report.problems.append(
            f"allocation {aid}: payment {pid} still pays {amount} of void invoice {number}"
        )

    report.checked.append("customer balance = owed on bills - unallocated payments + other debits")
    ledger_sums = dict(
        session.execute(
            select(LedgerEntry.customer_id, func.sum(LedgerEntry.amount)).group_by(
                LedgerEntry.customer_id
            )
        ).all()
    )
    other = dict(
        session.execute(
            select(LedgerEntry.customer_id, func.sum(LedgerEntry.amount))
            .where(LedgerEntry.kind.in_(("opening", "adjustment")))
            .group_by(LedgerEntry.customer_id)
        ).all()
    )
    owed = dict(
        session.execute(
            select(
                Invoice.customer_id,
                func.sum(Invoice.total - Invoice.returned_total - Invoice.paid),
            )
            .where(Invoice.customer_id.is_not(None), Invoice.status != "void")
            .group_by(Invoice.customer_id)
        ).all()
    )
    allocated = (
        select(
            PaymentAllocation.payment_id.label("pid"), func.sum(PaymentAllocation.amount).label("s")
        )
        .group_by(PaymentAllocation.payment_id)
        .subquery()
    )
    unallocated = dict(
        session.execute(
            select(Payment.customer_id, func.sum(Payment.amount - func.coalesce(allocated.c.s, 0)))
            .outerjoin(allocated, allocated.c.pid == Payment.id)
            .where(Payment.customer_id.is_not(None), Payment.invoice_id.is_(None))
            .group_by(Payment.customer_id)
        ).all()
    )
    for cid in sorted(c for c in set(ledger_sums) | set(owed) | set(unallocated) if c is not None):
        balance = int(ledger_sums.get(cid) or 0)
        bills = int(owed.get(cid) or 0)
        free = int(unallocated.get(cid) or 0)
        expected = bills - free + int(other.get(cid) or 0)
        if balance != expected:
            report.problems.append(
                f"customer {cid}: ledger balance {balance} but bills owe {bills}, "
                f"unallocated payments {free}: allocations disagree with the ledger"
            )


def _check_order_in_time(session: Session, report: CheckReport) -> None:
    """Nothing happens to a bill before it was sold: no return, and no payment settling it.

    An advance used by a later credit sale is allocated at that sale's moment, so only an
    allocation dated before its invoice is wrong.
    """
    report.checked.append("credit notes are dated after their invoices")
    for number, invoice_number in session.execute(
        select(CreditNote.number, Invoice.number)
        .join(Invoice, Invoice.id == CreditNote.invoice_id)
        .where(CreditNote.created_at < Invoice.created_at)
    ).all():
        report.problems.append(f"credit note {number} is dated before its invoice {invoice_number}")
    report.checked.append("payments settle only bills already sold")
    for aid, pid, invoice_number in session.execute(
        select(PaymentAllocation.id, PaymentAllocation.payment_id, Invoice.number)
        .join(Invoice, Invoice.id == PaymentAllocation.invoice_id)
        .where(PaymentAllocation.created_at < Invoice.created_at)
    ).all():
        report.problems.append(
            f"allocation {aid}: payment {pid} settles invoice {invoice_number} before it was sold"
        )
