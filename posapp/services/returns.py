"""Returns (credit notes) and voids of invoices: stock back, money back, the ledger kept straight.

How a return settles (all inside one write transaction):
- Each returned line's amounts are its pro-rata share of the invoice line's own snapshot
  (taxable and each tax head, each rounded on the *cumulative* returned quantity, minus what
  earlier notes already took; CGST's share is SGST's on an intra-state line), so returning
  every unit gives back exactly the line's total and heads, and partial returns never add up
  to more. A note copies its invoice's tax split, place of supply and tax rule.
- The note first reduces what the customer still owes on the invoice (`applied`: a `return`
  ledger credit for a credit sale); only the rest (`refund`) is money back.
- Refund in cash is recorded as a *negative cash payment* on the invoice (`Payment.amount < 0`,
  `credit_note_id` set): the invoice's `paid` drops by it, and a cash session can sum the
  drawer's cash simply as Σ cash payments, refunds included.
- Refund to credit moves the money from the invoice to the customer's account: a negative
  `credit` payment on the invoice, a positive account payment (method `credit`, store credit)
  and a `return` ledger credit tied to that account payment, so the advance is allocated to
  the customer's next credit sale like any other advance.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from posapp.errors import Conflict, Forbidden, NotFound, ValidationError
from posapp.i18n import _
from posapp.models import (
    REFUND_METHODS,
    CashSession,
    CreditNote,
    CreditNoteLine,
    Invoice,
    InvoiceLine,
    LedgerEntry,
    Payment,
    PaymentAllocation,
    Product,
    User,
)
from posapp.models.base import by_id_or_number, to_local, utcnow, write_transaction
from posapp.money import money_str, parse_quantity, qty_str, round_half_up_div
from posapp.services import (
    audit,
    books_sales,
    cash_sessions,
    issued,
    ledger,
    summaries,
    system_notes,
)
from posapp.services.counters import financial_year, next_number
from posapp.services.inventory import book_movement
from posapp.services.invoices import invoice_for_user
from posapp.services.limits import MAX_RETURN_LINES
from posapp.services.limits import REASON_LENGTH as REASON_LIMIT
from posapp.services.settings import load_settings
from posapp.vocabulary import parse_flag

# ---------------------------------------------------------------- pure rules


HEADS = ("cgst", "sgst", "igst", "cess")


class LineAmounts(Protocol):
    """What a return is priced from: an invoice line's taxable value and tax heads."""

    @property
    def taxable(self) -> int: ...
    @property
    def cgst(self) -> int: ...
    @property
    def sgst(self) -> int: ...
    @property
    def igst(self) -> int: ...
    @property
    def cess(self) -> int: ...


@dataclass(frozen=True)
class ReturnedSoFar:
    """What earlier credit notes took of one invoice line."""

    qty_milli: int = 0
    taxable: int = 0
    tax: int = 0
    cgst: int = 0
    sgst: int = 0
    igst: int = 0
    cess: int = 0


@dataclass(frozen=True)
class ReturnShare:
    """The amounts of one returned part of an invoice line: taxable value and tax heads."""

    taxable: int
    cgst: int = 0
    sgst: int = 0
    igst: int = 0
    cess: int = 0

    @property
    def tax(self) -> int:
        return self.cgst + self.sgst + self.igst + self.cess

    @property
    def total(self) -> int:
        return self.taxable + self.tax


def _cumulative(amount: int, done_milli: int, sold_milli: int) -> int:
    """The share of an amount belonging to the first done_milli of sold_milli (rounded)."""
    if done_milli >= sold_milli:
        return amount
    return round_half_up_div(amount * done_milli, sold_milli)


def _part(amount: int, before: int, after_milli: int, sold_milli: int) -> int:
    """One amount's part of a return: its cumulative share less what earlier returns took."""
    part = _cumulative(amount, after_milli, sold_milli) - before
    # Earlier notes were priced the same way, so this is never negative; clamp anyway so a
    # hand-edited history can never make a return cost the customer money.
    return min(max(0, part), amount - before)


