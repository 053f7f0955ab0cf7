"""India's GST vocabulary: state codes, GSTIN checking, the rate slabs.

A GSTIN is 15 characters: a two-digit state code, the holder's 10-character PAN, an entity
number (1-9, A-Z), "Z" by default, and a check character computed over the first 14 with the
published mod-36 (Luhn-style) algorithm. Special registrations (UN bodies, non-resident OIDAR
suppliers, tax deductors) use other letters in positions 13-14, so only the state code, the
PAN's shape, the alphabet and the check character are enforced.
"""

from __future__ import annotations

import re

from posapp.errors import ValidationError
from posapp.i18n import _
from posapp.money import BP_100_PERCENT, round_half_up_div

# GST state and union-territory codes and names as the GST portal lists them. 25 (Daman and
# Diu) was merged into 26 in 2020 and 28 is Andhra Pradesh before its division; both still
# appear on older registrations, so both are accepted. 97 is "Other Territory" and 99
# "Centre Jurisdiction".
STATES: dict[str, str] = {
    "01": "Jammu and Kashmir",
    "02": "Himachal Pradesh",
    "03": "Punjab",
    "04": "Chandigarh",
    "05": "Uttarakhand",
    "06": "Haryana",
    "07": "Delhi",
    "08": "Rajasthan",
    "09": "Uttar Pradesh",
    "10": "Bihar",
    "11": "Sikkim",
    "12": "Arunachal Pradesh",
    "13": "Nagaland",
    "14": "Manipur",
    "15": "Mizoram",
    "16": "Tripura",
    "17": "Meghalaya",
    "18": "Assam",
    "19": "West Bengal",
    "20": "Jharkhand",
    "21": "Odisha",
    "22": "Chhattisgarh",
    "23": "Madhya Pradesh",
    "24": "Gujarat",
    "25": "Daman and Diu",
    "26": "Dadra and Nagar Haveli and Daman and Diu",
    "27": "Maharashtra",
    "28": "Andhra Pradesh (before division)",
    "29": "Karnataka",
    "30": "Goa",
    "31": "Lakshadweep",
    "32": "Kerala",
    "33": "Tamil Nadu",
    "34": "Puducherry",
    "35": "Andaman and Nicobar Islands",
    "36": "Telangana",
    "37": "Andhra Pradesh",
    "38": "Ladakh",
    "97": "Other Territory",
    "99": "Centre Jurisdiction",
}

# The GST slabs since 22 September 2025, in basis points: nil, 0.25 % (rough precious
# stones), 3 % (gold, silver), 5 %, 18 % and 40 % (sin and luxury goods). Any other rate
# from 0 to 100 % stays allowed; these are what the forms offer.
RATE_PRESETS_BP: tuple[int, ...] = (0, 25, 300, 500, 1800, 4000)

_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_GSTIN_RE = re.compile(r"[0-9]{2}[A-Z]{5}[0-9]{4}[A-Z][1-9A-Z][A-Z0-9][0-9A-Z]")


def check_character(first14: str) -> str:
    """The GSTIN check character of its first 14 characters (mod 36, weights 1,2,1,2…)."""
    total = 0
    for index, char in enumerate(first14):
        product = _ALPHABET.index(char) * (2 if index % 2 else 1)
        total += product // 36 + product % 36
    return _ALPHABET[(36 - total % 36) % 36]


def gstin_problem(value: str) -> str | None:
    """What is wrong with a GSTIN (already upper-cased and stripped), or None if it is valid."""
    if len(value) != 15:
        return _("A GSTIN has 15 characters.")
    if not _GSTIN_RE.fullmatch(value):
        return _(
            "A GSTIN is a 2-digit state code, a 10-character PAN, an entity number, a letter "
            "and a check character, e.g. 27AAPFU0939F1ZV."
        )
    if value[:2] not in STATES:
        return _("%(code)s is not a GST state code.", code=value[:2])
    if check_character(value[:14]) != value[14]:
        return _("This GSTIN's check character is wrong: a character was mistyped.")
    return None


def parse_gstin(raw: object, field: str = "gstin") -> str:
    """Return a valid GSTIN (upper-cased, spaces removed) or "" for an empty value; raise
    ValidationError naming `field` for anything else."""
    if raw is None:
        return ""
    if not isinstance(raw, str):
        raise ValidationError(_("A GSTIN must be text."), field=field)
    value = "".join(raw.split()).upper()
    if not value:
        return ""
    problem = gstin_problem(value)
    if problem:
        raise ValidationError(problem, field=field)
    return value


def parse_state_code(raw: object, field: str = "state_code") -> str:
    """Return a GST state code ("27") or "" for an empty value; a single digit gains its
    leading zero. Raise ValidationError for anything not in the state list."""
    if raw is None:
        return ""
    if isinstance(raw, int) and not isinstance(raw, bool):
        raw = str(raw)
    if not isinstance(raw, str):
        raise ValidationError(_("A state code must be text."), field=field)
    value = raw.strip()
    if not value:
        return ""
    if value.isdigit() and len(value) == 1:
        value = "0" + value
    if value not in STATES:
        raise ValidationError(_("%(code)s is not a GST state code.", code=value), field=field)
    return value


def state_of(gstin: str) -> str:
    """The state code a valid GSTIN was issued in ("" for no GSTIN)."""
    return gstin[:2] if gstin else ""


def state_label(code: str) -> str:
    """ "27 – Maharashtra" for a code, "" for none (how documents print a place of supply)."""
    name = STATES.get(code)
    return f"{code} – {name}" if name else ""


def state_choices() -> list[tuple[str, str]]:
    """A state select's choices: "not set" first, then every state code with its name."""
    return [("", "Not set"), *((code, state_label(code)) for code in STATES)]


def heads_on_taxable(taxable: int, rate_bp: int, tax_split: str) -> tuple[int, int, int]:
    """(CGST, SGST, IGST) in minor units on a taxable value (tax on top, as on a supplier's
    bill): intra-state ("cgst_sgst") each half is the taxable value at half the rate, rounded
    half up, so the two are equal; inter-state ("igst") the full rate; "none" nothing."""
    if tax_split == "none" or rate_bp == 0:
        return 0, 0, 0
    if tax_split == "igst":
        return 0, 0, round_half_up_div(taxable * rate_bp, BP_100_PERCENT)
    if tax_split != "cgst_sgst":
        raise ValueError(f"unknown tax split {tax_split!r}")
    half = round_half_up_div(taxable * rate_bp, 2 * BP_100_PERCENT)
    return half, half, 0
