"""Business dates typed by people: one parser, and the range every platform can convert.

A filter's day becomes local midnight in UTC via datetime.astimezone(), which on Windows
raises OSError for moments before the 1970 epoch or past the year 3000 (and everywhere,
date.max + 1 day overflows). 1970-01-01 itself is refused too: its local midnight is still
1969 in UTC east of Greenwich (India: 1969-12-31 18:30 UTC).
"""

from __future__ import annotations

import re
from datetime import date
from functools import lru_cache

from babel import Locale, UnknownLocaleError
from babel.dates import format_skeleton

from posapp.errors import ValidationError
from posapp.i18n import LazyString, lazy

FIRST_DAY = date(1970, 1, 2)
LAST_DAY = date(2999, 12, 31)
FORMAT_MESSAGE = lazy("Dates are YYYY-MM-DD.")
RANGE_MESSAGE = lazy("Dates from 1970 to 2999 only (1970-01-02 to 2999-12-31).")
FALLBACK_LOCALE = "en_IN"
_FIELDS = {"d": "%d", "M": "%m", "y": "%Y"}


@lru_cache(maxsize=16)
def _date_style(locale: str) -> tuple[tuple[str, ...], str]:
    """The locale's order of day, month and year ("d", "M", "y") and its separator."""
    try:
        parsed = Locale.parse(locale)
    except (ValueError, TypeError, UnknownLocaleError):
        parsed = Locale.parse(FALLBACK_LOCALE)
    pattern = parsed.date_formats["short"].pattern
    runs = [(m.group(0)[0], m.start(), m.end()) for m in re.finditer(r"d+|M+|y+", pattern)]
    order = tuple(letter for letter, _, _ in runs)
    if sorted(order) != ["M", "d", "y"]:
        return ("d", "M", "y"), "-"
    separator = pattern[runs[0][2] : runs[1][1]].strip() or "-"
    if "'" in separator or re.search(r"[A-Za-z]", separator) or parsed.territory == "IN":
        separator = "-"
    return order, separator


def date_format(locale: str) -> str:
    """The strftime pattern of a calendar day as the shop's locale writes it.

    The order of day, month and year and the separator are the locale's (CLDR's short date:
    en_US 12/31/2026, de_DE 31.12.2026, ja_JP 2026/12/31); the day and month always have two
    digits and the year four, so a column of dates lines up and no year is ambiguous. Indian
    locales write DD-MM-YYYY: the dash is how Indian bills and registers date things, where
    CLDR has a slash.
    """
    order, separator = _date_style(locale)
    return separator.join(_FIELDS[letter] for letter in order)


def day_month_format(locale: str) -> str:
    """A day without its year, for a chart's axis of recent days ("06-12" in India)."""
    order, separator = _date_style(locale)
    return separator.join(_FIELDS[letter] for letter in order if letter != "y")


def date_time_format(locale: str) -> str:
    """A moment's strftime pattern: the locale's day, then the 24-hour time."""
    return f"{date_format(locale)} %H:%M"


def month_label(month: str, locale: str) -> str:
    """A "YYYY-MM" month as people read it in the locale ("Nov 2026"); as given if not one."""
    try:
        first = date.fromisoformat(f"{month}-01")
        return format_skeleton("yMMM", first, locale=locale)
    except (ValueError, TypeError, UnknownLocaleError):
        return month


def check_day(day: date, field: str) -> date:
    """Return the day if it lies in 1970-01-02..2999-12-31, else refuse it for `field`."""
    if not FIRST_DAY <= day <= LAST_DAY:
        raise ValidationError(str(RANGE_MESSAGE), field=field, code="date_out_of_range")
    return day


def parse_day(text: str, field: str, format_message: str | LazyString = FORMAT_MESSAGE) -> date:
    """Read a YYYY-MM-DD day a person typed; refuse unreadable and out-of-range days."""
    try:
        day = date.fromisoformat(text.strip())
    except ValueError:
        raise ValidationError(str(format_message), field=field) from None
    return check_day(day, field)


def optional_day(value: object, field: str, date_part: bool = False) -> date | None:
    """None for an absent or blank value, else parse_day of it.

    With `date_part`, only the first ten characters count: a list filter fed a timestamp
    (2026-04-01T10:30) means its day, as the invoice list has always read it.
    """
    text = "" if value is None else str(value).strip()
    if not text:
        return None
    return parse_day(text[:10] if date_part else text, field)


def day_or_none(text: str, field: str) -> date | None:
    """A filter's day read leniently: None when unreadable, refused only when out of range.

    An unreadable day filters nothing rather than failing the page (the audit log), but a
    readable one the clock cannot convert still gets RANGE_MESSAGE.
    """
    try:
        day = date.fromisoformat(text.strip()[:10])
    except ValueError:
        return None
    return check_day(day, field)
