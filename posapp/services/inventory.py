"""Stock: immutable movements, purchases (moving average cost), adjustments, stock counts."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from posapp import gst
from posapp.dates import optional_day
from posapp.errors import InsufficientStock, NotFound, ValidationError
from posapp.i18n import _
from posapp.models import Invoice, InvoiceLine, Product, Purchase, PurchaseLine, StockMovement
from posapp.models.base import affected, to_local, utcnow, write_transaction
from posapp.models.catalog import active_named
from posapp.money import (
    parse_money,
    parse_percent_bp,
    parse_signed_quantity,
    qty_str,
    round_half_up_div,
)
from posapp.services import audit, books_stock, labels, limits, shop_settings, suppliers
from posapp.services.counters import next_number
from posapp.services.hooks import Within
from posapp.services.limits import STOCK_NOTE_LENGTH as NOTE_LIMIT
from posapp.services.settings import load_settings

# Movements a person may book by hand; sales, returns and voids come from invoices only.
MANUAL_REASONS = ("opening", "purchase", "adjust_damage", "adjust_loss", "adjust_count")
ADJUST_REASONS = ("adjust_damage", "adjust_loss", "adjust_count")
MAX_PURCHASE_LINES = 500


def update_inventory_settings(
    session: Session, data: Mapping[str, Any], user_id: int | None
) -> dict[str, tuple[str, str]]:
    """Validate and save the stock settings; return what changed."""
    errors: dict[str, str] = {}
    values = shop_settings.stock_values(data, errors)
    for key, low, high in (("expiry_warning_days", 1, 365), ("dead_stock_days", 1, 3650)):
        raw = str(data.get(key) or "").strip()
        if not raw.isdecimal() or not low <= int(raw) <= high:
            errors[key] = _("A whole number of days from %(low)s to %(high)s.", low=low, high=high)
        else:
            values[key] = int(raw)
    sheet = str(data.get("label_sheet") or labels.DEFAULT_SHEET)
    if sheet not in labels.SHEET_FORMATS:
        errors["label_sheet"] = _("Choose one of the label sheet formats.")
    else:
        values["label_sheet"] = sheet
    if errors:
        raise ValidationError(next(iter(errors.values())), fields=errors)
    return shop_settings.save_changes(session, values, "settings.inventory", user_id)


@dataclass(frozen=True)
class CountResult:
    """One product's booked stock-count difference."""

    product: Product
    counted_milli: int
    delta_milli: int


def moving_average_cost(stock_milli: int, cost: int, qty_milli: int, unit_cost: int) -> int:
    """Return the moving average unit cost after receiving qty at unit_cost (minor units)."""
    if qty_milli <= 0:
        return cost
    if stock_milli <= 0:
        # Stock already sold below zero carries no value to average with.
        return unit_cost
    return round_half_up_div(stock_milli * cost + qty_milli * unit_cost, stock_milli + qty_milli)


def _note(value: object, field: str = "note") -> str:
    text = limits.text_value(value, field)
    if len(text) > NOTE_LIMIT:
        raise ValidationError(_("At most %(limit)s characters.", limit=NOTE_LIMIT), field=field)
    return text


