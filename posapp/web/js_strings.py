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
    # products, stock and cash
    "import.too_large": lazy("That file is too large: this page takes files up to %(size)s MB."),
    "import.uploading": lazy("Uploading…"),
    "import.uploading_percent": lazy("Uploading… %(percent)s"),
    "import.checking": lazy("Checking every row…"),
    "import.failed": lazy("The upload failed (%(status)s)."),
    "import.offline": lazy("The upload failed: is the server still running?"),
    "labels.line.code": lazy("Line %(line)s product code"),
    "labels.line.count": lazy("Line %(line)s number of labels"),
    "labels.line.clear": lazy("Clear line %(line)s"),
    "labels.search.none": lazy("No product matches."),
    "labels.search.offline": lazy("Search is not answering; type the code instead."),
    "receive.line.code": lazy("Line %(line)s code or name"),
    "receive.line.quantity": lazy("Line %(line)s quantity"),
    "receive.line.unit_cost": lazy("Line %(line)s unit cost"),
    "receive.line.tax_rate": lazy("Line %(line)s GST rate"),
    "receive.line.expiry": lazy("Line %(line)s expiry"),
    "receive.line.batch": lazy("Line %(line)s batch"),
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
