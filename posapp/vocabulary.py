"""The words TillBook reads and shows, defined once: yes/no answers, labels, audit actions.

Below the models in the layers (it imports only errors): services read switches with
`parse_flag`, and both Jinja environments (pages and PDFs) get the labels as the global
`labels`, so a payment method or an audit action is spelled the same everywhere.
Dates have their own home, `posapp.dates`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from posapp.errors import ValidationError

# Every word any form, query string, CSV file or JSON body has used for a switch; compared
# after strip() and lower(). The empty string is "no": an unticked box sends nothing.
TRUE_WORDS = frozenset({"1", "true", "on", "yes", "y"})
FALSE_WORDS = frozenset({"", "0", "false", "off", "no", "n"})


def flag_message(what: str) -> str:
    """The one message for a switch that is neither yes nor no."""
    return f"{what} must be yes or no."


def parse_flag(value: object, field: str, default: bool = False, what: str | None = None) -> bool:
    """Read a yes/no switch: a bool, or one of TRUE_WORDS/FALSE_WORDS; absent/empty is `default`.

    Anything else (another word, a number in JSON) is refused for `field`, the message naming
    `what` (the field's own name unless a caller has a better one for people).
    """
    if isinstance(value, bool):
        return value
    if value is None:
        return default
    if isinstance(value, str):
        word = value.strip().lower()
        if word == "":
            return default
        if word in TRUE_WORDS:
            return True
        if word in FALSE_WORDS:
            return False
    raise ValidationError(flag_message(what or field), field=field)


def form_flag(
    data: Mapping[str, Any], key: str, errors: dict[str, str], what: str = "This box"
) -> bool:
    """A form's checkbox: parse_flag, with a refusal collected in `errors` (then False)."""
    try:
        return parse_flag(data.get(key), key, what=what)
    except ValidationError as exc:
        errors[key] = exc.message
        return False


def is_yes(value: object) -> bool:
    """A switch read leniently (stored settings, links): True only for one of TRUE_WORDS."""
    if isinstance(value, bool):
        return value
    return isinstance(value, str) and value.strip().lower() in TRUE_WORDS


# How a bill was paid. "Credit" is the till's word for the part left on the customer's
# account (khata); the receipt, the invoice PDF, the Z-report and the pages all say it.
PAYMENT_METHOD_LABELS: dict[str, str] = {
    "cash": "Cash",
    "card": "Card",
    "upi": "UPI",
    "credit": "Credit",
}
# Why stock moved (StockMovement.reason).
STOCK_REASON_LABELS: dict[str, str] = {
    "opening": "Opening stock",
    "sale": "Sale",
    "return": "Return",
    "purchase": "Purchase",
    "adjust_damage": "Damaged",
    "adjust_loss": "Lost / stolen",
    "adjust_count": "Stock count",
    "void": "Voided sale",
}
# A customer ledger entry's kind (LedgerEntry.kind), on the account page and the statement.
LEDGER_KIND_LABELS: dict[str, str] = {
    "opening": "Opening balance",
    "credit_sale": "Credit sale",
    "payment": "Payment",
    "return": "Return",
    "adjustment": "Adjustment",
    "void": "Void",
}
# An invoice's status, and the Bootstrap colour of its badge on the pages.
INVOICE_STATUS_LABELS: dict[str, str] = {
    "paid": "Paid",
    "partial": "Partial",
    "unpaid": "Unpaid",
    "void": "Void",
    "returned": "Returned",
}
INVOICE_STATUS_BADGES: dict[str, str] = {
    "paid": "success",
    "partial": "warning",
    "unpaid": "danger",
    "void": "secondary",
    "returned": "info",
}


class Labels:
    """The Jinja global `labels` (pages and PDFs): `labels.payment("upi")` and friends.

    An unknown value shows as itself, so a method or reason stored by a newer version still
    reads as something rather than failing the page.
    """

    payment_methods = PAYMENT_METHOD_LABELS
    stock_reasons = STOCK_REASON_LABELS
    invoice_statuses = INVOICE_STATUS_LABELS

    @staticmethod
    def payment(method: str) -> str:
        """A payment method's label ("upi" -> "UPI")."""
        return PAYMENT_METHOD_LABELS.get(method, method)

    @staticmethod
    def stock_reason(reason: str) -> str:
        """A stock movement reason's label ("adjust_loss" -> "Lost / stolen")."""
        return STOCK_REASON_LABELS.get(reason, reason)

    @staticmethod
    def ledger_kind(kind: str) -> str:
        """A customer ledger entry's label ("credit_sale" -> "Credit sale")."""
        return LEDGER_KIND_LABELS.get(kind, kind)

    @staticmethod
    def invoice_status(status: str) -> str:
        """An invoice status's label ("partial" -> "Partial")."""
        return INVOICE_STATUS_LABELS.get(status, status.capitalize())

    @staticmethod
    def invoice_badge(status: str) -> str:
        """The badge colour of an invoice status on the pages."""
        return INVOICE_STATUS_BADGES.get(status, "secondary")


labels = Labels()
