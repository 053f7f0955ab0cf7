"""Approvals at the counter (docs/DESIGN.md "Approvals at the counter").

A sale the shop's rules would refuse from a cashier can still be sold when an admin approves
it at the till with their PIN. This module names the reasons a sale needs that approval (in
plain words, amounts formatted as the shop writes them), checks the approval the request
carries, and audits an approved sale as `sale.override`. Checkout calls it inside the sale's
transaction; nothing here writes unless a sale is written.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy.orm import Session

from posapp.errors import Conflict, ValidationError
from posapp.i18n import _
from posapp.models import User
from posapp.money import format_money, money_str, qty_str
from posapp.services import audit, users
from posapp.services.pricing import PricedCart
from posapp.services.settings import ShopSettings

OVERRIDE_AUDIT_ACTION = "sale.override"
PRICE_AUDIT_ACTION = "sale.price_change"


class ApprovalRequired(Conflict):
    """The sale needs an admin's approval (409); `details.reasons` says why."""

    code = "approval_required"


@dataclass(frozen=True)
class Reason:
    """One reason a sale needs an admin: a stable code and a sentence for the cashier."""

    code: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"code": self.code, "message": self.message}


@dataclass(frozen=True)
class Approval:
    """The admin approval a checkout request carries: who, and the PIN they typed."""

    username: str
    pin: str


class SoldProduct(Protocol):
    """What the reasons read of a product in the cart (a row of `products`)."""

    id: int
    name: str
    unit: str
    price: int
    cost: int
    stock_milli: int
    reserved_milli: int  # held for confirmed orders: not for the counter
    is_service: bool


def parse_approval(raw: object) -> Approval | None:
    """The request's `approval` object, or None when absent; a bad shape is a field error."""
    if raw is None:
        return None
    if not isinstance(raw, Mapping):
        raise ValidationError(_("approval must be an object {username, pin}."), field="approval")
    username, pin = raw.get("username"), raw.get("pin")
    if not isinstance(username, str) or not username.strip():
        raise ValidationError(_("Type the approving admin's username."), field="approval.username")
    if not isinstance(pin, str) or not pin:
        raise ValidationError(_("Type the admin's PIN."), field="approval.pin")
    return Approval(username.strip()[:64], pin[:64])


def verify(session: Session, approval: Approval | None, address: str) -> User | None:
    """The admin who approves, checked before the sale's transaction (a wrong PIN is counted
    and audited even though the sale is not written); None without an approval."""
    if approval is None:
        return None
    return users.check_pin(session, approval.username, approval.pin, address)


def _money(amount: int, settings: ShopSettings) -> str:
    return format_money(amount, settings.currency, settings.locale)


