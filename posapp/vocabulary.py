"""The words TillBook reads and shows, defined once: yes/no answers, labels, audit actions.

Below the models in the layers (it imports only errors): services read switches with
`parse_flag`, and both Jinja environments (pages and PDFs) get the labels as the global
`labels`, so a payment method or an audit action is spelled the same everywhere.
Dates have their own home, `posapp.dates`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from posapp.errors import ValidationError

# Every word any form, query string, CSV file or JSON body has used for a switch; compared
# after strip() and lower(). The empty string is "no": an unticked box sends nothing.
TRUE_WORDS = frozenset({"1", "true", "on", "yes", "y"})
FALSE_WORDS = frozenset({"", "0", "false", "off", "no", "n"})


def flag_message(what: str) -> str:
    """The one message for a switch that is neither yes nor no."""
    return f"{what} must be yes or no."


def parse_flag(value: object, field: str, default: bool = False, what: str | None = None) -> bool:
    """Read a yes/no switch: a bool, or one of TRUE_WORDS/FALSE_WORDS; absent/empty is `default`.

    Anything else (another word, a number in JSON) is refused for `field`, the message naming
    `what` (the field's own name unless a caller has a better one for people).
    """
    if isinstance(value, bool):
        return value
    if value is None:
        return default
    if isinstance(value, str):
        word = value.strip().lower()
        if word == "":
            return default
        if word in TRUE_WORDS:
            return True
        if word in FALSE_WORDS:
            return False
    raise ValidationError(flag_message(what or field), field=field)


def form_flag(
    data: Mapping[str, Any], key: str, errors: dict[str, str], what: str = "This box"
) -> bool:
    """A form's checkbox: parse_flag, with a refusal collected in `errors` (then False)."""
    try:
        return parse_flag(data.get(key), key, what=what)
    except ValidationError as exc:
        errors[key] = exc.message
        return False


def is_yes(value: object) -> bool:
    """A switch read leniently (stored settings, links): True only for one of TRUE_WORDS."""
    if isinstance(value, bool):
        return value
    return isinstance(value, str) and value.strip().lower() in TRUE_WORDS
