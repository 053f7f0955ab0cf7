"""GS1 codes on packs: element strings, raw scanner output and GS1 Digital Link URIs.

A pack may carry more than its EAN-13: a GS1-128, GS1 DataMatrix or GS1 QR code holding the
GTIN with a batch (AI 10) and an expiry date (AI 17), or a GS1 Digital Link QR code (a web
address such as ``https://id.gs1.org/01/08901234567890/10/AB12?17=261231``). The till reads
three spellings of the same data:

- brackets, as printed under the bars: ``(01)08901234567890(17)261231(10)AB12``;
- what a scanner sends: an optional symbology identifier (``]C1`` GS1-128, ``]e0`` GS1
  DataBar, ``]d2`` GS1 DataMatrix, ``]Q3`` GS1 QR, ``]J1`` GS1 DotCode) and the AIs run
  together, a variable-length field ended by the FNC1 group separator (ASCII 29);
- a GS1 Digital Link URI on any host: the primary key and its qualifiers as path segments
  (``/01/<gtin>/22/…/10/…/21/…``), other AIs in the query string.

The lengths come from the GS1 Application Identifier table (GS1 General Specifications and
GS1's syntax dictionary): a fixed-length field is read by its length whatever follows, a
variable one up to the group separator. Check digits of keys are verified. Dates in YYMMDD
take their century by the GS1 rule (a year more than 50 ahead is in the last century, more
than 49 back in the next) and DD = 00 means the last day of the month.

A GTIN is kept as 14 digits; `gtin_codes` gives the spellings a shop may have typed as a
product's code (GTIN-14, EAN-13, UPC-A, EAN-8). Pure Python: no Flask, no database.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date
from urllib.parse import unquote

from posapp.i18n import _

GS = "\x1d"  # FNC1 as a scanner sends it between fields: ASCII 29, the group separator

# The symbology identifiers (ISO/IEC 15424) of the carriers that hold GS1 element strings.
SYMBOLOGY_IDS = ("]C1", "]e0", "]d2", "]Q3", "]J1")

# The AI table: "AI or first-last: N|X min-max". N is digits only; X any character of GS1's
# 82-character set (a field mixing digits and text is X here, its length taken whole).
_TABLE = """
00:N18 01:N14 02:N14 10:X1-20 11:N6 12:N6 13:N6 15:N6 16:N6 17:N6 20:N2 21:X1-20 22:X1-20
235:X1-28 240:X1-30 241:X1-30 242:N1-6 243:X1-20 250:X1-30 251:X1-30 253:X13-30 254:X1-20
255:N13-25 30:N1-8 3100-3105:N6 3110-3115:N6 3120-3125:N6 3130-3135:N6 3140-3145:N6
3150-3155:N6 3160-3165:N6 3200-3205:N6 3210-3215:N6 3220-3225:N6 3230-3235:N6 3240-3245:N6
3250-3255:N6 3260-3265:N6 3270-3275:N6 3280-3285:N6 3290-3295:N6 3300-3305:N6 3310-3315:N6
3320-3325:N6 3330-3335:N6 3340-3345:N6 3350-3355:N6 3360-3365:N6 3370-3375:N6 3400-3405:N6
3410-3415:N6 3420-3425:N6 3430-3435:N6 3440-3445:N6 3450-3455:N6 3460-3465:N6 3470-3475:N6
3480-3485:N6 3490-3495:N6 3500-3505:N6 3510-3515:N6 3520-3525:N6 3530-3535:N6 3540-3545:N6
3550-3555:N6 3560-3565:N6 3570-3575:N6 3600-3605:N6 3610-3615:N6 3620-3625:N6 3630-3635:N6
3640-3645:N6 3650-3655:N6 3660-3665:N6 3670-3675:N6 3680-3685:N6 3690-3695:N6 37:N1-8
3900-3909:N1-15 3910-3919:N4-18 3920-3929:N1-15 3930-3939:N4-18 3940-3943:N4 3950-3955:N6
400:X1-30 401:X1-30 402:N17 403:X1-30 410-417:N13 420:X1-20 421:X4-12 422:N3 423:N3-15
424:N3 425:N3-15 426:N3 427:X1-3 4300-4301:X1-35 4302-4306:X1-70 4307:X2 4308:X1-30
4309:N20 4310-4311:X1-35 4312-4316:X1-70 4317:X2 4318:X1-20 4319:X1-30 4320:X1-35
4321-4323:N1 4324-4325:N10 4326:N6 4330-4333:X6-7 7001:N13 7002:X1-30 7003:N10 7004:N1-4
7005:X1-12 7006:N6 7007:N6-12 7008:X1-3 7009:X1-10 7010:X1-2 7011:N6-10 7020-7022:X1-20
7023:X1-30 7030-7039:X4-30 7040:X4 710-715:X1-20 7230-7239:X3-30 7240:X1-20 7241:N2
7242:X1-25 8001:N14 8002:X1-20 8003:X14-30 8004:X1-30 8005:N6 8006:N18 8007:X1-34
8008:N8-12 8009:X1-50 8010:X1-30 8011:N1-12 8012:X1-20 8013:X1-25 8017:N18 8018:N18
8019:N1-10 8020:X1-25 8026:N18 8030:X1-90 8110:X1-70 8111:N4 8112:X1-70 8200:X1-70
90:X1-30 91-99:X1-90
"""

# Keys whose value ends in (or starts with) a GS1 check digit: AI -> the slice that carries it.
_CHECKED = {
    "00": slice(0, 18),
    "01": slice(0, 14),
    "02": slice(0, 14),
    "253": slice(0, 13),
    "255": slice(0, 13),
    "402": slice(0, 17),
    "8003": slice(1, 14),
    "8006": slice(0, 14),
    "8017": slice(0, 18),
    "8018": slice(0, 18),
    "8026": slice(0, 14),
    **{str(ai): slice(0, 13) for ai in range(410, 418)},
}

_DATES = ("11", "12", "13", "15", "16", "17")  # YYMMDD, DD may be 00
_DIGITS = re.compile(r"[0-9]+")
# GS1's 82-character set (the "X" fields): printable ASCII less space, #, $, @, [, \, ], ^, `,
# {, |, }, ~. A Digital Link's percent-encoding is undone before this check.
_CSET82 = re.compile(r"[!\"%&'()*+,\-./0-9:;<=>?A-Z_a-z]+")
_BRACKETED = re.compile(r"\(([0-9]{2,4})\)([^()]*)")
_DL_PATH_KEYS = ("01", "00", "253", "255", "401", "402", "414", "417", "8003", "8004", "8006")
_DL_PATH_QUALIFIERS = ("22", "10", "21", "235", "254", "7040", "8011", "8019")


@dataclass(frozen=True)
class Field:
    """One AI's rule: digits only or text, and the length its value may have."""

    numeric: bool
    min_len: int
    max_len: int

    @property
    def fixed(self) -> bool:
        return self.min_len == self.max_len


