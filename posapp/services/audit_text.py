"""Audit entries in words: "Payment of ₹1,000.00 by UPI", not the JSON the log stores.

The log keeps each entry's before/after as JSON with money in paise (that text is hash-chained
and never changes); the audit page and an invoice's history read it through `describe`. Each
action in vocabulary.AUDIT_ACTIONS has its own describer here (a test holds the two lists
together); an entry whose data a describer cannot read, or an action written by a newer
version, falls back to the action's label and its fields in plain words, so a page never fails
on an old or odd row. Flask-free: the caller passes how money is written and customers' names.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from posapp.errors import ValidationError
from posapp.i18n import LANGUAGES
from posapp.money import parse_money
from posapp.vocabulary import (
    AUDIT_ACTIONS,
    PAYMENT_METHOD_LABELS,
    SUPPLIER_METHOD_LABELS,
    audit_action,
)

Money = Callable[[int], str]
# Fields stored in minor units (paise): the fallback writes these as money.
MONEY_KEYS = frozenset(
    {
        "amount", "applied", "balance_due", "cost", "counted", "credit", "credit_limit",
        "credit_reversed", "discount", "expected", "mrp", "opening_balance", "opening_float",
        "over_short", "paid", "price", "refund", "tax", "tendered", "total", "advance",
    }
)  # fmt: skip


@dataclass(frozen=True)
class Context:
    """What a describer may use besides the entry: money formatting and customers' names."""

    money: Money
    customers: Mapping[int, str] = field(default_factory=dict)

    def customer(self, customer_id: Any) -> str:
        """A customer's name, "customer #7" when unknown."""
        if not isinstance(customer_id, int):
            return ""
        return self.customers.get(customer_id, f"customer #{customer_id}")


Data = Mapping[str, Any]
Describer = Callable[[Data, Data, Context], str]


def _method(method: Any) -> str:
    return str(PAYMENT_METHOD_LABELS.get(str(method), str(method)))


def _m(ctx: Context, value: Any) -> str:
    # Money fields are ints by construction; anything else is shown as stored.
    return (
        ctx.money(value) if isinstance(value, int) and not isinstance(value, bool) else str(value)
    )


def _with(text: str, extra: str) -> str:
    return f"{text} {extra}" if extra else text


def _reason(data: Data) -> str:
    return f"— {data['reason']}" if data.get("reason") else ""


# --- sales and invoices --------------------------------------------------------------------------


def _sale_create(before: Data, after: Data, ctx: Context) -> str:
    text = f"Sale {after['number']} of {_m(ctx, after['total'])}"
    if after.get("customer_id"):
        text += f" to {ctx.customer(after['customer_id'])}"
    if after.get("credit"):
        text += f", {_m(ctx, after['credit'])} on credit"
    if after.get("discount"):
        text += f", {_m(ctx, after['discount'])} discount"
    return text


def _sale_discount(before: Data, after: Data, ctx: Context) -> str:
    who = f" by {after['cashier']}" if after.get("cashier") else ""
    return f"Discount above the shop's limit on {after['number']}{who}"


def _sale_void(before: Data, after: Data, ctx: Context) -> str:
    text = "Sale voided"
    if after.get("credit_reversed"):
        text += f", {_m(ctx, after['credit_reversed'])} of credit taken back"
    return _with(text, _reason(after))


def _credit_note(before: Data, after: Data, ctx: Context) -> str:
    text = f"Return {after['credit_note']} of {_m(ctx, after['total'])}"
    if after.get("refund"):
        text += f", {_m(ctx, after['refund'])} refunded by {_method(after.get('refund_method'))}"
    if after.get("applied"):
        text += f", {_m(ctx, after['applied'])} off the amount due"
    return text


def _invoice_reprint(before: Data, after: Data, ctx: Context) -> str:
    return f"{after['number']} printed again ({after.get('copy', 'copy')})"


def _held_park(before: Data, after: Data, ctx: Context) -> str:
    items = len(after.get("items") or [])
    label = f" “{after['label']}”" if after.get("label") else ""
    return f"Bill{label} put on hold with {items} item{'s' if items != 1 else ''}"