def book_movement(
    session: Session,
    product: Product,
    delta_milli: int,
    reason: str,
    *,
    user_id: int | None,
    ref: str = "",
    note: str = "",
    unit_cost: int | None = None,
    allow_negative: bool = False,
) -> StockMovement:
    """Change stock by one movement inside the caller's write transaction.

    Taking stock uses a conditional update so concurrent tills cannot drive it below zero
    (unless the shop allows negative stock); a purchase with a unit cost moves the product's
    cost to the moving average. A service product has no stock: refused.
    """
    if delta_milli == 0:
        raise ValidationError(_("The change must not be zero."), field="delta")
    if product.is_service:
        # Every stock write goes through here (receiving, adjusting, counting, supplier
        # returns), so a service can gain no stock, movement or stock value by any of them.
        raise ValidationError(
            _(
                "%(name)s is a service: it has no stock to receive, adjust or count.",
                name=product.name,
            ),
            field="product_id",
        )
    stmt = update(Product).where(Product.id == product.id)
    if delta_milli < 0 and not allow_negative:
        stmt = stmt.where(Product.stock_milli >= -delta_milli)
    values: dict[str, Any] = {"stock_milli": Product.stock_milli + delta_milli}
    if delta_milli > 0 and unit_cost is not None and reason in ("purchase", "opening"):
        # Locked (PostgreSQL, MariaDB): the average needs the stock no other till is changing.
        session.refresh(product, ["stock_milli", "cost"], with_for_update=True)
        values["cost"] = moving_average_cost(
            product.stock_milli, product.cost, delta_milli, unit_cost
        )
    result = session.execute(
        stmt.values(**values), execution_options={"synchronize_session": False}
    )
    session.refresh(product)
    if affected(result) != 1:
        raise InsufficientStock(
            _(
                "Not enough stock of %(name)s: %(wanted)s %(unit)s to take, "
                "%(available)s available.",
                name=product.name,
                wanted=qty_str(-delta_milli, product.unit),
                unit=product.unit,
                available=qty_str(product.stock_milli, product.unit),
            ),
            details={
                "product_id": product.id,
                "product": product.name,
                "requested": qty_str(-delta_milli, product.unit),
                "available": qty_str(product.stock_milli, product.unit),
            },
        )
    movement = StockMovement(
        product_id=product.id,
        delta_milli=delta_milli,
        reason=reason,
        ref=ref[:64],
        note=note[:NOTE_LIMIT],
        unit_cost=unit_cost if unit_cost is not None else product.cost,
        user_id=user_id,
        created_at=utcnow(),
    )
    session.add(movement)
    return movement


def parse_adjustment(data: Mapping[str, Any], unit: str) -> tuple[int, str, str, int | None]:
    """Validate {delta, reason, note, unit_cost?}; collect every field error."""
    errors: dict[str, str] = {}
    reason = str(data.get("reason") or "").strip()
    if reason not in MANUAL_REASONS:
        errors["reason"] = _(
            "Reason must be one of %(choices)s.", choices=", ".join(MANUAL_REASONS)
        )
    delta = 0
    try:
        delta = parse_signed_quantity(data.get("delta"), unit=unit, field="delta")
        if delta == 0:
            errors["delta"] = _("The change must not be zero.")
    except ValidationError as exc:
        errors["delta"] = exc.message
    if delta and reason in ("adjust_damage", "adjust_loss") and delta > 0:
        errors["delta"] = _("Damage and loss take stock away: the change must be negative.")
    if delta and reason in ("purchase", "opening") and delta < 0:
        errors["delta"] = _("A purchase or opening stock adds stock: the change must be positive.")
    unit_cost = None
    if data.get("unit_cost") not in (None, ""):
        try:
            unit_cost = parse_money(data.get("unit_cost"), field="unit_cost")
        except ValidationError as exc:
            errors["unit_cost"] = exc.message
        if reason not in ("purchase", "opening"):
            errors["unit_cost"] = _("A unit cost goes only with a purchase or opening stock.")
    try:
        note = _note(data.get("note"))
    except ValidationError as exc:
        errors["note"] = exc.message
        note = ""
    if errors:
        raise ValidationError(next(iter(errors.values())), fields=errors)
    return delta, reason, note, unit_cost


def adjust_stock(
    session: Session,
    product_id: int,
    data: Mapping[str, Any],
    user_id: int | None,
    within: Within[StockMovement] | None = None,
) -> Product:
    """Book one manual stock movement (API and the product page); nothing written on error.

    `within` runs in the movement's transaction once it is written (services/hooks.py)."""
    product = session.get(Product, product_id)
    if product is None:
        raise NotFound(_("No such product."))
    delta, reason, note, unit_cost = parse_adjustment(data, product.unit)
    settings = load_settings(session)
    with write_transaction(session):
        product = session.get(Product, product_id, populate_existing=True)
        assert product is not None
        before = {"stock_milli": product.stock_milli, "cost": product.cost}
        movement = book_movement(
            session,
            product,
            delta,
            reason,
            user_id=user_id,
            note=note,
            unit_cost=unit_cost,
            allow_negative=settings.allow_negative_stock,
        )
        books_stock.apply_stock_movement(session, movement)
        audit.record(
            session,
            f"stock.{reason}",
            user_id=user_id,
            entity="product",
            entity_id=product.id,
            before=before,
            after={"stock_milli": product.stock_milli, "cost": product.cost, "note": note},
        )
        if within is not None:
            within(session, movement)
    return product