def _load_table() -> dict[str, Field]:
    table: dict[str, Field] = {}
    for entry in _TABLE.split():
        ais, spec = entry.split(":")
        numeric = spec[0] == "N"
        low, _dash, high = spec[1:].partition("-")
        field = Field(numeric, int(low), int(high or low))
        first, _dash, last = ais.partition("-")
        for ai in range(int(first), int(last or first) + 1):
            table[str(ai).zfill(len(first))] = field
    return table


AI_TABLE = _load_table()


class GS1Error(ValueError):
    """Text laid out as a GS1 code whose data is wrong: the message says what, for the cashier."""


@dataclass(frozen=True)
class GS1Data:
    """What a GS1 code says: its fields in order, and the three the till uses."""

    elements: tuple[tuple[str, str], ...]
    gtin: str | None  # 14 digits
    batch: str | None
    expiry: date | None


def check_digit(body: str) -> int:
    """GS1 mod-10 check digit of the digits before it (weights 3, 1, … from the right)."""
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return (10 - total % 10) % 10


def valid_check_digit(digits: str) -> bool:
    """Tell whether ASCII digits end in their GS1 check digit (GTIN-8/12/13/14, SSCC, GLN)."""
    return (
        len(digits) >= 2
        and _DIGITS.fullmatch(digits) is not None
        and check_digit(digits[:-1]) == int(digits[-1])
    )


def as_gtin14(code: str) -> str | None:
    """A GTIN-8, UPC-A (12), EAN-13 or GTIN-14 with a correct check digit as 14 digits."""
    if len(code) not in (8, 12, 13, 14) or not valid_check_digit(code):
        return None
    return code.zfill(14)


