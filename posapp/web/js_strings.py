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
