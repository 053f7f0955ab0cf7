"""URL converters shared by every blueprint."""

from __future__ import annotations

from werkzeug.routing import IntegerConverter

MAX_ID = 10**18 - 1  # 18 digits: inside the 64-bit integers of SQLite and PostgreSQL BIGINT


class IdConverter(IntegerConverter):
    """`<int:...>` of at most 18 digits: a longer number is no route (404), not a crash.

    SQLite raises OverflowError for integers beyond 64 bits, so `/products/99999999999999999999`
    used to answer 500. Limiting the pattern (rather than setting `max`) keeps the answer a 404
    for every method; werkzeug reports a converter's refusal as 405 when other methods exist.
    """

    regex = r"\d{1,18}"
