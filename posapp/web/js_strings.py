"""The strings the pages' scripts show, translated for the request and handed to the page.

Scripts never hold user-visible English: they call `t("key")` (static/js/lib/i18n.js), which
reads this catalog from the JSON block every page carries (`<script id="tb-i18n">`). A message
with values uses %(name)s places; a count has a plural entry, sent as the forms the page's
language needs (`one`, `other`), picked in the page by Intl.PluralRules.
"""

from __future__ import annotations

from flask_babel import get_translations

from posapp.i18n import LazyString, lazy, lazy_p, lazy_plural

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
    # the till (static/js/pos/*, pos.js), its customer display (display.js), the receipt's
    # toolbar (receipt.js) and the quantity and discount checks of lib/money.js
    "common.qty.empty": lazy("Enter a quantity."),
    "common.qty.number": lazy("Enter a number like 2 or 1.250."),
    "common.qty.pieces": lazy("Pieces are counted in whole numbers."),
    "common.qty.decimals": lazy("Quantities take at most 3 decimals."),
    "common.qty.zero": lazy("More than zero, please (× removes the line)."),
    "common.discount.percent": lazy("A percent from 0 to 100, e.g. 10%."),
    "common.discount.format": lazy("An amount like 10.00, or a percent like 10%."),
    "till.approval.username": lazy("Type the admin's username."),
    "till.approval.pin": lazy("The PIN is 4 to 8 digits."),
    "till.camera.insecure": lazy(
        "The camera needs a secure address: open the till as https://… (the shop's HTTPS "
        "address; its steps and certificate are on the page /network/trust) or, on this "
        "computer, as %(address)s."
    ),
    "till.camera.unsupported": lazy(
        "This browser cannot use a camera. Use a current Chrome, Edge, Firefox or Safari."
    ),
    "till.camera.denied": lazy(
        "The camera was not allowed. Allow it for this address in the browser's site settings "
        "(the icon left of the address), then press Camera again."
    ),
    "till.camera.none": lazy("No camera was found on this device."),
    "till.camera.busy": lazy(
        "The camera is busy: close the other program or tab using it, then press Camera again."
    ),
    "till.camera.failed": lazy("The camera could not start (%(error)s)."),
    "till.camera.not_product": lazy("That code is not a product code."),
    "till.camera.read": lazy("Read %(code)s"),
    "till.camera.starting": lazy("Starting the camera…"),
    "till.camera.reader_failed": lazy(
        "The barcode reader could not load (%(error)s); reload the page."
    ),
    "till.camera.hold": lazy("Hold a barcode or QR code in front of the camera."),
    "till.line.scale_label": lazy("scale label %(label)s"),
    "till.line.quantity_of": lazy("Quantity of %(name)s"),
    "till.line.remove": lazy("Remove %(name)s"),
    "till.line.edit": lazy("Price or discount of %(name)s (F7)"),
    "till.line.short": lazy("Only %(stock)s %(unit)s in stock"),
    "till.line.short_held": lazy("Only %(stock)s %(unit)s available (the rest is held for orders)"),
    "till.line.below_zero": lazy(
        "⚠ Only %(stock)s %(unit)s in stock: this sale takes stock below zero"
    ),
    "till.line.below_zero_held": lazy(
        "⚠ Only %(stock)s %(unit)s available (the rest is held for orders): this sale takes "
        "stock below zero"
    ),
    "till.line.expired_stock": lazy(
        "⚠ Expired stock on the shelf (%(stock)s %(unit)s): check the date"
    ),
    "till.line.discount": lazy("discount %(amount)s"),
    "till.line.price_format": lazy("The unit price is an amount like 45 or 45.50."),
    "till.pack.batch": lazy("batch %(batch)s"),
    "till.pack.expires": lazy("expires %(date)s"),
    "till.pack.expired": lazy("⚠ Expired batch (expired on %(date)s): check the pack"),
    "till.pack.expired_batch": lazy(
        "⚠ Expired batch %(batch)s (expired on %(date)s): check the pack"
    ),
    "till.totals.tax": lazy("Tax"),
    "till.totals.tax_included": lazy("Tax (included)"),
    "till.customer.credit_left": lazy("credit left %(amount)s"),
    "till.customer.credit_left_of": lazy("credit left %(amount)s of %(limit)s"),
    "till.customer.no_limit": lazy("no credit limit"),
    "till.customer.no_credit": lazy("credit limit %(limit)s — no credit allowed"),
    "till.customer.advance": lazy("Advance %(amount)s"),
    "till.customer.owes": lazy("Owes %(amount)s"),
    "till.customer.suggest_owes": lazy("owes %(amount)s"),
    "till.customer.no_match": lazy("No customer matches “%(query)s”. Enter adds a new one."),
    "till.customer.attached": lazy("Customer %(name)s attached to the bill."),
    "till.customer.attach_existing": lazy("Attach them instead"),
    "till.display.code_left": lazy("Works once, for %(time)s more."),
    "till.display.code_expired": lazy("This code has expired: get a new one."),
    "till.display.open_failed": lazy("The customer display did not open: %(error)s"),
    "till.held.untitled": lazy("Bill %(id)s"),
    "till.held.stale": lazy("older than today"),
    "till.held.recall": lazy("Recall"),
    "till.held.empty": lazy("The bill is empty: there is nothing to hold."),
    "till.held.label_prompt": lazy("Label for the held bill (optional):"),
    "till.held.held": lazy("Bill held. New bill started."),
    "till.held.held_as": lazy("Bill held: %(label)s. New bill started."),
    "till.held.busy": lazy("Hold or finish the current bill first."),
    "till.held.recalled": lazy("Recalled the held bill."),
    "till.held.recalled_as": lazy("Recalled %(label)s."),
    "till.bill.fix_quantity": lazy("Fix the quantity marked in red first."),
    "till.bill.empty_checkout": lazy("The bill is empty: scan an item first."),
    "till.bill.not_priced": lazy("The totals are not ready yet."),
    "till.bill.clear_confirm": lazy("Clear this bill? Its items will be removed."),
    "till.pay.change": lazy_p("money", "Change"),
    "till.pay.cash_to_take": lazy("Cash to take"),
    "till.pay.short_by": lazy("Short by"),
    "till.pay.exact": lazy("%(amount)s (exact)"),
    "till.pay.cash_format_short": lazy("An amount like 500 or 500.50."),
    "till.pay.cash_format": lazy("Cash tendered must be an amount like 500 or 500.50."),
    "till.pay.card_format": lazy("Card must be an amount like 100 or 100.50."),
    "till.pay.upi_format": lazy("UPI must be an amount like 100 or 100.50."),
    "till.pay.credit_format": lazy("Credit must be an amount like 100 or 100.50."),
    "till.pay.credit_no_customer": lazy("Credit needs a customer: attach one first (F4)."),
    "till.pay.over_total": lazy(
        "Card, UPI and credit together cannot exceed the total; only cash can."
    ),
    "till.pay.credit_needs_customer": lazy("Attach a customer to sell on credit"),
    "till.pay.credit_attach_first": lazy("Attach a customer first (F4) to sell on credit."),
    "till.pay.credit_left": lazy("Only %(amount)s of credit is left for %(name)s."),
    "till.pay.still_to_pay": lazy("%(amount)s still to pay."),
    "till.pay.no_credit_allowed": lazy(
        "%(name)s: credit limit %(limit)s — no credit allowed. %(due)s"
    ),
    "till.pay.no_credit_left": lazy("%(name)s has no credit left on the limit; %(due)s"),
    "till.pay.credit_capped": lazy(
        "%(amount)s on credit — the most %(name)s's limit allows; %(due)s"
    ),
    "till.pay.not_paid": lazy("Not paid yet — %(amount)s to go"),
    "till.pay.short": lazy("The payment is short by %(amount)s."),
    "till.pay.completing": lazy("Completing…"),
    "till.pay.complete": lazy("Complete sale"),
    "till.pay.completed": lazy("Sale %(number)s completed."),
    "till.scan.order_number": lazy("%(number)s is an order's number, not an item."),
    "till.scan.unknown": lazy("Unknown code: %(code)s"),
    "till.scan.search_failed": lazy("The search did not answer; try again."),
    "till.scan.no_match": lazy("No product matches “%(query)s”."),
    "till.scan.not_found": lazy("No product matches “%(query)s”"),
    "till.scan.label_twice": lazy("This label (%(name)s) is already on the bill."),
    "till.scan.prefix_help": lazy(
        "Type the quantity, then * and the item: 3*8901234567890, or 1.5* then scan."
    ),
    "till.scan.prefix_decimals": lazy("A quantity takes at most 3 decimals (1.5*, 0.250*)."),
    "till.scan.prefix_zero": lazy("The quantity before * must be more than zero."),
    "till.scan.prefix_max": lazy("At most %(max)s at a time."),
    "till.scan.prefix_pieces": lazy(
        "%(name)s is sold in whole pieces: %(qty)s is not a number of pieces."
    ),
    "till.scan.prefix_label": lazy(
        "A scale label is one package with its own weight: scan each package, without a quantity."
    ),
    "till.scan.prefix_hint": lazy("%(qty)s — scan the item"),
    "till.suggest.in_stock": lazy("%(stock)s %(unit)s in stock"),
    "till.suggest.available": lazy("%(stock)s %(unit)s available"),
    "till.suggest.out": lazy("out of stock"),
    "till.suggest.all_held": lazy("all held for orders"),
    "till.upi.utr_length": lazy("A UTR has 12 digits; this one has %(count)s."),
    "till.upi.reference_format": lazy(
        "A reference is a 12-digit UTR or up to 35 letters and digits."
    ),
    "till.upi.set_up": lazy("Set it up"),
    "display.cash": lazy("Cash"),
    "display.card": lazy("Card"),
    "display.upi": lazy("UPI"),
    "display.credit": lazy("On account"),
    "display.change": lazy_p("money", "Change"),
    "display.your_change": lazy("Your change: %(amount)s"),
    "display.reconnecting": lazy("Reconnecting to the till…"),
    "display.busy": lazy("Many displays are connected: this one refreshes every few seconds."),
    "receipt.printer_failed": lazy("The receipt printer failed (%(status)s)."),
    "receipt.no_answer": lazy("TillBook did not answer."),
    "receipt.print_instead": lazy("%(message)s The sale is saved; use “Print receipt” instead."),
    # end of the till
    # the shell
    "http.session_ended": lazy("Your session has ended. Reload the page and log in again."),
    "http.not_answering": lazy("TillBook is not answering. Is it still running?"),
    "http.broken_answer": lazy("The server sent a broken answer."),
    "http.went_wrong": lazy("Something went wrong."),
    "desktop.saved_opened": lazy("Saved to %(path)s and opened."),
    "desktop.open_failed": lazy("The document could not be opened: %(reason)s"),
    "dashboard.sales": lazy("Sales"),
    "dashboard.gross_profit": lazy("Gross profit"),
    "dashboard.quantity": lazy("Quantity"),
    "dashboard.amount": lazy("Amount"),
    "dashboard.none": lazy("None"),
    "dashboard.loaded": lazy("Figures loaded."),
    "dashboard.load_failed": lazy(
        "Could not load the figures (%(reason)s). Reload the page to try again."
    ),
    # settings, network and backups
    "backups.running": lazy("Backing up…"),
    "backups.running_percent": lazy("Backing up… %(percent)s"),
    "backups.downloading": lazy("Backup verified (%(size)s); downloading %(file)s."),
    "backups.written": lazy("Backup verified and written: %(path)s (%(size)s)."),
    "backups.failed": lazy("The backup failed: %(reason)s"),
    # import, export and audit
    "exports.writing_workbook": lazy("Writing the Excel workbook…"),
    "exports.writing_table": lazy("Writing %(file)s…"),
    "exports.done": lazy("Done: %(count)s CSV files and the workbook in %(folder)s / %(name)s."),
    "exports.stopped": lazy("Export stopped: %(reason)s"),
}
# key -> (singular, plural), with %(num)s for the count.
PLURALS: dict[str, tuple[str, str]] = {
    "common.items": lazy_plural("%(num)s item", "%(num)s items"),
}


def catalog() -> dict[str, str | dict[str, str]]:
    """Every script string in the request's language (plural forms as one/other)."""
    out: dict[str, str | dict[str, str]] = {key: str(value) for key, value in STRINGS.items()}
    # The forms straight from the catalog, unformatted: the page fills %(num)s and the other
    # places (Flask-Babel's ngettext would already have put a count in %(num)s).
    forms = get_translations()
    for key, (one, many) in PLURALS.items():
        out[key] = {"one": forms.ungettext(one, many, 1), "other": forms.ungettext(one, many, 2)}
    return out
