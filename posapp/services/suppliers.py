"""Suppliers and their khata: what the shop owes each supplier, payments and their allocation.

Rules (docs/DESIGN.md, "Suppliers"):
- What the shop owes a supplier is never stored. It is the opening balance, plus every
  purchase bill's `payable` less the part `paid_now` at receipt, less every supplier payment.
- A payment settles the oldest open items first: the opening balance, then bills by bill date.
  An explicit allocation may name bills first. What is left is an advance, which the next
  purchase on credit from that supplier uses up.
- A bill is due its bill date plus the supplier's credit days; aging buckets what is open by
  days past due, so the buckets add up to what is open on bills and the opening balance.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from posapp import gst
from posapp.dates import optional_day
from posapp.errors import Conflict, NotFound, ValidationError
from posapp.i18n import LazyString, _, lazy
from posapp.models import (
    SUPPLIER_PAYMENT_METHODS,
    DebitNote,
    Purchase,
    Supplier,
    SupplierAllocation,
    SupplierPayment,
    User,
)
from posapp.models.base import to_local, utcnow, write_transaction
from posapp.models.suppliers import MAX_CREDIT_DAYS
from posapp.money import money_str, parse_money
from posapp.services import audit, books_stock, limits
from posapp.services.customers import normalise_phone
from posapp.services.ledger import plan_allocation
from posapp.services.settings import load_settings

TEXT_LENGTHS = {"name": 120, "address": 300}
REFERENCE_LENGTH = 64
NOTE_LENGTH = 200
# Days past due; "not_due" holds what is open but not yet overdue (due today or later).
AGING_BUCKETS = (("not_due", 0), ("0_30", 30), ("31_60", 60), ("61_90", 90), ("90_plus", None))


def local_today() -> date:
    """Today on the shop's clock."""
    return to_local(utcnow()).date()


# ---------------------------------------------------------------- the supplier's fields


def parse_supplier_fields(data: Mapping[str, Any], *, partial: bool, region: str) -> dict[str, Any]:
    """Validate a supplier (form or API); collect every field error before raising."""
    if not isinstance(data, Mapping):
        raise ValidationError(_("The request body must be a JSON object."))
    errors: dict[str, str] = {}
    out: dict[str, Any] = {}

    def given(key: str) -> bool:
        return key in data and not (partial and data.get(key) is None)

    for key, limit in TEXT_LENGTHS.items():
        if given(key):
            try:
                value = limits.text_value(data.get(key), key)
            except ValidationError as exc:
                errors[key] = exc.message
                continue
            if len(value) > limit:
                errors[key] = _("At most %(most)s characters.", most=limit)
            out[key] = value
        elif not partial:
            out[key] = ""
    if (not partial or "name" in data) and not out.get("name"):
        errors["name"] = _("Name is required.")
    if given("phone"):
        raw = data.get("phone")
        if not isinstance(raw, str | int) or isinstance(raw, bool):
            errors["phone"] = _("Phone must be text.")
        elif str(raw).strip():
            try:
                out["phone"] = normalise_phone(str(raw), region)
            except ValidationError as exc:
                errors["phone"] = exc.message
        else:
            out["phone"] = ""
    elif not partial:
        out["phone"] = ""
    for key, parse in (("gstin", gst.parse_gstin), ("state_code", gst.parse_state_code)):
        if given(key):
            try:
                out[key] = parse(data.get(key), key)
            except ValidationError as exc:
                errors[key] = exc.message
        elif not partial:
            out[key] = ""
    if given("credit_days"):
        raw_days = limits.text_value(data.get("credit_days"), "credit_days")
        if raw_days == "" and not partial:
            out["credit_days"] = 0
        elif not (raw_days.isascii() and raw_days.isdigit()) or int(raw_days) > MAX_CREDIT_DAYS:
            errors["credit_days"] = _(
                "Credit days are a whole number from 0 to %(most)s.", most=MAX_CREDIT_DAYS
            )
        else:
            out["credit_days"] = int(raw_days)
    elif not partial:
        out["credit_days"] = 0
    if (
        given("opening_balance")
        and limits.text_value(data.get("opening_balance"), "opening_balance") != ""
    ):
        try:
            out["opening_balance"] = parse_money(
                data.get("opening_balance"), field="opening_balance"
            )
        except ValidationError as exc:
            errors["opening_balance"] = exc.message
    elif not partial:
        out["opening_balance"] = 0
    if given("opening_date"):
        try:
            opening_date = optional_day(data.get("opening_date"), "opening_date")
            if opening_date is not None and opening_date > local_today():
                errors["opening_date"] = _("The opening date cannot be in the future.")
            out["opening_date"] = opening_date
        except ValidationError as exc:
            errors["opening_date"] = exc.message
    if given("archived"):
        out["archived"] = data["archived"] in (True, "1", "true", "on", 1)
    gstin = out.get("gstin", "")
    state = out.get("state_code")
    if gstin and "state_code" not in errors:
        home = gst.state_of(gstin)
        if state and state != home:
            errors["state_code"] = _(
                "The GSTIN was issued in %(state)s: leave the state empty or choose that one.",
                state=gst.state_label(home),
            )
        else:
            out["state_code"] = home
    if errors:
        first = next(iter(errors.values()))
        raise ValidationError(
            _("Please correct the supplier: %(error)s", error=first), fields=errors
        )
    return out