def gtin_codes(gtin14: str) -> list[str]:
    """The spellings of a GTIN-14 a product's code may have: itself, EAN-13, UPC-A, EAN-8.

    Leading zeros only: 00012345678905 is also the UPC-A 012345678905 and the EAN-13
    0012345678905; 00000096385074 is also the EAN-8 96385074.
    """
    codes = [gtin14]
    if gtin14.startswith("0"):
        codes.append(gtin14[1:])
    if gtin14.startswith("00"):
        codes.append(gtin14[2:])
    if gtin14.startswith("000000"):
        codes.append(gtin14[6:])
    return codes


def gs1_date(value: str, today: date, ai: str = "17") -> date:
    """Read a GS1 YYMMDD: the century nearest today by the GS1 rule, DD 00 = the month's end."""
    yy, month, day = int(value[0:2]), int(value[2:4]), int(value[4:6])
    # GS1 General Specifications: the year is in the 100 years from 49 back to 50 ahead.
    century = today.year - today.year % 100
    difference = yy - today.year % 100
    if difference >= 51:
        century -= 100
    elif difference <= -50:
        century += 100
    year = century + yy
    if not 1 <= month <= 12:
        raise GS1Error(
            _(
                "(%(ai)s) %(value)s: there is no month %(month)s.",
                ai=ai,
                value=value,
                month=value[2:4],
            )
        )
    last = calendar.monthrange(year, month)[1]
    if day == 0:
        return date(year, month, last)
    if day > last:
        raise GS1Error(
            _(
                "(%(ai)s) %(value)s: there is no day %(day)s in that month.",
                ai=ai,
                value=value,
                day=value[4:6],
            )
        )
    return date(year, month, day)


def _shaped(ai: str, value: str) -> bool:
    """Tell whether a value has its AI's length and characters (the check digit aside)."""
    field = AI_TABLE[ai]
    pattern = _DIGITS if field.numeric else _CSET82
    return field.min_len <= len(value) <= field.max_len and pattern.fullmatch(value) is not None


def _check_value(ai: str, value: str) -> None:
    field = AI_TABLE[ai]
    if not field.min_len <= len(value) <= field.max_len:
        sizes = {"ai": ai, "low": field.min_len, "high": field.max_len, "length": len(value)}
        raise GS1Error(
            _("(%(ai)s) takes %(low)s characters, not %(length)s.", **sizes)
            if field.fixed
            else _("(%(ai)s) takes %(low)s to %(high)s characters, not %(length)s.", **sizes)
            if field.min_len > 1
            else _("(%(ai)s) takes at most %(high)s characters, not %(length)s.", **sizes)
        )
    pattern = _DIGITS if field.numeric else _CSET82
    if pattern.fullmatch(value) is None:
        raise GS1Error(
            _("(%(ai)s) %(value)s: digits only.", ai=ai, value=value)
            if field.numeric
            else _("(%(ai)s) %(value)s: letters, digits and GS1's punctuation.", ai=ai, value=value)
        )
    checked = _CHECKED.get(ai)
    if checked is not None:
        key = value[checked]
        if _DIGITS.fullmatch(key) is None or not valid_check_digit(key):
            raise GS1Error(
                _("(%(ai)s) %(value)s: the check digit is wrong (a misread?).", ai=ai, value=value)
            )


def _ai_at(text: str, at: int) -> str:
    # AIs are prefix-free (no AI is the start of another), so the first length that names
    # one is the AI.
    for size in (2, 3, 4):
        ai = text[at : at + size]
        if len(ai) == size and ai in AI_TABLE:
            return ai
    raise GS1Error(_("Not a GS1 application identifier: %(ai)s…", ai=text[at : at + 4]))


def _parse_raw(text: str) -> list[tuple[str, str]]:
    """AIs run together; a variable field ends at a group separator or the end."""
    elements: list[tuple[str, str]] = []
    at = 0
    while at < len(text):
        if text[at] == GS:  # a separator after a fixed field (allowed), or a doubled one
            at += 1
            continue
        ai = _ai_at(text, at)
        at += len(ai)
        field = AI_TABLE[ai]
        if field.fixed:
            value = text[at : at + field.max_len]
            at += field.max_len
        else:
            end = text.find(GS, at)
            end = len(text) if end < 0 else end
            value = text[at:end]
            at = end
        elements.append((ai, value))
    return elements


