"""Every request limit, once: the parsers enforce them and the API's schemas document them.

The pydantic models of posapp/api/schemas.py read these values for their `max_length`/`le`
constraints, and tests/api/test_schema_limits.py checks the generated OpenAPI document
against them, so a limit cannot drift between what is refused and what is documented.
"""

from __future__ import annotations

from typing import Final

from posapp.errors import ValidationError
from posapp.i18n import _

# As the API documents for q=: a 60 kB search made SQLite refuse the LIKE pattern (a 500).
MAX_SEARCH_LENGTH: Final = 200

# Lists page the same way in the API and the pages.
MAX_PER_PAGE: Final = 500
MAX_PAGE: Final = 1_000_000  # far past any shop's data; keeps OFFSET inside 64 bits
DEFAULT_PER_PAGE: Final = 50

# A sale and a held cart (services/checkout.py, services/held_bills.py).
MAX_CART_LINES: Final = 500
CHECKOUT_NOTE_LENGTH: Final = 500
HELD_LABEL_LENGTH: Final = 60

# A return and a void (services/returns.py); the columns are String(200).
MAX_RETURN_LINES: Final = 500
REASON_LENGTH: Final = 200

# A stock movement's note (services/inventory.py); the column is String(200).
STOCK_NOTE_LENGTH: Final = 200

# A payment on account's note and an adjustment's reason (services/ledger.py).
LEDGER_NOTE_LENGTH: Final = 200

# Product and customer text fields (services/catalog.py, services/customers.py): the
# columns' lengths.
PRODUCT_TEXT_LENGTHS: Final = {
    "name": 160,
    "hsn": 16,
    "supplier": 120,
    "location": 60,
    "color": 30,
    "code": 64,
}
CATEGORY_NAME_LENGTH: Final = 80
# A product's search words (services/catalog.py: parse_aliases): the text as typed, how many
# words and how long each. Stored normalised ("chini,cheeni") they always fit the String(400)
# column: 12 words of 30 characters and 11 commas.
ALIASES_LENGTH: Final = 400
ALIAS_COUNT: Final = 12
ALIAS_LENGTH: Final = 30
CUSTOMER_TEXT_LENGTHS: Final = {
    "name": 120,
    "email": 120,
    "address": 300,
    "notes": 2000,
    "legal_name": 120,  # a business customer's name as registered for GST
}


def search_text(q: str | None, field: str = "q") -> str:
    """Return the trimmed search text, or refuse text longer than MAX_SEARCH_LENGTH (422)."""
    text = (q or "").strip()
    if len(text) > MAX_SEARCH_LENGTH:
        raise ValidationError(
            _("The search text takes at most %(limit)s characters.", limit=MAX_SEARCH_LENGTH),
            field=field,
        )
    return text


def text_value(value: object, field: str) -> str:
    """Return a text field's trimmed text; a list, object or true/false is refused (422).

    str() of a JSON list stored {"name": ["a", "b"]} as the name "['a', 'b']". Numbers are
    still taken as their digits (a script may send a code as a number).
    """
    if value is None:
        return ""
    if isinstance(value, bool | list | tuple | dict | set):
        raise ValidationError(_("This field takes text, not a list or an object."), field=field)
    return str(value).strip()