def snapshot(supplier: Supplier) -> dict[str, Any]:
    """The supplier's fields for the audit log."""
    return {
        "name": supplier.name,
        "phone": supplier.phone,
        "gstin": supplier.gstin,
        "state_code": supplier.state_code,
        "address": supplier.address,
        "credit_days": supplier.credit_days,
        "opening_balance": supplier.opening_balance,
        "opening_date": supplier.opening_date.isoformat() if supplier.opening_date else None,
        "archived": supplier.archived,
    }


def _check_name_free(session: Session, name: str, supplier_id: int | None) -> None:
    clash = session.scalar(
        select(Supplier.id).where(
            func.lower(Supplier.name) == func.lower(name), Supplier.archived.is_(False)
        )
    )
    if clash is not None and clash != supplier_id:
        raise Conflict(
            _("There is already a supplier named %(name)s.", name=name),
            code="duplicate_supplier",
            details={"supplier_id": clash},
        )


def create_supplier(session: Session, data: Mapping[str, Any], user: User) -> Supplier:
    """Create a supplier (its opening balance is what the shop owed them on that day)."""
    fields = parse_supplier_fields(data, partial=False, region=load_settings(session).phone_region)
    fields.pop("archived", None)
    with write_transaction(session):
        _check_name_free(session, fields["name"], None)
        return add_supplier(session, fields, user)


def add_supplier(session: Session, fields: dict[str, Any], user: User) -> Supplier:
    """Write a supplier from checked fields inside the caller's write transaction (an import
    writes many in one): its opening balance posted to the books, audited."""
    now = utcnow()
    supplier = Supplier(**fields, archived=False, created_at=now, updated_at=now)
    if supplier.opening_balance and supplier.opening_date is None:
        supplier.opening_date = local_today()
    session.add(supplier)
    session.flush()
    books_stock.post_supplier_opening(session, supplier, user_id=user.id)
    audit.record(
        session,
        "supplier.create",
        user_id=user.id,
        entity="supplier",
        entity_id=supplier.id,
        after=snapshot(supplier),
    )
    return supplier


def get_supplier(session: Session, supplier_id: int) -> Supplier:
    """The supplier, or NotFound."""
    supplier = session.get(Supplier, supplier_id)
    if supplier is None:
        raise NotFound(_("No such supplier."))
    return supplier


def update_supplier(
    session: Session, supplier_id: int, data: Mapping[str, Any], user: User
) -> Supplier:
    """Change only the fields given; the opening balance may not drop below what was paid on it."""
    fields = parse_supplier_fields(data, partial=True, region=load_settings(session).phone_region)
    with write_transaction(session):
        supplier = _lock(session, supplier_id)
        before = snapshot(supplier)
        before_opening = supplier.opening_balance
        if "name" in fields:
            _check_name_free(session, fields["name"], supplier.id)
        if "opening_balance" in fields:
            settled = opening_settled(session, supplier.id)
            if fields["opening_balance"] < settled:
                raise ValidationError(
                    _(
                        "Payments already settle part of the opening balance; it cannot be "
                        "less than that."
                    ),
                    field="opening_balance",
                )
        if fields.get("archived") and not supplier.archived:
            owed = balance(session, supplier.id) - supplier.opening_balance
            owed += fields.get("opening_balance", supplier.opening_balance)
            if owed != 0:
                # Archived suppliers leave the lists: what is owed either way would be lost.
                raise Conflict(
                    _(
                        "%(name)s still has a balance; settle it before archiving.",
                        name=supplier.name,
                    ),
                    code="balance_not_zero",
                )
        for key, value in fields.items():
            setattr(supplier, key, value)
        if supplier.opening_balance and supplier.opening_date is None:
            supplier.opening_date = local_today()
        session.flush()
        if supplier.opening_balance != before_opening:
            books_stock.post_supplier_opening(
                session, supplier, previous=before_opening, user_id=user.id
            )
        after = snapshot(supplier)
        if after != before:
            audit.record(
                session,
                "supplier.update",
                user_id=user.id,
                entity="supplier",
                entity_id=supplier.id,
                before=before,
                after=after,
            )
    return supplier