def _find_product(session: Session, raw: Mapping[str, Any]) -> Product | None:
    product_id = raw.get("product_id")
    if product_id not in (None, ""):
        try:
            return session.get(Product, int(str(product_id)))
        except ValueError:
            return None
    code = str(raw.get("code") or "").strip()
    if not code:
        return None
    found = session.scalar(select(Product).where(Product.code == code))
    if found is None:
        found = session.scalar(select(Product).where(*active_named(code)))
    return found


@dataclass(frozen=True)
class _ReceivedLine:
    """One parsed line of a purchase bill; taxable and heads are computed once the bill's
    tax split is known."""

    product: Product
    qty_milli: int
    unit_cost: int
    tax_rate_bp: int
    expiry: date | None
    batch: str


@dataclass(frozen=True)
class SupplierBill:
    """The supplier's side of a purchase bill: GSTIN, state and the bill's own date."""

    gstin: str
    state: str
    bill_date: date | None


@dataclass(frozen=True)
class PurchaseTax:
    """A purchase's input tax: the taxable value (Purchase.total) and the heads on it."""

    taxable: int = 0
    cgst: int = 0
    sgst: int = 0
    igst: int = 0
    cess: int = 0

    @property
    def tax(self) -> int:
        """The input tax on the bill, every head together."""
        return self.cgst + self.sgst + self.igst + self.cess

    @property
    def bill_total(self) -> int:
        """What the supplier billed: the taxable value plus the tax."""
        return self.taxable + self.tax


def purchase_split(supplier_state: str, shop_state: str) -> str:
    """ "igst" when the supplier's and the shop's states are both known and differ (an
    inter-state purchase), else "cgst_sgst": an unknown state is taken as the shop's own, the
    case of nearly every local wholesaler."""
    if supplier_state and shop_state and supplier_state != shop_state:
        return "igst"
    return "cgst_sgst"


def line_taxable(qty_milli: int, unit_cost: int) -> int:
    """A purchase line's taxable value: quantity × unit cost before tax, rounded half up."""
    return round_half_up_div(qty_milli * unit_cost, 1000)


def parse_supplier_bill(data: Mapping[str, Any], errors: dict[str, str]) -> SupplierBill:
    """Read the supplier's GSTIN, state and bill date; put each problem into `errors`.

    The state defaults to the GSTIN's; a GSTIN is registered in one state, so a different
    state typed beside it is refused rather than guessed between. The bill date is a real day
    not after today (a supplier cannot have billed tomorrow).
    """
    gstin = state = ""
    bill_date = None
    try:
        gstin = gst.parse_gstin(data.get("supplier_gstin"), "supplier_gstin")
    except ValidationError as exc:
        errors["supplier_gstin"] = exc.message
    try:
        state = gst.parse_state_code(data.get("supplier_state"), "supplier_state")
    except ValidationError as exc:
        errors["supplier_state"] = exc.message
    if gstin and state and state != gst.state_of(gstin):
        errors["supplier_state"] = _(
            "The GSTIN %(gstin)s is registered in %(state)s; "
            "leave the state blank or choose that one.",
            gstin=gstin,
            state=gst.state_label(gst.state_of(gstin)),
        )
    state = state or gst.state_of(gstin)
    try:
        bill_date = optional_day(data.get("bill_date"), "bill_date")
        if bill_date is not None and bill_date > to_local(utcnow()).date():
            errors["bill_date"] = _("The supplier's bill date cannot be in the future.")
    except ValidationError as exc:
        errors["bill_date"] = exc.message
    return SupplierBill(gstin=gstin, state=state, bill_date=bill_date)


