"""The strings the pages' scripts show, translated for the request and handed to the page.

Scripts never hold user-visible English: they call `t("key")` (static/js/lib/i18n.js), which
reads this catalog from the JSON block every page carries (`<script id="tb-i18n">`). A message
with values uses %(name)s places; a count has a plural entry, sent as the forms the page's
language needs (`one`, `other`), picked in the page by Intl.PluralRules.
"""

from __future__ import annotations

from posapp.i18n import LazyString, lazy, lazy_plural, ngettext

# key -> message. Keys name the place, not the words, so a reworded English text keeps its key.
STRINGS: dict[str, LazyString] = {
    "common.loading": lazy("Loading…"),
    "common.failed": lazy("That did not work (%(status)s)."),
    "common.offline": lazy("The server does not answer: is TillBook still running?"),
    # reports and orders
    "orders.form.fix_quantity": lazy("Correct the quantity of %(name)s first."),
    "orders.form.quantity_of": lazy("Quantity of %(name)s"),
    "orders.form.remove": lazy("Remove %(name)s"),
    "orders.form.order_number": lazy("%(typed)s is an order's number (%(number)s), not an item."),
    "orders.form.existing_customer": lazy("Existing customer: %(name)s (%(phone)s)"),
}
# key -> (singular, plural), with %(num)s for the count.
PLURALS: dict[str, tuple[str, str]] = {
    "common.items": lazy_plural("%(num)s item", "%(num)s items"),
}


def catalog() -> dict[str, str | dict[str, str]]:
    """Every script string in the request's language (plural forms as one/other)."""
    out: dict[str, str | dict[str, str]] = {key: str(value) for key, value in STRINGS.items()}
    for key, (one, many) in PLURALS.items():
        # The place of the count stays %(num)s for the page to fill in.
        out[key] = {
            "one": ngettext(one, many, 1, num="%(num)s"),
            "other": ngettext(one, many, 2, num="%(num)s"),
        }
    return out