def return_share(
    line: LineAmounts, sold_milli: int, done: ReturnedSoFar, qty_milli: int
) -> ReturnShare:
    """Price returning qty_milli more of a line of which `done` already came back.

    The taxable value and each tax head are rounded on the cumulative returned quantity and
    the part is the difference to what earlier returns took ("remaining minus"): every part
    is >= 0, the parts never add up to more than the line, and the last unit takes exactly
    the rest. Intra-state lines keep CGST == SGST: the half's share is computed once and
    taken twice. (`total = taxable + tax` holds for every invoice line.)
    """
    if qty_milli <= 0 or done.qty_milli + qty_milli > sold_milli:
        raise ValueError("return quantity out of range")
    after = done.qty_milli + qty_milli
    taxable = _part(line.taxable, done.taxable, after, sold_milli)
    cgst = _part(line.cgst, done.cgst, after, sold_milli)
    if line.sgst == line.cgst and done.sgst == done.cgst:
        sgst = cgst  # equal halves stay equal (tax_rule 2)
    else:  # a legacy line (tax_rule 1) whose halves differ by the odd paisa
        sgst = _part(line.sgst, done.sgst, after, sold_milli)
    igst = _part(line.igst, done.igst, after, sold_milli)
    cess = _part(line.cess, done.cess, after, sold_milli)
    return ReturnShare(taxable, cgst, sgst, igst, cess)


def split_settlement(amount: int, balance_due: int) -> tuple[int, int]:
    """Split a credit note into (applied to what is still owed, refunded)."""
    applied = min(amount, max(0, balance_due))
    return applied, amount - applied


def restock_default(returnable_lines: Collection[int], perishable_lines: Collection[int]) -> bool:
    """Whether the return form's "back on the shelf" box starts ticked.

    Milk or bread that came back is not sold again, so the box starts unticked when every
    line still returnable is perishable; with anything else on the bill it starts ticked (the
    page's script then follows the lines the cashier chooses, until they touch the box).
    """
    return not returnable_lines or not set(returnable_lines) <= set(perishable_lines)


# ---------------------------------------------------------------- parsing


@dataclass(frozen=True)
class ReturnRequest:
    """A parsed return: raw quantities per invoice line id (units are checked per line)."""

    lines: list[tuple[int, Any]]
    refund_method: str
    restock: bool
    reason: str


def parse_return(payload: Mapping[str, Any]) -> ReturnRequest:
    """Validate the shape of a return request; collect every field error."""
    if not isinstance(payload, Mapping):
        raise ValidationError(_("The request body must be a JSON object."))
    errors: dict[str, str] = {}
    raw_lines = payload.get("lines")
    lines: list[tuple[int, Any]] = []
    if not isinstance(raw_lines, list) or not raw_lines:
        errors["lines"] = _("Choose at least one line to return.")
        raw_lines = []
    elif len(raw_lines) > MAX_RETURN_LINES:
        errors["lines"] = _("A return takes at most %(limit)s lines.", limit=MAX_RETURN_LINES)
        raw_lines = []
    seen: set[int] = set()
    for i, raw in enumerate(raw_lines):
        if not isinstance(raw, Mapping):
            errors[f"lines.{i}"] = _("Each line must be an object {line_id, quantity}.")
            continue
        line_id = raw.get("line_id")
        if isinstance(line_id, bool) or not isinstance(line_id, int):
            errors[f"lines.{i}.line_id"] = _("line_id must be an integer.")
            continue
        if line_id in seen:
            errors[f"lines.{i}.line_id"] = _("Each line may appear once.")
            continue
        seen.add(line_id)
        if raw.get("quantity") in (None, ""):
            errors[f"lines.{i}.quantity"] = _("Say how much comes back.")
            continue
        lines.append((line_id, raw.get("quantity")))
    method = payload.get("refund_method", "cash")
    if method not in REFUND_METHODS:
        errors["refund_method"] = _(
            "Refund method must be one of %(choices)s.", choices=", ".join(REFUND_METHODS)
        )
    restock = True
    try:
        restock = parse_flag(payload.get("restock"), "restock", True)
    except ValidationError as exc:
        errors["restock"] = exc.message
    reason = payload.get("reason") or ""
    if not isinstance(reason, str) or len(reason.strip()) > REASON_LIMIT:
        errors["reason"] = _(
            "The reason must be text of at most %(limit)s characters.", limit=REASON_LIMIT
        )
        reason = ""
    if errors:
        raise ValidationError(next(iter(errors.values())), fields=errors)
    return ReturnRequest(lines, str(method), restock, reason.strip())


# ---------------------------------------------------------------- reading