def _held_recall(before: Data, after: Data, ctx: Context) -> str:
    label = f" “{after['label']}”" if after.get("label") else ""
    return f"Held bill{label} recalled"


def _drawer_sale(before: Data, after: Data, ctx: Context) -> str:
    return f"Drawer opened for {after['number']}, {_m(ctx, after.get('tendered'))} tendered"


def _drawer_no_sale(before: Data, after: Data, ctx: Context) -> str:
    return _with("Drawer opened without a sale", _reason(after))


# --- customers ---------------------------------------------------------------------------------


def _customer_payment(before: Data, after: Data, ctx: Context) -> str:
    text = f"Payment of {_m(ctx, after['amount'])} by {_method(after['method'])}"
    if after.get("advance"):
        text += f", {_m(ctx, after['advance'])} kept as an advance"
    return text


def _customer_adjustment(before: Data, after: Data, ctx: Context) -> str:
    amount = after["amount"]
    way = "raised" if amount > 0 else "lowered"
    return _with(f"Balance {way} by {_m(ctx, abs(amount))}", _reason(after))


def _customer_create(before: Data, after: Data, ctx: Context) -> str:
    text = f"Customer {after['name']} added"
    if after.get("credit_limit"):
        text += f", credit limit {_m(ctx, after['credit_limit'])}"
    if after.get("opening_balance"):
        text += f", opening balance {_m(ctx, after['opening_balance'])}"
    return text


def _customer_update(before: Data, after: Data, ctx: Context) -> str:
    name = after.get("name") or before.get("name") or ""
    return _changes(f"Customer {name} changed", before, after, ctx)


# --- suppliers ---------------------------------------------------------------------------------


def _supplier_create(before: Data, after: Data, ctx: Context) -> str:
    text = f"Supplier {after['name']} added"
    if after.get("opening_balance"):
        text += f", opening balance {_m(ctx, after['opening_balance'])} owed"
    return text


def _supplier_debit_note(before: Data, after: Data, ctx: Context) -> str:
    return (
        f"Debit note {after['number']}: goods from {after['purchase']} sent back, "
        f"{_m(ctx, after['amount'])} less owed"
    )


def _supplier_update(before: Data, after: Data, ctx: Context) -> str:
    name = after.get("name") or before.get("name") or ""
    return _changes(f"Supplier {name} changed", before, after, ctx)


def _supplier_payment(before: Data, after: Data, ctx: Context) -> str:
    method = SUPPLIER_METHOD_LABELS.get(str(after.get("method")), str(after.get("method")))
    text = f"Paid the supplier {_m(ctx, after['amount'])} by {method}"
    if after.get("reference"):
        text += f" (ref. {after['reference']})"
    if after.get("advance"):
        text += f", {_m(ctx, after['advance'])} kept as an advance"
    return text


# --- cash ------------------------------------------------------------------------------------


def _cash_open(before: Data, after: Data, ctx: Context) -> str:
    return f"Drawer opened with a float of {_m(ctx, after['opening_float'])}"


def _cash_close(before: Data, after: Data, ctx: Context) -> str:
    over = after.get("over_short", 0)
    state = (
        "exact"
        if not over
        else (f"over by {_m(ctx, over)}" if over > 0 else f"short by {_m(ctx, -over)}")
    )
    return (
        f"Drawer closed: {_m(ctx, after['counted'])} counted, "
        f"{_m(ctx, after['expected'])} expected ({state})"
    )


def _cash_pay_in(before: Data, after: Data, ctx: Context) -> str:
    return _with(f"{_m(ctx, after['amount'])} paid into the drawer", _reason(after))


def _cash_pay_out(before: Data, after: Data, ctx: Context) -> str:
    return _with(f"{_m(ctx, after['amount'])} paid out of the drawer", _reason(after))


def _expense(before: Data, after: Data, ctx: Context) -> str:
    note = f" ({after['note']})" if after.get("note") else ""
    return f"Expense of {_m(ctx, after['amount'])} for {after['category']}{note}"


# --- the books -----------------------------------------------------------------------------