def _lock(session: Session, supplier_id: int) -> Supplier:
    supplier = session.scalar(select(Supplier).where(Supplier.id == supplier_id).with_for_update())
    if supplier is None:
        raise NotFound(_("No such supplier."))
    return supplier


def search_suppliers(
    session: Session, q: str, *, include_archived: bool, page: int, per_page: int
) -> tuple[list[Supplier], int]:
    """Suppliers by name (anywhere in it), GSTIN or phone digits, alphabetically."""
    stmt = select(Supplier)
    if not include_archived:
        stmt = stmt.where(Supplier.archived.is_(False))
    text = q.strip()
    if text:
        escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        pattern = f"%{escaped}%"
        stmt = stmt.where(
            func.lower(Supplier.name).like(pattern, escape="\\")
            | func.lower(Supplier.gstin).like(pattern, escape="\\")
            | Supplier.phone.like(pattern, escape="\\")
        )
    total = int(session.scalar(select(func.count()).select_from(stmt.subquery())) or 0)
    items = list(
        session.scalars(
            stmt.order_by(func.lower(Supplier.name), Supplier.id)
            .offset((page - 1) * per_page)
            .limit(per_page)
        )
    )
    return items, total


def active_names(session: Session, limit: int = 2000) -> list[str]:
    """Active suppliers' names, alphabetically (the receive form offers them as you type)."""
    return list(
        session.scalars(
            select(Supplier.name)
            .where(Supplier.archived.is_(False))
            .order_by(func.lower(Supplier.name))
            .limit(limit)
        )
    )


def supplier_for_purchase(
    session: Session,
    *,
    supplier_id: int | None,
    name: str,
    gstin: str,
    state: str,
    user_id: int | None,
) -> Supplier | None:
    """The supplier a purchase is from, inside the caller's write transaction.

    By id when one is chosen; else by name (any case), made on the spot when new, so the old
    free-text supplier field keeps working. No id and no name: nobody in particular.
    """
    if supplier_id is not None:
        supplier = _lock(session, supplier_id)
        if supplier.archived:
            raise Conflict(
                _("%(name)s is archived; restore the supplier first.", name=supplier.name),
                code="archived",
            )
        return supplier
    if not name:
        return None
    found = session.scalar(
        select(Supplier)
        .where(func.lower(Supplier.name) == func.lower(name), Supplier.archived.is_(False))
        .order_by(Supplier.id)
        .limit(1)
        .with_for_update()
    )
    if found is not None:
        return found
    now = utcnow()
    supplier = Supplier(
        name=name,
        phone="",
        gstin=gstin,
        state_code=state,
        address="",
        credit_days=0,
        opening_balance=0,
        archived=False,
        created_at=now,
        updated_at=now,
    )
    session.add(supplier)
    session.flush()
    audit.record(
        session,
        "supplier.create",
        user_id=user_id,
        entity="supplier",
        entity_id=supplier.id,
        after=snapshot(supplier),
    )
    return supplier


# ---------------------------------------------------------------- payment terms of a purchase


@dataclass(frozen=True)
class Terms:
    """What is paid when the stock comes in: None = the whole bill; and how."""

    paid_now: int | None
    method: str


def parse_terms(data: Mapping[str, Any], errors: dict[str, str]) -> Terms:
    """Read "paid now" (blank: all of it) and its method; put each problem into `errors`."""
    paid_now: int | None = None
    try:
        raw = limits.text_value(data.get("paid_now"), "paid_now")
        if raw != "":
            paid_now = parse_money(raw, field="paid_now")
    except ValidationError as exc:
        errors["paid_now"] = exc.message
    method = str(data.get("paid_method") or "cash")
    if method not in SUPPLIER_PAYMENT_METHODS:
        errors["paid_method"] = _(
            "Paid by one of %(methods)s.", methods=", ".join(SUPPLIER_PAYMENT_METHODS)
        )
    return Terms(paid_now, method)


def settle_purchase_terms(
    session: Session,
    purchase: Purchase,
    supplier: Supplier | None,
    terms: Terms,
    payable: int,
) -> list[SupplierAllocation]:
    """Set a new purchase's payable, paid-now part and due date, and let an advance pay it.

    Inside the caller's write transaction, after the purchase is flushed.
    """
    paid_now = payable if terms.paid_now is None else terms.paid_now
    if paid_now > payable:
        raise ValidationError(
            _(
                "Paid now cannot be more than the bill; pay the extra as an advance from the "
                "supplier's page."
            ),
            field="paid_now",
        )
    if paid_now < payable and supplier is None:
        raise ValidationError(
            _("A purchase on credit needs a supplier: choose or name one."), field="supplier"
        )
    purchase.payable = payable
    purchase.paid_now = paid_now
    purchase.paid_method = terms.method if paid_now else ""
    purchase.paid = paid_now
    bill_day = purchase.bill_date or to_local(purchase.created_at).date()
    purchase.due_date = bill_day + timedelta(days=supplier.credit_days if supplier else 0)
    made: list[SupplierAllocation] = []
    if supplier is None or paid_now == payable:
        return made
    left = payable - paid_now
    for payment_id, unallocated in _advance_money(session, supplier.id):
        if left == 0:
            break
        take = min(unallocated, left)
        allocation = SupplierAllocation(
            payment_id=payment_id, purchase_id=purchase.id, amount=take, created_at=utcnow()
        )
        session.add(allocation)
        made.append(allocation)
        purchase.paid += take
        left -= take
    return made