def returned_by_line(session: Session, invoice_id: int) -> dict[int, ReturnedSoFar]:
    """Return, per invoice line id, the quantity and amounts already returned."""
    rows = session.execute(
        select(
            CreditNoteLine.invoice_line_id,
            func.sum(CreditNoteLine.qty_milli),
            func.sum(CreditNoteLine.taxable),
            func.sum(CreditNoteLine.tax),
            *(func.sum(getattr(CreditNoteLine, head)) for head in HEADS),
        )
        .join(CreditNote, CreditNote.id == CreditNoteLine.credit_note_id)
        .where(CreditNote.invoice_id == invoice_id)
        .group_by(CreditNoteLine.invoice_line_id)
    ).all()
    return {int(lid): ReturnedSoFar(*(int(v) for v in sums)) for lid, *sums in rows}


def perishable_lines(session: Session, invoice_id: int) -> set[int]:
    """Ids of the invoice's lines whose product is marked perishable now (not as it was sold:
    the flag is about the goods, and an owner who marks milk perishable means past bills too).
    """
    rows = session.scalars(
        select(InvoiceLine.id)
        .join(Product, Product.id == InvoiceLine.product_id)
        .where(InvoiceLine.invoice_id == invoice_id, Product.perishable.is_(True))
    )
    return set(rows)


def load_credit_note(session: Session, key: int | str) -> CreditNote:
    """Load a credit note with its lines by id or number."""
    stmt = select(CreditNote).options(
        selectinload(CreditNote.lines), selectinload(CreditNote.invoice)
    )
    note = session.scalar(stmt.where(by_id_or_number(CreditNote.id, CreditNote.number, key)))
    if note is None:
        raise NotFound(_("No such credit note."))
    return note


def credit_note_for_user(session: Session, key: int | str, user: User) -> CreditNote:
    """Load a credit note the user may see: admins all, cashiers those of their own invoices."""
    note = load_credit_note(session, key)
    if not user.is_admin and note.invoice.cashier_id != user.id:
        raise Forbidden(_("Cashiers can open only credit notes of their own invoices."))
    return note


# ---------------------------------------------------------------- writing


def _lock_invoice(session: Session, invoice_id: int) -> Invoice:
    invoice = session.scalar(
        select(Invoice)
        .where(Invoice.id == invoice_id)
        .options(selectinload(Invoice.lines))
        # of=Invoice: PostgreSQL refuses FOR UPDATE on the nullable side of the customer join.
        .with_for_update(of=Invoice)
        .execution_options(populate_existing=True)
    )
    if invoice is None:
        raise NotFound(_("No such invoice."))
    return invoice


