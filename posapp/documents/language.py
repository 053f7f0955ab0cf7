"""The language an issued document speaks: English, Hindi, or both ("Total / कुल").

A document's words do not follow the person at the screen: they follow the shop's setting
`documents_language` (for an invoice or credit note, the one in its snapshot, so a reprint
speaks as it was issued), or for a message to one customer that customer's own `language`.
The catalogs are read here directly (the same `.mo` files Flask-Babel reads), so rendering
needs no request and a cashier's Hindi screen cannot leak into an English invoice.

Templates mark their words as pages do, `{{ _("Total") }}`, so the catalogs' extraction finds
them; the PDF environment's `_` and `ngettext` (installed by `install`) read the language from
the template's context. Under "bilingual" each message comes out as "English / हिन्दी".
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Any

from babel.support import NullTranslations, Translations
from jinja2 import Environment, pass_context, pass_eval_context
from jinja2.nodes import EvalContext
from markupsafe import Markup

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


def _both(
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
    return _both(language, message, lambda catalog: catalog.gettext(message), values)


def plural_in(language: str, singular: str, plural: str, count: int, **values: Any) -> str:
    """The singular or plural form for `count` in a document's language; %(num)s is `count`.

    Python code marks the pair where it is written: `plural_in(lang, *lazy_plural(a, b), n)`.
    """
    english = singular if count == 1 else plural
    return _both(
        language,
        english,
        lambda catalog: catalog.ngettext(singular, plural, count),
        {"num": count, **values},
    )


def translate(language: str, text: str | LazyString, **values: Any) -> str:
    """A marked message (`lazy("Total")`, so the catalogs find it), or stored English (a
    snapshot's title, a payment method's label), in a document's language; text the catalogs
    do not know comes back as it is."""
    if isinstance(text, LazyString):
        return message_in(language, text.message, **{**text.values, **values})
    return message_in(language, text, **values) if text else ""


def language_in(ctx: Any) -> str:
    """The language of the document a template renders: its own `document_language`, else
    its snapshot's (`formats`, an issued document), else the shop's setting."""
    if "document_language" in ctx:
        return document_language(ctx["document_language"])
    if "formats" in ctx:
        return document_language(getattr(ctx["formats"], "language", DEFAULT_LANGUAGE))
    if "doc" in ctx and hasattr(ctx["doc"], "layout"):
        return document_language(ctx["doc"].layout.language)
    settings = ctx.get("settings")
    return document_language(getattr(settings, "documents_language", DEFAULT_LANGUAGE))


@pass_context
def _template_gettext(ctx: Any, message: str) -> str:
    # Jinja's newstyle gettext fills the placeholders (escaped) after this returns.
    return message_in(language_in(ctx), message)


@pass_context
def _template_ngettext(ctx: Any, singular: str, plural: str, count: int) -> str:
    # Placeholders stay: Jinja fills them (escaped) after this returns.
    return _both(
        language_in(ctx),
        singular if count == 1 else plural,
        lambda catalog: catalog.ngettext(singular, plural, count),
        {},
    )


@pass_context
def _template_translate(ctx: Any, text: str | LazyString) -> str:
    return translate(language_in(ctx), text)


def install(env: Environment) -> None:
    """Give the PDF templates `_`, `ngettext` and `{% trans %}` in each document's language,
    and `translated(text)` for English words that come from data (a snapshot's title)."""
    env.add_extension("jinja2.ext.i18n")
    env.install_gettext_callables(  # type: ignore[attr-defined]
        _template_gettext, _template_ngettext, newstyle=True
    )
    env.globals["translated"] = _template_translate


def page_marks(language: str) -> dict[str, Callable[..., Any]]:
    """Marks for the part of a page that is a document (the till's receipt): the template sets
    `{% set _ = doc_gettext %}` (and `gettext`, `ngettext` for `{% trans %}`) around it, so
    its words speak `language` while the page's own buttons speak the screen's."""

    @pass_eval_context
    def doc_gettext(eval_ctx: EvalContext, message: str, **values: Any) -> str:
        text = message_in(language, message)
        # As Jinja's newstyle gettext: the translation is trusted, the values escaped.
        return (Markup(text) if eval_ctx.autoescape else text) % values  # noqa: S704

    @pass_eval_context
    def doc_ngettext(
        eval_ctx: EvalContext, singular: str, plural: str, num: int, **values: Any
    ) -> str:
        text = _both(
            language,
            singular if num == 1 else plural,
            lambda catalog: catalog.ngettext(singular, plural, num),
            {},
        )
        trusted = Markup(text) if eval_ctx.autoescape else text  # noqa: S704
        return trusted % {"num": num, **values}

    return {
        "doc_gettext": doc_gettext,
        "doc_ngettext": doc_ngettext,
        "doc_translated": lambda text: translate(language, text),
    }
