"""The templates' side of a document's language: English, Hindi, or both ("Total / कुल").

Which language, and the words in it, come from posapp/services/document_language.py. Templates
mark their words as pages do, `{{ _("Total") }}`, so the catalogs' extraction finds them; the
PDF environment's `_` and `ngettext` (installed by `install`) read the language from the
template's context. Under "bilingual" each message comes out as "English / हिन्दी".
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from jinja2 import Environment, pass_context, pass_eval_context
from jinja2.nodes import EvalContext
from markupsafe import Markup

from posapp.i18n import DEFAULT_LANGUAGE, LazyString
from posapp.services import system_notes
from posapp.services.document_language import (
    BILINGUAL,
    SEPARATOR,
    both_languages,
    customer_language,
    document_language,
    message_in,
    plural_in,
    pmessage_in,
    translate,
)

__all__ = [
    "BILINGUAL",
    "SEPARATOR",
    "customer_language",
    "document_language",
    "install",
    "language_in",
    "message_in",
    "page_marks",
    "plural_in",
    "pmessage_in",
    "translate",
]


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
    return both_languages(
        language_in(ctx),
        singular if count == 1 else plural,
        lambda catalog: catalog.ngettext(singular, plural, count),
        {},
    )


@pass_context
def _template_pgettext(ctx: Any, context: str, message: str) -> str:
    return pmessage_in(language_in(ctx), context, message)


@pass_context
def _template_translate(ctx: Any, text: str | LazyString) -> str:
    return translate(language_in(ctx), text)


@pass_context
def _template_note(ctx: Any, note: str | None) -> str:
    language = language_in(ctx)
    return system_notes.shown(note, lambda form, **values: translate(language, form, **values))


def install(env: Environment) -> None:
    """Give the PDF templates `_`, `ngettext` and `{% trans %}` in each document's language,
    and `translated(text)` for English words that come from data (a snapshot's title)."""
    env.add_extension("jinja2.ext.i18n")
    env.install_gettext_callables(  # type: ignore[attr-defined]
        _template_gettext, _template_ngettext, newstyle=True, pgettext=_template_pgettext
    )
    env.globals["translated"] = _template_translate
    env.globals["note_text"] = _template_note


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
        text = both_languages(
            language,
            singular if num == 1 else plural,
            lambda catalog: catalog.ngettext(singular, plural, num),
            {},
        )
        trusted = Markup(text) if eval_ctx.autoescape else text  # noqa: S704
        return trusted % {"num": num, **values}

    @pass_eval_context
    def doc_pgettext(eval_ctx: EvalContext, context: str, message: str, **values: Any) -> str:
        text = pmessage_in(language, context, message)
        return (Markup(text) if eval_ctx.autoescape else text) % values  # noqa: S704

    return {
        "doc_gettext": doc_gettext,
        "doc_pgettext": doc_pgettext,
        "doc_ngettext": doc_ngettext,
        "doc_translated": lambda text: translate(language, text),
    }
