"""Parse, round and format money (integer minor units) and quantities (integer thousandths)."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from babel.numbers import format_currency, format_decimal

from posapp.errors import ValidationError
from posapp.i18n import LazyString, _, lazy

MINOR_PER_MAJOR = 100
MILLI = 1000
BP_100_PERCENT = 10000
MAX_MONEY_MINOR = 10**13  # ten lakh crore: far above any bill, well inside 64-bit integers
MAX_QTY_MILLI = 10**10

MEASURED_UNITS = ("kg", "g", "l", "ml", "m")
UNITS = ("pcs", *MEASURED_UNITS)
# What a typed number may be: ASCII digits with at most one "." and an optional leading "-".
# Decimal() alone read "2,5" (after dropping the comma) as 25, "1e3" as 1000, "1_0" as 10.
NUMBER_RE = re.compile(r"-?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")

# Devanagari digits, as a Hindi or Marathi keyboard types them and as Hindi screens may show
# amounts (the shop setting `devanagari_digits`). Each is the same digit as its 0-9 partner,
# so a typed number may mix the two scripts; nothing else about a number changes.
DEVANAGARI_DIGITS = "०१२३४५६७८९"
_TO_LATIN = str.maketrans(DEVANAGARI_DIGITS, "0123456789")
_TO_DEVANAGARI = str.maketrans("0123456789", DEVANAGARI_DIGITS)


def latin_digits(text: str) -> str:
    """Text with Devanagari digits (०-९) read as 0-9: what every parser here reads."""
    return text.translate(_TO_LATIN)


def devanagari_digits(text: str) -> str:
    """Formatted text (₹1,25,000.00, 12-11-2026) with its digits 0-9 written ०-९."""
    return text.translate(_TO_DEVANAGARI)


def round_half_up_div(numerator: int, denominator: int) -> int:
    """Divide two integers, rounding halves away from zero."""
    if denominator <= 0:
        raise ValueError("denominator must be positive")
    sign = -1 if numerator < 0 else 1
    return sign * ((2 * abs(numerator) + denominator) // (2 * denominator))


# Every refusal of a typed number, one whole sentence for each kind of number (amount,
# quantity, percentage), so that a translation never pieces a sentence together from a noun.
NUMBER_MESSAGES: dict[str, dict[str, LazyString]] = {
    "required": {
        "Amount": lazy("Amount is required."),
        "Quantity": lazy("Quantity is required."),
        "Percentage": lazy("Percentage is required."),
    },
    "decimal_string": {
        "Amount": lazy("Amount must be a decimal string."),
        "Quantity": lazy("Quantity must be a decimal string."),
        "Percentage": lazy("Percentage must be a decimal string."),
    },
    "number": {
        "Amount": lazy("Amount must be a number."),
        "Quantity": lazy("Quantity must be a number."),
        "Percentage": lazy("Percentage must be a number."),
    },
    "comma": {
        "Amount": lazy("Amount: write 2.5, not 2,5 (a dot for decimals, no thousands separators)."),
        "Quantity": lazy(
            "Quantity: write 2.5, not 2,5 (a dot for decimals, no thousands separators)."
        ),
        "Percentage": lazy(
            "Percentage: write 2.5, not 2,5 (a dot for decimals, no thousands separators)."
        ),
    },
    "exponent": {
        "Amount": lazy("Amount: write the number in full (1000, not 1e3)."),
        "Quantity": lazy("Quantity: write the number in full (1000, not 1e3)."),
        "Percentage": lazy("Percentage: write the number in full (1000, not 1e3)."),
    },
    "apart": {
        "Amount": lazy("Amount: write the digits together (10, not 1_0 or 1 0)."),
        "Quantity": lazy("Quantity: write the digits together (10, not 1_0 or 1 0)."),
        "Percentage": lazy("Percentage: write the digits together (10, not 1_0 or 1 0)."),
    },
    "digits": {
        "Amount": lazy("Amount: use the digits 0-9 and at most one dot, e.g. 12.50."),
        "Quantity": lazy("Quantity: use the digits 0-9 and at most one dot, e.g. 12.50."),
        "Percentage": lazy("Percentage: use the digits 0-9 and at most one dot, e.g. 12.50."),
    },
    "example": {
        "Amount": lazy("Amount must be a number, e.g. 12.50."),
        "Quantity": lazy("Quantity must be a number, e.g. 12.50."),
        "Percentage": lazy("Percentage must be a number, e.g. 12.50."),
    },
}


def _refusal(reason: str, what: str) -> str:
    """The message refusing a typed number of kind `what` for `reason` (NUMBER_MESSAGES)."""
    return str(NUMBER_MESSAGES[reason][what])


def _to_decimal(value: object, field: str, what: str) -> Decimal:
    if isinstance(value, bool) or value is None:
        raise ValidationError(_refusal("required", what), field=field)
    if isinstance(value, float):
        # JSON numbers are parsed as Decimal by the app; a float here means a caller bug.
        raise ValidationError(_refusal("decimal_string", what), field=field)
    text = value.strip() if isinstance(value, str) else value
    if isinstance(text, str):
        text = latin_digits(text)
    if text == "":
        raise ValidationError(_refusal("required", what), field=field)
    if isinstance(text, str) and not NUMBER_RE.fullmatch(text):
        raise ValidationError(_how_to_write(text, what), field=field)
    if isinstance(text, Decimal):
        number = text
    elif isinstance(text, str | int):
        try:
            number = Decimal(text)
        except (InvalidOperation, ValueError):
            raise ValidationError(_refusal("number", what), field=field) from None
    else:
        # Decimal() also takes a (sign, digits, exponent) list: a JSON array is not a number.
        raise ValidationError(_refusal("number", what), field=field)
    if not number.is_finite():
        raise ValidationError(_refusal("number", what), field=field)
    return number


def _how_to_write(text: str, what: str) -> str:
    """Say why a typed number is refused and how to write it instead."""
    if "," in text:
        return _refusal("comma", what)
    if "e" in text.lower() and any(c.isdigit() for c in text):
        return _refusal("exponent", what)
    if "_" in text or " " in text:
        return _refusal("apart", what)
    if any(c.isdigit() for c in text):
        return _refusal("digits", what)
    return _refusal("example", what)


def parse_money(
    value: object, field: str = "amount", *, allow_zero: bool = True, allow_negative: bool = False
) -> int:
    """Parse a user-typed amount into minor units; more than 2 decimals is an error."""
    number = _to_decimal(value, field, "Amount")
    if abs(number) > MAX_MONEY_MINOR // MINOR_PER_MAJOR:
        raise ValidationError(_("Amount is too large."), field=field)
    if number != number.quantize(Decimal("0.01")):
        raise ValidationError(_("Amounts take at most 2 decimals."), field=field)
    minor = int(number * MINOR_PER_MAJOR)
    if minor < 0 and not allow_negative:
        raise ValidationError(_("Amount cannot be negative."), field=field)
    if minor == 0 and not allow_zero:
        raise ValidationError(_("Amount must be more than zero."), field=field)
    return minor


# How people write amounts in registers and other apps' exports: a currency mark, commas
# grouping thousands the Indian way (1,25,000) or the Western way (125,000), accounting
# brackets for a negative. Only a grouping that is one of those two is read: "2,5" is refused,
# never read as 25 or as 2.5.
CURRENCY_MARKS = re.compile(r"^(?:₹|rs\.?|inr|\$)\s*|\s*(?:₹|rs\.?|inr|/-)$", re.IGNORECASE)
GROUPED = re.compile(r"[0-9]{1,2}(?:,[0-9]{2})*,[0-9]{3}|[0-9]{1,3}(?:,[0-9]{3})+")


def parse_written_money(value: object, field: str = "amount") -> int:
    """Parse a signed amount as people write it in a file ("₹1,250.50", "1,25,000", "(300)",
    "Rs. 99/-") into minor units, then by exactly the rules of `parse_money`.

    The marks and grouping commas are taken off first; whatever is left must be a number
    `parse_money` accepts. Dr/Cr words are the caller's: they say whose money it is.
    """
    if not isinstance(value, str):
        return parse_money(value, field, allow_negative=True)
    text = latin_digits(value.strip())
    negative = False
    if text.startswith("(") and text.endswith(")"):
        negative, text = True, text[1:-1].strip()
    minus = False
    for _side in range(2):  # a mark on each side at most, the minus either side: "-₹ 1,250 /-"
        if text.startswith("-") and not minus:
            minus, text = True, text[1:].strip()
        text = CURRENCY_MARKS.sub("", text).strip()
    if text.startswith("-") and not minus:
        minus, text = True, text[1:].strip()
    if minus and negative:
        raise ValidationError(_("Amount: a bracketed amount has no minus sign."), field=field)
    negative = negative or minus
    whole, dot, fraction = text.partition(".")
    if "," in whole:
        if not GROUPED.fullmatch(whole):
            raise ValidationError(
                _(
                    "Amount: %(value)s is not grouped as 1,25,000 or 125,000 "
                    "(a dot for decimals; commas only between groups of digits).",
                    value=repr(value.strip()),
                ),
                field=field,
            )
        whole = whole.replace(",", "")
    minor = parse_money(whole + dot + fraction, field, allow_negative=False)
    return -minor if negative else minor


def parse_quantity(value: object, unit: str = "kg", field: str = "quantity") -> int:
    """Parse a quantity into thousandths; whole numbers only for `pcs`, 3 decimals otherwise."""
    number = _to_decimal(value, field, "Quantity")
    if abs(number) > MAX_QTY_MILLI // MILLI:
        raise ValidationError(_("Quantity is too large."), field=field)
    places = 0 if unit == "pcs" else 3
    if number != number.quantize(Decimal(1).scaleb(-places)):
        if unit == "pcs":
            raise ValidationError(_("Pieces are counted in whole numbers."), field=field)
        raise ValidationError(_("Quantities take at most 3 decimals."), field=field)
    milli = int(number * MILLI)
    if milli <= 0:
        raise ValidationError(_("Quantity must be more than zero."), field=field)
    if milli > MAX_QTY_MILLI:
        raise ValidationError(_("Quantity is too large."), field=field)
    return milli


def parse_signed_quantity(value: object, unit: str = "kg", field: str = "quantity") -> int:
    """Parse a quantity that may be zero or negative (stock corrections)."""
    number = _to_decimal(value, field, "Quantity")
    if number < 0:
        return -parse_quantity(-number, unit, field)
    if number == 0:
        return 0
    return parse_quantity(number, unit, field)


def parse_percent_bp(value: object, field: str = "tax_rate") -> int:
    """Parse a percentage (0-100, at most 2 decimals) into basis points."""
    number = _to_decimal(value, field, "Percentage")
    if number < 0 or number > 100:
        raise ValidationError(_("Percentage must be between 0 and 100."), field=field)
    if number != number.quantize(Decimal("0.01")):
        raise ValidationError(_("Percentages take at most 2 decimals."), field=field)
    return int(number * 100)


def money_str(minor: int) -> str:
    """Render minor units as a plain decimal string with exactly 2 decimals ("42.50")."""
    sign = "-" if minor < 0 else ""
    major, cents = divmod(abs(minor), MINOR_PER_MAJOR)
    return f"{sign}{major}.{cents:02d}"


def qty_str(milli: int, unit: str | None = None) -> str:
    """Render thousandths as a decimal string: whole for pcs ("2"), 3 decimals otherwise."""
    sign = "-" if milli < 0 else ""
    whole, frac = divmod(abs(milli), MILLI)
    if unit == "pcs" and frac == 0:
        return f"{sign}{whole}"
    return f"{sign}{whole}.{frac:03d}"


def percent_str(bp: int) -> str:
    """Render basis points as a percent string with 2 decimals ("18.00")."""
    return money_str(bp)


def format_money(minor: int, currency: str = "INR", locale: str = "en_IN") -> str:
    """Format minor units for display with the shop's currency and locale (₹1,23,456.50)."""
    return format_currency(Decimal(minor).scaleb(-2), currency, locale=locale)


def format_qty(milli: int, unit: str, locale: str = "en_IN") -> str:
    """Format a quantity for display: whole pieces, up to 3 decimals for measured units."""
    value = Decimal(milli).scaleb(-3)
    if unit == "pcs":
        return format_decimal(value, format="#,##0.###", locale=locale)
    return format_decimal(value, format="#,##0.000", locale=locale)


def ean13_check_digit(first12: str) -> int:
    """Compute the EAN-13 check digit of 12 digits."""
    if len(first12) != 12 or not first12.isdecimal():
        raise ValueError("EAN-13 needs 12 digits before the check digit")
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(first12))
    return (10 - total % 10) % 10


def is_valid_ean13(code: str) -> bool:
    """Tell whether a string is 13 digits with a correct check digit."""
    return len(code) == 13 and code.isdecimal() and ean13_check_digit(code[:12]) == int(code[12])