def _line_rate(raw: Mapping[str, Any], product: Product, field: str) -> int:
    """The line's GST rate in basis points: as typed (0-100 %), else the product's own."""
    value = raw.get("tax_rate")
    if value is None or (isinstance(value, str) and not value.strip()):
        return product.tax_rate_bp
    return parse_percent_bp(value, field=field)


def _parse_received_lines(
    session: Session, raw_lines: Sequence[Any], errors: dict[str, str]
) -> list[_ReceivedLine]:
    parsed: list[_ReceivedLine] = []
    for i, raw in enumerate(raw_lines, start=1):
        if not isinstance(raw, Mapping):
            errors[f"lines.{i}"] = _("Line %(line)s: must be an object.", line=i)
            continue
        product = _find_product(session, raw)
        if product is None:
            what = raw.get("code") or raw.get("product_id") or _("(blank)")
            errors[f"lines.{i}.code"] = _(
                "Line %(line)s: no product with the code or name %(what)s.", line=i, what=what
            )
            continue
        if product.archived:
            errors[f"lines.{i}.code"] = _(
                "Line %(line)s: %(name)s is archived; restore it first.", line=i, name=product.name
            )
            continue
        try:
            qty = parse_signed_quantity(raw.get("quantity"), product.unit, f"lines.{i}.quantity")
            if qty <= 0:
                raise ValidationError(_("Quantity must be more than zero."))
        except ValidationError as exc:
            errors[f"lines.{i}.quantity"] = _(
                "Line %(line)s (%(name)s): %(problem)s",
                line=i,
                name=product.name,
                problem=exc.message,
            )
            continue
        try:
            cost = parse_money(raw.get("unit_cost"), field=f"lines.{i}.unit_cost")
        except ValidationError as exc:
            errors[f"lines.{i}.unit_cost"] = _(
                "Line %(line)s (%(name)s): %(problem)s",
                line=i,
                name=product.name,
                problem=exc.message,
            )
            continue
        try:
            rate = _line_rate(raw, product, f"lines.{i}.tax_rate")
        except ValidationError as exc:
            errors[f"lines.{i}.tax_rate"] = _(
                "Line %(line)s (%(name)s): %(problem)s",
                line=i,
                name=product.name,
                problem=exc.message,
            )
            continue
        try:
            expiry = optional_day(raw.get("expiry"), f"lines.{i}.expiry")
        except ValidationError as exc:
            errors[f"lines.{i}.expiry"] = _(
                "Line %(line)s (%(name)s): %(problem)s",
                line=i,
                name=product.name,
                problem=exc.message,
            )
            continue
        batch = str(raw.get("batch") or "").strip()
        if len(batch) > 40:
            errors[f"lines.{i}.batch"] = _(
                "Line %(line)s: a batch takes at most 40 characters.", line=i
            )
            continue
        parsed.append(_ReceivedLine(product, qty, cost, rate, expiry, batch))
    return parsed