# ---------------------------------------------------------------- reading what is owed


def balances(session: Session, supplier_ids: Iterable[int]) -> dict[int, int]:
    """What the shop owes each supplier (negative: an advance); missing ones are 0."""
    ids = list(supplier_ids)
    found: dict[int, int] = dict.fromkeys(ids, 0)
    if not ids:
        return found
    for sid, opening in session.execute(
        select(Supplier.id, Supplier.opening_balance).where(Supplier.id.in_(ids))
    ):
        found[sid] += int(opening)
    for owner, owed in session.execute(
        select(Purchase.supplier_id, func.sum(Purchase.payable - Purchase.paid_now))
        .where(Purchase.supplier_id.in_(ids))
        .group_by(Purchase.supplier_id)
    ):
        found[int(owner or 0)] += int(owed or 0)
    for sid, paid in session.execute(
        select(SupplierPayment.supplier_id, func.sum(SupplierPayment.amount))
        .where(SupplierPayment.supplier_id.in_(ids))
        .group_by(SupplierPayment.supplier_id)
    ):
        found[sid] -= int(paid or 0)
    for sid, back in session.execute(
        select(DebitNote.supplier_id, func.sum(DebitNote.amount))
        .where(DebitNote.supplier_id.in_(ids))
        .group_by(DebitNote.supplier_id)
    ):
        found[sid] -= int(back or 0)
    return found


def balance(session: Session, supplier_id: int) -> int:
    """What the shop owes one supplier."""
    return balances(session, [supplier_id])[supplier_id]


def _allocated_sub() -> Any:
    return (
        select(SupplierAllocation.payment_id, func.sum(SupplierAllocation.amount).label("s"))
        .group_by(SupplierAllocation.payment_id)
        .subquery()
    )


def _advance_money(session: Session, supplier_id: int) -> list[tuple[int, int]]:
    """(payment id, amount not yet allocated) of the supplier's payments, oldest first."""
    allocated = _allocated_sub()
    remaining = SupplierPayment.amount - func.coalesce(allocated.c.s, 0)
    rows = session.execute(
        select(SupplierPayment.id, remaining)
        .outerjoin(allocated, allocated.c.payment_id == SupplierPayment.id)
        .where(SupplierPayment.supplier_id == supplier_id, remaining > 0)
        .order_by(SupplierPayment.paid_on, SupplierPayment.id)
    ).all()
    return [(int(pid), int(left)) for pid, left in rows]


def advance(session: Session, supplier_id: int) -> int:
    """Money paid to the supplier that no bill has used yet."""
    return sum(left for _pid, left in _advance_money(session, supplier_id))


def return_credit(session: Session, supplier_id: int) -> int:
    """What goods sent back are worth beyond what was still owed on their bills.

    A bill paid in full and then partly returned leaves the supplier owing the shop.
    """
    excess = Purchase.paid + Purchase.returned - Purchase.payable
    return int(
        session.scalar(
            select(func.coalesce(func.sum(excess), 0)).where(
                Purchase.supplier_id == supplier_id, excess > 0
            )
        )
        or 0
    )


def opening_settled(session: Session, supplier_id: int) -> int:
    return int(
        session.scalar(
            select(func.coalesce(func.sum(SupplierAllocation.amount), 0))
            .join(SupplierPayment, SupplierPayment.id == SupplierAllocation.payment_id)
            .where(
                SupplierPayment.supplier_id == supplier_id,
                SupplierAllocation.purchase_id.is_(None),
            )
        )
        or 0
    )


@dataclass(frozen=True)
class OpenItem:
    """Something not yet fully paid: a bill, or the opening balance (purchase None)."""

    purchase: Purchase | None
    supplier: Supplier
    bill_day: date
    due_date: date
    amount: int  # the whole bill (or opening balance)
    open: int  # what is still to pay on it

    @property
    def label(self) -> str:
        """The bill's number and the supplier's own reference."""
        if self.purchase is None:
            return _("Opening balance")
        ref = self.purchase.reference
        return self.purchase.number + (f" ({ref})" if ref else "")

    def days_past_due(self, today: date) -> int:
        """Days since it fell due (negative: not yet due)."""
        return (today - self.due_date).days


