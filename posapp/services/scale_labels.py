"""Weighing-scale labels (docs/DESIGN.md §5): how the shop's scales lay out an EAN-13.

A scale prints an EAN-13 of restricted circulation: a two-digit prefix (20–29), the item's
scale PLU, optionally the in-store price check digit, the weight in grams or the price in
paise, and the EAN check digit. The layout is a shop setting; this module reads it (old
settings included), checks the settings page's form, reads a scanned label, says what a label
line sells, and builds sample labels for the settings page and the product page.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from posapp.errors import ValidationError
from posapp.i18n import _, lazy
from posapp.money import (
    MILLI,
    ean13_check_digit,
    format_money,
    is_valid_ean13,
    qty_str,
    round_half_up_div,
)
from posapp.services import shop_settings
from posapp.services.settings import ShopSettings
from posapp.vocabulary import form_flag

AUDIT_ACTION = "settings.scale"
PREFIX_RANGE = range(20, 30)
DEFAULT_PREFIXES = "20-29"
ITEM_DIGITS = (4, 5, 6)
DEFAULT_ITEM_DIGITS = 5
VALUES = {"weight": lazy("Weight in grams"), "price": lazy("Price in paise")}
# Units a scale weighs: the label's grams are thousandths of a kg, grams of g, and
# millilitres (a litre weighed as a kilogram) of l.
LOOSE_UNITS = ("kg", "g", "l")
# The form's field names, in page order.
FORM_FIELDS = ("scale_prefix", "scale_item_digits", "scale_value", "scale_price_check")
_PREFIX_PART = re.compile(r"([0-9]{2})(?:-([0-9]{2}))?")


@dataclass(frozen=True)
class ScaleLayout:
    """The label layout the shop's scales print."""

    prefixes: tuple[int, ...]
    item_digits: int
    value: str  # "weight" or "price"
    price_check: bool

    @property
    def value_digits(self) -> int:
        """Digits left for the weight or price: 13 less prefix, item, check digits."""
        return 13 - 2 - self.item_digits - (1 if self.price_check else 0) - 1

    @property
    def pattern(self) -> str:
        """The layout as letters: P prefix, I item, C price check, V value, E EAN check."""
        check = "C" if self.price_check else ""
        return f"PP{'I' * self.item_digits}{check}{'V' * self.value_digits}E"


def prefixes_text(prefixes: tuple[int, ...]) -> str:
    """Write prefixes compactly: runs as "20-29", others comma-separated ("21,22,25-27")."""
    parts: list[str] = []
    run: list[int] = []
    for number in sorted(prefixes):
        if run and number == run[-1] + 1:
            run.append(number)
            continue
        if run:
            parts.append(_run_text(run))
        run = [number]
    if run:
        parts.append(_run_text(run))
    return ",".join(parts)


def _run_text(run: list[int]) -> str:
    if len(run) == 1:
        return str(run[0])
    if len(run) == 2:
        return f"{run[0]},{run[1]}"
    return f"{run[0]}-{run[-1]}"


def parse_prefixes(raw: object) -> tuple[int, ...]:
    """Read the prefixes a shop typed ("20-29", "21,22"); raise ValidationError if not valid.

    A single "2" is how older versions stored "any prefix starting with 2": 20–29.
    """
    text = str(raw if raw is not None else "").replace(" ", "")
    if text == "2":
        return tuple(PREFIX_RANGE)
    if not text:
        raise ValidationError(_("Type the prefixes, e.g. 20-29 or 21,22."), field="scale_prefix")
    found: set[int] = set()
    for part in text.split(","):
        match = _PREFIX_PART.fullmatch(part)
        if match is None:
            raise ValidationError(
                _(
                    "“%(part)s” is not a prefix: use two digits from 20 to 29, a range like "
                    "20-29 or a list like 21,22.",
                    part=part,
                ),
                field="scale_prefix",
            )
        low = int(match.group(1))
        high = int(match.group(2) or low)
        if not (low in PREFIX_RANGE and high in PREFIX_RANGE):
            raise ValidationError(
                _(
                    "Scale labels use prefixes 20 to 29 only (other prefixes belong to real "
                    "products' barcodes)."
                ),
                field="scale_prefix",
            )
        if high < low:
            raise ValidationError(
                _(
                    "The range %(part)s runs backwards; write it as %(high)s-%(low)s.",
                    part=part,
                    high=high,
                    low=low,
                ),
                field="scale_prefix",
            )
        found.update(range(low, high + 1))
    return tuple(sorted(found))


