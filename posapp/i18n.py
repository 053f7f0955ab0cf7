"""Translation for every layer: the marks (`_`, `ngettext`, `lazy`) and the languages spoken.

Messages are written in English in the code and looked up in `posapp/translations/<lang>/`
(gettext catalogs, extracted with Babel: `python app.py i18n extract`). The marks sit at the
bottom of the import order, beside `errors`, so services stay free of Flask: until the app
installs Flask-Babel's lookup (`install`), a mark returns the English text, and outside a
request (the command line, a background job) the lookup falls back to the default language.

A message with values is written with named placeholders and the values passed to the mark,
`_("Not enough stock of %(name)s.", name=product.name)`, so a translation can put them in its
own word order; counts go through `ngettext`, never "customer(s)".
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

# The languages of the screens, in their own script (what a person looks for in a list).
LANGUAGES: dict[str, str] = {"en": "English", "hi": "हिन्दी", "mr": "मराठी"}
DEFAULT_LANGUAGE = "en"
# The languages of issued documents: one, or English and Hindi on the same page.
DOCUMENT_LANGUAGES: dict[str, str] = {
    "en": "English",
    "hi": "हिन्दी (Hindi)",
    "bilingual": "English + हिन्दी",
}

_gettext: Callable[[str], str] = lambda message: message  # noqa: E731
_pgettext: Callable[[str, str], str] = lambda context, message: message  # noqa: E731
_ngettext: Callable[[str, str, int], str] = lambda one, many, n: one if n == 1 else many  # noqa: E731


def install(
    gettext: Callable[[str], str],
    ngettext_: Callable[[str, str, int], str],
    pgettext_: Callable[[str, str], str] | None = None,
) -> None:
    """Route the marks to a real lookup (Flask-Babel's, which knows the request's language)."""
    global _gettext, _ngettext, _pgettext
    _gettext, _ngettext = gettext, ngettext_
    if pgettext_ is not None:
        _pgettext = pgettext_


def _(message: str, **values: Any) -> str:
    """The message in the current language, with `values` put in its %(name)s places."""
    text = _gettext(message)
    return text % values if values else text


def pgettext(context: str, message: str, **values: Any) -> str:
    """A message whose English is said of different things ("Change": money back, or a
    button), told apart by `context` so each gets its own translation."""
    text = _pgettext(context, message)
    return text % values if values else text


def ngettext(singular: str, plural: str, count: int, **values: Any) -> str:
    """The singular or plural form for `count` in the current language; %(num)s is the count."""
    return _ngettext(singular, plural, count) % {"num": count, **values}


class LazyString:
    """A message looked up when it is shown, not when it is defined (module-level labels)."""

    __slots__ = ("context", "message", "values")

    def __init__(self, message: str, context: str | None = None, **values: Any) -> None:
        self.message = message
        self.context = context
        self.values = values

    def __str__(self) -> str:
        if self.context is not None:
            return pgettext(self.context, self.message, **self.values)
        return _(self.message, **self.values)

    def __html__(self) -> str:
        from markupsafe import escape

        return str(escape(str(self)))

    def __repr__(self) -> str:
        return f"lazy({self.message!r})"

    def __eq__(self, other: object) -> bool:
        return str(self) == str(other)

    def __hash__(self) -> int:
        return hash(self.message)


def lazy(message: str, **values: Any) -> LazyString:
    """Mark a message defined at import time; it is translated each time it is shown."""
    return LazyString(message, **values)


def lazy_p(context: str, message: str) -> LazyString:
    """`lazy` for a message told apart by a context (see `pgettext`)."""
    return LazyString(message, context)


def lazy_plural(singular: str, plural: str) -> tuple[str, str]:
    """Mark a singular and plural pair defined at import time (for `ngettext` when shown)."""
    return singular, plural


def language_of(code: str | None) -> str:
    """A supported language code, or the default for anything else."""
    return code if code in LANGUAGES else DEFAULT_LANGUAGE