def _account_create(before: Data, after: Data, ctx: Context) -> str:
    return f"Account {after['code']} {after['name']} added ({after['kind']})"


def _account_update(before: Data, after: Data, ctx: Context) -> str:
    name = f"{after.get('code', '')} {after.get('name', '')}".strip()
    return _changes(f"Account {name} changed", before, after, ctx)


def _account_delete(before: Data, after: Data, ctx: Context) -> str:
    return f"Account {before['code']} {before['name']} deleted (it had no entries)"


def _journal_entry(before: Data, after: Data, ctx: Context) -> str:
    return f"Journal entry of {_m(ctx, after['debit'])} on {after['day']}: {after['narration']}"


def _journal_reverse(before: Data, after: Data, ctx: Context) -> str:
    return f"Journal entry #{before['entry']} reversed"


# --- catalog and stock -----------------------------------------------------------------------


def _product_create(before: Data, after: Data, ctx: Context) -> str:
    return f"Product {after['name']} added at {_m(ctx, after['price'])}"


def _product_update(before: Data, after: Data, ctx: Context) -> str:
    name = after.get("name") or before.get("name") or ""
    return _changes(f"Product {name} changed", before, after, ctx)


def _product_import(before: Data, after: Data, ctx: Context) -> str:
    return f"Products imported: {after.get('created', 0)} added, {after.get('updated', 0)} changed"


def _switch_in(what: str) -> Describer:
    def describe(before: Data, after: Data, ctx: Context) -> str:
        return (
            f"{what} imported from a file: {after.get('created', 0)} added, "
            f"{after.get('updated', 0)} changed, {after.get('unchanged', 0)} already so"
        )

    return describe


def _product_rerate(before: Data, after: Data, ctx: Context) -> str:
    rate = after["tax_rate_bp"] / 100
    return f"Tax rate of {after['count']} products set to {rate:g}%"


def _category_create(before: Data, after: Data, ctx: Context) -> str:
    return f"Category {after['name']} added"


def _category_rename(before: Data, after: Data, ctx: Context) -> str:
    return f"Category {before['name']} renamed to {after['name']}"


def _category_delete(before: Data, after: Data, ctx: Context) -> str:
    return f"Category {before['name']} deleted"


def _stock(verb: str) -> Describer:
    def describe_stock(before: Data, after: Data, ctx: Context) -> str:
        note = f" ({after['note']})" if after.get("note") else ""
        return f"{verb}{note}"

    return describe_stock


def _stock_purchase(before: Data, after: Data, ctx: Context) -> str:
    lines = after.get("lines", 0)
    text = (
        f"Purchase {after['number']} received: {lines} line{'s' if lines != 1 else ''}, "
        f"{_m(ctx, after['total'])}"
    )
    payable, paid_now = after.get("payable"), after.get("paid_now")
    if isinstance(payable, int) and isinstance(paid_now, int) and paid_now < payable:
        text += f", {_m(ctx, payable - paid_now)} on credit"
    return text


def _stock_count(before: Data, after: Data, ctx: Context) -> str:
    return f"Stock count: {after['counted']} products counted, {after['changed']} corrected"


# --- people, access and the shop ---------------------------------------------------------------


def _plain(text: str) -> Describer:
    def describe_plain(before: Data, after: Data, ctx: Context) -> str:
        return text

    return describe_plain


def _from_address(text: str) -> Describer:
    def describe_login(before: Data, after: Data, ctx: Context) -> str:
        return f"{text} from {after['address']}" if after.get("address") else text

    return describe_login


def _login_failed(before: Data, after: Data, ctx: Context) -> str:
    return f"Wrong password for {after.get('username', '?')} from {after.get('address', '?')}"


def _user_create(before: Data, after: Data, ctx: Context) -> str:
    return f"User {after['username']} added as {after['role']}"


def _user_role(before: Data, after: Data, ctx: Context) -> str:
    return f"Role changed from {before['role']} to {after['role']}"


def _language_name(code: Any) -> str:
    # Named in their own script, as the account page lists them; "" follows the browser.
    return LANGUAGES.get(str(code or ""), str(code)) if code else "the browser's language"


