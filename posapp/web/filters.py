"""Template filters and globals: money, quantities, percentages, local times and the theme."""

from __future__ import annotations

from datetime import datetime

from flask import Flask, g, has_request_context, request
from flask_login import current_user

from posapp.extensions import db
from posapp.models.base import to_local
from posapp.money import format_money, format_qty, money_str, percent_str
from posapp.services import inventory
from posapp.services.customers import display_phone
from posapp.vocabulary import labels
from posapp.web import shop_logo, shop_settings

# static/js/theme.js writes it. A cookie, not localStorage: cookies belong to the host whatever
# the port, and the desktop app serves on a new random port (a new origin) at every start.
THEME_COOKIE = "tillbook_theme"
THEMES = ("light", "dark")
DEFAULT_THEME = "light"


def theme_from_cookie(value: str | None) -> str:
    """The theme to render <html> with: the cookie's when it is one we know, else light."""
    return value if value in THEMES else DEFAULT_THEME


def register_filters(app: Flask) -> None:
    """Install filters and the context processor."""

    @app.template_filter("money")
    def money_filter(minor: int | None) -> str:
        if minor is None:
            return ""
        settings = shop_settings()
        return format_money(minor, settings.currency, settings.locale)

    @app.template_filter("money_plain")
    def money_plain_filter(minor: int) -> str:
        return money_str(minor)

    @app.template_filter("phone")
    def phone_filter(e164: str) -> str:
        return display_phone(e164)

    @app.template_filter("qty")
    def qty_filter(milli: int, unit: str = "pcs") -> str:
        return format_qty(milli, unit, shop_settings().locale)

    @app.template_filter("percent")
    def percent_filter(bp: int) -> str:
        return percent_str(bp).removesuffix(".00") + "%"

    @app.template_filter("localtime")
    def localtime_filter(moment: datetime | None, fmt: str = "%d-%m-%Y %H:%M") -> str:
        return to_local(moment).strftime(fmt) if moment else ""

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
            # Called by pages that print the logo (receipt, settings), so others read no file.
            "shop_logo": shop_logo,
            # Called by the navbar for admins only, so other pages pay no query.
            "low_stock_badge": lambda: inventory.low_stock_count(db.session),
        }