def _bill_day(purchase: Purchase) -> date:
    return purchase.bill_date or to_local(purchase.created_at).date()


def open_items(
    session: Session, supplier_ids: Sequence[int] | None = None, *, lock: bool = False
) -> list[OpenItem]:
    """Open items (the opening balance first, then bills by bill date), per supplier."""
    suppliers_stmt = select(Supplier)
    bills_stmt = select(Purchase).where(
        Purchase.supplier_id.is_not(None),
        Purchase.paid + Purchase.returned < Purchase.payable,
    )
    if supplier_ids is not None:
        suppliers_stmt = suppliers_stmt.where(Supplier.id.in_(list(supplier_ids)))
        bills_stmt = bills_stmt.where(Purchase.supplier_id.in_(list(supplier_ids)))
    if lock:
        bills_stmt = bills_stmt.with_for_update()
    suppliers = {s.id: s for s in session.scalars(suppliers_stmt)}
    items: list[OpenItem] = []
    settled: dict[int, int] = {}
    if any(s.opening_balance for s in suppliers.values()):
        rows = session.execute(
            select(SupplierPayment.supplier_id, func.sum(SupplierAllocation.amount))
            .join(SupplierPayment, SupplierPayment.id == SupplierAllocation.payment_id)
            .where(SupplierAllocation.purchase_id.is_(None))
            .group_by(SupplierPayment.supplier_id)
        )
        settled = {int(sid): int(total or 0) for sid, total in rows}
    for supplier in suppliers.values():
        left = supplier.opening_balance - settled.get(supplier.id, 0)
        if left > 0:
            day = supplier.opening_date or to_local(supplier.created_at).date()
            items.append(OpenItem(None, supplier, day, day, supplier.opening_balance, left))
    for purchase in session.scalars(bills_stmt):
        owner = suppliers.get(purchase.supplier_id or 0)
        if owner is None:
            continue
        day = _bill_day(purchase)
        items.append(
            OpenItem(
                purchase,
                owner,
                day,
                purchase.due_date or day,
                purchase.payable,
                purchase.payable - purchase.paid - purchase.returned,
            )
        )
    items.sort(key=_open_order)
    return items


def _open_order(item: OpenItem) -> tuple[int, bool, date, int]:
    # The opening balance is older than any bill; bills by bill date, then as booked.
    pid = item.purchase.id if item.purchase else 0
    return (item.supplier.id, item.purchase is not None, item.bill_day, pid)


def aging(items: Iterable[OpenItem], today: date) -> dict[str, int]:
    """Bucket open amounts by days past due: not yet due, 0–30, 31–60, 61–90, over 90."""
    buckets = {name: 0 for name, _ in AGING_BUCKETS}
    for item in items:
        days = item.days_past_due(today)
        for name, upper in AGING_BUCKETS:
            if upper is None or days <= upper:
                buckets[name] += item.open
                break
    return buckets


def to_pay(session: Session, today: date) -> list[OpenItem]:
    """Every open item of active suppliers: overdue first (oldest due first), then by due date."""
    items = [i for i in open_items(session) if not i.supplier.archived]
    items.sort(key=lambda i: (i.due_date >= today, i.due_date, i.supplier.name.lower()))
    return items


@dataclass
class SupplierSummary:
    """A supplier with what is owed, the advance, the aging and what is overdue."""

    supplier: Supplier
    balance: int
    advance: int
    aging: dict[str, int]
    overdue: int
    open: list[OpenItem]


def summary(session: Session, supplier_id: int, today: date | None = None) -> SupplierSummary:
    """Everything the supplier page and the API's supplier answer show."""
    supplier = get_supplier(session, supplier_id)
    today = today or local_today()
    items = open_items(session, [supplier.id])
    buckets = aging(items, today)
    return SupplierSummary(
        supplier,
        balance(session, supplier.id),
        advance(session, supplier.id) + return_credit(session, supplier.id),
        buckets,
        sum(v for k, v in buckets.items() if k != "not_due"),
        items,
    )


def overdue_amounts(session: Session, today: date) -> dict[int, int]:
    """What is past due per supplier (for the list)."""
    found: dict[int, int] = {}
    for item in open_items(session):
        if item.due_date < today:
            found[item.supplier.id] = found.get(item.supplier.id, 0) + item.open
    return found


# ---------------------------------------------------------------- the ledger


@dataclass(frozen=True)
class LedgerLine:
    """One line of a supplier's ledger; positive amounts raise what the shop owes."""

    day: date
    kind: str  # opening, bill, paid_now, payment, debit_note
    label: LazyString  # in the reader's language: the page's, or a document's
    amount: int
    running: int
    purchase_id: int | None = None
    payment_id: int | None = None
    method: str = ""
    reference: str = ""