def _user_language(before: Data, after: Data, ctx: Context) -> str:
    old, new = _language_name(before.get("language")), _language_name(after.get("language"))
    return f"Language changed from {old} to {new}"


def _password(text: str) -> Describer:
    def describe_password(before: Data, after: Data, ctx: Context) -> str:
        revoked = after.get("tokens_revoked") or 0
        return f"{text}; {revoked} API token{'s' if revoked != 1 else ''} revoked"

    return describe_password


def _recovery(before: Data, after: Data, ctx: Context) -> str:
    return f"Recovery code used; {after['codes_left']} left"


def _token(verb: str, side: str) -> Describer:
    def describe_token(before: Data, after: Data, ctx: Context) -> str:
        data = before if side == "before" else after
        return f"API token “{data.get('name', '')}” {verb}"

    return describe_token


def _backup(verb: str) -> Describer:
    def describe_backup(before: Data, after: Data, ctx: Context) -> str:
        what = after.get("file") or after.get("source") or ""
        size = after.get("size")
        mb = f" ({size / (1024 * 1024):.1f} MB)" if isinstance(size, int) else ""
        return f"{verb} {what}{mb}".rstrip()

    return describe_backup


def _export(before: Data, after: Data, ctx: Context) -> str:
    return f"Exported {after.get('what', 'data')}" + (
        f" to {after['to']}" if after.get("to") else ""
    )


def _settings(title: str) -> Describer:
    def describe_settings(before: Data, after: Data, ctx: Context) -> str:
        return _changes(title, before, after, ctx)

    return describe_settings


def _upi_ids_text(raw: Any) -> str:
    # The setting is JSON ([{"vpa", "label", "default"}]); a log reads "a@b (default), c@d".
    try:
        ids = json.loads(raw) if isinstance(raw, str) and raw else []
    except ValueError:
        return str(raw)
    if not isinstance(ids, list):
        return str(raw)
    words = [
        f"{i.get('vpa', '?')}{' (default)' if i.get('default') else ''}"
        for i in ids
        if isinstance(i, dict)
    ]
    return ", ".join(words) or "none"


def _settings_upi(before: Data, after: Data, ctx: Context) -> str:
    """UPI settings: the UPI IDs read as a list, not as the stored JSON."""
    old = {k: (_upi_ids_text(v) if k == "upi_ids" else v) for k, v in before.items()}
    new = {k: (_upi_ids_text(v) if k == "upi_ids" else v) for k, v in after.items()}
    return _changes("UPI settings changed", old, new, ctx)


def _sale_override(before: Data, after: Data, ctx: Context) -> str:
    reasons = [r.get("message", "") for r in after.get("reasons", []) if isinstance(r, dict)]
    text = f"Sale {after.get('number', '?')} approved by {after.get('approved_by', '?')}"
    if after.get("cashier") and after.get("cashier") != after.get("approved_by"):
        text += f" for {after['cashier']}"
    return text + (f": {'; '.join(reasons)}" if reasons else "")


def _stored_price(ctx: Context, text: Any) -> str:
    # Prices changed at the till are stored as money strings ("110.00"), not paise.
    try:
        return ctx.money(parse_money(text))
    except (ValidationError, TypeError):
        return str(text)


def _sale_price_change(before: Data, after: Data, ctx: Context) -> str:
    lines = [
        f"{line.get('name', '?')} {_stored_price(ctx, line.get('old_price'))} → "
        f"{_stored_price(ctx, line.get('new_price'))}"
        for line in after.get("lines", [])
        if isinstance(line, dict)
    ]
    return f"Price changed at the till on sale {after.get('number', '?')}: " + "; ".join(lines)


def _pin_failed(before: Data, after: Data, ctx: Context) -> str:
    return f"Wrong till PIN for {after.get('username', '?')} from {after.get('address', '?')}"


def _display(verb: str) -> Describer:
    def describe_display(before: Data, after: Data, ctx: Context) -> str:
        data = after if verb == "paired" else before
        till = f" for the till of {data['till']}" if data.get("till") else ""
        return f"Customer display “{data.get('name', '')}” {verb}{till}"

    return describe_display


