"""Bounds on what a list or search may be asked, shared by the pages and the API."""

from __future__ import annotations

from posapp.errors import ValidationError

# As the API documents for q=: a 60 kB search made SQLite refuse the LIKE pattern (a 500).
MAX_SEARCH_LENGTH = 200


def search_text(q: str | None, field: str = "q") -> str:
    """Return the trimmed search text, or refuse text longer than MAX_SEARCH_LENGTH (422)."""
    text = (q or "").strip()
    if len(text) > MAX_SEARCH_LENGTH:
        raise ValidationError(
            f"The search text takes at most {MAX_SEARCH_LENGTH} characters.", field=field
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
        raise ValidationError("This field takes text, not a list or an object.", field=field)
    return str(value).strip()