def ledger_lines(session: Session, supplier_id: int) -> list[LedgerLine]:
    """The supplier's whole ledger, oldest first, with the running balance."""
    supplier = get_supplier(session, supplier_id)
    raw: list[tuple[date, int, int, str, LazyString, int, int | None, int | None, str, str]] = []
    if supplier.opening_balance:
        day = supplier.opening_date or to_local(supplier.created_at).date()
        raw.append((day, 0, 0, "opening", lazy("Opening balance"), supplier.opening_balance,
                    None, None, "", ""))  # fmt: skip
    for p in session.scalars(select(Purchase).where(Purchase.supplier_id == supplier.id)):
        day = _bill_day(p)
        label = (
            lazy("Bill %(number)s (%(reference)s)", number=p.number, reference=p.reference)
            if p.reference
            else lazy("Bill %(number)s", number=p.number)
        )
        raw.append((day, 1, p.id, "bill", label, p.payable, p.id, None, "", p.reference))
        if p.paid_now:
            paid_label = lazy("Paid at receipt (%(number)s)", number=p.number)
            raw.append((day, 2, p.id, "paid_now", paid_label, -p.paid_now,
                        p.id, None, p.paid_method, ""))  # fmt: skip
    for pay in session.scalars(
        select(SupplierPayment).where(SupplierPayment.supplier_id == supplier.id)
    ):
        label = (
            lazy("Payment — %(reference)s", reference=pay.reference)
            if pay.reference
            else lazy("Payment")
        )
        raw.append((pay.paid_on, 3, pay.id, "payment", label, -pay.amount,
                    None, pay.id, pay.method, pay.reference))  # fmt: skip
    numbers = {
        pid: number
        for pid, number in session.execute(
            select(Purchase.id, Purchase.number).where(Purchase.supplier_id == supplier.id)
        )
    }
    for note in session.scalars(select(DebitNote).where(DebitNote.supplier_id == supplier.id)):
        label = lazy(
            "Debit note %(number)s (goods back, %(bill)s)",
            number=note.number,
            bill=numbers.get(note.purchase_id, ""),
        )
        raw.append((note.returned_on, 4, note.id, "debit_note", label, -note.amount,
                    note.purchase_id, None, "", note.number))  # fmt: skip
    raw.sort(key=lambda r: (r[0], r[1], r[2]))
    lines: list[LedgerLine] = []
    running = 0
    for day, _order, _id, kind, label, amount, purchase_id, payment_id, method, ref in raw:
        running += amount
        lines.append(
            LedgerLine(day, kind, label, amount, running, purchase_id, payment_id, method, ref)
        )
    return lines


@dataclass
class Statement:
    """A supplier's statement for a date range: balance brought forward, lines, closing."""

    supplier: Supplier
    start: date
    end: date
    opening: int
    lines: list[LedgerLine]
    closing: int
    aging: dict[str, int]


def statement(session: Session, supplier_id: int, start: date, end: date) -> Statement:
    """The supplier's ledger between two days (inclusive) with what was owed before."""
    if end < start:
        raise ValidationError(_("The end date is before the start date."), field="to")
    lines = ledger_lines(session, supplier_id)
    before = [line for line in lines if line.day < start]
    inside = [line for line in lines if start <= line.day <= end]
    opening = before[-1].running if before else 0
    closing = inside[-1].running if inside else opening
    # Aging is of what is open today: bills settled since `end` are not open any more.
    summary_ = summary(session, supplier_id)
    return Statement(summary_.supplier, start, end, opening, inside, closing, summary_.aging)


# ---------------------------------------------------------------- payments


@dataclass
class PaymentResult:
    """A recorded supplier payment, what it settled, the advance and the balance after."""

    payment: SupplierPayment
    supplier: Supplier
    allocations: list[SupplierAllocation] = field(default_factory=list)
    labels: dict[int | None, str] = field(default_factory=dict)
    advance: int = 0
    balance: int = 0


def _parse_allocations(raw: object, errors: dict[str, str]) -> list[tuple[int, int]]:
    if raw in (None, ""):
        return []
    if not isinstance(raw, list):
        errors["allocations"] = _("Allocations are a list of {purchase_id, amount}.")
        return []
    parsed: list[tuple[int, int]] = []
    for i, item in enumerate(raw, start=1):
        if not isinstance(item, Mapping):
            errors[f"allocations.{i}"] = _("Allocation %(number)s: must be an object.", number=i)
            continue
        pid = item.get("purchase_id")
        if not isinstance(pid, int) or isinstance(pid, bool) or pid < 1:
            errors[f"allocations.{i}.purchase_id"] = _(
                "Allocation %(number)s: purchase_id is a bill's id.", number=i
            )
            continue
        try:
            amount = parse_money(item.get("amount"), field=f"allocations.{i}.amount",
                                 allow_zero=False)  # fmt: skip
        except ValidationError as exc:
            errors[f"allocations.{i}.amount"] = _(
                "Allocation %(number)s: %(error)s", number=i, error=exc.message
            )
            continue
        parsed.append((pid, amount))
    return parsed


