"""Purchase returns (debit notes): goods sent back to the supplier against one bill.

One transaction writes the debit note and its lines, takes the goods out of stock (movement
reason `supplier_return`, never below zero unless the shop allows negative stock), lowers
what is owed on the bill (`Purchase.returned`) and records the audit row. Each line goes back
at its purchase line's unit cost and GST rate, split as the bill was (CGST + SGST or IGST).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from posapp import gst
from posapp.dates import optional_day
from posapp.errors import NotFound, ValidationError
from posapp.i18n import _
from posapp.models import DebitNote, DebitNoteLine, Product, Purchase, PurchaseLine, User
from posapp.models.base import utcnow, write_transaction
from posapp.money import parse_signed_quantity, qty_str
from posapp.services import audit, books_stock, limits
from posapp.services.counters import next_number
from posapp.services.inventory import book_movement, line_taxable
from posapp.services.settings import load_settings
from posapp.services.suppliers import NOTE_LENGTH, local_today


@dataclass(frozen=True)
class ReturnableLine:
    """A bill's line with what may still go back."""

    line: PurchaseLine
    returned_milli: int

    @property
    def left_milli(self) -> int:
        """Received less already sent back."""
        return self.line.qty_milli - self.returned_milli


def returnable_lines(session: Session, purchase_id: int) -> tuple[Purchase, list[ReturnableLine]]:
    """The bill and each of its lines with the quantity already sent back."""
    purchase = session.get(Purchase, purchase_id)
    if purchase is None:
        raise NotFound(_("No such purchase."))
    back = dict(
        session.execute(
            select(DebitNoteLine.purchase_line_id, func.sum(DebitNoteLine.qty_milli))
            .join(DebitNote, DebitNote.id == DebitNoteLine.debit_note_id)
            .where(DebitNote.purchase_id == purchase.id)
            .group_by(DebitNoteLine.purchase_line_id)
        ).all()
    )
    return purchase, [ReturnableLine(line, int(back.get(line.id) or 0)) for line in purchase.lines]


def _split(line: PurchaseLine) -> str:
    return "igst" if line.igst and not (line.cgst or line.sgst) else "cgst_sgst"


def record_debit_note(
    session: Session, purchase_id: int, data: Mapping[str, Any], user: User
) -> DebitNote:
    """Send goods back against a bill: {lines: {purchase_line_id: quantity}, note?, returned_on?}.

    Every field is checked before anything is written; a quantity over what is left of the
    line, or stock the shop does not have, refuses the whole note.
    """
    purchase, lines = returnable_lines(session, purchase_id)
    if purchase.supplier_id is None:
        raise ValidationError(
            _("This purchase has no supplier: goods can go back only to a supplier."),
            field="purchase",
        )
    errors: dict[str, str] = {}
    wanted = data.get("lines")
    if not isinstance(wanted, Mapping):
        wanted = {}
    by_id = {item.line.id: item for item in lines}
    chosen: list[tuple[ReturnableLine, int]] = []
    for key, raw in wanted.items():
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            continue
        item = by_id.get(int(key)) if str(key).isascii() and str(key).isdigit() else None
        if item is None:
            errors[f"lines.{key}"] = _("Not a line of this bill.")
            continue
        unit = item.line.product.unit
        try:
            qty = parse_signed_quantity(raw, unit, f"lines.{key}")
        except ValidationError as exc:
            errors[f"lines.{key}"] = _(
                "%(name)s: %(error)s", name=item.line.product.name, error=exc.message
            )
            continue
        if qty == 0:
            continue
        if qty < 0:
            errors[f"lines.{key}"] = _(
                "%(name)s: a quantity cannot be negative.", name=item.line.product.name
            )
        elif qty > item.left_milli:
            errors[f"lines.{key}"] = _(
                "%(name)s: at most %(quantity)s %(unit)s can still go back on this bill.",
                name=item.line.product.name,
                quantity=qty_str(item.left_milli, unit),
                unit=unit,
            )
        else:
            chosen.append((item, qty))
    note = ""
    try:
        note = limits.text_value(data.get("note"), "note")
        if len(note) > NOTE_LENGTH:
            errors["note"] = _("At most %(most)s characters.", most=NOTE_LENGTH)
    except ValidationError as exc:
        errors["note"] = exc.message
    returned_on = local_today()
    try:
        day = optional_day(data.get("returned_on"), "returned_on")
        if day is not None and day > returned_on:
            errors["returned_on"] = _("A return cannot be dated in the future.")
        returned_on = day or returned_on
    except ValidationError as exc:
        errors["returned_on"] = exc.message
    if not chosen and not errors:
        errors["lines"] = _("Enter the quantity going back on at least one line.")
    if errors:
        raise ValidationError(next(iter(errors.values())), fields=errors)

    allow_negative = load_settings(session).allow_negative_stock
    with write_transaction(session):
        bill = session.get(Purchase, purchase_id, populate_existing=True, with_for_update=True)
        assert bill is not None
        purchase = bill
        priced = []
        for item, qty in chosen:
            taxable = line_taxable(qty, item.line.unit_cost)
            heads = gst.heads_on_taxable(taxable, item.line.tax_rate_bp, _split(item.line))
            priced.append((item.line, qty, taxable, heads))
        total_taxable = sum(p[2] for p in priced)
        cgst, sgst, igst = (sum(p[3][i] for p in priced) for i in range(3))
        # Sending everything back settles the bill exactly, whatever the rounding per line.
        amount = min(total_taxable + cgst + sgst + igst, purchase.payable - purchase.returned)
        if amount <= 0:
            raise ValidationError(_("Nothing is left to return on this bill."), field="lines")
        seq = next_number(session, "debit_note", 0)
        note_row = DebitNote(
            number=f"DN-{seq:06d}",
            supplier_id=purchase.supplier_id,
            purchase_id=purchase.id,
            returned_on=returned_on,
            taxable=total_taxable,
            cgst=cgst,
            sgst=sgst,
            igst=igst,
            amount=amount,
            note=note,
            user_id=user.id,
            created_at=utcnow(),
        )
        session.add(note_row)
        session.flush()
        for line, qty, taxable, (l_cgst, l_sgst, l_igst) in priced:
            session.add(
                DebitNoteLine(
                    debit_note_id=note_row.id,
                    purchase_line_id=line.id,
                    product_id=line.product_id,
                    qty_milli=qty,
                    unit_cost=line.unit_cost,
                    taxable=taxable,
                    cgst=l_cgst,
                    sgst=l_sgst,
                    igst=l_igst,
                )
            )
            product = session.get(Product, line.product_id, populate_existing=True)
            assert product is not None
            book_movement(
                session,
                product,
                -qty,
                "supplier_return",
                user_id=user.id,
                ref=f"{note_row.number} / {purchase.number}",
                note=note,
                unit_cost=line.unit_cost,
                allow_negative=allow_negative,
            )
        purchase.returned += note_row.amount
        session.flush()
        books_stock.apply_debit_note(session, note_row)
        audit.record(
            session,
            "supplier.debit_note",
            user_id=user.id,
            entity="supplier",
            entity_id=purchase.supplier_id,
            after={
                "number": note_row.number,
                "purchase": purchase.number,
                "amount": note_row.amount,
                "lines": len(chosen),
            },
        )
    return note_row
