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
from posapp.i18n import LazyString, lazy, lazy_p

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
PAYMENT_METHOD_LABELS: dict[str, LazyString] = {
    "cash": lazy("Cash"),
    "card": lazy("Card"),
    "upi": lazy("UPI"),
    "credit": lazy_p("tender", "Credit"),
}
# How the shop pays a supplier (SupplierPayment.method, Purchase.paid_method).
SUPPLIER_METHOD_LABELS: dict[str, LazyString] = {
    "cash": lazy("Cash"),
    "bank": lazy("Bank transfer"),
    "upi": lazy("UPI"),
}
# Why stock moved (StockMovement.reason).
STOCK_REASON_LABELS: dict[str, LazyString] = {
    "opening": lazy("Opening stock"),
    "sale": lazy("Sale"),
    "return": lazy("Return"),
    "purchase": lazy("Purchase"),
    "adjust_damage": lazy("Damaged"),
    "adjust_loss": lazy("Lost / stolen"),
    "adjust_count": lazy("Stock count"),
    "void": lazy("Voided sale"),
    "supplier_return": lazy("Returned to supplier"),
    # HQ's transfers between an owner's shops (services/hq_apply.py).
    "transfer_out": lazy("Sent to another shop"),
    "transfer_in": lazy("Received from another shop"),
}
# A customer ledger entry's kind (LedgerEntry.kind), on the account page and the statement.
LEDGER_KIND_LABELS: dict[str, LazyString] = {
    "opening": lazy("Opening balance"),
    "credit_sale": lazy("Credit sale"),
    "payment": lazy("Payment"),
    "return": lazy("Return"),
    "adjustment": lazy("Adjustment"),
    "void": lazy("Void"),
}
# An invoice's status, and the Bootstrap colour of its badge on the pages.
INVOICE_STATUS_LABELS: dict[str, LazyString] = {
    "paid": lazy("Paid"),
    "partial": lazy("Partial"),
    "unpaid": lazy("Unpaid"),
    "void": lazy("Void"),
    "returned": lazy("Returned"),
}
INVOICE_STATUS_BADGES: dict[str, str] = {
    "paid": "success",
    "partial": "warning",
    "unpaid": "danger",
    "void": "secondary",
    "returned": "info",
}