def parse_payment(
    data: Mapping[str, Any],
) -> tuple[int, str, str, str, date, list[tuple[int, int]]]:
    """Validate {amount, method, reference?, note?, paid_on?, allocations?}; every error at once."""
    if not isinstance(data, Mapping):
        raise ValidationError(_("The request body must be a JSON object."))
    errors: dict[str, str] = {}
    amount = 0
    try:
        amount = parse_money(data.get("amount"), field="amount", allow_zero=False)
    except ValidationError as exc:
        errors["amount"] = exc.message
    method = data.get("method")
    if method not in SUPPLIER_PAYMENT_METHODS:
        errors["method"] = _(
            "Method must be one of %(methods)s.", methods=", ".join(SUPPLIER_PAYMENT_METHODS)
        )
    texts: dict[str, str] = {}
    for key, limit in (("reference", REFERENCE_LENGTH), ("note", NOTE_LENGTH)):
        try:
            texts[key] = limits.text_value(data.get(key), key)
            if len(texts[key]) > limit:
                errors[key] = _("At most %(most)s characters.", most=limit)
        except ValidationError as exc:
            errors[key] = exc.message
    paid_on = local_today()
    try:
        day = optional_day(data.get("paid_on"), "paid_on")
        if day is not None and day > paid_on:
            errors["paid_on"] = _("A payment cannot be dated in the future.")
        paid_on = day or paid_on
    except ValidationError as exc:
        errors["paid_on"] = exc.message
    allocations = _parse_allocations(data.get("allocations"), errors)
    if not errors and sum(a for _pid, a in allocations) > amount:
        errors["allocations"] = _("The allocations add up to more than the payment.")
    if errors:
        raise ValidationError(next(iter(errors.values())), fields=errors)
    return (amount, str(method), texts.get("reference", ""), texts.get("note", ""), paid_on,
            allocations)  # fmt: skip


def record_payment(
    session: Session, supplier_id: int, data: Mapping[str, Any], user: User
) -> PaymentResult:
    """Pay a supplier: settle the named bills, then the oldest open items; keep the rest."""
    amount, method, reference, note, paid_on, wanted = parse_payment(data)
    with write_transaction(session):
        supplier = _lock(session, supplier_id)
        if supplier.archived:
            raise Conflict(
                _("%(name)s is archived; restore the supplier first.", name=supplier.name),
                code="archived",
            )
        items = open_items(session, [supplier.id], lock=True)
        by_purchase = {i.purchase.id: i for i in items if i.purchase is not None}
        for pid, part in wanted:
            item = by_purchase.get(pid)
            if item is None:
                raise ValidationError(
                    _(
                        "Bill %(number)s is not an open bill of %(name)s.",
                        number=pid,
                        name=supplier.name,
                    ),
                    field="allocations",
                )
            if part > item.open:
                raise ValidationError(
                    _(
                        "%(bill)s has only %(amount)s left to pay.",
                        bill=item.label,
                        amount=money_str(item.open),
                    ),
                    field="allocations",
                )
        payment = SupplierPayment(
            supplier_id=supplier.id,
            amount=amount,
            method=method,
            reference=reference,
            note=note,
            paid_on=paid_on,
            user_id=user.id,
            created_at=utcnow(),
        )
        session.add(payment)
        session.flush()
        books_stock.post_supplier_payment(session, payment)
        result = PaymentResult(payment, supplier)
        left = amount
        open_left = {(i.purchase.id if i.purchase else None): i.open for i in items}
        plan: list[tuple[int | None, int]] = []
        for pid, part in wanted:
            plan.append((pid, part))
            open_left[pid] -= part
            left -= part
        keys = [(i.purchase.id if i.purchase else None) for i in items]
        order = [(index, open_left[key]) for index, key in enumerate(keys)]
        parts, left = plan_allocation(left, order)
        plan.extend((keys[index], take) for index, take in parts)
        merged: dict[int | None, int] = {}
        for key, take in plan:
            merged[key] = merged.get(key, 0) + take
        labels = {(i.purchase.id if i.purchase else None): i.label for i in items}
        for key, take in merged.items():
            allocation = SupplierAllocation(
                payment_id=payment.id, purchase_id=key, amount=take, created_at=payment.created_at
            )
            session.add(allocation)
            result.allocations.append(allocation)
            result.labels[key] = labels[key]
            if key is not None:
                by_purchase[key].purchase.paid += take  # type: ignore[union-attr]
        session.flush()
        result.advance = left
        result.balance = balance(session, supplier.id)
        audit.record(
            session,
            "supplier.payment",
            user_id=user.id,
            entity="supplier",
            entity_id=supplier.id,
            after={
                "payment_id": payment.id,
                "amount": amount,
                "method": method,
                "reference": reference,
                "allocated": {str(k or "opening"): v for k, v in merged.items()},
                "advance": left,
            },
        )
    return result