def create_return(
    session: Session, key: int | str, payload: Mapping[str, Any], user: User
) -> CreditNote:
    """Take goods back against an invoice and issue its credit note; all or nothing."""
    visible = invoice_for_user(session, key, user)
    request = parse_return(payload)
    invoice_id = visible.id
    with write_transaction(session):
        invoice = _lock_invoice(session, invoice_id)
        status_before = invoice.status
        if invoice.status == "void":
            raise Conflict(_("This invoice is void; nothing can be returned."), code="invoice_void")
        if request.refund_method == "credit" and invoice.customer_id is None:
            raise ValidationError(
                _("A refund to credit needs a customer on the invoice; refund in cash."),
                field="refund_method",
            )
        by_id = {line.id: line for line in invoice.lines}
        before = returned_by_line(session, invoice.id)
        errors: dict[str, str] = {}
        chosen: list[tuple[InvoiceLine, int]] = []
        for i, (line_id, raw_qty) in enumerate(request.lines):
            line = by_id.get(line_id)
            if line is None:
                errors[f"lines.{i}.line_id"] = _(
                    "Line %(line)s is not on %(number)s.", line=line_id, number=invoice.number
                )
                continue
            try:
                qty = parse_quantity(raw_qty, unit=line.unit, field=f"lines.{i}.quantity")
            except ValidationError as exc:
                errors[f"lines.{i}.quantity"] = _(
                    "%(name)s: %(problem)s", name=line.name, problem=exc.message
                )
                continue
            chosen.append((line, qty))
        if errors:
            raise ValidationError(next(iter(errors.values())), fields=errors)
        for line, qty in chosen:
            done = before.get(line.id, ReturnedSoFar())
            left = line.qty_milli - done.qty_milli
            if qty > left:
                raise Conflict(
                    _(
                        "%(name)s: %(quantity)s %(unit)s to return, but only %(left)s %(unit)s "
                        "of the %(sold)s sold can still come back.",
                        name=line.name,
                        quantity=qty_str(qty, line.unit),
                        unit=line.unit,
                        left=qty_str(left, line.unit),
                        sold=qty_str(line.qty_milli, line.unit),
                    ),
                    code="over_return",
                    details={
                        "line_id": line.id,
                        "requested": qty_str(qty, line.unit),
                        "sold": qty_str(line.qty_milli, line.unit),
                        "returned": qty_str(done.qty_milli, line.unit),
                        "returnable": qty_str(left, line.unit),
                    },
                )

        settings = load_settings(session)
        now = utcnow()
        if now < invoice.created_at:
            # A clock set back (or a replayed history) would date the note before the sale.
            raise Conflict(
                _(
                    "This return would be dated %(now)s, before %(number)s was sold "
                    "(%(sold)s); check the computer's date and time.",
                    now=f"{to_local(now):%Y-%m-%d %H:%M}",
                    number=invoice.number,
                    sold=f"{to_local(invoice.created_at):%Y-%m-%d %H:%M}",
                ),
                code="before_invoice",
            )
        fy = financial_year(to_local(now), settings.fy_start_month)
        seq = next_number(session, "credit_note", fy)
        note = CreditNote(
            number=f"CN{fy}-{seq:06d}",
            fy=fy,
            seq=seq,
            invoice_id=invoice.id,
            customer_id=invoice.customer_id,
            user_id=user.id,
            created_at=now,
            restock=request.restock,
            refund_method=request.refund_method,
            total=0,
            reason=request.reason,
            # A note corrects its invoice: the same split, place of supply and halves rule.
            tax_split=invoice.tax_split,
            place_of_supply=invoice.place_of_supply,
            tax_rule=invoice.tax_rule,
        )
        session.add(note)
        session.flush()
        # What the note is issued with; its tax split and place of supply as just written.
        note.issued_as = issued.dumps(
            issued.snapshot(
                settings,
                invoice.customer,
                kind="credit_note",
                tax_split=note.tax_split,
                place_of_supply=note.place_of_supply,
            )
        )
        chosen_ids = {line.id: qty for line, qty in chosen}
        for position, (line, qty) in enumerate(
            sorted(chosen, key=lambda c: c[0].position), start=1
        ):
            done = before.get(line.id, ReturnedSoFar())
            share = return_share(line, line.qty_milli, done, qty)
            session.add(
                CreditNoteLine(
                    credit_note_id=note.id,
                    invoice_line_id=line.id,
                    position=position,
                    product_id=line.product_id,
                    qty_milli=qty,
                    taxable=share.taxable,
                    tax=share.tax,
                    cgst=share.cgst,
                    sgst=share.sgst,
                    igst=share.igst,
                    cess=share.cess,
                    total=share.total,
                )
            )
            note.taxable_total += share.taxable
            note.tax_total += share.tax
        fully_returned = all(
            before.get(line.id, ReturnedSoFar()).qty_milli + chosen_ids.get(line.id, 0)
            == line.qty_milli
            for line in invoice.lines
        )
        if fully_returned:
            # The bill's round-off belonged to the whole bill: it comes back with the last part.
            note.round_off = invoice.round_off
        note.total = note.taxable_total + note.tax_total + note.round_off

        due_before = invoice.balance_due
        note.applied, note.refund = split_settlement(note.total, due_before)
        note.cash_session_id = cash_sessions.session_for_cash(
            session, user.id, note.refund_method == "cash" and note.refund > 0
        )
        invoice.returned_total += note.total
        invoice.paid -= note.refund
        _settle_return(session, invoice, note, user.id, now)
        invoice.status = (
            "returned" if fully_returned else ledger.invoice_status(invoice.net_total, invoice.paid)
        )

        if request.restock:
            for line, qty in chosen:
                product = session.get(Product, line.product_id)
                assert product is not None
                if product.is_service:
                    continue  # a service (a delivery charge) never had stock to put back
                book_movement(
                    session,
                    product,
                    qty,
                    "return",
                    user_id=user.id,
                    ref=note.number,
                    note=system_notes.written(system_notes.RETURN_AGAINST, number=invoice.number),
                    unit_cost=line.unit_cost,
                )
        session.flush()
        books_sales.post_return(session, note)
        books_sales.return_stock_value(session, note)
        summaries.apply_credit_note(session, note)
        audit.record(
            session,
            "credit_note.create",
            user_id=user.id,
            entity="invoice",
            entity_id=invoice.id,
            before={"status": status_before, "balance_due": due_before},
            after={
                "credit_note": note.number,
                "total": note.total,
                "applied": note.applied,
                "refund": note.refund,
                "refund_method": note.refund_method,
                "restock": note.restock,
                "lines": {str(line.id): qty for line, qty in chosen},
                "status": invoice.status,
            },
        )
    return load_credit_note(session, note.id)


