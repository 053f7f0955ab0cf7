"""URL converters shared by every blueprint."""

from __future__ import annotations

from werkzeug.routing import IntegerConverter

from posapp.models.base import ID_DIGITS

MAX_ID = 10**ID_DIGITS - 1  # the largest id a URL or a query may name


class IdConverter(IntegerConverter):
    """`<int:...>` of at most 18 digits: a longer number is no route (404), not a crash.

    SQLite raises OverflowError for integers beyond 64 bits, so `/products/99999999999999999999`
    used to answer 500. Limiting the pattern (rather than setting `max`) keeps the answer a 404
    for every method; werkzeug reports a converter's refusal as 405 when other methods exist.
    """

    regex = rf"\d{{1,{ID_DIGITS}}}"