def _supplier_id(raw: object, errors: dict[str, str]) -> int | None:
    """The chosen supplier's id (blank: none chosen, the typed name decides)."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    text = str(raw).strip()
    if isinstance(raw, bool) or not (text.isascii() and text.isdigit()) or len(text) > 12:
        errors["supplier_id"] = _("Choose a supplier from the list.")
        return None
    return int(text)


def receive_stock(session: Session, data: Mapping[str, Any], user_id: int | None) -> Purchase:
    """Book a purchase bill: every line adds stock and moves cost to the moving average.

    Unit costs are before tax. Each line stores its taxable value and the input tax heads the
    supplier charged (docs/DESIGN.md, "Purchase bills"); `Purchase.total` stays the value at
    cost before tax, which is what the stock is worth to a shop that claims the tax back.
    """
    errors: dict[str, str] = {}
    supplier = str(data.get("supplier") or "").strip()
    reference = str(data.get("reference") or "").strip()
    if len(supplier) > 120:
        errors["supplier"] = _("At most %(limit)s characters.", limit=120)
    if len(reference) > 64:
        errors["reference"] = _("At most %(limit)s characters.", limit=64)
    bill = parse_supplier_bill(data, errors)
    supplier_id = _supplier_id(data.get("supplier_id"), errors)
    terms = suppliers.parse_terms(data, errors)
    try:
        note = _note(data.get("note"))
    except ValidationError as exc:
        errors["note"] = exc.message
        note = ""
    raw_lines = data.get("lines")
    if not isinstance(raw_lines, Sequence) or isinstance(raw_lines, str):
        raw_lines = []
    parsed = _parse_received_lines(session, raw_lines, errors)
    if not raw_lines and "lines" not in errors:
        errors["lines"] = _("Add at least one line.")
    elif len(raw_lines) > MAX_PURCHASE_LINES:
        errors["lines"] = _("A purchase takes at most %(limit)s lines.", limit=MAX_PURCHASE_LINES)
    if errors:
        raise ValidationError(next(iter(errors.values())), fields=errors)

    shop_state = load_settings(session).state_code
    with write_transaction(session):
        # The supplier's khata: chosen by id, or found (or made) by the typed name.
        party = suppliers.supplier_for_purchase(
            session,
            supplier_id=supplier_id,
            name=supplier,
            gstin=bill.gstin,
            state=bill.state,
            user_id=user_id,
        )
        if party is not None:
            supplier = party.name
            # A bill keeps the GSTIN typed on it: input tax is claimed on what the supplier's
            # bill shows, never on what the shop once knew about them. The state (IGST or
            # CGST+SGST) may come from the supplier's record.
            if not bill.gstin and not bill.state:
                bill = SupplierBill("", party.state_code, bill.bill_date)
        split = purchase_split(bill.state, shop_state)
        seq = next_number(session, "purchase", 0)
        purchase = Purchase(
            number=f"PUR-{seq:06d}",
            supplier=supplier,
            supplier_id=party.id if party else None,
            reference=reference,
            supplier_gstin=bill.gstin,
            supplier_state=bill.state,
            bill_date=bill.bill_date,
            note=note,
            user_id=user_id,
            created_at=utcnow(),
            total=sum(line_taxable(line.qty_milli, line.unit_cost) for line in parsed),
        )
        session.add(purchase)
        session.flush()
        tax = 0
        for line in parsed:
            fresh = session.get(Product, line.product.id, populate_existing=True)
            assert fresh is not None
            taxable = line_taxable(line.qty_milli, line.unit_cost)
            cgst, sgst, igst = gst.heads_on_taxable(taxable, line.tax_rate_bp, split)
            tax += cgst + sgst + igst
            session.add(
                PurchaseLine(
                    purchase_id=purchase.id,
                    product_id=fresh.id,
                    qty_milli=line.qty_milli,
                    unit_cost=line.unit_cost,
                    tax_rate_bp=line.tax_rate_bp,
                    taxable=taxable,
                    cgst=cgst,
                    sgst=sgst,
                    igst=igst,
                    cess=0,
                    expiry_date=line.expiry,
                    batch=line.batch,
                )
            )
            ref = purchase.number + (f" / {reference}" if reference else "")
            # The movement's unit cost is before tax: input tax is claimed back, not stocked.
            book_movement(
                session,
                fresh,
                line.qty_milli,
                "purchase",
                user_id=user_id,
                ref=ref,
                note=supplier,
                unit_cost=line.unit_cost,
            )
        suppliers.settle_purchase_terms(session, purchase, party, terms, purchase.total + tax)
        session.flush()
        books_stock.apply_purchase(session, purchase)
        audit.record(
            session,
            "stock.purchase",
            user_id=user_id,
            entity="purchase",
            entity_id=purchase.id,
            after={
                "number": purchase.number,
                "lines": len(parsed),
                "total": purchase.total,
                "tax": tax,
                "supplier_gstin": bill.gstin,
                "tax_split": split,
                "supplier_id": purchase.supplier_id,
                "payable": purchase.payable,
                "paid_now": purchase.paid_now,
                "paid_method": purchase.paid_method,
            },
        )
    return purchase


def purchase_taxes(session: Session, purchases: Sequence[Purchase]) -> dict[int, PurchaseTax]:
    """Each purchase's taxable value and input tax heads, the heads summed from its lines in
    one query (the purchase list shows them without loading every line). The taxable value is
    `Purchase.total`: purchases booked before input tax was recorded have lines whose stored
    taxable value is 0 and no tax."""
    if not purchases:
        return {}
    rows = session.execute(
        select(
            PurchaseLine.purchase_id,
            func.sum(PurchaseLine.cgst),
            func.sum(PurchaseLine.sgst),
            func.sum(PurchaseLine.igst),
            func.sum(PurchaseLine.cess),
        )
        .where(PurchaseLine.purchase_id.in_([p.id for p in purchases]))
        .group_by(PurchaseLine.purchase_id)
    ).all()
    # int(): sums come back as Decimal on PostgreSQL.
    heads = {row[0]: [int(value or 0) for value in row[1:]] for row in rows}
    return {p.id: PurchaseTax(p.total, *heads.get(p.id, (0, 0, 0, 0))) for p in purchases}


def line_taxable_shown(line: PurchaseLine) -> int:
    """A line's taxable value for display: stored, or computed for lines booked before it
    was stored (their column holds 0)."""
    return line.taxable or line_taxable(line.qty_milli, line.unit_cost)


def book_stock_count(
    session: Session,
    counts: Mapping[int, Any],
    user_id: int | None,
    note: str = "",
) -> list[CountResult]:
    """Book the differences between counted and recorded stock as adjust_count movements.

    Blank counts are skipped; the difference is taken against the stock at the moment of
    booking, so sales made while counting are not booked twice.
    """
    errors: dict[str, str] = {}
    note = _note(note)
    wanted: dict[int, int] = {}
    products = (
        {p.id: p for p in session.scalars(select(Product).where(Product.id.in_(list(counts))))}
        if counts
        else {}
    )
    for product_id, raw in counts.items():
        if raw is None or str(raw).strip() == "":
            continue
        product = products.get(product_id)
        if product is None:
            errors[f"count.{product_id}"] = _("No product with id %(id)s.", id=product_id)
            continue
        try:
            milli = parse_signed_quantity(raw, product.unit, f"count.{product_id}")
        except ValidationError as exc:
            errors[f"count.{product_id}"] = _(
                "%(name)s: %(problem)s", name=product.name, problem=exc.message
            )
            continue
        if milli < 0:
            errors[f"count.{product_id}"] = _(
                "%(name)s: a count cannot be negative.", name=product.name
            )
            continue
        wanted[product_id] = milli
    if errors:
        raise ValidationError(next(iter(errors.values())), fields=errors)
    if not wanted:
        raise ValidationError(_("Enter at least one counted quantity."), field="count")
    results: list[CountResult] = []
    with write_transaction(session):
        seq = next_number(session, "count", 0)
        ref = f"COUNT-{seq:06d}"
        for product_id, counted in wanted.items():
            product = session.get(Product, product_id, populate_existing=True)
            assert product is not None
            delta = counted - product.stock_milli
            if delta:
                movement = book_movement(
                    session,
                    product,
                    delta,
                    "adjust_count",
                    user_id=user_id,
                    ref=ref,
                    note=note or "Stock count",
                    allow_negative=True,
                )
                books_stock.apply_stock_movement(session, movement)
            results.append(CountResult(product, counted, delta))
        audit.record(
            session,
            "stock.count",
            user_id=user_id,
            entity="count",
            after={
                "ref": ref,
                "counted": len(results),
                "changed": sum(1 for r in results if r.delta_milli),
            },
        )
    return results


def low_stock_count(session: Session) -> int:
    """Count active products at or below their low-stock threshold (the navigation badge)."""
    return int(
        session.scalar(
            select(func.count())
            .select_from(Product)
            .where(Product.archived.is_(False), Product.stock_milli <= Product.low_stock_milli)
        )
        or 0
    )


@dataclass(frozen=True)
class ExpiringBatch:
    """A purchase line believed still on the shelf (FIFO), with its expiry date."""

    product: Product
    line: PurchaseLine
    remaining_milli: int
    days_left: int


def expiring_batches(
    session: Session,
    *,
    within_days: int,
    today: date | None = None,
    product_ids: Sequence[int] | None = None,
) -> list[ExpiringBatch]:
    """List dated batches still in stock that expire within N days (or already have).

    Stock is assumed to leave first-in first-out, so what is on hand is the newest purchases:
    each product's current stock is spread over its purchase lines from the newest back.
    """
    today = today or to_local(utcnow()).date()
    limit = today + timedelta(days=within_days)
    dated = select(PurchaseLine.product_id).where(
        PurchaseLine.expiry_date.is_not(None), PurchaseLine.expiry_date <= limit
    )
    if product_ids is not None:
        dated = dated.where(PurchaseLine.product_id.in_(list(product_ids)))
    candidates = set(session.scalars(dated.distinct()))
    if not candidates:
        return []
    products = {
        p.id: p
        for p in session.scalars(
            select(Product).where(
                Product.id.in_(candidates), Product.archived.is_(False), Product.stock_milli > 0
            ),
            execution_options={"populate_existing": True},
        )
    }
    lines = session.scalars(
        select(PurchaseLine)
        .where(PurchaseLine.product_id.in_(list(products)))
        .order_by(PurchaseLine.product_id, PurchaseLine.id.desc())
    )
    left = {pid: p.stock_milli for pid, p in products.items()}
    found: list[ExpiringBatch] = []
    for line in lines:
        remaining = min(left[line.product_id], line.qty_milli)
        left[line.product_id] -= remaining
        if remaining > 0 and line.expiry_date is not None and line.expiry_date <= limit:
            found.append(
                ExpiringBatch(
                    products[line.product_id],
                    line,
                    remaining,
                    (line.expiry_date - today).days,
                )
            )
    found.sort(key=lambda b: (b.line.expiry_date, b.product.name))
    return found


def expired_on_shelf(
    session: Session, product_ids: Sequence[int], today: date | None = None
) -> dict[int, int]:
    """Return {product_id: thousandths} of stock past its expiry date still believed on the shelf.

    Uses the first-in first-out estimate of `expiring_batches`; products with none are left out.
    """
    if not product_ids:
        return {}
    today = today or to_local(utcnow()).date()
    found: dict[int, int] = {}
    for batch in expiring_batches(session, within_days=-1, today=today, product_ids=product_ids):
        found[batch.product.id] = found.get(batch.product.id, 0) + batch.remaining_milli
    return found


@dataclass(frozen=True)
class RecentSales:
    """A product's sales over the last days: totals and one row per day with sales."""

    quantity_milli: int
    amount: int
    invoices: int
    days: list[tuple[date, int, int]]  # (local date, quantity, amount)


def recent_sales(session: Session, product_id: int, days: int = 30) -> RecentSales:
    """Sum a product's invoice lines of the last N days (void invoices excluded)."""
    since = utcnow() - timedelta(days=days)
    rows = session.execute(
        select(Invoice.created_at, InvoiceLine.qty_milli, InvoiceLine.total, Invoice.id)
        .join(Invoice, Invoice.id == InvoiceLine.invoice_id)
        .where(
            InvoiceLine.product_id == product_id,
            Invoice.created_at >= since,
            Invoice.status != "void",
        )
    ).all()
    per_day: dict[date, list[int]] = {}
    for created, qty, total, _cost in rows:
        day = per_day.setdefault(to_local(created).date(), [0, 0])
        day[0] += qty
        day[1] += total
    return RecentSales(
        quantity_milli=sum(r[1] for r in rows),
        amount=sum(r[2] for r in rows),
        invoices=len({r[3] for r in rows}),
        days=sorted(((d, v[0], v[1]) for d, v in per_day.items()), reverse=True),
    )
