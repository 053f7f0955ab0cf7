"""Settle a bill's total with its tenders (docs/DESIGN.md §4): pure rules over integers.

Only cash may exceed what is due (the excess is change); card, UPI and credit may not. The
credit part is what the customer owes, a ledger debit, never a payment.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from posapp.errors import ValidationError
from posapp.i18n import _
from posapp.money import money_str


@dataclass(frozen=True)
class PaymentRequest:
    """One tender of a split payment."""

    method: str
    amount: int
    # What the cashier typed when the money arrived (a UPI payment's UTR, a card slip's
    # reference) and, for UPI, the `tr` the till's QR carried; "" for none.
    reference: str = ""
    upi_tr: str = ""


@dataclass(frozen=True)
class Settlement:
    """How a bill's tenders settle its total."""

    applied: list[PaymentRequest]  # money received (cash net of change, card, UPI)
    tendered: int  # cash handed over
    change: int
    credit: int  # the part the customer owes (a ledger debit, not a payment)


def settle(
    total: int,
    payments: Sequence[PaymentRequest] | None,
    has_customer: bool,
    money: Callable[[int], str] = money_str,
) -> Settlement:
    """Check tenders against the total: only cash may exceed it, credit needs a customer.

    No tenders (None) means one cash payment of the total.
    """
    if payments is None:
        payments = [PaymentRequest("cash", total)] if total > 0 else []
    credit = sum(p.amount for p in payments if p.method == "credit")
    if credit and not has_customer:
        raise ValidationError(
            _("A credit sale needs a customer: attach one to the bill."), field="customer_id"
        )
    cash = sum(p.amount for p in payments if p.method == "cash")
    other = sum(p.amount for p in payments if p.method != "cash")
    if other > total:
        raise ValidationError(
            _("Only cash can exceed the amount due; card, UPI and credit amounts are too high."),
            field="payments",
        )
    if cash + other < total:
        short = total - cash - other
        raise ValidationError(
            _("Payments are short of the total by %(amount)s.", amount=money(short)),
            field="payments",
        )
    change = cash + other - total
    applied: list[PaymentRequest] = []
    for method in ("card", "upi"):
        parts = [p for p in payments if p.method == method]
        amount = sum(p.amount for p in parts)
        if amount:
            # One payment row per method: it keeps the first reference and `tr` typed.
            reference = next((p.reference for p in parts if p.reference), "")
            upi_tr = next((p.upi_tr for p in parts if p.upi_tr), "")
            applied.append(PaymentRequest(method, amount, reference, upi_tr))
    if cash - change > 0:
        applied.append(PaymentRequest("cash", cash - change))
    return Settlement(applied, cash, change, credit)