def _settle_return(
    session: Session, invoice: Invoice, note: CreditNote, user_id: int, now: Any
) -> None:
    """Book where the credit note's money goes: off the debt, back in cash, or onto credit."""
    label = system_notes.written(system_notes.CREDIT_NOTE, number=note.number)
    if note.applied and invoice.customer_id is not None:
        session.add(
            LedgerEntry(
                customer_id=invoice.customer_id,
                kind="return",
                amount=-note.applied,
                invoice_id=invoice.id,
                note=label,
                user_id=user_id,
                created_at=now,
            )
        )
    if not note.refund:
        return
    session.add(
        Payment(
            invoice_id=invoice.id,
            method=note.refund_method,
            amount=-note.refund,
            created_at=now,
            user_id=user_id,
            note=system_notes.written(system_notes.REFUND, number=note.number),
            credit_note_id=note.id,
            cash_session_id=note.cash_session_id,
        )
    )
    if note.refund_method == "credit":
        assert invoice.customer_id is not None
        store_credit = Payment(
            invoice_id=None,
            customer_id=invoice.customer_id,
            method="credit",
            amount=note.refund,
            created_at=now,
            user_id=user_id,
            note=system_notes.written(system_notes.STORE_CREDIT, number=note.number),
            credit_note_id=note.id,
            cash_session_id=note.cash_session_id,
        )
        session.add(store_credit)
        session.flush()
        session.add(
            LedgerEntry(
                customer_id=invoice.customer_id,
                kind="return",
                amount=-note.refund,
                invoice_id=invoice.id,
                payment_id=store_credit.id,
                note=label,
                user_id=user_id,
                created_at=now,
            )
        )
        # The store credit settles the customer's other open bills first, like any payment.
        _allocate_store_credit(session, store_credit, invoice.customer_id, now)


def _allocate_store_credit(
    session: Session, payment: Payment, customer_id: int, now: Any, amount: int | None = None
) -> None:
    """Allocate store credit (or `amount` of it) to the customer's open invoices oldest first;
    the rest is advance."""
    invoices = ledger.open_invoices(session, customer_id)
    free = payment.amount if amount is None else amount
    parts, _left = ledger.plan_allocation(free, [(i.id, i.balance_due) for i in invoices])
    by_id = {i.id: i for i in invoices}
    for invoice_id, take in parts:
        session.add(
            PaymentAllocation(
                payment_id=payment.id, invoice_id=invoice_id, amount=take, created_at=now
            )
        )
        target = by_id[invoice_id]
        target.paid += take
        target.status = ledger.invoice_status(target.net_total, target.paid)


def parse_void_reason(payload: Mapping[str, Any]) -> str:
    """Validate {reason} of a void: required, at most 200 characters."""
    if not isinstance(payload, Mapping):
        raise ValidationError(_("The request body must be a JSON object."))
    reason = payload.get("reason")
    reason = reason.strip() if isinstance(reason, str) else ""
    if not reason:
        raise ValidationError(_("Say why the invoice is voided."), field="reason")
    if len(reason) > REASON_LIMIT:
        raise ValidationError(
            _("At most %(limit)s characters.", limit=REASON_LIMIT), field="reason"
        )
    return reason


def _check_voidable(session: Session, invoice: Invoice) -> None:
    """Refuse (409) a void outside the invoice's open cash session or its day (see void_invoice)."""
    if invoice.cash_session_id is not None:
        closed = session.scalar(
            select(CashSession.closed_at).where(CashSession.id == invoice.cash_session_id)
        )
        if closed is not None:
            raise Conflict(
                _(
                    "%(number)s belongs to a closed cash session; take a return instead.",
                    number=invoice.number,
                ),
                code="session_closed",
            )
    elif to_local(invoice.created_at).date() != ledger.local_today():
        raise Conflict(
            _(
                "Only today's invoices can be voided; take a return against %(number)s.",
                number=invoice.number,
            ),
            code="not_today",
        )