# Every action the audit log records, "<what>.<verb>" (lower case, words joined by "_"),
# with the label the audit page shows. `services.audit.record` refuses a name missing here,
# so a new action cannot be written without a label.
AUDIT_ACTIONS: dict[str, LazyString] = {
    "backup.create": lazy("Backup made"),
    "backup.download": lazy("Backup downloaded"),
    "backup.restore": lazy("Backup restored"),
    "cash_session.close": lazy("Drawer closed"),
    "cash_session.open": lazy("Drawer opened for the day"),
    "cash_session.pay_in": lazy("Cash paid in"),
    "cash_session.pay_out": lazy("Cash paid out"),
    "books.account_create": lazy("Account added to the books"),
    "books.account_delete": lazy("Account deleted from the books"),
    "books.account_update": lazy("Account of the books changed"),
    "books.entry": lazy("Manual journal entry"),
    "books.reverse": lazy("Journal entry reversed"),
    "category.create": lazy("Category added"),
    "category.delete": lazy("Category deleted"),
    "category.rename": lazy("Category renamed"),
    "credit_note.create": lazy("Return (credit note)"),
    "customer.adjustment": lazy("Customer balance adjusted"),
    "customer.create": lazy("Customer added"),
    "customer.payment": lazy("Customer payment"),
    "customer.update": lazy("Customer changed"),
    "display.pair": lazy("Customer display paired"),
    "display.pair_failed": lazy("Wrong display pairing code"),
    "display.revoke": lazy("Customer display revoked"),
    "drawer.no_sale": lazy("Drawer opened (no sale)"),
    "drawer.sale": lazy("Drawer opened for a sale"),
    "expense.create": lazy("Expense recorded"),
    "export.create": lazy("Data exported"),
    "import.customers": lazy("Customers and their dues imported"),
    "import.stock": lazy("Opening stock imported"),
    "import.suppliers": lazy("Suppliers and their payables imported"),
    "held_bill.park": lazy("Bill put on hold"),
    "hq.shop_code": lazy("New enrolment code for a shop"),
    "hq.shop_create": lazy("Shop added at HQ"),
    "hq.shop_enrol": lazy("Shop enrolled at HQ"),
    "held_bill.recall": lazy("Held bill recalled"),
    "hq.enrol": lazy("Shop enrolled at an HQ"),
    "hq.catalog_send": lazy("Catalog sent to shops"),
    "hq.catalog_apply": lazy("Product changed by HQ"),
    "hq.settings_send": lazy("Settings sent to a shop"),
    "hq.settings_apply": lazy("Settings changed by HQ"),
    "hq.transfer_create": lazy("Transfer between shops made at HQ"),
    "hq.transfer_apply": lazy("Transfer between shops applied"),
    "hq.customers_shared": lazy("Customers shared across shops turned on or off"),
    "hq.projections_rebuild": lazy("HQ reports rebuilt from the shops' records"),
    "invoice.reprint": lazy("Invoice reprinted"),
    "login.failed": lazy("Login failed"),
    "login.logout": lazy("Logged out"),
    "login.ok": lazy("Logged in"),
    "login.two_step_failed": lazy("Two-step code wrong"),
    "order.cancel": lazy("Order cancelled"),
    "order.create": lazy("Order taken"),
    "order.deliver": lazy("Order delivered"),
    "order.status": lazy("Order status changed"),
    "order.update": lazy("Order changed"),
    "product.create": lazy("Product added"),
    "product.import": lazy("Products imported"),
    "product.rerate": lazy("Tax rates changed"),
    "product.update": lazy("Product changed"),
    "sale.create": lazy("Sale"),
    "sale.discount_above_threshold": lazy("Discount above the limit"),
    "sale.override": lazy("Sale approved by an admin"),
    "sale.price_change": lazy("Price changed at the till"),
    "sale.void": lazy("Sale voided"),
    "settings.admin_two_step_required": lazy("Two-step rule for admins changed"),
    "settings.api_token_days": lazy("API token lifetime changed"),
    "settings.cash": lazy("Cash session rule changed"),
    "settings.change": lazy("Shop settings changed"),
    "settings.inventory": lazy("Stock settings changed"),
    "settings.network": lazy("Network settings changed"),
    "settings.offsite_backup_dir": lazy("Off-site backup folder changed"),
    "settings.printer": lazy("Printer settings changed"),
    "settings.scale": lazy("Scale label settings changed"),
    "settings.session_timeout": lazy("Session timeout changed"),
    "settings.upi": lazy("UPI settings changed"),
    "stock.adjust_count": lazy("Stock corrected (count)"),
    "stock.adjust_damage": lazy("Stock written off (damaged)"),
    "stock.adjust_loss": lazy("Stock written off (lost)"),
    "stock.count": lazy("Stock count booked"),
    "stock.opening": lazy("Opening stock"),
    "stock.purchase": lazy("Stock received"),
    "supplier.create": lazy("Supplier added"),
    "supplier.debit_note": lazy("Goods returned to a supplier"),
    "supplier.payment": lazy("Supplier paid"),
    "supplier.update": lazy("Supplier changed"),
    "token.create": lazy("API token created"),
    "token.logout": lazy("API token logged out"),
    "token.refresh": lazy("API token refreshed"),
    "token.revoke": lazy("API token revoked"),
    "user.activate": lazy("User activated"),
    "user.create": lazy("User added"),
    "user.deactivate": lazy("User deactivated"),
    "user.language": lazy("Language changed"),
    "user.password_change": lazy("Password changed"),
    "user.password_reset": lazy("Password reset"),
    "user.recovery_code_used": lazy("Recovery code used"),
    "user.pin_clear": lazy("Till PIN cleared"),
    "user.pin_failed": lazy("Wrong till PIN"),
    "user.pin_set": lazy("Till PIN set"),
    "user.role": lazy("User role changed"),
    "user.two_step_off": lazy("Two-step login turned off"),
    "user.two_step_on": lazy("Two-step login turned on"),
}
# Names written before the convention: the audit log is hash-chained, so stored rows keep
# their text and are read through this map (the page shows, and filters by, the new name).
LEGACY_AUDIT_ACTIONS: dict[str, str] = {
    "cash_close": "cash_session.close",
    "cash_open": "cash_session.open",
    "cash_pay_in": "cash_session.pay_in",
    "cash_pay_out": "cash_session.pay_out",
    "customer_create": "customer.create",
    "customer_payment": "customer.payment",
    "customer_update": "customer.update",
    "expense_add": "expense.create",
    "export": "export.create",
    "ledger_adjustment": "customer.adjustment",
    "logout": "login.logout",
    "return": "credit_note.create",
    "sale": "sale.create",
    "void": "sale.void",
}


