"""The notes TillBook writes itself on ledger entries, payments and stock movements.

They are stored in English, as data: exports, the API and other apps read the same words
whoever was logged in. They are shown in the reader's language: `shown` recognises a stored
note by its form ("Credit note CN2026-000001") and says it again with the catalogs
("क्रेडिट नोट CN2026-000001"); a note a person typed comes back as it is. Writers build a note
with `written`, from the same forms, so what is stored is always what `shown` can read.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from posapp.i18n import LazyString, lazy

CREDIT_NOTE = lazy("Credit note %(number)s")
REFUND = lazy("Refund: Credit note %(number)s")
STORE_CREDIT = lazy("Store credit: Credit note %(number)s")
RETURN_AGAINST = lazy("Return against %(number)s")
VOID = lazy("Void: %(reason)s")
OPENING_BALANCE = lazy("Opening balance")
OPENING_BALANCE_IMPORTED = lazy("Opening balance as of %(day)s (imported)")
OPENING_STOCK_AS_OF = lazy("Opening stock as of %(day)s")

FORMS: tuple[LazyString, ...] = (
    CREDIT_NOTE,
    REFUND,
    STORE_CREDIT,
    RETURN_AGAINST,
    VOID,
    OPENING_BALANCE,
    OPENING_BALANCE_IMPORTED,
    OPENING_STOCK_AS_OF,
)
PLACE = re.compile(r"%\((\w+)\)s")


def _pattern(form: LazyString) -> re.Pattern[str]:
    parts = PLACE.split(form.message)
    # split() alternates text and placeholder names: even pieces are literal text.
    regex = "".join(
        re.escape(piece) if i % 2 == 0 else f"(?P<{piece}>.+?)" for i, piece in enumerate(parts)
    )
    return re.compile(regex + r"\Z", re.S)


PATTERNS: tuple[tuple[LazyString, re.Pattern[str]], ...] = tuple((f, _pattern(f)) for f in FORMS)


def written(form: LazyString, **values: Any) -> str:
    """The stored (English) note of `form` with its values."""
    return form.message % values if values else form.message


def shown(note: str | None, say: Callable[..., str] | None = None) -> str:
    """A stored note as the reader should see it: a form of ours in their language (`say`,
    default the current language's `_`; documents pass their own), anything else as stored."""
    text = note or ""
    for form, pattern in PATTERNS:
        found = pattern.match(text)
        if found:
            values = found.groupdict()
            if say is not None:
                return say(form, **values)
            return str(LazyString(form.message, **values))
    return text