def void_invoice(
    session: Session, key: int | str, payload: Mapping[str, Any], user: User
) -> Invoice:
    """Void an invoice (admin): stock back, outstanding credit reversed, number kept.

    Only invoices of a cash session that is still open may be voided: once a drawer is
    closed its Z-report is final. An invoice sold outside any session may be voided on the
    (local) day it was sold only. Anything older is corrected with a return instead.
    """
    if not user.is_admin:
        raise Forbidden(_("Only an admin may void an invoice."))
    invoice_id = invoice_for_user(session, key, user).id
    reason = parse_void_reason(payload)
    with write_transaction(session):
        invoice = _lock_invoice(session, invoice_id)
        if invoice.status == "void":
            raise Conflict(
                _("%(number)s is already void.", number=invoice.number), code="already_void"
            )
        _check_voidable(session, invoice)
        has_returns = session.scalar(
            select(func.count()).select_from(CreditNote).where(CreditNote.invoice_id == invoice.id)
        )
        if has_returns:
            raise Conflict(
                _(
                    "%(number)s has returns against it; it cannot be voided.",
                    number=invoice.number,
                ),
                code="has_returns",
            )
        now = utcnow()
        before = {"status": invoice.status, "balance_due": invoice.balance_due}
        # Once account payments are taken back the bill owes its whole credit part again; the
        # void reverses all of it and the released payments become the customer's advance, as
        # a refund to credit does.
        released = _release_allocations(session, invoice)
        reversed_credit = invoice.balance_due if invoice.customer_id is not None else 0
        if reversed_credit:
            session.add(
                LedgerEntry(
                    customer_id=invoice.customer_id,
                    kind="void",
                    amount=-reversed_credit,
                    invoice_id=invoice.id,
                    note=system_notes.written(system_notes.VOID, reason=reason)[:200],
                    user_id=user.id,
                    created_at=now,
                )
            )
        needed: dict[int, int] = {}
        for line in invoice.lines:
            needed[line.product_id] = needed.get(line.product_id, 0) + line.qty_milli
        for product_id, qty in needed.items():
            product = session.get(Product, product_id)
            assert product is not None
            if product.is_service:
                continue  # sold without stock, voided without stock
            book_movement(
                session,
                product,
                qty,
                "void",
                user_id=user.id,
                ref=invoice.number,
                note=reason,
                unit_cost=product.cost,
            )
        invoice.status = "void"
        invoice.voided_at = now
        invoice.voided_by_id = user.id
        invoice.void_reason = reason
        session.flush()
        if invoice.customer_id is not None:
            for payment_id, amount in sorted(released.items()):
                payment = session.get(Payment, payment_id)
                assert payment is not None
                _allocate_store_credit(session, payment, invoice.customer_id, now, amount)
        books_sales.post_void(session, invoice)
        books_sales.void_stock_value(session, invoice)
        summaries.apply_invoice(session, invoice, -1)
        audit.record(
            session,
            "sale.void",
            user_id=user.id,
            entity="invoice",
            entity_id=invoice.id,
            before=before,
            after={
                "status": "void",
                "reason": reason,
                "credit_reversed": reversed_credit,
                "paid": invoice.paid,
                "released": {str(pid): amount for pid, amount in sorted(released.items())},
            },
        )
    return invoice_for_user(session, invoice.id, user)


def _release_allocations(session: Session, invoice: Invoice) -> dict[int, int]:
    """Take back what account payments paid of an invoice; return payment id -> amount.

    A void bill owes nothing, so money a customer paid towards it must be theirs again.
    """
    released: dict[int, int] = {}
    for allocation in session.scalars(
        select(PaymentAllocation).where(PaymentAllocation.invoice_id == invoice.id)
    ).all():
        released[allocation.payment_id] = released.get(allocation.payment_id, 0) + allocation.amount
        invoice.paid -= allocation.amount
        session.delete(allocation)
    return released


def refund_summary(note: CreditNote, money: Callable[[int], str] = money_str) -> str:
    """Say in words where a credit note's money went, amounts written by `money` (the pages
    pass the shop's ₹1,000.00 style)."""
    parts = []
    if note.applied:
        parts.append(_("%(amount)s off the balance due", amount=money(note.applied)))
    if note.refund:
        amount = money(note.refund)
        parts.append(
            _("%(amount)s refunded in cash", amount=amount)
            if note.refund_method == "cash"
            else _("%(amount)s refunded to the customer's credit", amount=amount)
        )
    return "; ".join(parts) or _("nothing to refund")