def audit_action(stored: str) -> str:
    """The current name of a stored audit action (legacy names mapped, others as they are)."""
    return LEGACY_AUDIT_ACTIONS.get(stored, stored)


def audit_names(action: str) -> tuple[str, ...]:
    """Every stored spelling of an action: its name and any legacy names that mean it."""
    return (action, *sorted(old for old, new in LEGACY_AUDIT_ACTIONS.items() if new == action))


class Labels:
    """The Jinja global `labels` (pages and PDFs): `labels.payment("upi")` and friends.

    An unknown value shows as itself, so a method or reason stored by a newer version still
    reads as something rather than failing the page.
    """

    payment_methods = PAYMENT_METHOD_LABELS
    stock_reasons = STOCK_REASON_LABELS
    invoice_statuses = INVOICE_STATUS_LABELS

    @staticmethod
    def payment(method: str) -> LazyString | str:
        """A payment method's label ("upi" -> "UPI")."""
        return PAYMENT_METHOD_LABELS.get(method, method)

    @staticmethod
    def supplier_method(method: str) -> LazyString | str:
        """How a supplier was paid ("bank" -> "Bank transfer")."""
        return SUPPLIER_METHOD_LABELS.get(method, method)

    @staticmethod
    def stock_reason(reason: str) -> LazyString | str:
        """A stock movement reason's label ("adjust_loss" -> "Lost / stolen")."""
        return STOCK_REASON_LABELS.get(reason, reason)

    @staticmethod
    def ledger_kind(kind: str) -> LazyString | str:
        """A customer ledger entry's label ("credit_sale" -> "Credit sale")."""
        return LEDGER_KIND_LABELS.get(kind, kind)

    @staticmethod
    def invoice_status(status: str) -> LazyString | str:
        """An invoice status's label ("partial" -> "Partial")."""
        return INVOICE_STATUS_LABELS.get(status, status.capitalize())

    @staticmethod
    def partly_returned(status: str, returned_total: int) -> bool:
        """Whether a bill shows "Partly returned" beside its payment status.

        Its stored status stays the payment's (paid, partial, unpaid) until every line comes
        back ("returned"), so a return of some lines is told apart only on the pages.
        """
        return returned_total > 0 and status not in ("returned", "void")

    @staticmethod
    def audit_action(stored: str) -> str:
        """An audit entry's label, whichever name it was stored under ("sale" -> "Sale")."""
        name = audit_action(stored)
        label = AUDIT_ACTIONS.get(name)
        return str(label) if label is not None else name

    @staticmethod
    def invoice_badge(status: str) -> str:
        """The badge colour of an invoice status on the pages."""
        return INVOICE_STATUS_BADGES.get(status, "secondary")


labels = Labels()
