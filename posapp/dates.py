"""Business dates typed by people: one parser, and the range every platform can convert.

A filter's day becomes local midnight in UTC via datetime.astimezone(), which on Windows
raises OSError for moments before the 1970 epoch or past the year 3000 (and everywhere,
date.max + 1 day overflows). 1970-01-01 itself is refused too: its local midnight is still
1969 in UTC east of Greenwich (India: 1969-12-31 18:30 UTC).
"""

from __future__ import annotations

from datetime import date

from posapp.errors import ValidationError

FIRST_DAY = date(1970, 1, 2)
LAST_DAY = date(2999, 12, 31)
FORMAT_MESSAGE = "Dates are YYYY-MM-DD."
RANGE_MESSAGE = "Dates from 1970 to 2999 only (1970-01-02 to 2999-12-31)."


def check_day(day: date, field: str) -> date:
    """Return the day if it lies in 1970-01-02..2999-12-31, else refuse it for `field`."""
    if not FIRST_DAY <= day <= LAST_DAY:
        raise ValidationError(RANGE_MESSAGE, field=field, code="date_out_of_range")
    return day


def parse_day(text: str, field: str, format_message: str = FORMAT_MESSAGE) -> date:
    """Read a YYYY-MM-DD day a person typed; refuse unreadable and out-of-range days."""
    try:
        day = date.fromisoformat(text.strip())
    except ValueError:
        raise ValidationError(format_message, field=field) from None
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