def layout_of(settings: ShopSettings) -> ScaleLayout:
    """The shop's layout from its settings; a hand-edited bad value reads as the default."""
    try:
        prefixes = parse_prefixes(settings.scale_prefix)
    except ValidationError:
        prefixes = tuple(PREFIX_RANGE)
    digits = settings.scale_item_digits
    if digits not in ITEM_DIGITS:
        digits = DEFAULT_ITEM_DIGITS
    value = settings.scale_value if settings.scale_value in VALUES else "weight"
    check = settings.scale_price_check and digits != 6
    return ScaleLayout(prefixes, digits, value, check)


def validate_form(data: Mapping[str, Any]) -> dict[str, Any]:
    """Check the scale labels form; return the settings to save or raise with every error."""
    errors: dict[str, str] = {}
    values: dict[str, Any] = {}
    try:
        values["scale_prefix"] = prefixes_text(parse_prefixes(data.get("scale_prefix")))
    except ValidationError as exc:
        errors["scale_prefix"] = exc.message
    digits = str(data.get("scale_item_digits") if data.get("scale_item_digits") is not None else "")
    if digits.strip() not in ("4", "5", "6"):
        errors["scale_item_digits"] = _("The item code has 4, 5 or 6 digits.")
    else:
        values["scale_item_digits"] = int(digits)
    value = data.get("scale_value")
    if value not in VALUES:
        errors["scale_value"] = _("Choose what the label carries: the weight or the price.")
    else:
        values["scale_value"] = value
    values["scale_price_check"] = form_flag(data, "scale_price_check", errors)
    if values["scale_price_check"] and values.get("scale_item_digits") == 6:
        errors["scale_price_check"] = _(
            "A price check digit leaves room for a 4- or 5-digit value only: choose an item "
            "code of 4 or 5 digits, or no check digit."
        )
    if errors:
        raise ValidationError(
            _("Some scale settings need fixing; nothing was saved."), fields=errors
        )
    return values


def form_values(settings: ShopSettings) -> dict[str, str]:
    """The form as the page shows it, from the saved settings (old ones read the new way)."""
    layout = layout_of(settings)
    return {
        "scale_prefix": prefixes_text(layout.prefixes),
        "scale_item_digits": str(layout.item_digits),
        "scale_value": layout.value,
        "scale_price_check": "1" if layout.price_check else "",
    }


