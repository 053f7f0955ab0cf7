"""Which language a document or a message to a customer speaks, and its words in it.

Flask-free, so a service (the khata reminder, an order's status message) and the renderers
(posapp/documents) share it. A document's words do not follow the person at the screen: they
follow the shop's setting `documents_language` (an invoice's snapshot keeps the one it was
issued with), or for a message to one customer that customer's own `language`. The catalogs
are read here directly (the same `.mo` files Flask-Babel reads), so no request is needed and a
cashier's Hindi screen cannot leak into an English invoice. Under "bilingual" a label comes
out as "English / हिन्दी", and a whole message as the English, then the Hindi (`compose`).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Any

from babel.support import NullTranslations, Translations

from posapp.config import bundled
from posapp.i18n import DEFAULT_LANGUAGE, DOCUMENT_LANGUAGES, LANGUAGES, LazyString, lazy

TRANSLATIONS = bundled("posapp", "translations")
BILINGUAL = "bilingual"
# The second language of a bilingual document, and what joins the two.
SECOND_LANGUAGE = "hi"
SEPARATOR = " / "

# The words a snapshot stores in English (services/issued.py: titles, the composition
# declaration), marked here so the catalogs hold them and a document prints them translated.
SNAPSHOT_WORDS = (
    lazy("TAX INVOICE"),
    lazy("BILL OF SUPPLY"),
    lazy("INVOICE"),
    lazy("RECEIPT"),
    lazy("CREDIT NOTE"),
    lazy("Composition taxable person, not eligible to collect tax on supplies"),
    lazy("GSTIN"),
    lazy("Tax No."),
)


def document_language(code: str | None) -> str:
    """A language a document can speak ("en", "hi", "mr", "bilingual"); English otherwise."""
    if code in DOCUMENT_LANGUAGES or code in LANGUAGES:
        return str(code)
    return DEFAULT_LANGUAGE


def customer_language(customer_language: str | None, shop_language: str) -> str:
    """The language of a message to one customer: their own, else the shop's documents'."""
    return document_language(customer_language or shop_language)


@lru_cache(maxsize=8)
def _catalog(language: str) -> NullTranslations:
    # Read once per process: the compiled catalogs ship with the app and change only with it.
    return Translations.load(str(TRANSLATIONS), [language], domain="messages")


def _fill(text: str, values: dict[str, Any]) -> str:
    return text % values if values else text


def both_languages(
    language: str,
    english: str,
    lookup: Callable[[NullTranslations], str],
    values: dict[str, Any],
) -> str:
    """The English text, its translation by `lookup`, or both joined (bilingual)."""
    language = document_language(language)
    if language == DEFAULT_LANGUAGE:
        return _fill(english, values)
    second = SECOND_LANGUAGE if language == BILINGUAL else language
    other = _fill(lookup(_catalog(second)), values)
    if language != BILINGUAL:
        return other
    english = _fill(english, values)
    # A word the same in both (GST, a name) is printed once.
    return english if other == english else english + SEPARATOR + other


def message_in(language: str, message: str, **values: Any) -> str:
    """`message` in a document's language, with `values` in its %(name)s places."""
    return both_languages(language, message, lambda catalog: catalog.gettext(message), values)


def pmessage_in(language: str, context: str, message: str, **values: Any) -> str:
    """`message` said in `context` (see `i18n.pgettext`) in a document's language."""
    return both_languages(
        language, message, lambda catalog: str(catalog.pgettext(context, message)), values
    )


def plural_in(language: str, singular: str, plural: str, n: int, /, **values: Any) -> str:
    """The singular or plural form for `n` in a document's language; %(num)s is `n`.

    Python code marks the pair where it is written: `plural_in(lang, *lazy_plural(a, b), n)`.
    """
    english = singular if n == 1 else plural
    return both_languages(
        language,
        english,
        lambda catalog: catalog.ngettext(singular, plural, n),
        {"num": n, **values},
    )


def translate(language: str, text: str | LazyString, **values: Any) -> str:
    """A marked message (`lazy("Total")`, so the catalogs find it), or stored English (a
    snapshot's title, a payment method's label), in a document's language; text the catalogs
    do not know comes back as it is."""
    if isinstance(text, LazyString):
        if text.context is not None:
            return pmessage_in(language, text.context, text.message, **{**text.values, **values})
        return message_in(language, text.message, **{**text.values, **values})
    return message_in(language, text, **values) if text else ""


def compose(language: str, write: Callable[[Callable[..., str]], str]) -> str:
    """A whole message (a reminder, a status text) in `language`: `write(say)` builds it with
    `say(lazy("..."), **values)`; under "bilingual" it is written in English, then in Hindi,
    one after the other (a sentence is not split into "English / हिन्दी" pieces)."""
    language = document_language(language)
    if language != BILINGUAL:
        return write(lambda text, **values: translate(language, text, **values))
    english = write(lambda text, **values: translate(DEFAULT_LANGUAGE, text, **values))
    hindi = write(lambda text, **values: translate(SECOND_LANGUAGE, text, **values))
    return english if hindi == english else english + "\n\n" + hindi