# ---------------------------------------------------------------- `app.py check`


def check_problems(session: Session) -> tuple[list[str], list[str]]:
    """The suppliers' invariants: (what was checked, the problems found)."""
    checked = [
        "supplier balance = open bills and opening balance - advances",
        "supplier allocations never exceed a bill, a payment or the opening balance",
        "a bill's returns = its debit notes, never more than the bill",
    ]
    problems: list[str] = []
    allocated = (
        select(SupplierAllocation.purchase_id, func.sum(SupplierAllocation.amount).label("s"))
        .where(SupplierAllocation.purchase_id.is_not(None))
        .group_by(SupplierAllocation.purchase_id)
        .subquery()
    )
    for number, payable, paid_now, paid, alloc in session.execute(
        select(
            Purchase.number,
            Purchase.payable,
            Purchase.paid_now,
            Purchase.paid,
            func.coalesce(allocated.c.s, 0),
        )
        .outerjoin(allocated, allocated.c.purchase_id == Purchase.id)
        .where(
            (Purchase.paid != Purchase.paid_now + func.coalesce(allocated.c.s, 0))
            | (Purchase.paid > Purchase.payable)
            | (Purchase.paid_now > Purchase.payable)
        )
    ):
        problems.append(
            f"purchase {number}: paid {paid} (at receipt {paid_now} + allocated {alloc}) "
            f"against a bill of {payable}"
        )
    returned = (
        select(DebitNote.purchase_id, func.sum(DebitNote.amount).label("s"))
        .group_by(DebitNote.purchase_id)
        .subquery()
    )
    for number, payable, back, noted in session.execute(
        select(Purchase.number, Purchase.payable, Purchase.returned, func.coalesce(returned.c.s, 0))
        .outerjoin(returned, returned.c.purchase_id == Purchase.id)
        .where(
            (Purchase.returned != func.coalesce(returned.c.s, 0))
            | (Purchase.returned > Purchase.payable)
        )
    ):
        problems.append(
            f"purchase {number}: returned {back} but its debit notes come to {noted} "
            f"(bill {payable})"
        )
    for pid, amount, alloc in session.execute(
        select(SupplierPayment.id, SupplierPayment.amount, func.sum(SupplierAllocation.amount))
        .join(SupplierAllocation, SupplierAllocation.payment_id == SupplierPayment.id)
        .group_by(SupplierPayment.id, SupplierPayment.amount)
        .having(func.sum(SupplierAllocation.amount) > SupplierPayment.amount)
    ):
        problems.append(f"supplier payment {pid}: {alloc} allocated of {amount}")
    for aid, pay_id, number in session.execute(
        select(SupplierAllocation.id, SupplierAllocation.payment_id, Purchase.number)
        .join(SupplierPayment, SupplierPayment.id == SupplierAllocation.payment_id)
        .join(Purchase, Purchase.id == SupplierAllocation.purchase_id)
        .where(
            (Purchase.supplier_id.is_(None)) | (Purchase.supplier_id != SupplierPayment.supplier_id)
        )
    ):
        problems.append(f"supplier allocation {aid}: payment {pay_id} settles {number}, another's")
    ids = list(session.scalars(select(Supplier.id)))
    owed = balances(session, ids)
    items = open_items(session, ids)
    open_by: dict[int, int] = {}
    for item in items:
        open_by[item.supplier.id] = open_by.get(item.supplier.id, 0) + item.open
    settled = dict(
        session.execute(
            select(SupplierPayment.supplier_id, func.sum(SupplierAllocation.amount))
            .join(SupplierPayment, SupplierPayment.id == SupplierAllocation.payment_id)
            .where(SupplierAllocation.purchase_id.is_(None))
            .group_by(SupplierPayment.supplier_id)
        ).all()
    )
    for supplier in session.scalars(select(Supplier)):
        if int(settled.get(supplier.id) or 0) > supplier.opening_balance:
            problems.append(
                f"supplier {supplier.id} ({supplier.name}): {settled[supplier.id]} allocated "
                f"to an opening balance of {supplier.opening_balance}"
            )
            continue
        expected = (
            open_by.get(supplier.id, 0)
            - advance(session, supplier.id)
            - return_credit(session, supplier.id)
        )
        if owed[supplier.id] != expected:
            problems.append(
                f"supplier {supplier.id} ({supplier.name}): balance {owed[supplier.id]} but "
                f"open items less advances come to {expected}"
            )
    return checked, problems