# The in-store price check digit (GS1 General Specifications 7.9.3), written from its
# definition: each digit of the value is replaced by a weighted product of it, the products
# summed. "2-": units digit of 2d minus its tens digit; "5+": 5d plus its tens digit; "5-":
# 5d minus its tens digit; "3": 3d. Taken modulo 10 at the end.
def _two_minus(d: int) -> int:
    return (2 * d - (2 * d) // 10) % 10


def _five_plus(d: int) -> int:
    return (5 * d + (5 * d) // 10) % 10


def _five_minus(d: int) -> int:
    return (5 * d - (5 * d) // 10) % 10


def _three(d: int) -> int:
    return (3 * d) % 10


def price_check_digit(value: str) -> int:
    """The check digit of a 4- or 5-digit price (or weight) field."""
    digits = [int(c) for c in value]
    if len(digits) == 4:
        weights = (_two_minus, _two_minus, _three, _five_minus)
        return sum(w(d) for w, d in zip(weights, digits, strict=True)) * 3 % 10
    if len(digits) == 5:
        weights5 = (_five_plus, _two_minus, _five_minus, _five_plus, _two_minus)
        total = sum(w(d) for w, d in zip(weights5, digits, strict=True))
        # The check digit c is the one whose "5-" product brings the sum to a multiple of 10.
        wanted = (10 - total % 10) % 10
        return next(c for c in range(10) if _five_minus(c) == wanted)
    raise ValueError("a price check digit covers 4 or 5 digits")


@dataclass(frozen=True)
class LabelReading:
    """What a scale label says: the item's PLU and the value (grams or paise)."""

    plu: str
    value: int


def read_label(code: str, layout: ScaleLayout) -> LabelReading | None:
    """Split a scanned code by the layout; None if it is not a scale label of this shop.

    A label whose price check digit is wrong raises ValidationError (a misread, not another
    product), as does a label that carries nothing.
    """
    if not (is_valid_ean13(code) and int(code[:2]) in layout.prefixes):
        return None
    start = 2 + layout.item_digits
    plu = code[2:start]
    if layout.price_check:
        check = int(code[start])
        start += 1
    value_text = code[start:12]
    if layout.price_check and price_check_digit(value_text) != check:
        raise ValidationError(
            _(
                "The label %(code)s has a wrong price check digit: scan it again or type the item.",
                code=code,
            ),
            field="code",
            code="bad_label",
        )
    value = int(value_text)
    if value == 0:
        raise ValidationError(
            _("The label %(code)s carries no price.", code=code)
            if layout.value == "price"
            else _("The label %(code)s carries no weight.", code=code),
            field="code",
            code="bad_label",
        )
    return LabelReading(plu, value)


@dataclass(frozen=True)
class LabelLine:
    """What a label line sells: the quantity and, for a price label, the line's gross."""

    qty_milli: int
    fixed_gross: int | None


def label_line(reading: LabelReading, layout: ScaleLayout, unit: str, price: int) -> LabelLine:
    """The line a label makes for a product of this unit and price per unit.

    A weight label sells the weight at the product's price. A price label sells exactly the
    printed price (the scale's own rounding stands); its quantity is price ÷ price per unit in
    thousandths, rounded half up, at least 0.001, for stock and the documents.
    """
    if unit not in LOOSE_UNITS:
        # A PLU is refused on such a product; one left by an older import is not sold by weight.
        raise ValidationError(
            _(
                "This label's product is sold by %(unit)s, not weighed: remove its scale PLU.",
                unit=unit,
            ),
            field="code",
            code="bad_label",
        )
    if layout.value == "price":
        qty = max(1, round_half_up_div(reading.value * MILLI, price)) if price > 0 else MILLI
        if unit == "g":
            qty = max(MILLI, round_half_up_div(qty, MILLI) * MILLI)  # whole grams
        return LabelLine(qty, reading.value)
    grams = reading.value
    return LabelLine(grams * MILLI if unit == "g" else grams, None)


def make_label(layout: ScaleLayout, plu: str, value: int, prefix: int | None = None) -> str:
    """Build the EAN-13 a scale would print for this PLU and value (for samples and tests)."""
    if len(plu) != layout.item_digits or not plu.isdecimal():
        raise ValueError("the PLU does not fit the layout")
    value_text = f"{value:0{layout.value_digits}d}"
    if len(value_text) != layout.value_digits:
        raise ValueError("the value does not fit the layout")
    body = f"{prefix if prefix is not None else layout.prefixes[0]:02d}{plu}"
    if layout.price_check:
        body += str(price_check_digit(value_text))
    body += value_text
    return body + str(ean13_check_digit(body))


def sample_value(layout: ScaleLayout, price: int) -> int:
    """A sample label's value: 1.250 kg, or what 1.250 kg costs, within the value's digits."""
    limit: int = 10**layout.value_digits - 1
    if layout.value == "price":
        return max(1, min(limit, round_half_up_div(price * 1250, MILLI)))
    return min(limit, 1250)


def update_settings(session: Session, data: Mapping[str, Any], user_id: int | None) -> bool:
    """Check the scale labels form and save it audited (`settings.scale`); True if changed.

    Nothing is written when any field is wrong.
    """
    values = validate_form(data)
    return bool(shop_settings.save_changes(session, values, AUDIT_ACTION, user_id))


@dataclass(frozen=True)
class LabelPart:
    """One stretch of a sample label, for the settings page's worked example."""

    digits: str
    name: str
    meaning: str


def worked_example(
    layout: ScaleLayout, currency: str = "INR", locale: str = "en_IN"
) -> tuple[str, list[LabelPart]]:
    """A sample label of this layout and what each part of it says: PLU 1, 1.250 kg or ₹47.50."""
    plu = "1".rjust(layout.item_digits, "0")
    value = 4750 if layout.value == "price" else 1250
    value = min(value, 10**layout.value_digits - 1)
    code = make_label(layout, plu, value)
    parts = [
        LabelPart(
            code[:2],
            _("Prefix"),
            _(
                "a scale label (the shop's prefixes: %(prefixes)s)",
                prefixes=prefixes_text(layout.prefixes),
            ),
        ),
        LabelPart(plu, _("Item code"), _("the product whose scale PLU is %(plu)s", plu=plu)),
    ]
    at = 2 + layout.item_digits
    if layout.price_check:
        parts.append(LabelPart(code[at], _("Price check"), _("guards the value against a misread")))
        at += 1
    value_text = code[at:12]
    if layout.value == "price":
        meaning = _("the price: %(amount)s", amount=format_money(value, currency, locale))
    else:
        meaning = _("the weight: %(grams)s g = %(kg)s kg", grams=value, kg=qty_str(value, "kg"))
    parts.append(
        LabelPart(value_text, _("Price") if layout.value == "price" else _("Weight"), meaning)
    )
    parts.append(
        LabelPart(code[12], _("Check digit"), _("the EAN-13 check digit of the whole code"))
    )
    return code, parts