def _display_pair_failed(before: Data, after: Data, ctx: Context) -> str:
    return f"Wrong customer display pairing code from {after.get('address', '?')}"


# --- orders --------------------------------------------------------------------------------------

_STATE_WORDS = {"ready_for_pickup": "ready for pickup", "out_for_delivery": "out for delivery"}


def _state(value: Any) -> str:
    return _STATE_WORDS.get(str(value), str(value))


def _order_create(before: Data, after: Data, ctx: Context) -> str:
    lines = after.get("lines")
    count = len(lines) if isinstance(lines, list) else 0
    text = f"Order {after.get('number', '?')} taken"
    if after.get("customer_id"):
        text += f" for {ctx.customer(after['customer_id'])}"
    text += f", {count} line{'s' if count != 1 else ''}"
    if after.get("estimate") is not None:
        text += f", about {_m(ctx, after['estimate'])}"
    if after.get("fulfilment") == "delivery":
        text += ", for delivery"
    return text


def _order_update(before: Data, after: Data, ctx: Context) -> str:
    text = f"Order {after.get('number', '?')} changed"
    if before.get("estimate") is not None and after.get("estimate") is not None:
        text += f": about {_m(ctx, before['estimate'])} → {_m(ctx, after['estimate'])}"
    return text


def _order_status(before: Data, after: Data, ctx: Context) -> str:
    text = (
        f"Order {after.get('number', '?')}: {_state(after.get('from', '?'))} → "
        f"{_state(after.get('to', '?'))}"
    )
    return text + (f" ({after['note']})" if after.get("note") else "")


def _order_cancel(before: Data, after: Data, ctx: Context) -> str:
    return _with(f"Order {after.get('number', '?')} cancelled", _reason(after))


def _order_deliver(before: Data, after: Data, ctx: Context) -> str:
    return f"Order {after.get('number', '?')} delivered: invoice {after.get('invoice', '?')}"


DESCRIBERS: dict[str, Describer] = {
    "books.account_create": _account_create,
    "books.account_delete": _account_delete,
    "books.account_update": _account_update,
    "books.entry": _journal_entry,
    "books.reverse": _journal_reverse,
    "backup.create": _backup("Backup made:"),
    "backup.download": _backup("Backup downloaded:"),
    "backup.restore": _backup("Restored from"),
    "cash_session.close": _cash_close,
    "cash_session.open": _cash_open,
    "cash_session.pay_in": _cash_pay_in,
    "cash_session.pay_out": _cash_pay_out,
    "category.create": _category_create,
    "category.delete": _category_delete,
    "category.rename": _category_rename,
    "credit_note.create": _credit_note,
    "customer.adjustment": _customer_adjustment,
    "customer.create": _customer_create,
    "customer.payment": _customer_payment,
    "customer.update": _customer_update,
    "display.pair": _display("paired"),
    "display.pair_failed": _display_pair_failed,
    "display.revoke": _display("revoked"),
    "drawer.no_sale": _drawer_no_sale,
    "drawer.sale": _drawer_sale,
    "expense.create": _expense,
    "export.create": _export,
    "held_bill.park": _held_park,
    "held_bill.recall": _held_recall,
    "invoice.reprint": _invoice_reprint,
    "login.failed": _login_failed,
    "login.logout": _plain("Logged out"),
    "login.ok": _from_address("Logged in"),
    "login.two_step_failed": _from_address("Wrong two-step code"),
    "order.cancel": _order_cancel,
    "order.create": _order_create,
    "order.deliver": _order_deliver,
    "order.status": _order_status,
    "order.update": _order_update,
    "product.create": _product_create,
    "product.import": _product_import,
    "import.customers": _switch_in("Customers with dues"),
    "import.stock": _switch_in("Opening stock"),
    "import.suppliers": _switch_in("Suppliers with payables"),
    "product.rerate": _product_rerate,
    "product.update": _product_update,
    "sale.create": _sale_create,
    "sale.discount_above_threshold": _sale_discount,
    "sale.override": _sale_override,
    "sale.price_change": _sale_price_change,
    "sale.void": _sale_void,
    "settings.admin_two_step_required": _settings("Two-step rule for admins changed"),
    "settings.api_token_days": _settings("API token lifetime changed"),
    "settings.cash": _settings("Cash session rule changed"),
    "settings.change": _settings("Shop settings changed"),
    "settings.inventory": _settings("Stock settings changed"),
    "settings.network": _settings("Network settings changed"),
    "settings.offsite_backup_dir": _settings("Off-site backup folder changed"),
    "settings.printer": _settings("Printer settings changed"),
    "settings.scale": _settings("Scale label settings changed"),
    "settings.session_timeout": _settings("Session timeout changed"),
    "settings.upi": _settings_upi,
    "stock.adjust_count": _stock("Stock corrected after a count"),
    "stock.adjust_damage": _stock("Damaged stock written off"),
    "stock.adjust_loss": _stock("Lost stock written off"),
    "stock.count": _stock_count,
    "stock.opening": _stock("Opening stock booked"),
    "stock.purchase": _stock_purchase,
    "supplier.create": _supplier_create,
    "supplier.debit_note": _supplier_debit_note,
    "supplier.payment": _supplier_payment,
    "supplier.update": _supplier_update,
    "token.create": _token("created", "after"),
    "token.logout": _token("logged out", "before"),
    "token.refresh": _token("swapped for a new one", "before"),
    "token.revoke": _token("revoked", "before"),
    "user.activate": _plain("User activated"),
    "user.create": _user_create,
    "user.deactivate": _plain("User deactivated"),
    "user.language": _user_language,
    "user.password_change": _password("Password changed"),
    "user.pin_clear": _plain("Till PIN cleared"),
    "user.pin_failed": _pin_failed,
    "user.pin_set": _plain("Till PIN set"),
    "user.password_reset": _password("Password reset; a new one is due at the next login"),
    "user.recovery_code_used": _recovery,
    "user.role": _user_role,
    "user.two_step_off": _plain("Two-step login turned off"),
    "user.two_step_on": _plain("Two-step login turned on"),
}


