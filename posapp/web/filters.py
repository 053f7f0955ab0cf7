"""The pages' template filters (the shared set of documents/filters.py), globals and theme."""

from __future__ import annotations

from flask import Flask, g, has_request_context, request
from flask_login import current_user

from posapp.documents.filters import make_filters, uses_devanagari
from posapp.extensions import db
from posapp.services import inventory
from posapp.vocabulary import labels
from posapp.web import shop_logo, shop_settings
from posapp.web.i18n import current_language

# static/js/theme.js writes it. A cookie, not localStorage: cookies belong to the host whatever
# the port, and the desktop app serves on a new random port (a new origin) at every start.
THEME_COOKIE = "tillbook_theme"
THEMES = ("light", "dark")
DEFAULT_THEME = "light"


def theme_from_cookie(value: str | None) -> str:
    """The theme to render <html> with: the cookie's when it is one we know, else light."""
    return value if value in THEMES else DEFAULT_THEME


def page_digits() -> bool:
    """Whether this page writes its numbers ०-९: the shop's `devanagari_digits` is on and the
    screen speaks Hindi or Marathi (an English screen never changes)."""
    return uses_devanagari(current_language(), shop_settings().devanagari_digits)


def register_filters(app: Flask) -> None:
    """Install filters and the context processor."""

    # The same filters as the PDFs'; a page's settings are the request's (cached in g).
    # A page showing a document (the till's receipt) writes its numbers as the document does
    # (`doc_digits`), whatever the screen's language.
    app.jinja_env.filters.update(
        make_filters(
            lambda _ctx: shop_settings(),
            lambda ctx: bool(ctx["doc_digits"]) if "doc_digits" in ctx else page_digits(),
        )
    )

    @app.before_request
    def forget_cached_shop() -> None:
        # g outlives a request when an app context was already pushed (tests, CLI), so the
        # per-request caches of shop_settings() and shop_logo() start empty at each request.
        g.pop("shop_settings", None)
        g.pop("shop_logo", None)

    @app.context_processor
    def inject() -> dict:
        return {
            "shop": shop_settings(),
            "current_user": current_user,
            "app_version": app.config["VERSION"],
            # On <html> from the first byte, so a dark page never flashes light.
            "theme": theme_from_cookie(
                request.cookies.get(THEME_COOKIE) if has_request_context() else None
            ),
            "zip": zip,
            "labels": labels,
            # On <html data-digits>: the page's scripts (static/js/lib/digits.js) write ०-९ too.
            "page_digits": page_digits,
            # Called by pages that print the logo (receipt, settings), so others read no file.
            "shop_logo": shop_logo,
            # Called by the navbar for admins only, so other pages pay no query.
            "low_stock_badge": lambda: inventory.low_stock_count(db.session),
        }
