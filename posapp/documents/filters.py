"""The one set of Jinja filters, registered in both environments (pages and PDFs).

A filter formats the same way wherever it is used: `percent` is "5%", "12.5%" or "0.25%" on a
page and on an invoice, `localtime` is a date and time, `localdate` and `day` a date, all in
the locale's date style (DD-MM-YYYY in India). Only where the shop's settings come from
differs: a page reads the request's settings, a PDF the settings it was rendered with;
`make_filters` takes that lookup. So does whether the digits are written ०-९ (the setting
`devanagari_digits`, for a Hindi or Marathi screen or a Hindi document): the same filter then
writes ₹१,२५,०००.०० instead of ₹1,25,000.00, grouped the same way.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from typing import Any, Protocol

from babel import Locale
from babel.numbers import format_decimal
from jinja2 import pass_context
from markupsafe import Markup, escape

from posapp.dates import date_format, date_time_format, month_label
from posapp.models.base import to_local
from posapp.money import devanagari_digits, format_money, format_qty, money_str
from posapp.services import ledger
from posapp.services.customers import display_phone


class Formats(Protocol):
    """What numbers are printed with: the shop's settings, or an issued document's snapshot."""

    currency: str
    locale: str


SettingsFor = Callable[[Any], Formats]
# Whether a template's numbers are written with Devanagari digits, from its context.
DigitsFor = Callable[[Any], bool]
# The languages whose numbers the setting `devanagari_digits` writes ०-९. A bilingual
# document shares its numbers with its English half: they stay 0-9.
DEVANAGARI_LANGUAGES = ("hi", "mr")


def uses_devanagari(language: str, setting: bool) -> bool:
    """Whether numbers shown in `language` are written ०-९: the setting is on and the
    language is Hindi or Marathi."""
    return setting and language in DEVANAGARI_LANGUAGES


def in_digits(text: str, devanagari: bool) -> str:
    """Formatted text as shown: with ०-९ for its digits when `devanagari`, else unchanged."""
    return devanagari_digits(text) if devanagari else text


def _latin(_ctx: Any) -> bool:
    return False


@lru_cache(maxsize=8)
def _amount_format(locale: str) -> str:
    """The locale's own number pattern with exactly 2 decimals ("#,##,##0.00" for en_IN)."""
    # A fixed "#,##0.00" would group 1,25,000 as 125,000: the grouping is the locale's.
    pattern = Locale.parse(locale).decimal_formats[None].pattern
    grouping = re.search(r"[#,]*0", pattern)
    return (grouping.group(0) if grouping else "#,##0") + ".00"


def amount_text(minor: int, locale: str) -> str:
    """A money amount without the currency symbol, grouped the locale's way (1,23,456.50)."""
    return format_decimal(Decimal(minor).scaleb(-2), format=_amount_format(locale), locale=locale)


def percent_text(bp: int | Decimal) -> str:
    """Basis points as a percentage without trailing zeros: "5%", "12.5%", "0.25%"."""
    text = f"{Decimal(bp) / 100:f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text + "%"


def size_text(size: int) -> str:
    """A file size the way the backup page's messages say it: "12.3 MB", or "640 KB" under 1 MB."""
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.1f} MB"
    return f"{-(-size // 1024)} KB"  # rounded up, as static/js/backups.js does


def lines_br(text: str | None) -> Markup:
    """Escape multi-line user text and keep its line breaks."""
    lines = [line.strip() for line in (text or "").splitlines() if line.strip()]
    return Markup("<br/>").join(escape(line) for line in lines)


def localtime(
    moment: datetime | None, locale: str, *, seconds: bool = False, day: bool = True
) -> str:
    """A stored UTC time as the shop's local date and time, the locale's way; empty for none.

    `day=False` gives the time alone (a list that shows the date in its own column).
    """
    if not moment:
        return ""
    return wall_clock(to_local(moment), locale, seconds=seconds, day=day)


def wall_clock(
    moment: datetime | None, locale: str, *, seconds: bool = False, day: bool = True
) -> str:
    """A moment already in the shop's local time (a backup file's stamp) the same way."""
    if not moment:
        return ""
    fmt = (date_time_format(locale) if day else "%H:%M") + (":%S" if seconds else "")
    return moment.strftime(fmt)


