"""Orders for pickup and home delivery (docs/DESIGN.md "Orders").

An order moves pending → confirmed → packed → ready_for_pickup | out_for_delivery →
delivered, or is cancelled before it is delivered. Every change writes an `OrderEvent` and an
audit row in the transaction that makes it. Confirming reserves the stock of each line with a
conditional UPDATE (`stock_milli - reserved_milli >= q`), so concurrent confirmations and
counter sales never sell the same unit twice; cancelling and delivering release it.

Delivering an order is a sale: `deliver_order` builds the cart from the order's lines (and a
"Delivery charge" service line) and hands it to `checkout.checkout`, whose pricing, numbering,
tax, khata and books apply unchanged; the order is marked delivered inside that sale's
transaction. A prepaid order's money is a payment on account taken when it is confirmed (an
advance), and the credit tender of its invoice lets the ledger's advance settle it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, func, or_, select, update
from sqlalchemy.orm import Session, selectinload

from posapp.errors import Conflict, InsufficientStock, NotFound, ValidationError
from posapp.i18n import LazyString, _, lazy
from posapp.models import (
    FULFILMENTS,
    ORDER_SOURCES,
    ORDER_STATUSES,
    PAYMENT_PLANS,
    Customer,
    Invoice,
    Order,
    OrderEvent,
    OrderLine,
    Product,
    User,
)
from posapp.models.base import affected, local_days, table, utcnow, write_transaction
from posapp.money import format_money, money_str, parse_money, parse_quantity, qty_str
from posapp.services import audit, checkout, counters, customers, ledger, limits, upi
from posapp.services.document_language import compose, customer_language
from posapp.services.hooks import Within
from posapp.services.pricing import BillDiscount
from posapp.services.settings import load_settings
from posapp.services.settlement import PaymentRequest

TRANSITIONS: dict[str, tuple[str, ...]] = {
    "pending": ("confirmed", "cancelled"),
    "confirmed": ("packed", "cancelled"),
    "packed": ("ready_for_pickup", "out_for_delivery", "cancelled"),
    "ready_for_pickup": ("delivered", "cancelled"),
    "out_for_delivery": ("delivered", "cancelled"),
    "delivered": (),
    "cancelled": (),
}
OPEN_STATUSES: tuple[str, ...] = tuple(
    status for status in ORDER_STATUSES if status not in ("delivered", "cancelled")
)
# The state each way of fulfilment passes through after packing (the other one is refused).
_HANDOVER = {"pickup": "ready_for_pickup", "delivery": "out_for_delivery"}
STATUS_LABELS: dict[str, LazyString] = {
    "pending": lazy("Pending"),
    "confirmed": lazy("Confirmed"),
    "packed": lazy("Packed"),
    "ready_for_pickup": lazy("Ready for pickup"),
    "out_for_delivery": lazy("Out for delivery"),
    "delivered": lazy("Delivered"),
    "cancelled": lazy("Cancelled"),
}
NUMBER_PREFIX = "ORD-"
COUNTER_KIND = "order"
DELIVERY_CODE = "DELIVERY"
# The object naming a new customer in an order's body; its fields' errors are keyed under it
# (customer.name, customer.phone).
NEW_CUSTOMER = "customer"
DELIVERY_NAME = "Delivery charge"

ADDRESS_LENGTH = 300
SLOT_LENGTH = 40
NOTE_LENGTH = 300
REASON_LENGTH = 200
EVENT_NOTE_LENGTH = 200
MAX_DELIVERY_CHARGE = 10_000_00  # ₹10,000: far above any shop's charge; a typo otherwise

_PRODUCTS = table(Product)


@dataclass(frozen=True)
class NewCustomer:
    """A customer named with an order who is not on the books yet (matched by phone)."""

    name: str
    phone: str


@dataclass(frozen=True)
class OrderDraft:
    """An order as parsed from a form or a JSON body, before products are looked up."""

    customer_id: int | None
    new_customer: NewCustomer | None
    lines: tuple[tuple[int, int], ...]  # (product_id, qty_milli)
    fulfilment: str = "pickup"
    address: str = ""
    slot_date: date | None = None
    slot: str = ""
    delivery_charge: int = 0  # paise
    note: str = ""
    payment_plan: str = "on_delivery"


# ---------------------------------------------------------------- parsing


def _text(data: Mapping[str, Any], key: str, limit: int, errors: dict[str, str]) -> str:
    raw = data.get(key)
    if raw is None:
        return ""
    if not isinstance(raw, str):
        errors[key] = _("Must be text.")
        return ""
    value = raw.strip()
    if len(value) > limit:
        errors[key] = _("At most %(limit)s characters.", limit=limit)
        return ""
    return value


def _int_id(raw: object) -> int | None:
    """An id given as a JSON integer or a form's digits; None for anything else."""
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        return raw if 0 < raw < 2**63 else None
    if isinstance(raw, str) and raw.strip().isdecimal() and len(raw.strip()) <= 18:
        value = int(raw.strip())
        return value if value > 0 else None
    return None


