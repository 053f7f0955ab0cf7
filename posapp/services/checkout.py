"""Checkout (docs/DESIGN.md §4): price, settle, write and audit a sale in one transaction.

The request shapes and the cart's pricing live here: `parse_checkout` is called at the edge
(the web or API view), and the entry points take the typed `CheckoutRequest` it builds. The
tender rules are `settlement`, the numbering `counters`, the rows and the rebuilt objects
`sale_writer`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session, scoped_session
from sqlalchemy.orm.attributes import set_committed_value

from posapp.errors import CreditLimitExceeded, NotFound, ValidationError
from posapp.i18n import _
from posapp.models import (
    PAYMENT_METHODS,
    Customer,
    Invoice,
    PaymentAllocation,
    Product,
    User,
)
from posapp.models.base import table, to_local, utcnow, write_transaction
from posapp.money import format_money, parse_money, parse_quantity
from posapp.services import (
    approvals,
    audit,
    books_sales,
    cash_sessions,
    counters,
    issued,
    ledger,
    sale_writer,
    scale_labels,
    summaries,
    upi,
)
from posapp.services.hooks import Within
from posapp.services.limits import CHECKOUT_NOTE_LENGTH, MAX_CART_LINES
from posapp.services.pricing import (
    BillDiscount,
    LineInput,
    PricedCart,
    discounts_above,
    parse_bill_discount,
    price_cart,
)
from posapp.services.settings import ShopSettings, load_settings
from posapp.services.settlement import PaymentRequest, Settlement, settle

DISCOUNT_AUDIT_ACTION = "sale.discount_above_threshold"


@dataclass(frozen=True)
class ItemRequest:
    """A requested cart line before the product is resolved."""

    product_id: int | None
    code: str | None
    raw_quantity: Any
    discount: int
    # A weighing scale's label: the server reads its product, quantity and (price labels)
    # amount again from it, whatever quantity the client sent (docs/DESIGN.md §5).
    scale_label: str | None = None
    price: int | None = None  # a unit price changed at the counter (None: the product's)


@dataclass(frozen=True)
class CheckoutRequest:
    """A parsed checkout request; payments None means one cash payment of the total."""

    items: list[ItemRequest]
    bill_discount: BillDiscount
    payments: list[PaymentRequest] | None
    customer_id: int | None = None
    note: str = ""
    approval: approvals.Approval | None = None  # an admin's PIN approving this sale


class CartProduct(sale_writer.SoldProduct, Protocol):
    """What pricing and checkout read of a product (a row of `products`): what a sale copies
    onto its line, and what decides whether it may be sold."""

    tax_rate_bp: int
    stock_milli: int
    reserved_milli: int
    archived: bool


@dataclass
class PricedCartView:
    """A cart with its products resolved and priced (what the till shows)."""

    products: list[CartProduct]
    qty_milli: list[int]
    priced: PricedCart
    settings: ShopSettings
    errors: dict[str, str] = field(default_factory=dict)
    place_of_supply: str = ""  # the GST state code the bill is supplied in ("" unknown)
    prices: list[int | None] = field(default_factory=list)  # per line, None: the product's


def parse_checkout(
    payload: Mapping[str, Any], *, require_payments: bool = False
) -> CheckoutRequest:
    """Validate the shape of a checkout (or preview) request; collect every field error."""
    if not isinstance(payload, Mapping):
        raise ValidationError(_("The request body must be a JSON object."))
    errors: dict[str, str] = {}
    raw_items = payload.get("items")
    items: list[ItemRequest] = []
    if not isinstance(raw_items, list) or not raw_items:
        errors["items"] = _("The cart is empty.")
        raw_items = []
    elif len(raw_items) > MAX_CART_LINES:
        errors["items"] = _("A bill takes at most %(limit)s lines.", limit=MAX_CART_LINES)
        raw_items = []
    for i, raw in enumerate(raw_items):
        if not isinstance(raw, Mapping):
            errors[f"items.{i}"] = _("Each item must be an object.")
            continue
        product_id = raw.get("product_id")
        code = raw.get("code")
        scale_label = raw.get("scale_label")
        if scale_label is not None and not (
            isinstance(scale_label, str)
            and len(scale_label) == 13
            and scale_label.isascii()
            and scale_label.isdecimal()
        ):
            errors[f"items.{i}.scale_label"] = _("A scale label is the label's 13 digits.")
            continue
        if product_id is not None and (
            isinstance(product_id, bool) or not isinstance(product_id, int)
        ):
            errors[f"items.{i}.product_id"] = _("product_id must be an integer.")
            continue
        if (
            product_id is None
            and scale_label is None
            and (not isinstance(code, str) or not code.strip())
        ):
            errors[f"items.{i}"] = _("Each item needs a product_id or a code.")
            continue
        discount = 0
        if raw.get("discount") not in (None, ""):
            try:
                discount = parse_money(raw.get("discount"), field=f"items.{i}.discount")
            except ValidationError as exc:
                errors[f"items.{i}.discount"] = exc.message
        price: int | None = None
        if raw.get("price") not in (None, ""):
            try:
                price = parse_money(raw.get("price"), field=f"items.{i}.price")
            except ValidationError as exc:
                errors[f"items.{i}.price"] = exc.message
        quantity = raw.get("quantity", 1)
        items.append(
            ItemRequest(
                product_id,
                code.strip() if isinstance(code, str) else None,
                quantity,
                discount,
                scale_label,
                price,
            )
        )
    try:
        bill_discount = parse_bill_discount(payload.get("discount"))
    except ValidationError as exc:
        errors["discount"] = exc.message
        bill_discount = BillDiscount()

    payments: list[PaymentRequest] | None = None
    raw_payments = payload.get("payments")
    if raw_payments is not None:
        payments = []
        if not isinstance(raw_payments, list) or (require_payments and not raw_payments):
            errors["payments"] = _("Payments must be a list of {method, amount}.")
            raw_payments = []
        for i, raw in enumerate(raw_payments):
            if not isinstance(raw, Mapping):
                errors[f"payments.{i}"] = _("Each payment must be an object.")
                continue
            method = raw.get("method")
            if method not in PAYMENT_METHODS:
                errors[f"payments.{i}.method"] = _(
                    "Unknown payment method; use one of %(choices)s.",
                    choices=", ".join(PAYMENT_METHODS),
                )
                continue
            try:
                amount = parse_money(
                    raw.get("amount"), field=f"payments.{i}.amount", allow_zero=False
                )
            except ValidationError as exc:
                errors[f"payments.{i}.amount"] = exc.message
                continue
            extras = _payment_extras(raw, method, i, errors)
            if extras is None:
                continue
            payments.append(PaymentRequest(method, amount, *extras))

    customer_id = payload.get("customer_id")
    if customer_id is not None and (
        isinstance(customer_id, bool) or not isinstance(customer_id, int)
    ):
        errors["customer_id"] = _("customer_id must be an integer.")
        customer_id = None
    note = payload.get("note") or ""
    if not isinstance(note, str) or len(note) > CHECKOUT_NOTE_LENGTH:
        errors["note"] = _(
            "The note must be text of at most %(limit)s characters.", limit=CHECKOUT_NOTE_LENGTH
        )
        note = ""
    approval = None
    try:
        approval = approvals.parse_approval(payload.get("approval"))
    except ValidationError as exc:
        errors.update(exc.fields)
    if errors:
        raise ValidationError(next(iter(errors.values())), fields=errors)
    return CheckoutRequest(items, bill_discount, payments, customer_id, note.strip(), approval)


def _payment_extras(
    raw: Mapping[str, Any], method: str, i: int, errors: dict[str, str]
) -> tuple[str, str] | None:
    """A tender's optional `reference` (UPI or card) and `upi_tr` (UPI), checked by
    services/upi.py; None (with the error noted) when either is wrong."""
    try:
        reference = upi.check_reference(raw.get("reference"), field=f"payments.{i}.reference")
        upi_tr = ""
        if raw.get("upi_tr") not in (None, ""):
            upi_tr = upi.check_tr(raw.get("upi_tr"), field=f"payments.{i}.upi_tr")
    except ValidationError as exc:
        errors.update(exc.fields)
        return None
    if reference and method not in ("upi", "card"):
        errors[f"payments.{i}.reference"] = _("A reference goes with a UPI or card payment.")
        return None
    if upi_tr and method != "upi":
        errors[f"payments.{i}.upi_tr"] = _("A UPI bill reference goes with a UPI payment.")
        return None
    return reference, upi_tr


def tax_split_for(settings: ShopSettings, customer_state: str) -> tuple[str, str]:
    """How a bill charges GST and where it is supplied: (tax_split, place_of_supply).

    A composition-scheme shop issues a bill of supply ("none"). The place of supply is the
    customer's state when they have one, else the shop's; a supply to another state than the
    shop's is inter-state ("igst"), anything else (either state unknown) intra-state.
    """
    place = customer_state or settings.state_code
    if settings.composition_scheme:
        return "none", place
    if settings.state_code and place and place != settings.state_code:
        return "igst", place
    return "cgst_sgst", place


_PRODUCTS = table(Product)
# Built once: every price preview and sale reads its products. Core rows, not ORM objects
# (a sale only reads them; the ORM's identity bookkeeping was a large share of its time).
_PRODUCTS_BY_ID = select(_PRODUCTS).where(_PRODUCTS.c.id.in_(bindparam("ids", expanding=True)))
_PRODUCT_BY_CODE = select(_PRODUCTS).where(_PRODUCTS.c.code == bindparam("code"))
_PRODUCT_BY_PLU = select(_PRODUCTS).where(
    _PRODUCTS.c.scale_plu == bindparam("plu"), _PRODUCTS.c.archived.is_(False)
)
_CUSTOMER_STATE = select(Customer.state_code).where(Customer.id == bindparam("id"))


def resolve_cart(session: Session, request: CheckoutRequest) -> PricedCartView:
    """Resolve products, check quantities for their units and price the cart (no writes)."""
    settings = load_settings(session)
    connection = session.connection()
    errors: dict[str, str] = {}
    products: list[CartProduct] = []
    quantities: list[int] = []
    lines: list[LineInput] = []
    prices: list[int | None] = []
    wanted = {item.product_id for item in request.items if item.product_id is not None}
    # One query for the whole cart instead of one per line.
    by_id: dict[int, CartProduct] = (
        {row.id: row for row in connection.execute(_PRODUCTS_BY_ID, {"ids": list(wanted)})}
        if wanted
        else {}
    )
    layout = scale_labels.layout_of(settings)
    for i, item in enumerate(request.items):
        product: CartProduct | None
        label: scale_labels.LabelReading | None = None
        if item.scale_label is not None:
            try:
                label = scale_labels.read_label(item.scale_label, layout)
            except ValidationError as exc:
                errors[f"items.{i}.scale_label"] = exc.message
                continue
            if label is None:
                errors[f"items.{i}.scale_label"] = _(
                    "%(label)s is not one of the shop's scale labels.", label=item.scale_label
                )
                continue
            product = connection.execute(_PRODUCT_BY_PLU, {"plu": label.plu}).first()
            if product is not None and item.product_id not in (None, product.id):
                product = None  # the label names another product than the line
        elif item.product_id is not None:
            product = by_id.get(item.product_id)
        else:
            product = connection.execute(_PRODUCT_BY_CODE, {"code": item.code}).first()
        if product is None:
            errors[f"items.{i}"] = _(
                "Unknown product %(what)s.",
                what=item.scale_label or item.product_id or item.code,
            )
            continue
        if product.archived:
            errors[f"items.{i}"] = _("%(name)s is archived and cannot be sold.", name=product.name)
            continue
        fixed_gross = None
        if label is not None:
            try:
                line = scale_labels.label_line(label, layout, product.unit, product.price)
            except ValidationError as exc:
                errors[f"items.{i}.scale_label"] = exc.message
                continue
            qty, fixed_gross = line.qty_milli, line.fixed_gross
        else:
            try:
                qty = parse_quantity(
                    item.raw_quantity, unit=product.unit, field=f"items.{i}.quantity"
                )
            except ValidationError as exc:
                errors[f"items.{i}.quantity"] = _(
                    "%(name)s: %(problem)s", name=product.name, problem=exc.message
                )
                continue
        if label is not None and item.price is not None:
            errors[f"items.{i}.price"] = _(
                "%(name)s: a scale label sells the price printed on it; it cannot be changed.",
                name=product.name,
            )
            continue
        products.append(product)
        quantities.append(qty)
        prices.append(item.price)
        unit_price = product.price if item.price is None else item.price
        lines.append(LineInput(unit_price, qty, product.tax_rate_bp, item.discount, fixed_gross))
    if errors:
        raise ValidationError(next(iter(errors.values())), fields=errors)
    # An unknown customer prices as a walk-in here; checkout refuses it when it settles.
    customer_state = ""
    if request.customer_id is not None:
        customer_state = (
            connection.execute(_CUSTOMER_STATE, {"id": request.customer_id}).scalar() or ""
        )
    tax_split, place = tax_split_for(settings, customer_state)
    priced = price_cart(
        lines,
        request.bill_discount,
        prices_include_tax=settings.prices_include_tax,
        round_off=settings.round_off,
        tax_split=tax_split,
    )
    return PricedCartView(
        products, quantities, priced, settings, place_of_supply=place, prices=prices
    )


def preview(session: Session, request: CheckoutRequest) -> PricedCartView:
    """Price a parsed cart exactly as checkout would, writing nothing."""
    return resolve_cart(session, request)


def _bill_customer(session: Session, customer_id: int | None) -> Customer | None:
    """Load (and lock) the customer a bill is for; unknown or archived is a field error."""
    if customer_id is None:
        return None
    try:
        customer = ledger.lock_customer(session, customer_id)
    except NotFound:
        raise ValidationError(_("No such customer."), field="customer_id") from None
    if customer.archived:
        raise ValidationError(
            _("%(name)s is archived; restore the customer first.", name=customer.name),
            field="customer_id",
        )
    return customer


def approval_reasons(
    view: PricedCartView, is_admin: bool, credit: approvals.Reason | None = None
) -> list[approvals.Reason]:
    """Why this cart needs an admin (docs/DESIGN.md "Approvals at the counter"), in order."""
    reasons = [] if credit is None else [credit]
    reasons += approvals.stock_reasons(view.products, view.qty_milli, view.settings)
    if not is_admin and view.priced.discount_total:
        names = [product.name for product in view.products]
        reasons += approvals.discount_reasons(view.priced, names, view.settings)
    if any(price is not None for price in view.prices):
        reasons += approvals.price_reasons(
            view.products, view.prices, view.settings, by_cashier=not is_admin
        )
    return reasons


def checkout(
    session: Session,
    request: CheckoutRequest,
    user: User,
    address: str = "?",
    within: Within[Invoice] | None = None,
    before: Callable[[Session], None] | None = None,
) -> Invoice:
    """Turn a parsed cart into a paid invoice in one transaction; nothing is written on error.

    The use case of docs/DESIGN.md §4: (parse, at the edge) -> price -> settle -> write -> audit.
    A sale that needs an admin (approvals) is refused with 409 approval_required unless the
    request carries a valid admin PIN; a wrong PIN is counted (from `address`) before the sale.
    `within` runs in the sale's transaction once it is written (services/hooks.py); `before`
    runs first in it, before the cart is priced (an order's delivery releases the stock the
    order holds there, so the sale may take it).
    """
    # Read before the transaction: starting it expires loaded objects, and reading them
    # inside would cost one more query per sale.
    user_id = user.id
    username = user.username
    is_admin = user.role == "admin"
    real = session() if isinstance(session, scoped_session) else session
    approver = approvals.verify(real, request.approval, address)
    # The answer is built from the objects of the sale and the caller: kept loaded through the
    # commit (everything else is expired), so no query reads the sale back.
    with sale_writer.kept_through_commit(real) as kept, write_transaction(real):
        if before is not None:
            before(real)
        view = resolve_cart(real, request)
        settled, credit = _settle(real, request, view.priced.total, view.settings)
        reasons = approval_reasons(view, is_admin, credit)
        approvals.require(reasons, user, approver)
        # Approved (or the policy warns): the stock may go negative for this sale; only an
        # approval lets it take what confirmed orders hold.
        approved_short = any(reason.code == "stock_short" for reason in reasons)
        allow_negative = view.settings.allow_negative_stock or approved_short
        sale = _write(
            real, request, view, settled, user, user_id, allow_negative, not approved_short
        )
        _audit(real, sale, view, settled.settlement, user_id, username)
        approvals.record_price_changes(
            real, sale.invoice.id, sale.invoice.number, view.products, view.prices, user_id
        )
        approvals.record_override(
            real, sale.invoice.id, sale.invoice.number, reasons, (user_id, username), approver
        )
        if within is not None:
            within(real, sale.invoice)
        kept.extend(sale.objects())
    # The transaction's start expired the caller; the answer names the cashier, so the name
    # read above goes back in (the rest stays expired) instead of a query reloading the user.
    set_committed_value(user, "username", username)
    return sale.invoice


@dataclass(frozen=True)
class _Settled:
    """Who a bill is for and how its tenders settle it, checked before anything is written."""

    customer: Customer | None
    settlement: Settlement
    balance_before: int  # the customer's balance before a credit part (0 without one)


def _settle(
    session: Session, request: CheckoutRequest, total: int, shop: ShopSettings
) -> tuple[_Settled, approvals.Reason | None]:
    """Load the bill's customer, settle the tenders, and check a credit part's limit.

    Credit over the limit is not refused here: it is a reason for an admin's approval.
    """
    customer = _bill_customer(session, request.customer_id)
    settlement = settle(
        total,
        request.payments,
        customer is not None,
        lambda minor: format_money(minor, shop.currency, shop.locale),
    )
    balance_before = 0
    over_limit: approvals.Reason | None = None
    if customer is not None and settlement.credit:
        try:
            balance_before = ledger.check_credit(session, customer, settlement.credit)
        except CreditLimitExceeded as exc:
            balance_before = ledger.balance(session, customer.id)
            over_limit = approvals.Reason("credit_limit", exc.message)
    return _Settled(customer, settlement, balance_before), over_limit


def _write(
    session: Session,
    request: CheckoutRequest,
    view: PricedCartView,
    settled: _Settled,
    user: User,
    user_id: int,
    allow_negative_stock: bool,
    keep_held: bool,
) -> sale_writer.WrittenSale:
    """Number and write the sale, charge its credit part, add it to the day's figures."""
    settings = view.settings
    customer, settlement = settled.customer, settled.settlement
    drawer = cash_sessions.session_for_cash(session, user_id, settlement.tendered > 0, settings)
    now = utcnow()
    fy = counters.financial_year(to_local(now), settings.fy_start_month)
    seq = counters.next_number(session, "invoice", fy)
    unwritten = sale_writer.Sale(
        number=f"{settings.invoice_prefix}{fy}-{seq:06d}",
        fy=fy,
        seq=seq,
        created_at=now,
        cashier=user,
        cashier_id=user_id,
        customer=customer,
        prices_include_tax=settings.prices_include_tax,
        products=view.products,
        qty_milli=view.qty_milli,
        priced=view.priced,
        settlement=settlement,
        note=request.note,
        cash_session_id=drawer,
        allow_negative_stock=allow_negative_stock,
        keep_held=keep_held,
        place_of_supply=view.place_of_supply,
        unit_prices=(
            tuple(
                product.price if price is None else price
                for product, price in zip(view.products, view.prices, strict=True)
            )
            if any(price is not None for price in view.prices)
            else ()
        ),
    )
    # The snapshot names the tax split and place of supply the invoice row is written with.
    snapshot = issued.snapshot(
        settings,
        customer,
        kind="invoice",
        tax_split=view.priced.tax_split,
        place_of_supply=view.place_of_supply,
        # The ledger gains exactly the credit part (an advance only offsets it), so this is
        # the balance record_credit_sale leaves, known before it runs.
        due_after=(
            settled.balance_before + settlement.credit
            if customer is not None and settlement.credit
            else None
        ),
        # What this bill leaves to pay: the documents' UPI QR asks for it (docs/DESIGN.md "UPI").
        upi_due=settlement.credit,
    )
    sale = sale_writer.write_sale(session, replace(unwritten, issued_as=issued.dumps(snapshot)))
    # Before the credit part's ORM rows: posting reads the written objects only, so nothing
    # pending is flushed early.
    books_sales.post_sale(session, sale.invoice)
    allocations: list[PaymentAllocation] = []
    if customer is not None and settlement.credit:
        # Settled from any advance the customer has: the ORM flushes what this changes on
        # the invoice (paid, status) with the ledger entry and allocations at commit.
        allocations = ledger.record_credit_sale(
            session, customer, sale.invoice, settlement.credit, user_id, settled.balance_before
        )
    sale_writer.set_allocations(sale, allocations)
    # The day's figures from what was just written, without reading the rows back.
    summaries.adjust(
        session,
        summaries.local_day(now),
        summaries.figures_of(
            sale.invoice,
            ((r["taxable"], r["qty_milli"], r["unit_cost"]) for r in sale.line_rows),
            ((p.method, p.amount) for p in settlement.applied),
        ),
    )
    return sale


def _audit(
    session: Session,
    sale: sale_writer.WrittenSale,
    view: PricedCartView,
    settlement: Settlement,
    user_id: int,
    username: str,
) -> None:
    """Audit the sale, and its discounts when any is above the shop's threshold."""
    invoice = sale.invoice
    priced = view.priced
    audit.record(
        session,
        "sale.create",
        user_id=user_id,
        entity="invoice",
        entity_id=invoice.id,
        after={
            "number": invoice.number,
            "total": priced.total,
            "discount": priced.discount_total,
            "customer_id": invoice.customer_id,
            "credit": settlement.credit,
        },
    )
    if priced.discount_total:  # the common undiscounted sale pays nothing more
        big = discounts_above(priced, view.settings.discount_audit_percent)
        if big is not None:
            audit.record(
                session,
                DISCOUNT_AUDIT_ACTION,
                user_id=user_id,
                entity="invoice",
                entity_id=invoice.id,
                after={"number": invoice.number, "cashier": username, **big},
            )