def _value(key: str, value: Any, ctx: Context) -> str:
    if key in MONEY_KEYS and isinstance(value, int) and not isinstance(value, bool):
        return ctx.money(value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    if value is None or value == "":
        return "—"
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def _words(key: str) -> str:
    return key.removesuffix("_milli").removesuffix("_bp").replace("_", " ")


def _changes(title: str, before: Data, after: Data, ctx: Context) -> str:
    """The title, then each field that changed ("price ₹10.00 → ₹12.00"), or each value."""
    parts = []
    for key in sorted(set(before) | set(after)):
        if key in before and key in after:
            if before[key] != after[key]:
                old, new = _value(key, before[key], ctx), _value(key, after[key], ctx)
                parts.append(f"{_words(key)} {old} → {new}")
        elif key in after:
            parts.append(f"{_words(key)} {_value(key, after[key], ctx)}")
        else:
            parts.append(f"{_words(key)} was {_value(key, before[key], ctx)}")
    return f"{title}: {'; '.join(parts)}" if parts else title


def _load(text: str | None) -> dict[str, Any]:
    if not text:
        return {}
    try:
        data = json.loads(text)
    except ValueError:
        return {"data": text}
    return data if isinstance(data, dict) else {"data": data}


def describe(action: str, before: str | None, after: str | None, ctx: Context) -> str:
    """One stored entry (its action and JSON texts) as a sentence a shop owner reads."""
    name = audit_action(action)
    old, new = _load(before), _load(after)
    describer = DESCRIBERS.get(name)
    if describer is not None:
        try:
            return describer(old, new, ctx)
        except (KeyError, TypeError, ValueError, AttributeError):
            pass  # an older row without a field this version expects: the plain words below
    return _changes(AUDIT_ACTIONS.get(name, name), old, new, ctx)


def customer_ids(afters: list[str | None]) -> set[int]:
    """The customers entries mention (a sale's buyer), for the caller to look their names up."""
    ids: set[int] = set()
    for text in afters:
        value = _load(text).get("customer_id")
        if isinstance(value, int) and not isinstance(value, bool):
            ids.add(value)
    return ids