def parse_order(data: Mapping[str, Any]) -> OrderDraft:
    """Validate an order (form or API body); collect every field error before raising.

    Quantities are read to thousandths here; whether a product sold in pieces got a whole
    number is checked against the product when the order is written.
    """
    if not isinstance(data, Mapping):
        raise ValidationError(_("The request body must be a JSON object."))
    errors: dict[str, str] = {}

    customer_id: int | None = None
    new_customer: NewCustomer | None = None
    raw_customer = data.get("customer")
    if data.get("customer_id") not in (None, ""):
        customer_id = _int_id(data.get("customer_id"))
        if customer_id is None:
            errors["customer_id"] = _("customer_id must be a customer's id.")
    elif isinstance(raw_customer, Mapping):
        own: dict[str, str] = {}
        name = _text(raw_customer, "name", limits.CUSTOMER_TEXT_LENGTHS["name"], own)
        phone_raw = raw_customer.get("phone")
        phone = str(phone_raw).strip() if isinstance(phone_raw, str | int) else ""
        if not name and not own:
            own["name"] = _("Name the customer.")
        if not phone:
            own["phone"] = _("Give the customer's phone number.")
        errors.update({f"{NEW_CUSTOMER}.{key}": message for key, message in own.items()})
        new_customer = NewCustomer(name, phone)
    else:
        errors["customer_id"] = _("Choose the customer, or give a new one's name and phone.")

    lines: list[tuple[int, int]] = []
    raw_items = data.get("items")
    if not isinstance(raw_items, list) or not raw_items:
        errors["items"] = _("The order has no items.")
        raw_items = []
    elif len(raw_items) > limits.MAX_CART_LINES:
        errors["items"] = _("An order takes at most %(limit)s lines.", limit=limits.MAX_CART_LINES)
        raw_items = []
    for i, raw in enumerate(raw_items):
        if not isinstance(raw, Mapping):
            errors[f"items.{i}"] = _("Each item must be an object.")
            continue
        product_id = _int_id(raw.get("product_id"))
        if product_id is None:
            errors[f"items.{i}.product_id"] = _("Each item needs a product_id.")
            continue
        try:
            qty = parse_quantity(raw.get("quantity", 1), unit="kg", field=f"items.{i}.quantity")
        except ValidationError as exc:
            errors[f"items.{i}.quantity"] = exc.message
            continue
        lines.append((product_id, qty))

    fulfilment = data.get("fulfilment") or "pickup"
    if fulfilment not in FULFILMENTS:
        errors["fulfilment"] = _('Choose "pickup" or "delivery".')
        fulfilment = "pickup"
    address = _text(data, "address", ADDRESS_LENGTH, errors)
    if fulfilment == "delivery" and not address and "address" not in errors:
        errors["address"] = _("A delivery needs the address.")
    slot_date: date | None = None
    raw_date = data.get("slot_date")
    if raw_date not in (None, ""):
        try:
            if not isinstance(raw_date, str) or len(raw_date.strip()) != 10:
                raise ValueError(raw_date)
            slot_date = date.fromisoformat(raw_date.strip())
        except ValueError:
            errors["slot_date"] = _("Give the date as YYYY-MM-DD.")
    slot = _text(data, "slot", SLOT_LENGTH, errors)
    delivery_charge = 0
    if data.get("delivery_charge") not in (None, ""):
        try:
            delivery_charge = parse_money(data.get("delivery_charge"), field="delivery_charge")
        except ValidationError as exc:
            errors["delivery_charge"] = exc.message
        else:
            if delivery_charge > MAX_DELIVERY_CHARGE:
                errors["delivery_charge"] = _("The delivery charge is too large.")
            elif delivery_charge and fulfilment != "delivery":
                errors["delivery_charge"] = _("Only a delivery has a delivery charge.")
    note = _text(data, "note", NOTE_LENGTH, errors)
    payment_plan = data.get("payment_plan") or "on_delivery"
    if payment_plan not in PAYMENT_PLANS:
        errors["payment_plan"] = _("Choose one of %(choices)s.", choices=", ".join(PAYMENT_PLANS))
        payment_plan = "on_delivery"
    if errors:
        raise ValidationError(next(iter(errors.values())), fields=errors)
    return OrderDraft(
        customer_id,
        new_customer,
        tuple(lines),
        str(fulfilment),
        address,
        slot_date,
        slot,
        delivery_charge,
        note,
        str(payment_plan),
    )


# ---------------------------------------------------------------- reading