def _parse_bracketed(text: str) -> list[tuple[str, str]] | None:
    elements: list[tuple[str, str]] = []
    at = 0
    while at < len(text):
        match = _BRACKETED.match(text, at)
        if match is None:
            return None
        ai = match.group(1)
        if ai not in AI_TABLE:
            raise GS1Error(_("Not a GS1 application identifier: (%(ai)s)", ai=ai))
        elements.append((ai, match.group(2)))
        at = match.end()
    return elements


def _parse_digital_link(text: str) -> list[tuple[str, str]] | None:
    """A GS1 Digital Link URI: a primary key in the path (any host, any path before it)."""
    match = re.fullmatch(r"(?i:https?)://[^/?#\s]+(/[^?#\s]*)(?:\?([^#\s]*))?(?:#\S*)?", text)
    if match is None:
        return None
    segments = match.group(1).split("/")
    # The key is the first path segment naming a primary key and followed by a value of its
    # shape: a resolver's own path (/products/…) may come before it, and an ordinary web
    # address (/blog/2024/01/15/…) is not a Digital Link.
    start = next(
        (
            index
            for index in range(len(segments) - 1)
            if segments[index] in _DL_PATH_KEYS
            and _shaped(segments[index], unquote(segments[index + 1]))
        ),
        None,
    )
    if start is None:
        return None
    path = segments[start:]
    if path and path[-1] == "":
        path = path[:-1]  # a trailing slash
    if len(path) % 2:
        raise GS1Error(_("GS1 Digital Link: an identifier in the address has no value."))
    elements: list[tuple[str, str]] = []
    for index in range(0, len(path), 2):
        ai, value = path[index], unquote(path[index + 1])
        if index and ai not in _DL_PATH_QUALIFIERS:
            raise GS1Error(
                _("GS1 Digital Link: (%(ai)s) cannot follow the key in the address.", ai=ai)
            )
        elements.append((ai, value))
    for pair in (match.group(2) or "").split("&"):
        ai, sep, value = pair.partition("=")
        # Only numeric keys are AIs; anything else (linkType=…, a tracking tag) is not data.
        if sep and re.fullmatch(r"[0-9]{2,4}", ai) and ai in AI_TABLE:
            elements.append((ai, unquote(value.replace("+", " "))))
    return elements


def parse(text: str, today: date) -> GS1Data | None:
    """Read a GS1 code; None when the text is not laid out as one (an ordinary code).

    Raises GS1Error when it is laid out as one but its data is wrong (a bad check digit, a
    field too long, a 13th month), so the cashier hears about a misread instead of "unknown".
    """
    text = text.strip(" \t\r\n")  # not str.strip(): that also takes a trailing FNC1 away
    elements: list[tuple[str, str]] | None
    if text.startswith(SYMBOLOGY_IDS):
        elements = _parse_raw(text[3:])
    elif text.startswith("("):
        elements = _parse_bracketed(text)
    elif GS in text and text[:2].isascii() and text[:2].isdigit():
        elements = _parse_raw(text)  # a scanner set to drop the identifier keeps the FNC1s
    elif text[:4].lower() == "http":
        elements = _parse_digital_link(text)
    else:
        return None
    if not elements:
        return None
    for ai, value in elements:
        _check_value(ai, value)
    found = dict(reversed(elements))  # the first of a repeated AI counts
    gtin = found.get("01") or found.get("02")
    expiry = gs1_date(found["17"], today) if "17" in found else None
    for ai in _DATES:
        if ai in found and ai != "17":
            gs1_date(found[ai], today, ai)  # only to refuse a 13th month
    return GS1Data(tuple(elements), gtin, found.get("10"), expiry)


def bracketed(elements: tuple[tuple[str, str], ...] | list[tuple[str, str]]) -> str:
    """Write fields the human-readable way: (01)08901234567890(10)AB12."""
    return "".join(f"({ai}){value}" for ai, value in elements)


def raw(elements: tuple[tuple[str, str], ...] | list[tuple[str, str]], prefix: str = "]C1") -> str:
    """Write fields as a scanner sends them: a group separator after each variable field."""
    parts: list[str] = []
    for index, (ai, value) in enumerate(elements):
        parts.append(ai + value)
        if not AI_TABLE[ai].fixed and index < len(elements) - 1:
            parts.append(GS)
    return prefix + "".join(parts)