def _percent(part: int, whole: int) -> str:
    """part/whole as a percentage for a sentence, to 2 decimals without trailing zeros, so a
    discount just above a limit never reads as the limit ("10.01 %", "12.5 %", "20 %")."""
    if not whole:
        return "100 %"
    hundredths = (part * 10_000 + whole // 2) // whole
    text = f"{hundredths // 100}.{hundredths % 100:02d}".rstrip("0").rstrip(".")
    return f"{text} %"


def stock_reasons(
    products: Sequence[SoldProduct], qty_milli: Sequence[int], settings: ShopSettings
) -> list[Reason]:
    """One reason per product the bill needs more of than is available: on hand less what
    confirmed orders hold (a product on several lines counts once, with all its lines; a
    service has no stock). Under the policy "warn" the stock may go negative, so only a product
    that orders hold counts: the counter never takes a customer's reserved goods unasked. An
    admin's approval may take them."""
    warn = settings.stock_policy != "block"
    needed: dict[int, int] = {}
    by_id: dict[int, SoldProduct] = {}
    for product, qty in zip(products, qty_milli, strict=True):
        if product.is_service:
            continue
        needed[product.id] = needed.get(product.id, 0) + qty
        by_id[product.id] = product
    reasons = []
    for product_id, qty in needed.items():
        product = by_id[product_id]
        available = product.stock_milli - product.reserved_milli
        if warn and not product.reserved_milli:
            continue
        if qty > available:
            unit = product.unit
            selling = qty_str(qty, unit)
            message = (
                _(
                    "Stock short: %(name)s — selling %(quantity)s %(unit)s, %(available)s %(unit)s "
                    "available (%(held)s %(unit)s held for orders)",
                    name=product.name,
                    quantity=selling,
                    unit=unit,
                    available=qty_str(available, unit),
                    held=qty_str(product.reserved_milli, unit),
                )
                if product.reserved_milli
                else _(
                    "Stock short: %(name)s — selling %(quantity)s %(unit)s, %(stock)s %(unit)s "
                    "in stock",
                    name=product.name,
                    quantity=selling,
                    unit=unit,
                    stock=qty_str(product.stock_milli, unit),
                )
            )
            reasons.append(Reason("stock_short", message))
    return reasons


def discount_reasons(
    priced: PricedCart, names: Sequence[str], settings: ShopSettings
) -> list[Reason]:
    """A cashier's line or bill discount above the shop's limits (strictly above)."""
    reasons = []
    line_limit = settings.cashier_max_line_discount_percent
    for name, line in zip(names, priced.lines, strict=True):
        if line.line_discount * 100 > line_limit * line.gross:
            reasons.append(
                Reason(
                    "line_discount",
                    _(
                        "Discount of %(amount)s (%(percent)s) on %(name)s is above the cashier "
                        "limit of %(limit)s %%.",
                        amount=_money(line.line_discount, settings),
                        percent=_percent(line.line_discount, line.gross),
                        name=name,
                        limit=line_limit,
                    ),
                )
            )
    bill_limit = settings.cashier_max_bill_discount_percent
    base = priced.subtotal - priced.line_discount_total
    if priced.bill_discount * 100 > bill_limit * base:
        reasons.append(
            Reason(
                "bill_discount",
                _(
                    "Bill discount of %(amount)s (%(percent)s) is above the cashier limit of "
                    "%(limit)s %%.",
                    amount=_money(priced.bill_discount, settings),
                    percent=_percent(priced.bill_discount, base),
                    limit=bill_limit,
                ),
            )
        )
    return reasons


def price_reasons(
    products: Sequence[SoldProduct],
    prices: Sequence[int | None],
    settings: ShopSettings,
    *,
    by_cashier: bool,
) -> list[Reason]:
    """Line prices changed at the counter: a cashier's change needs an admin; a price below
    the product's cost needs one always (an admin's own sale is its approval)."""
    reasons = []
    for product, price in zip(products, prices, strict=True):
        if price is None or price == product.price:
            continue
        if product.is_service and product.price == 0:
            # A service without a catalogue price (the delivery charge) is priced per sale:
            # its price is said at the sale, not changed (still audited as a price change).
            continue
        below_cost = product.cost > 0 and price < product.cost
        if below_cost:
            reasons.append(
                Reason(
                    "below_cost",
                    _(
                        "%(name)s at %(price)s is below its cost of %(cost)s.",
                        name=product.name,
                        price=_money(price, settings),
                        cost=_money(product.cost, settings),
                    ),
                )
            )
        elif by_cashier:
            reasons.append(
                Reason(
                    "price_change",
                    _(
                        "Price of %(name)s changed from %(old)s to %(new)s.",
                        name=product.name,
                        old=_money(product.price, settings),
                        new=_money(price, settings),
                    ),
                )
            )
    return reasons


def require(reasons: Sequence[Reason], cashier: User, approver: User | None) -> None:
    """Refuse (409 approval_required) a sale with reasons that no admin approved.

    An admin's own sale is its own approval; a cashier's needs an approving admin's PIN.
    """
    if not reasons or approver is not None or cashier.role == "admin":
        return
    # A full stop ends each reason in English, a danda in Hindi: neither inside the list.
    listed = "; ".join(reason.message.rstrip(".।") for reason in reasons)
    raise ApprovalRequired(
        _("An admin must approve this sale: %(reasons)s", reasons=listed),
        details={"reasons": [reason.as_dict() for reason in reasons]},
    )


def record_override(
    session: Session,
    invoice_id: int,
    number: str,
    reasons: Sequence[Reason],
    cashier: tuple[int, str],
    approver: User | None,
) -> None:
    """Audit an approved sale: the cashier, the approving admin and every reason."""
    if not reasons:
        return
    cashier_id, cashier_name = cashier
    approved_by = approver.username if approver is not None else cashier_name
    audit.record(
        session,
        OVERRIDE_AUDIT_ACTION,
        user_id=cashier_id,
        entity="invoice",
        entity_id=invoice_id,
        after={
            "number": number,
            "cashier": cashier_name,
            "approved_by": approved_by,
            "approver_id": approver.id if approver is not None else cashier_id,
            "reasons": [reason.as_dict() for reason in reasons],
        },
    )


def record_price_changes(
    session: Session,
    invoice_id: int,
    number: str,
    products: Sequence[SoldProduct],
    prices: Sequence[int | None],
    user_id: int,
) -> None:
    """Audit each line sold at another price than the product's (old and new price)."""
    changes: list[dict[str, Any]] = [
        {
            "product_id": product.id,
            "name": product.name,
            "old_price": money_str(product.price),
            "new_price": money_str(price),
        }
        for product, price in zip(products, prices, strict=True)
        if price is not None and price != product.price
    ]
    if changes:
        audit.record(
            session,
            PRICE_AUDIT_ACTION,
            user_id=user_id,
            entity="invoice",
            entity_id=invoice_id,
            after={"number": number, "lines": changes},
        )
