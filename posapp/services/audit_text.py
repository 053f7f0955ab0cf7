"""Audit entries in words: "Payment of ₹1,000.00 by UPI", not the JSON the log stores.

The log keeps each entry's before/after as JSON with money in paise (that text is hash-chained
and never changes); the audit page and an invoice's history read it through `describe`. Each
action in vocabulary.AUDIT_ACTIONS has its own describer here (a test holds the two lists
together); an entry whose data a describer cannot read, or an action written by a newer
version, falls back to the action's label and its fields in plain words, so a page never fails
on an old or odd row. Flask-free: the caller passes how money is written and customers' names.

Every sentence is a message of its own, marked for translation with its values as named
places; an optional clause is a message that takes the sentence so far (`%(text)s, … on
credit`), so a translation puts each clause where its language wants it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from posapp.errors import ValidationError
from posapp.i18n import LANGUAGES, LazyString, _, lazy, ngettext
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
        return self.customers.get(customer_id) or _("customer #%(id)s", id=customer_id)


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
    number, total = after["number"], _m(ctx, after["total"])
    if after.get("customer_id"):
        text = _(
            "Sale %(number)s of %(amount)s to %(customer)s",
            number=number,
            amount=total,
            customer=ctx.customer(after["customer_id"]),
        )
    else:
        text = _("Sale %(number)s of %(amount)s", number=number, amount=total)
    if after.get("credit"):
        text = _("%(text)s, %(amount)s on credit", text=text, amount=_m(ctx, after["credit"]))
    if after.get("discount"):
        text = _("%(text)s, %(amount)s discount", text=text, amount=_m(ctx, after["discount"]))
    return text


def _sale_discount(before: Data, after: Data, ctx: Context) -> str:
    if after.get("cashier"):
        return _(
            "Discount above the shop's limit on %(number)s by %(cashier)s",
            number=after["number"],
            cashier=after["cashier"],
        )
    return _("Discount above the shop's limit on %(number)s", number=after["number"])


def _sale_void(before: Data, after: Data, ctx: Context) -> str:
    text = _("Sale voided")
    if after.get("credit_reversed"):
        text = _(
            "Sale voided, %(amount)s of credit taken back",
            amount=_m(ctx, after["credit_reversed"]),
        )
    return _with(text, _reason(after))


def _credit_note(before: Data, after: Data, ctx: Context) -> str:
    text = _(
        "Return %(number)s of %(amount)s",
        number=after["credit_note"],
        amount=_m(ctx, after["total"]),
    )
    if after.get("refund"):
        text = _(
            "%(text)s, %(amount)s refunded by %(method)s",
            text=text,
            amount=_m(ctx, after["refund"]),
            method=_method(after.get("refund_method")),
        )
    if after.get("applied"):
        text = _(
            "%(text)s, %(amount)s off the amount due", text=text, amount=_m(ctx, after["applied"])
        )
    return text


def _invoice_reprint(before: Data, after: Data, ctx: Context) -> str:
    copy = after["copy"] if "copy" in after else _("copy")
    return _("%(number)s printed again (%(copy)s)", number=after["number"], copy=copy)


def _held_park(before: Data, after: Data, ctx: Context) -> str:
    items = len(after.get("items") or [])
    if after.get("label"):
        return ngettext(
            "Bill “%(label)s” put on hold with %(num)s item",
            "Bill “%(label)s” put on hold with %(num)s items",
            items,
            label=after["label"],
        )
    return ngettext(
        "Bill put on hold with %(num)s item", "Bill put on hold with %(num)s items", items
    )


def _held_recall(before: Data, after: Data, ctx: Context) -> str:
    if after.get("label"):
        return _("Held bill “%(label)s” recalled", label=after["label"])
    return _("Held bill recalled")


def _drawer_sale(before: Data, after: Data, ctx: Context) -> str:
    return _(
        "Drawer opened for %(number)s, %(amount)s tendered",
        number=after["number"],
        amount=_m(ctx, after.get("tendered")),
    )


def _drawer_no_sale(before: Data, after: Data, ctx: Context) -> str:
    return _with(_("Drawer opened without a sale"), _reason(after))


# --- customers ---------------------------------------------------------------------------------


def _advance(text: str, after: Data, ctx: Context) -> str:
    if not after.get("advance"):
        return text
    return _("%(text)s, %(amount)s kept as an advance", text=text, amount=_m(ctx, after["advance"]))


def _customer_payment(before: Data, after: Data, ctx: Context) -> str:
    text = _(
        "Payment of %(amount)s by %(method)s",
        amount=_m(ctx, after["amount"]),
        method=_method(after["method"]),
    )
    return _advance(text, after, ctx)


def _customer_adjustment(before: Data, after: Data, ctx: Context) -> str:
    amount = after["amount"]
    if amount > 0:
        text = _("Balance raised by %(amount)s", amount=_m(ctx, abs(amount)))
    else:
        text = _("Balance lowered by %(amount)s", amount=_m(ctx, abs(amount)))
    return _with(text, _reason(after))


def _customer_create(before: Data, after: Data, ctx: Context) -> str:
    text = _("Customer %(name)s added", name=after["name"])
    if after.get("credit_limit"):
        text = _(
            "%(text)s, credit limit %(amount)s", text=text, amount=_m(ctx, after["credit_limit"])
        )
    if after.get("opening_balance"):
        text = _(
            "%(text)s, opening balance %(amount)s",
            text=text,
            amount=_m(ctx, after["opening_balance"]),
        )
    return text


def _customer_update(before: Data, after: Data, ctx: Context) -> str:
    name = after.get("name") or before.get("name") or ""
    return _changes(_("Customer %(name)s changed", name=name), before, after, ctx)


# --- suppliers ---------------------------------------------------------------------------------


def _supplier_create(before: Data, after: Data, ctx: Context) -> str:
    text = _("Supplier %(name)s added", name=after["name"])
    if after.get("opening_balance"):
        text = _(
            "%(text)s, opening balance %(amount)s owed",
            text=text,
            amount=_m(ctx, after["opening_balance"]),
        )
    return text


def _supplier_debit_note(before: Data, after: Data, ctx: Context) -> str:
    return _(
        "Debit note %(number)s: goods from %(purchase)s sent back, %(amount)s less owed",
        number=after["number"],
        purchase=after["purchase"],
        amount=_m(ctx, after["amount"]),
    )


def _supplier_update(before: Data, after: Data, ctx: Context) -> str:
    name = after.get("name") or before.get("name") or ""
    return _changes(_("Supplier %(name)s changed", name=name), before, after, ctx)


def _supplier_payment(before: Data, after: Data, ctx: Context) -> str:
    method = SUPPLIER_METHOD_LABELS.get(str(after.get("method")), str(after.get("method")))
    text = _(
        "Paid the supplier %(amount)s by %(method)s",
        amount=_m(ctx, after["amount"]),
        method=str(method),
    )
    if after.get("reference"):
        text = _("%(text)s (ref. %(reference)s)", text=text, reference=after["reference"])
    return _advance(text, after, ctx)


# --- cash ------------------------------------------------------------------------------------


def _cash_open(before: Data, after: Data, ctx: Context) -> str:
    return _("Drawer opened with a float of %(amount)s", amount=_m(ctx, after["opening_float"]))


def _cash_close(before: Data, after: Data, ctx: Context) -> str:
    over = after.get("over_short", 0)
    if not over:
        state = _("exact")
    elif over > 0:
        state = _("over by %(amount)s", amount=_m(ctx, over))
    else:
        state = _("short by %(amount)s", amount=_m(ctx, -over))
    return _(
        "Drawer closed: %(counted)s counted, %(expected)s expected (%(state)s)",
        counted=_m(ctx, after["counted"]),
        expected=_m(ctx, after["expected"]),
        state=state,
    )


def _cash_pay_in(before: Data, after: Data, ctx: Context) -> str:
    text = _("%(amount)s paid into the drawer", amount=_m(ctx, after["amount"]))
    return _with(text, _reason(after))


def _cash_pay_out(before: Data, after: Data, ctx: Context) -> str:
    text = _("%(amount)s paid out of the drawer", amount=_m(ctx, after["amount"]))
    return _with(text, _reason(after))


def _expense(before: Data, after: Data, ctx: Context) -> str:
    amount, category = _m(ctx, after["amount"]), after["category"]
    if after.get("note"):
        return _(
            "Expense of %(amount)s for %(category)s (%(note)s)",
            amount=amount,
            category=category,
            note=after["note"],
        )
    return _("Expense of %(amount)s for %(category)s", amount=amount, category=category)


# --- the books -----------------------------------------------------------------------------


def _account_create(before: Data, after: Data, ctx: Context) -> str:
    return _(
        "Account %(code)s %(name)s added (%(kind)s)",
        code=after["code"],
        name=after["name"],
        kind=after["kind"],
    )


def _account_update(before: Data, after: Data, ctx: Context) -> str:
    name = f"{after.get('code', '')} {after.get('name', '')}".strip()
    return _changes(_("Account %(name)s changed", name=name), before, after, ctx)


def _account_delete(before: Data, after: Data, ctx: Context) -> str:
    return _(
        "Account %(code)s %(name)s deleted (it had no entries)",
        code=before["code"],
        name=before["name"],
    )


def _journal_entry(before: Data, after: Data, ctx: Context) -> str:
    return _(
        "Journal entry of %(amount)s on %(day)s: %(narration)s",
        amount=_m(ctx, after["debit"]),
        day=after["day"],
        narration=after["narration"],
    )


def _journal_reverse(before: Data, after: Data, ctx: Context) -> str:
    return _("Journal entry #%(entry)s reversed", entry=before["entry"])


# --- catalog and stock -----------------------------------------------------------------------


def _product_create(before: Data, after: Data, ctx: Context) -> str:
    return _(
        "Product %(name)s added at %(price)s", name=after["name"], price=_m(ctx, after["price"])
    )


def _product_update(before: Data, after: Data, ctx: Context) -> str:
    name = after.get("name") or before.get("name") or ""
    return _changes(_("Product %(name)s changed", name=name), before, after, ctx)


def _product_import(before: Data, after: Data, ctx: Context) -> str:
    return _(
        "Products imported: %(added)s added, %(changed)s changed",
        added=after.get("created", 0),
        changed=after.get("updated", 0),
    )


def _switch_in(what: LazyString) -> Describer:
    def describe(before: Data, after: Data, ctx: Context) -> str:
        return _(
            "%(what)s imported from a file: %(added)s added, %(changed)s changed, "
            "%(same)s already so",
            what=str(what),
            added=after.get("created", 0),
            changed=after.get("updated", 0),
            same=after.get("unchanged", 0),
        )

    return describe


def _product_rerate(before: Data, after: Data, ctx: Context) -> str:
    rate = after["tax_rate_bp"] / 100
    return _(
        "Tax rate of %(count)s products set to %(rate)s%%", count=after["count"], rate=f"{rate:g}"
    )


def _category_create(before: Data, after: Data, ctx: Context) -> str:
    return _("Category %(name)s added", name=after["name"])


def _category_rename(before: Data, after: Data, ctx: Context) -> str:
    return _("Category %(old)s renamed to %(new)s", old=before["name"], new=after["name"])


def _category_delete(before: Data, after: Data, ctx: Context) -> str:
    return _("Category %(name)s deleted", name=before["name"])


def _stock(what: LazyString) -> Describer:
    def describe_stock(before: Data, after: Data, ctx: Context) -> str:
        note = f" ({after['note']})" if after.get("note") else ""
        return f"{what}{note}"

    return describe_stock


def _stock_purchase(before: Data, after: Data, ctx: Context) -> str:
    lines = after.get("lines", 0)
    text = ngettext(
        "Purchase %(number)s received: %(num)s line, %(amount)s",
        "Purchase %(number)s received: %(num)s lines, %(amount)s",
        lines,
        number=after["number"],
        amount=_m(ctx, after["total"]),
    )
    payable, paid_now = after.get("payable"), after.get("paid_now")
    if isinstance(payable, int) and isinstance(paid_now, int) and paid_now < payable:
        text = _("%(text)s, %(amount)s on credit", text=text, amount=_m(ctx, payable - paid_now))
    return text


def _stock_count(before: Data, after: Data, ctx: Context) -> str:
    return _(
        "Stock count: %(counted)s products counted, %(changed)s corrected",
        counted=after["counted"],
        changed=after["changed"],
    )


# --- people, access and the shop ---------------------------------------------------------------


def _plain(text: LazyString) -> Describer:
    def describe_plain(before: Data, after: Data, ctx: Context) -> str:
        return str(text)

    return describe_plain


def _from_address(text: LazyString, with_address: LazyString) -> Describer:
    """`text`, or `with_address` (a message with %(address)s) when the entry has one."""

    def describe_login(before: Data, after: Data, ctx: Context) -> str:
        if after.get("address"):
            return str(with_address) % {"address": after["address"]}
        return str(text)

    return describe_login


def _login_failed(before: Data, after: Data, ctx: Context) -> str:
    return _(
        "Wrong password for %(user)s from %(address)s",
        user=after.get("username", "?"),
        address=after.get("address", "?"),
    )


def _user_create(before: Data, after: Data, ctx: Context) -> str:
    return _("User %(name)s added as %(role)s", name=after["username"], role=after["role"])


def _user_role(before: Data, after: Data, ctx: Context) -> str:
    return _("Role changed from %(old)s to %(new)s", old=before["role"], new=after["role"])


def _language_name(code: Any) -> str:
    # Named in their own script, as the account page lists them; "" follows the browser.
    return LANGUAGES.get(str(code or ""), str(code)) if code else _("the browser's language")


def _user_language(before: Data, after: Data, ctx: Context) -> str:
    old, new = _language_name(before.get("language")), _language_name(after.get("language"))
    return _("Language changed from %(old)s to %(new)s", old=old, new=new)


def _password(text: LazyString) -> Describer:
    def describe_password(before: Data, after: Data, ctx: Context) -> str:
        revoked = after.get("tokens_revoked") or 0
        return ngettext(
            "%(text)s; %(num)s API token revoked",
            "%(text)s; %(num)s API tokens revoked",
            revoked,
            text=str(text),
        )

    return describe_password


def _recovery(before: Data, after: Data, ctx: Context) -> str:
    return _("Recovery code used; %(left)s left", left=after["codes_left"])


def _token(sentence: LazyString, side: str) -> Describer:
    """`sentence` names the token with %(name)s; `side` says which data holds the name."""

    def describe_token(before: Data, after: Data, ctx: Context) -> str:
        data = before if side == "before" else after
        return str(sentence) % {"name": data.get("name", "")}

    return describe_token


def _backup(what: LazyString) -> Describer:
    def describe_backup(before: Data, after: Data, ctx: Context) -> str:
        file = after.get("file") or after.get("source") or ""
        size = after.get("size")
        mb = f" ({size / (1024 * 1024):.1f} MB)" if isinstance(size, int) else ""
        return f"{what} {file}{mb}".rstrip()

    return describe_backup


# The words `exports.record_export` stores for what was taken and where (a table's name or a
# folder's path is shown as stored).
_EXPORT_WORDS = {
    "everything": lazy("everything"),
    "download": lazy("download"),
    "zip download": lazy("zip download"),
}


def _export_word(value: Any) -> str:
    return str(_EXPORT_WORDS.get(str(value), value))


def _export(before: Data, after: Data, ctx: Context) -> str:
    what = _export_word(after["what"]) if after.get("what") else _("data")
    if after.get("to"):
        return _("Exported %(what)s to %(to)s", what=what, to=_export_word(after["to"]))
    return _("Exported %(what)s", what=what)


def _settings(title: LazyString) -> Describer:
    def describe_settings(before: Data, after: Data, ctx: Context) -> str:
        return _changes(str(title), before, after, ctx)

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
        _("%(upi_id)s (default)", upi_id=i.get("vpa", "?"))
        if i.get("default")
        else i.get("vpa", "?")
        for i in ids
        if isinstance(i, dict)
    ]
    return ", ".join(words) or _("none")


def _settings_upi(before: Data, after: Data, ctx: Context) -> str:
    """UPI settings: the UPI IDs read as a list, not as the stored JSON."""
    old = {k: (_upi_ids_text(v) if k == "upi_ids" else v) for k, v in before.items()}
    new = {k: (_upi_ids_text(v) if k == "upi_ids" else v) for k, v in after.items()}
    return _changes(_("UPI settings changed"), old, new, ctx)


def _sale_override(before: Data, after: Data, ctx: Context) -> str:
    reasons = [r.get("message", "") for r in after.get("reasons", []) if isinstance(r, dict)]
    number, admin = after.get("number", "?"), after.get("approved_by", "?")
    if after.get("cashier") and after.get("cashier") != after.get("approved_by"):
        text = _(
            "Sale %(number)s approved by %(admin)s for %(cashier)s",
            number=number,
            admin=admin,
            cashier=after["cashier"],
        )
    else:
        text = _("Sale %(number)s approved by %(admin)s", number=number, admin=admin)
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
    return _(
        "Price changed at the till on sale %(number)s: %(lines)s",
        number=after.get("number", "?"),
        lines="; ".join(lines),
    )


def _pin_failed(before: Data, after: Data, ctx: Context) -> str:
    return _(
        "Wrong till PIN for %(user)s from %(address)s",
        user=after.get("username", "?"),
        address=after.get("address", "?"),
    )


def _display(sentence: LazyString, for_till: LazyString, side: str) -> Describer:
    """`sentence` names the display (%(name)s); `for_till` also its till (%(till)s)."""

    def describe_display(before: Data, after: Data, ctx: Context) -> str:
        data = after if side == "after" else before
        values = {"name": data.get("name", ""), "till": data.get("till")}
        return str(for_till if data.get("till") else sentence) % values

    return describe_display


def _display_pair_failed(before: Data, after: Data, ctx: Context) -> str:
    return _(
        "Wrong customer display pairing code from %(address)s", address=after.get("address", "?")
    )


# --- orders --------------------------------------------------------------------------------------

_STATE_WORDS = {
    "ready_for_pickup": lazy("ready for pickup"),
    "out_for_delivery": lazy("out for delivery"),
}


def _state(value: Any) -> str:
    return str(_STATE_WORDS.get(str(value), str(value)))


def _order_create(before: Data, after: Data, ctx: Context) -> str:
    lines = after.get("lines")
    count = len(lines) if isinstance(lines, list) else 0
    number = after.get("number", "?")
    if after.get("customer_id"):
        text = _(
            "Order %(number)s taken for %(customer)s",
            number=number,
            customer=ctx.customer(after["customer_id"]),
        )
    else:
        text = _("Order %(number)s taken", number=number)
    text = ngettext("%(text)s, %(num)s line", "%(text)s, %(num)s lines", count, text=text)
    if after.get("estimate") is not None:
        text = _("%(text)s, about %(amount)s", text=text, amount=_m(ctx, after["estimate"]))
    if after.get("fulfilment") == "delivery":
        text = _("%(text)s, for delivery", text=text)
    return text


def _order_update(before: Data, after: Data, ctx: Context) -> str:
    number = after.get("number", "?")
    if before.get("estimate") is not None and after.get("estimate") is not None:
        return _(
            "Order %(number)s changed: about %(old)s → %(new)s",
            number=number,
            old=_m(ctx, before["estimate"]),
            new=_m(ctx, after["estimate"]),
        )
    return _("Order %(number)s changed", number=number)


def _order_status(before: Data, after: Data, ctx: Context) -> str:
    text = _(
        "Order %(number)s: %(old)s → %(new)s",
        number=after.get("number", "?"),
        old=_state(after.get("from", "?")),
        new=_state(after.get("to", "?")),
    )
    return text + (f" ({after['note']})" if after.get("note") else "")


def _order_cancel(before: Data, after: Data, ctx: Context) -> str:
    return _with(_("Order %(number)s cancelled", number=after.get("number", "?")), _reason(after))


def _order_deliver(before: Data, after: Data, ctx: Context) -> str:
    return _(
        "Order %(number)s delivered: invoice %(invoice)s",
        number=after.get("number", "?"),
        invoice=after.get("invoice", "?"),
    )


def _hq_enrol(before: Data, after: Data, ctx: Context) -> str:
    return _(
        "Enrolled at the HQ “%(name)s” (%(url)s)",
        name=after.get("hq_name") or "?",
        url=after.get("hq_url", ""),
    )


def _hq_customers_shared(before: Data, after: Data, ctx: Context) -> str:
    if after.get("shared"):
        return _("Customers shared across shops: on (one khata per phone number)")
    return _("Customers shared across shops: off")


def _hq_projections_rebuild(before: Data, after: Data, ctx: Context) -> str:
    return _(
        "HQ reports rebuilt from %(records)s records of %(shops)s shops",
        records=after.get("records", 0),
        shops=after.get("shops", 0),
    )


def _hq_shop(sentence: LazyString) -> Describer:
    """`sentence` names the shop (%(name)s)."""

    def describe_hq_shop(before: Data, after: Data, ctx: Context) -> str:
        return str(sentence) % {"name": after.get("name", "?")}

    return describe_hq_shop


def _hq_catalog_send(before: Data, after: Data, ctx: Context) -> str:
    count = int(after.get("products") or 0)
    if after.get("shop"):
        return ngettext(
            "%(num)s product sent to the shop “%(name)s”",
            "%(num)s products sent to the shop “%(name)s”",
            count,
            name=after.get("shop"),
        )
    return ngettext(
        "%(num)s product sent to every shop", "%(num)s products sent to every shop", count
    )


def _hq_catalog_apply(before: Data, after: Data, ctx: Context) -> str:
    fields = ", ".join(str(name) for name in after.get("fields") or [])
    if after.get("created"):
        return _("Product %(code)s added by HQ", code=after.get("code", "?"))
    return _(
        "Product %(code)s changed by HQ: %(fields)s", code=after.get("code", "?"), fields=fields
    )


def _hq_settings(sentence: LazyString) -> Describer:
    """`sentence` names the shop (%(name)s) and the settings (%(keys)s)."""

    def describe_hq_settings(before: Data, after: Data, ctx: Context) -> str:
        keys = ", ".join(sorted(str(key) for key in after.get("settings") or after))
        return str(sentence) % {"name": after.get("shop", "?"), "keys": keys}

    return describe_hq_settings


def _hq_transfer(before: Data, after: Data, ctx: Context) -> str:
    return _(
        "Transfer %(number)s: %(source)s → %(target)s",
        number=after.get("number", "?"),
        source=after.get("from_name", "?"),
        target=after.get("to_name", "?"),
    )


DESCRIBERS: dict[str, Describer] = {
    "books.account_create": _account_create,
    "books.account_delete": _account_delete,
    "books.account_update": _account_update,
    "books.entry": _journal_entry,
    "books.reverse": _journal_reverse,
    "backup.create": _backup(lazy("Backup made:")),
    "backup.download": _backup(lazy("Backup downloaded:")),
    "backup.restore": _backup(lazy("Restored from")),
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
    "display.pair": _display(
        lazy("Customer display “%(name)s” paired"),
        lazy("Customer display “%(name)s” paired for the till of %(till)s"),
        "after",
    ),
    "display.pair_failed": _display_pair_failed,
    "display.revoke": _display(
        lazy("Customer display “%(name)s” revoked"),
        lazy("Customer display “%(name)s” revoked for the till of %(till)s"),
        "before",
    ),
    "drawer.no_sale": _drawer_no_sale,
    "drawer.sale": _drawer_sale,
    "expense.create": _expense,
    "export.create": _export,
    "held_bill.park": _held_park,
    "hq.shop_code": _hq_shop(lazy("New enrolment code for the shop “%(name)s”")),
    "hq.shop_create": _hq_shop(lazy("Shop “%(name)s” added at HQ")),
    "hq.shop_enrol": _hq_shop(lazy("Shop “%(name)s” enrolled at HQ")),
    "held_bill.recall": _held_recall,
    "hq.enrol": _hq_enrol,
    "hq.catalog_send": _hq_catalog_send,
    "hq.catalog_apply": _hq_catalog_apply,
    "hq.settings_send": _hq_settings(lazy("Settings sent to the shop “%(name)s”: %(keys)s")),
    "hq.settings_apply": _hq_settings(lazy("Settings changed by HQ: %(keys)s")),
    "hq.transfer_create": _hq_transfer,
    "hq.transfer_apply": _hq_transfer,
    "hq.customers_shared": _hq_customers_shared,
    "hq.projections_rebuild": _hq_projections_rebuild,
    "invoice.reprint": _invoice_reprint,
    "login.failed": _login_failed,
    "login.logout": _plain(lazy("Logged out")),
    "login.ok": _from_address(lazy("Logged in"), lazy("Logged in from %(address)s")),
    "login.two_step_failed": _from_address(
        lazy("Wrong two-step code"), lazy("Wrong two-step code from %(address)s")
    ),
    "order.cancel": _order_cancel,
    "order.create": _order_create,
    "order.deliver": _order_deliver,
    "order.status": _order_status,
    "order.update": _order_update,
    "product.create": _product_create,
    "product.import": _product_import,
    "import.customers": _switch_in(lazy("Customers with dues")),
    "import.stock": _switch_in(lazy("Opening stock")),
    "import.suppliers": _switch_in(lazy("Suppliers with payables")),
    "product.rerate": _product_rerate,
    "product.update": _product_update,
    "sale.create": _sale_create,
    "sale.discount_above_threshold": _sale_discount,
    "sale.override": _sale_override,
    "sale.price_change": _sale_price_change,
    "sale.void": _sale_void,
    "settings.admin_two_step_required": _settings(lazy("Two-step rule for admins changed")),
    "settings.api_token_days": _settings(lazy("API token lifetime changed")),
    "settings.cash": _settings(lazy("Cash session rule changed")),
    "settings.change": _settings(lazy("Shop settings changed")),
    "settings.inventory": _settings(lazy("Stock settings changed")),
    "settings.network": _settings(lazy("Network settings changed")),
    "settings.offsite_backup_dir": _settings(lazy("Off-site backup folder changed")),
    "settings.printer": _settings(lazy("Printer settings changed")),
    "settings.scale": _settings(lazy("Scale label settings changed")),
    "settings.session_timeout": _settings(lazy("Session timeout changed")),
    "settings.upi": _settings_upi,
    "stock.adjust_count": _stock(lazy("Stock corrected after a count")),
    "stock.adjust_damage": _stock(lazy("Damaged stock written off")),
    "stock.adjust_loss": _stock(lazy("Lost stock written off")),
    "stock.count": _stock_count,
    "stock.opening": _stock(lazy("Opening stock booked")),
    "stock.purchase": _stock_purchase,
    "supplier.create": _supplier_create,
    "supplier.debit_note": _supplier_debit_note,
    "supplier.payment": _supplier_payment,
    "supplier.update": _supplier_update,
    "token.create": _token(lazy("API token “%(name)s” created"), "after"),
    "token.logout": _token(lazy("API token “%(name)s” logged out"), "before"),
    "token.refresh": _token(lazy("API token “%(name)s” swapped for a new one"), "before"),
    "token.revoke": _token(lazy("API token “%(name)s” revoked"), "before"),
    "user.activate": _plain(lazy("User activated")),
    "user.create": _user_create,
    "user.deactivate": _plain(lazy("User deactivated")),
    "user.language": _user_language,
    "user.password_change": _password(lazy("Password changed")),
    "user.pin_clear": _plain(lazy("Till PIN cleared")),
    "user.pin_failed": _pin_failed,
    "user.pin_set": _plain(lazy("Till PIN set")),
    "user.password_reset": _password(lazy("Password reset; a new one is due at the next login")),
    "user.recovery_code_used": _recovery,
    "user.role": _user_role,
    "user.two_step_off": _plain(lazy("Two-step login turned off")),
    "user.two_step_on": _plain(lazy("Two-step login turned on")),
}


def _value(key: str, value: Any, ctx: Context) -> str:
    if key in MONEY_KEYS and isinstance(value, int) and not isinstance(value, bool):
        return ctx.money(value)
    if isinstance(value, bool):
        return _("yes") if value else _("no")
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
            parts.append(
                _("%(field)s was %(value)s", field=_words(key), value=_value(key, before[key], ctx))
            )
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
    label = AUDIT_ACTIONS.get(name)
    return _changes(str(label) if label is not None else name, old, new, ctx)


def customer_ids(afters: list[str | None]) -> set[int]:
    """The customers entries mention (a sale's buyer), for the caller to look their names up."""
    ids: set[int] = set()
    for text in afters:
        value = _load(text).get("customer_id")
        if isinstance(value, int) and not isinstance(value, bool):
            ids.add(value)
    return ids