def day_text(day: date | None, locale: str) -> str:
    """A calendar day (a report's row, an expense's day) in the same style as localdate."""
    return day.strftime(date_format(locale)) if day else ""


def localdate(moment: datetime | None, locale: str) -> str:
    """A stored UTC time as the shop's local date; empty for none."""
    return to_local(moment).strftime(date_format(locale)) if moment else ""


def make_filters(
    settings_for: SettingsFor, digits_for: DigitsFor = _latin
) -> dict[str, Callable[..., Any]]:
    """The filters, reading the shop's currency and locale through `settings_for(context)`
    and whether to write ०-९ through `digits_for(context)`."""

    def shown(ctx: Any, text: str) -> str:
        return in_digits(text, digits_for(ctx))

    @pass_context
    def money(ctx: Any, minor: int | None) -> str:
        """An amount with the currency, the locale's way (₹1,23,456.50)."""
        if minor is None:
            return ""
        settings = settings_for(ctx)
        return shown(ctx, format_money(minor, settings.currency, settings.locale))

    @pass_context
    def amount(ctx: Any, minor: int | None) -> str:
        """An amount without the currency symbol, for table columns (1,23,456.50)."""
        return "" if minor is None else shown(ctx, amount_text(minor, settings_for(ctx).locale))

    @pass_context
    def qty(ctx: Any, milli: int, unit: str = "pcs") -> str:
        """A quantity in its unit's precision, the locale's way."""
        return shown(ctx, format_qty(milli, unit, settings_for(ctx).locale))

    @pass_context
    def percent(ctx: Any, bp: int | Decimal) -> str:
        """Basis points as a percentage without trailing zeros ("12.5%")."""
        return shown(ctx, percent_text(bp))

    @pass_context
    def digits(ctx: Any, value: object) -> str:
        """A count or other number already written (a bill's line number) as shown."""
        return shown(ctx, str(value))

    @pass_context
    def credit_words(ctx: Any, limit: int | None, owed: int = 0) -> str:
        """A credit limit in plain words: "no credit limit", "credit left ₹250.00 of …"."""
        settings = settings_for(ctx)
        return ledger.credit_words(
            limit,
            owed,
            lambda minor: shown(ctx, format_money(minor, settings.currency, settings.locale)),
        )

    @pass_context
    def localtime_filter(
        ctx: Any, moment: datetime | None, seconds: bool = False, day: bool = True
    ) -> str:
        """A stored UTC time as the shop's local date and time (with seconds if asked)."""
        return shown(ctx, localtime(moment, settings_for(ctx).locale, seconds=seconds, day=day))

    @pass_context
    def clocktime_filter(ctx: Any, moment: datetime | None) -> str:
        """A moment already in local time, with seconds (backup files' stamps)."""
        return shown(ctx, wall_clock(moment, settings_for(ctx).locale, seconds=True))

    @pass_context
    def localdate_filter(ctx: Any, moment: datetime | None) -> str:
        """A stored UTC time as the shop's local date."""
        return shown(ctx, localdate(moment, settings_for(ctx).locale))

    @pass_context
    def day_filter(ctx: Any, day: date | None) -> str:
        """A calendar day in the locale's date style."""
        return shown(ctx, day_text(day, settings_for(ctx).locale))

    @pass_context
    def month_filter(ctx: Any, month: str) -> str:
        """A "YYYY-MM" month as a label ("Nov 2026")."""
        return shown(ctx, month_label(month, settings_for(ctx).locale))

    return {
        "money": money,
        "credit_words": credit_words,
        "amount": amount,
        "money_plain": money_str,  # a form field's value: "1234.50", no grouping
        "qty": qty,
        "percent": percent,
        "digits": digits,
        "localtime": localtime_filter,
        "localdate": localdate_filter,
        "clocktime": clocktime_filter,
        "day": day_filter,
        "month": month_filter,
        "lines_br": lines_br,
        "size": size_text,
        "phone": display_phone,
    }
