"""The request's language: Flask-Babel wired to TillBook's users, browsers and documents.

The screens speak the logged-in user's language (My account), else the browser's best match
among `i18n.LANGUAGES` (the login page), else English. Issued documents choose their own
language (a shop setting) with `flask_babel.force_locale`. The page's scripts read their strings
from a catalog embedded in the page (`js_catalog`), translated like the rest.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, g, request
from flask_babel import Babel, get_locale, get_translations, gettext, refresh
from flask_login import current_user

from posapp import i18n
from posapp.config import bundled
from posapp.services import system_notes

babel = Babel()
TRANSLATIONS = bundled("posapp", "translations")


def _token_user() -> Any:
    """The caller of an API request made with a bearer token (None for any other request)."""
    try:
        if request.blueprint != "api" or g.get("api_token_id") is None:
            return None
    except RuntimeError:  # outside a request
        return None
    return g.get("api_user")


def select_language() -> str:
    """The user's own language, else the browser's, else English.

    A script calling the API with a bearer token is answered in the language its request
    asks for (Accept-Language), else its token user's: a script states its language per call,
    while the screens (and the API calls their scripts make with the session cookie) speak
    the language the person chose on My account.
    """
    token_user = _token_user()
    if token_user is not None:
        asked = request.accept_languages.best_match(list(i18n.LANGUAGES))
        own = getattr(token_user, "language", "")
        return asked or (own if own in i18n.LANGUAGES else i18n.DEFAULT_LANGUAGE)
    try:
        chosen = getattr(current_user, "language", "") if current_user else ""
    except RuntimeError:  # outside a request: no user
        chosen = ""
    if chosen in i18n.LANGUAGES:
        return str(chosen)
    try:
        best = request.accept_languages.best_match(list(i18n.LANGUAGES))
    except RuntimeError:
        best = None
    return best or i18n.DEFAULT_LANGUAGE


def current_language() -> str:
    """The code of the language this request speaks ("en", "hi", ...)."""
    return i18n.language_of(str(get_locale() or i18n.DEFAULT_LANGUAGE).split("_")[0])


def stored_text(value: object) -> str:
    """Stored English the catalogs may know (a default setting), in the request's language."""
    text = str(value or "")
    return str(get_translations().ugettext(text)) if text else ""


def init_app(app: Flask) -> None:
    """Bind Flask-Babel and route the marks of every layer to it."""
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(TRANSLATIONS))
    app.config.setdefault("BABEL_DEFAULT_LOCALE", i18n.DEFAULT_LANGUAGE)
    babel.init_app(app, locale_selector=select_language)
    # {% trans %} blocks are looked up as extracted: whitespace trimmed (catalogs.OPTIONS).
    app.jinja_env.policies["ext.i18n.trimmed"] = True
    # The plural lookup without Flask-Babel's own %(num)s filling: i18n.ngettext fills the
    # count and any other values in one go (and the scripts' plural forms keep their place).
    i18n.install(
        gettext,
        lambda one, many, n: get_translations().ungettext(one, many, n),
        lambda context, message: get_translations().upgettext(context, message),
    )

    # Stored text a shop may have left as shipped (the receipt footer): the catalogs' words for
    # it in this request's language, a shop's own words as they are. Never `_()` on stored
    # text: Jinja's `_` marks its result safe and %-formats it.
    app.jinja_env.filters["stored_text"] = stored_text
    # The notes the app writes (services/system_notes.py), in the reader's language.
    app.jinja_env.filters["note_text"] = system_notes.shown

    # Flask-Babel keeps the language it chose on the app context, which a request shares with
    # an enclosing one (tests, a page rendered inside a job): choose afresh for each request.
    app.before_request(refresh)

    @app.context_processor
    def languages() -> dict[str, Any]:
        from posapp.web.js_strings import catalog

        return {
            "current_language": current_language(),
            "languages": i18n.LANGUAGES,
            "js_catalog": catalog,
        }
