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