def available_milli(product: Product) -> int:
    """What may still be sold at the counter: on hand less what confirmed orders hold."""
    return product.stock_milli - product.reserved_milli


def _number(seq: int) -> str:
    return f"{NUMBER_PREFIX}{seq}"


def get_order(session: Session, order_id: int) -> Order:
    """An order with its lines, customer and history; NotFound when there is none."""
    order = session.scalar(
        select(Order)
        .where(Order.id == order_id)
        .options(selectinload(Order.lines), selectinload(Order.events))
    )
    if order is None:
        raise NotFound(_("No such order."))
    return order


def find_order(session: Session, text: str) -> Order | None:
    """The order a scanned QR or a typed number names ("ORD-123", "ord-123", "#123", "123")."""
    if not isinstance(text, str):
        return None
    word = text.strip().upper().removeprefix("#")
    if word.startswith(NUMBER_PREFIX):
        word = word[len(NUMBER_PREFIX) :]
    if not word.isdecimal() or len(word) > 18:
        return None
    return session.scalar(select(Order).where(Order.number == _number(int(word))))


def _lock_order(session: Session, order_id: int) -> Order:
    """Load an order for update inside a write transaction (its row lock on PostgreSQL and
    MariaDB; SQLite's writer lock already holds), fresh from the database."""
    order = session.scalar(
        select(Order)
        .where(Order.id == order_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if order is None:
        raise NotFound(_("No such order."))
    return order


def list_orders(
    session: Session,
    *,
    status: str | None = None,
    statuses: Sequence[str] | None = None,
    q: str = "",
    customer_id: int | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
    page: int = 1,
    per_page: int = limits.DEFAULT_PER_PAGE,
) -> tuple[list[Order], int]:
    """A page of orders and how many match: open ones oldest first (the board's order, the
    next to pack on top), any list with delivered or cancelled ones newest first."""
    wanted: list[str] = []
    if status:
        wanted.append(status)
    wanted.extend(statuses or ())
    unknown = [s for s in wanted if s not in ORDER_STATUSES]
    if unknown:
        raise ValidationError(
            _(
                "Unknown order status %(status)s; use one of %(choices)s.",
                status=repr(unknown[0]),
                choices=", ".join(ORDER_STATUSES),
            ),
            field="status",
        )
    if not 1 <= page <= limits.MAX_PAGE:
        raise ValidationError(_("page is out of range."), field="page")
    if not 1 <= per_page <= limits.MAX_PER_PAGE:
        raise ValidationError(
            _("per_page must be between 1 and %(max)s.", max=limits.MAX_PER_PAGE),
            field="per_page",
        )
    if not isinstance(q, str) or len(q) > limits.MAX_SEARCH_LENGTH:
        raise ValidationError(_("The search is too long."), field="q")
    stmt = select(Order)
    if wanted:
        stmt = stmt.where(Order.status.in_(wanted))
    if customer_id is not None:
        stmt = stmt.where(Order.customer_id == customer_id)
    stmt = stmt.where(*local_days(Order.created_at, date_from, date_to))
    text = q.strip()
    if text:
        found = find_order(session, text)
        like = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        digits = "".join(ch for ch in text if ch.isdigit())
        matches: list[ColumnElement[bool]] = [
            Customer.name.ilike(like, escape="\\"),
            Order.address.ilike(like, escape="\\"),
        ]
        if len(digits) >= 3:
            matches.append(Customer.phone_digits.like(f"%{digits}%"))
        if found is not None:
            matches.append(Order.id == found.id)
        stmt = stmt.join(Customer, Customer.id == Order.customer_id).where(or_(*matches))
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    only_open = bool(wanted) and all(s in OPEN_STATUSES for s in wanted)
    ordering = (
        (Order.created_at, Order.id) if only_open else (Order.created_at.desc(), Order.id.desc())
    )
    rows = list(
        session.scalars(
            stmt.order_by(*ordering)
            .options(selectinload(Order.lines), selectinload(Order.customer))
            .offset((page - 1) * per_page)
            .limit(per_page)
        )
    )
    return rows, int(total)


def open_counts(session: Session) -> dict[str, int]:
    """How many orders stand in each open state (every open state named, 0 when none)."""
    counts = dict.fromkeys(OPEN_STATUSES, 0)
    for status, count in session.execute(
        select(Order.status, func.count())
        .where(Order.status.in_(OPEN_STATUSES))
        .group_by(Order.status)
    ):
        counts[status] = int(count)
    return counts


def allowed_next(order: Order) -> tuple[str, ...]:
    """The states this order may move to now (its way of fulfilment decides the handover)."""
    other = _HANDOVER["delivery" if order.fulfilment == "pickup" else "pickup"]
    return tuple(s for s in TRANSITIONS.get(order.status, ()) if s != other)


def to_pay(order: Order) -> int:
    """What the customer still pays when the order arrives, at the estimate: nothing on
    khata, the estimate less the advance when prepaid."""
    if order.payment_plan == "khata":
        return 0
    if order.payment_plan == "prepaid" and order.advance_payment is not None:
        return max(0, order.estimate - order.advance_payment.amount)
    return order.estimate


# What an order's status message says, a whole sentence each so a translation can order its
# words: (status, how it is paid) -> message; "how it is paid" only where the handover is near.
_STATUS_SAID: dict[tuple[str, str], LazyString] = {
    ("pending", ""): lazy(
        "your order %(number)s from %(shop)s has been received (about %(estimate)s); "
        "we will confirm it soon."
    ),
    ("confirmed", ""): lazy(
        "your order %(number)s from %(shop)s is confirmed (about %(estimate)s)."
    ),
    ("packed", ""): lazy("your order %(number)s from %(shop)s is packed."),
    ("ready_for_pickup", ""): lazy("your order %(number)s from %(shop)s is ready for pickup."),
    ("ready_for_pickup", "due"): lazy(
        "your order %(number)s from %(shop)s is ready for pickup, %(amount)s to pay."
    ),
    ("ready_for_pickup", "khata"): lazy(
        "your order %(number)s from %(shop)s is ready for pickup, %(amount)s to go on your account."
    ),
    ("ready_for_pickup", "paid"): lazy(
        "your order %(number)s from %(shop)s is ready for pickup, already paid."
    ),
    ("out_for_delivery", ""): lazy("your order %(number)s from %(shop)s is out for delivery."),
    ("out_for_delivery", "due"): lazy(
        "your order %(number)s from %(shop)s is out for delivery, %(amount)s to pay."
    ),
    ("out_for_delivery", "khata"): lazy(
        "your order %(number)s from %(shop)s is out for delivery, %(amount)s to go on your account."
    ),
    ("out_for_delivery", "paid"): lazy(
        "your order %(number)s from %(shop)s is out for delivery, already paid."
    ),
    ("delivered", ""): lazy("your order %(number)s from %(shop)s has been delivered."),
    ("cancelled", ""): lazy("your order %(number)s from %(shop)s has been cancelled."),
    ("cancelled", "reason"): lazy(
        "your order %(number)s from %(shop)s has been cancelled (%(reason)s)."
    ),
}


def status_message(
    order: Order,
    shop_name: str,
    currency: str = "INR",
    locale: str = "en_IN",
    language: str = "en",
) -> str:
    """The WhatsApp text telling the customer where their order stands, as the khata
    reminder is worded ("Your order ORD-123 is out for delivery, ₹640.00 to pay").

    It speaks the customer's language, else `language` (the shop's documents' language);
    "bilingual" gives the English text, then the Hindi.
    """

    def money(minor: int) -> str:
        return format_money(minor, currency, locale)

    # Whole sentences per case (not pieces joined), so a translation can order its words.
    due = to_pay(order)
    paid, amount = ("due", due) if due else ("", 0)
    if order.payment_plan == "khata" and order.status not in ("cancelled", "delivered"):
        paid, amount = "khata", order.estimate
    if order.payment_plan == "prepaid" and not due and order.advance_payment is not None:
        paid = "paid"
    if order.status in ("ready_for_pickup", "out_for_delivery"):
        key = (order.status, paid)
    elif order.status == "cancelled" and order.cancel_reason:
        key = ("cancelled", "reason")
    else:
        key = (order.status, "")
    values = {
        "number": order.number,
        "shop": shop_name,
        "estimate": money(order.estimate),
        "amount": money(amount),
        "reason": order.cancel_reason or "",
    }
    name = order.customer.name if order.customer is not None else ""

    def write(say: Callable[..., str]) -> str:
        greeting = say(lazy("Namaste %(name)s,"), name=name) if name else say(lazy("Namaste,"))
        return f"{greeting} {say(_STATUS_SAID[key], **values)} {say(lazy('Thank you!'))}"

    own = order.customer.language if order.customer is not None else ""
    return compose(customer_language(own, language), write)


# ---------------------------------------------------------------- writing


def _event(session: Session, order: Order, from_status: str, user: User, note: str) -> None:
    session.add(
        OrderEvent(
            order_id=order.id,
            from_status=from_status,
            to_status=order.status,
            user_id=user.id,
            note=note[:EVENT_NOTE_LENGTH],
            created_at=utcnow(),
        )
    )


def _audit(session: Session, action: str, order: Order, user: User, after: dict[str, Any]) -> None:
    audit.record(
        session,
        action,
        user_id=user.id,
        entity="order",
        entity_id=order.id,
        after={"number": order.number, **after},
    )


def _customer_for(session: Session, draft: OrderDraft, user: User) -> Customer:
    """The order's customer: by id, or the one with the new customer's phone, or written now
    (inside the caller's transaction)."""
    if draft.customer_id is not None:
        customer = session.get(Customer, draft.customer_id)
        if customer is None:
            raise ValidationError(_("No such customer."), field="customer_id")
    else:
        assert draft.new_customer is not None
        settings = load_settings(session)
        try:
            phone = customers.normalise_phone(draft.new_customer.phone, settings.phone_region)
        except ValidationError as exc:
            raise ValidationError(exc.message, field=f"{NEW_CUSTOMER}.phone") from None
        customer = session.scalar(select(Customer).where(Customer.phone == phone))
        if customer is None:
            fields = customers.parse_customer_fields(
                {"name": draft.new_customer.name, "phone": phone},
                partial=False,
                region=settings.phone_region,
            )
            return customers.add_customer(session, fields, user, settings)
    if customer.archived:
        raise ValidationError(
            _("%(name)s is archived; restore the customer first.", name=customer.name),
            field="customer_id",
        )
    return customer


def _products_for(session: Session, draft: OrderDraft) -> list[Product]:
    """The draft's products in line order; unknown, archived or a piece count with decimals
    is a field error of its line."""
    wanted = {product_id for product_id, _ in draft.lines}
    found = {p.id: p for p in session.scalars(select(Product).where(Product.id.in_(wanted))).all()}
    errors: dict[str, str] = {}
    products: list[Product] = []
    for i, (product_id, qty) in enumerate(draft.lines):
        product = found.get(product_id)
        if product is None:
            errors[f"items.{i}.product_id"] = _("Unknown product %(id)s.", id=product_id)
            continue
        if product.archived:
            errors[f"items.{i}.product_id"] = _(
                "%(name)s is archived and cannot be sold.", name=product.name
            )
            continue
        if product.unit == "pcs" and qty % 1000:
            errors[f"items.{i}.quantity"] = _(
                "%(name)s: pieces are counted in whole numbers.", name=product.name
            )
            continue
        products.append(product)
    if errors:
        raise ValidationError(next(iter(errors.values())), fields=errors)
    return products


def _estimate(session: Session, order: Order, products: Sequence[Product]) -> int:
    """Today's price of the lines (the checkout's pricing, the customer's tax split) plus the
    delivery charge."""
    request = checkout.CheckoutRequest(
        items=[
            checkout.ItemRequest(product.id, None, qty_str(line.qty_milli, product.unit), 0)
            for product, line in zip(products, order.lines, strict=True)
        ],
        bill_discount=BillDiscount(),
        payments=None,
        customer_id=order.customer_id,
    )
    return checkout.resolve_cart(session, request).priced.total + order.delivery_charge


def _fill(order: Order, draft: OrderDraft, products: Sequence[Product]) -> None:
    order.fulfilment = draft.fulfilment
    order.address = draft.address
    order.slot_date = draft.slot_date
    order.slot = draft.slot
    order.delivery_charge = draft.delivery_charge
    order.note = draft.note
    order.payment_plan = draft.payment_plan
    order.lines = [
        OrderLine(position=i, product_id=product.id, name=product.name, qty_milli=qty)
        for i, (product, (_, qty)) in enumerate(zip(products, draft.lines, strict=True), start=1)
    ]


def create_order(
    session: Session,
    draft: OrderDraft,
    user: User,
    source: str,
    within: Within[Order] | None = None,
) -> Order:
    """Write a pending order (and its new customer) in one transaction; numbered ORD-<n>.

    `within` runs in that transaction once the order is written (services/hooks.py).
    """
    if source not in ORDER_SOURCES:
        raise ValidationError(
            _("Unknown order source %(source)s.", source=repr(source)), field="source"
        )
    with write_transaction(session):
        customer = _customer_for(session, draft, user)
        products = _products_for(session, draft)
        now = utcnow()
        order = Order(
            number=_number(counters.next_number(session, COUNTER_KIND, 0)),
            customer_id=customer.id,
            status="pending",
            source=source,
            created_by=user.id,
            created_at=now,
            updated_at=now,
        )
        _fill(order, draft, products)
        session.add(order)
        session.flush()
        order.estimate = _estimate(session, order, products)
        _event(session, order, "", user, "")
        session.flush()
        _audit(
            session,
            "order.create",
            order,
            user,
            {
                "customer_id": customer.id,
                "lines": [[line.product_id, line.qty_milli] for line in order.lines],
                "fulfilment": order.fulfilment,
                "payment_plan": order.payment_plan,
                "delivery_charge": order.delivery_charge,
                "estimate": order.estimate,
                "source": source,
            },
        )
        if within is not None:
            within(session, order)
    return order


def update_order(session: Session, order_id: int, draft: OrderDraft, user: User) -> Order:
    """Change a pending order (customer, lines, delivery, plan); a confirmed one is held
    stock and a promise to the customer: cancel it and take a new one instead."""
    with write_transaction(session):
        order = _lock_order(session, order_id)
        if order.status != "pending":
            raise Conflict(
                _(
                    "Order %(number)s is %(status)s: only a pending order can be changed.",
                    number=order.number,
                    status=str(STATUS_LABELS[order.status]).lower(),
                ),
                code="order_not_pending",
            )
        customer = _customer_for(session, draft, user)
        products = _products_for(session, draft)
        before = {
            "customer_id": order.customer_id,
            "lines": [[line.product_id, line.qty_milli] for line in order.lines],
            "estimate": order.estimate,
        }
        order.customer_id = customer.id
        order.customer = customer
        _fill(order, draft, products)
        order.updated_at = utcnow()
        session.flush()
        order.estimate = _estimate(session, order, products)
        _event(session, order, "pending", user, "Order changed")
        session.flush()
        audit.record(
            session,
            "order.update",
            user_id=user.id,
            entity="order",
            entity_id=order.id,
            before=before,
            after={
                "number": order.number,
                "customer_id": order.customer_id,
                "lines": [[line.product_id, line.qty_milli] for line in order.lines],
                "estimate": order.estimate,
            },
        )
    return order


def _said(status: str) -> str:
    return str(STATUS_LABELS.get(status, status)).lower()


def _refuse(order: Order, to_status: str) -> Conflict:
    """409 transition_not_allowed, the message naming the states allowed next."""
    nexts = allowed_next(order)
    allowed = [_said(s) for s in nexts if s != "delivered"]
    if "delivered" in nexts:
        allowed.append(_("delivered (deliver it with its payment)"))
    names = ", ".join(allowed) if allowed else _("none, the order is closed")
    return Conflict(
        _(
            "Order %(number)s is %(status)s; it cannot be made %(to)s. Allowed next: %(names)s.",
            number=order.number,
            status=_said(order.status),
            to=_said(to_status),
            names=names,
        ),
        code="transition_not_allowed",
        details={"from": order.status, "to": to_status, "allowed": list(nexts)},
    )


def _check_transition(order: Order, to_status: str) -> None:
    if to_status not in allowed_next(order):
        raise _refuse(order, to_status)


def _reserve(session: Session, order: Order) -> None:
    """Hold each line's quantity with a conditional UPDATE; every short line is named."""
    connection = session.connection()
    short: list[dict[str, Any]] = []
    for line in order.lines:
        product = line.product
        if product.is_service:
            continue
        done = affected(
            connection.execute(
                update(_PRODUCTS)
                .where(
                    _PRODUCTS.c.id == line.product_id,
                    _PRODUCTS.c.stock_milli - _PRODUCTS.c.reserved_milli >= line.qty_milli,
                )
                .values(reserved_milli=_PRODUCTS.c.reserved_milli + line.qty_milli)
            )
        )
        if done:
            line.reserved_milli = line.qty_milli
            continue
        stock, reserved = connection.execute(
            select(_PRODUCTS.c.stock_milli, _PRODUCTS.c.reserved_milli).where(
                _PRODUCTS.c.id == line.product_id
            )
        ).one()
        short.append(
            {
                "product_id": line.product_id,
                "product": line.name,
                "requested": qty_str(line.qty_milli, product.unit),
                "available": qty_str(stock - reserved, product.unit),
            }
        )
    if short:
        listed = "; ".join(
            _(
                "%(product)s: %(requested)s ordered, %(available)s available",
                product=s["product"],
                requested=s["requested"],
                available=s["available"],
            )
            for s in short
        )
        raise InsufficientStock(
            _(
                "Not enough stock to confirm %(number)s: %(lines)s.",
                number=order.number,
                lines=listed,
            ),
            details={"lines": short},
        )


def _release(session: Session, order: Order) -> None:
    """Give back what the order's lines hold (cancel, delivery)."""
    connection = session.connection()
    for line in order.lines:
        if line.reserved_milli:
            connection.execute(
                update(_PRODUCTS)
                .where(_PRODUCTS.c.id == line.product_id)
                .values(reserved_milli=_PRODUCTS.c.reserved_milli - line.reserved_milli)
            )
            line.reserved_milli = 0


def _move(
    session: Session,
    order_id: int,
    expected: str,
    to_status: str,
    user: User,
    note: str,
    advance_payment_id: int | None = None,
) -> Order:
    """Inside a write transaction: lock the order, check it is still where the caller saw
    it, and move it (confirming reserves its stock)."""
    order = _lock_order(session, order_id)
    _check_transition(order, to_status)
    if order.status != expected:  # moved by someone else since the caller looked
        raise _refuse(order, to_status)
    from_status = order.status
    if to_status == "confirmed":
        _reserve(session, order)
    if advance_payment_id is not None:
        order.advance_payment_id = advance_payment_id
    order.status = to_status
    order.updated_at = utcnow()
    _event(session, order, from_status, user, note)
    session.flush()
    _audit(
        session,
        "order.status",
        order,
        user,
        {"from": from_status, "to": to_status, "note": note},
    )
    return order


def _parse_advance(payment: Mapping[str, Any] | None) -> tuple[dict[str, Any], str]:
    """A prepaid order's payment {amount, method, reference?}: the account payment's fields
    and the reference as stored."""
    if not isinstance(payment, Mapping):
        raise ValidationError(
            _("A prepaid order is confirmed with its payment: amount and method."),
            field="payment",
        )
    errors: dict[str, str] = {}
    try:
        ledger.parse_payment(payment)
    except ValidationError as exc:
        errors.update({f"payment.{k}": v for k, v in exc.fields.items()})
    reference = ""
    try:
        reference = upi.check_reference(payment.get("reference"), field="payment.reference")
    except ValidationError as exc:
        errors.update(exc.fields)
    if reference and payment.get("method") not in ("upi", "card"):
        errors["payment.reference"] = _("A reference goes with a UPI or card payment.")
    if errors:
        raise ValidationError(next(iter(errors.values())), fields=errors)
    return {
        "amount": payment.get("amount"),
        "method": payment.get("method"),
        "note": "",
    }, reference


def change_status(
    session: Session,
    order_id: int,
    to_status: str,
    user: User,
    note: str = "",
    payment: Mapping[str, Any] | None = None,
) -> Order:
    """Move an order one step along TRANSITIONS (409 transition_not_allowed otherwise).

    Confirming reserves its stock (409 insufficient_stock naming each short line); a prepaid
    order is confirmed with its payment, taken on the customer's account as an advance in the
    same transaction. "cancelled" is `cancel_order` (the note is the reason); "delivered" is
    `deliver_order`, which writes the invoice.
    """
    if to_status not in ORDER_STATUSES:
        raise ValidationError(
            _("Unknown order status; use one of %(choices)s.", choices=", ".join(ORDER_STATUSES)),
            field="status",
        )
    if not isinstance(note, str) or len(note.strip()) > EVENT_NOTE_LENGTH:
        raise ValidationError(
            _("The note must be text of at most %(limit)s characters.", limit=EVENT_NOTE_LENGTH),
            field="note",
        )
    note = note.strip()
    if to_status == "cancelled":
        return cancel_order(session, order_id, note, user)
    seen = get_order(session, order_id)
    expected = seen.status
    if to_status == "delivered":
        if "delivered" in allowed_next(seen):
            raise Conflict(
                _(
                    "Deliver %(number)s with its payment: delivering writes the invoice.",
                    number=seen.number,
                ),
                code="transition_not_allowed",
                details={"from": seen.status, "to": to_status, "allowed": list(allowed_next(seen))},
            )
        raise _refuse(seen, to_status)
    _check_transition(seen, to_status)
    if to_status == "confirmed" and seen.payment_plan == "prepaid":
        fields, reference = _parse_advance(payment)
        moved: list[Order] = []

        def confirm(inner: Session, result: ledger.PaymentResult) -> None:
            result.payment.reference = reference
            advance_note = note or f"Paid in advance: {money_str(result.payment.amount)}"
            moved.append(
                _move(inner, order_id, expected, to_status, user, advance_note, result.payment.id)
            )

        ledger.record_payment(session, seen.customer_id, fields, user, within=confirm)
        return moved[0]
    if payment is not None:
        raise ValidationError(
            _("Only a prepaid order is paid when it is confirmed."), field="payment"
        )
    with write_transaction(session):
        order = _move(session, order_id, expected, to_status, user, note)
    return order


def cancel_order(session: Session, order_id: int, reason: str, user: User) -> Order:
    """Cancel an order that is not delivered; the reason is required. Its stock is released.

    A prepaid order's money stays on the customer's account as an advance (the next credit
    sale uses it; the shop refunds it from the khata if the customer asks); the event says so.
    """
    if not isinstance(reason, str) or not reason.strip():
        raise ValidationError(_("Say why the order is cancelled."), field="reason")
    reason = reason.strip()
    if len(reason) > REASON_LENGTH:
        raise ValidationError(
            _("At most %(limit)s characters.", limit=REASON_LENGTH), field="reason"
        )
    with write_transaction(session):
        order = _lock_order(session, order_id)
        _check_transition(order, "cancelled")
        from_status = order.status
        _release(session, order)
        order.status = "cancelled"
        order.cancel_reason = reason
        order.cancelled_at = order.updated_at = utcnow()
        note = reason
        if order.advance_payment is not None:
            settings = load_settings(session)
            amount = format_money(order.advance_payment.amount, settings.currency, settings.locale)
            note = f"{reason} — the advance of {amount} stays on the customer's account"
        _event(session, order, from_status, user, note)
        session.flush()
        _audit(
            session,
            "order.cancel",
            order,
            user,
            {"from": from_status, "reason": reason},
        )
    return order


def delivery_product(session: Session) -> Product:
    """The "Delivery charge" service product, written on first use (tax 0 %, priced per
    order: its price here is 0 and each delivery sells it at the order's charge)."""
    found = session.scalar(select(Product).where(Product.code == DELIVERY_CODE))
    if found is not None:
        if not found.is_service:
            raise Conflict(
                _(
                    "The product code %(code)s is taken by %(name)s, which is not a service: "
                    "change its code so deliveries can charge their fee.",
                    code=DELIVERY_CODE,
                    name=found.name,
                ),
                code="delivery_product",
            )
        return found
    with write_transaction(session):
        found = session.scalar(select(Product).where(Product.code == DELIVERY_CODE))
        if found is None:
            found = Product(
                code=DELIVERY_CODE,
                name=DELIVERY_NAME,
                unit="pcs",
                price=0,
                cost=0,
                tax_rate_bp=0,
                is_service=True,
            )
            session.add(found)
            session.flush()
            audit.record(
                session,
                "product.create",
                entity="product",
                entity_id=found.id,
                after={"code": DELIVERY_CODE, "name": DELIVERY_NAME, "is_service": True},
            )
    return found


def deliver_order(
    session: Session,
    order_id: int,
    data: Mapping[str, Any],
    user: User,
    address: str = "?",
) -> Invoice:
    """Hand an order over: its invoice is written by `checkout.checkout` (same pricing,
    numbering, tax, khata and books as a counter sale), and the order is marked delivered,
    linked to it and its reservations released inside that sale's transaction.

    data: {"payments": [tenders as the till sends], "approval": {...}?}. Without payments a
    khata order goes wholly on the customer's account and any other is paid in cash; a prepaid
    order's advance settles what it can (a credit tender the ledger pays from the advance).
    """
    if not isinstance(data, Mapping):
        raise ValidationError(_("The request body must be a JSON object."))
    seen = get_order(session, order_id)
    if "delivered" not in allowed_next(seen):
        raise _refuse(seen, "delivered")
    expected = seen.status
    items: list[dict[str, Any]] = [
        {
            "product_id": line.product_id,
            "quantity": qty_str(line.qty_milli, line.product.unit),
            **({"discount": money_str(line.discount)} if line.discount else {}),
        }
        for line in seen.lines
    ]
    if seen.delivery_charge:
        charge = delivery_product(session)
        items.append(
            {"product_id": charge.id, "quantity": "1", "price": money_str(seen.delivery_charge)}
        )
    payload: dict[str, Any] = {
        "items": items,
        "customer_id": seen.customer_id,
        "note": f"Order {seen.number}",
    }
    if data.get("approval") is not None:
        payload["approval"] = data.get("approval")
    raw_payments = data.get("payments")
    request = checkout.parse_checkout({**payload, "payments": raw_payments})
    given = list(request.payments or [])
    if seen.payment_plan in ("khata", "prepaid") and not any(p.method == "credit" for p in given):
        total = checkout.preview(session, request).priced.total
        on_account = max(0, total - sum(p.amount for p in given))
        if seen.payment_plan == "prepaid":
            # What is left of the customer's advance (older bills may have taken some).
            on_account = min(on_account, max(0, -ledger.balance(session, seen.customer_id)))
        if on_account:
            given.append(PaymentRequest("credit", on_account))
            request = replace(request, payments=given)

    def release_first(inner: Session) -> None:
        order = _lock_order(inner, order_id)
        if order.status != expected:
            raise _refuse(order, "delivered")
        # The sale takes the stock this order held: released first, in the sale's
        # transaction, so the counter rule (no selling reserved stock) lets it through.
        _release(inner, order)
        inner.flush()

    def mark_delivered(inner: Session, invoice: Invoice) -> None:
        order = _lock_order(inner, order_id)
        order.status = "delivered"
        order.invoice_id = invoice.id
        order.delivered_at = order.updated_at = utcnow()
        _event(inner, order, expected, user, f"Invoice {invoice.number}")
        inner.flush()
        _audit(
            inner,
            "order.deliver",
            order,
            user,
            {"from": expected, "invoice_id": invoice.id, "invoice": invoice.number},
        )

    return checkout.checkout(
        session, request, user, address, within=mark_delivered, before=release_first
    )
