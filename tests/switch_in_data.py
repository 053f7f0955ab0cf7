"""Real-looking files a shop brings from its old app: 200 customers with Dr/Cr balances.

The rows are made from a seed, so every run writes the same files; the expected totals are
worked out here from the rows themselves (not by the code under test).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path

FIRST = ("Sunita", "Ramesh", "Anita", "Mohammed", "Priya", "Suresh", "Kavita", "Arjun",
         "Fatima", "Vikram", "Lakshmi", "Harish", "Geeta", "Imran", "Pooja", "Deepak")  # fmt: skip
LAST = ("Sharma", "Verma", "Khan", "Iyer", "Patel", "Reddy", "Singh", "Gupta", "Das", "Nair")


@dataclass
class Customers:
    """A file's rows as written, and what the good ones add up to."""

    header: list[str]
    rows: list[list[str]]
    owed: int  # paise the good rows' customers owe
    advance: int  # paise the good rows hold as advance
    good: int
    bad_lines: dict[int, str]  # file line -> a word the error names


def indian(paise: int) -> str:
    """Write paise as a shop's register does: 1,25,000.50 (Indian grouping)."""
    rupees, rest = divmod(paise, 100)
    digits = str(rupees)
    if len(digits) > 3:
        head, tail = digits[:-3], digits[-3:]
        groups = []
        while len(head) > 2:
            groups.insert(0, head[-2:])
            head = head[:-2]
        groups.insert(0, head)
        digits = ",".join([*groups, tail])
    return digits if rest == 0 else f"{digits}.{rest:02d}"


def customers_200(seed: int = 25) -> Customers:
    """200 customers in a myBillBook-like layout, with a duplicate phone and a bad phone.

    Amounts come four ways: "₹1,25,000.50" with a To Collect/To Pay column, "1,250 Dr/Cr",
    "-300" for an advance, and a bare amount with a Dr/Cr column."""
    rng = random.Random(seed)
    # "Contact (WhatsApp)" is a heading no app writes: the user maps it to the phone by hand.
    header = ["Party Name", "Contact (WhatsApp)", "Address", "Closing Balance", "Balance Type",
              "Remarks"]  # fmt: skip
    rows: list[list[str]] = []
    owed = advance = 0
    for n in range(200):
        name = f"{rng.choice(FIRST)} {rng.choice(LAST)} {n + 1}"
        phone = f"9{rng.randrange(100_000_000, 999_999_999)}"
        paise = rng.randrange(0, 25_000_000) // 50 * 50  # to 50 paise, up to 2.5 lakh
        collect = rng.random() < 0.8
        style = n % 4
        if style == 0:
            amount, kind = "₹" + indian(paise), "To Collect" if collect else "To Pay"
        elif style == 1:
            amount, kind = indian(paise) + (" Dr" if collect else " Cr"), ""
        elif style == 2:
            amount, kind = (indian(paise) if collect else "-" + indian(paise)), ""
        else:
            amount, kind = indian(paise), "Dr" if collect else "Cr"
        phone_text = f"+91 {phone[:5]} {phone[5:]}" if n % 3 == 0 else phone
        rows.append([name, phone_text, f"{n + 1} Gandhi Nagar", amount, kind, "old khata"])
        if collect:
            owed += paise
        else:
            advance += paise
    bad: dict[int, str] = {}
    # Line numbers: the header is line 1 and a blank line follows row 100 (line 102).
    # A duplicate of row 20's phone, at row 150:
    dup = rows[149]
    dup[1] = rows[19][1]
    # A bad phone at row 77:
    rows[76][1] = "98765"
    good = 198
    for index in (149, 76):
        paise = _paise(rows[index])
        if paise >= 0:
            owed -= paise
        else:
            advance += paise
    bad[_line(149)] = "already on line"
    bad[_line(76)] = "phone"
    return Customers(header, rows, owed, advance, good, bad)


def _line(index: int) -> int:
    return index + 2 + (1 if index >= 100 else 0)


def _paise(row: list[str]) -> int:
    """The signed paise a row of customers_200 means (+ owed), read here independently."""
    text, kind = row[3], row[4]
    sign = 1
    for mark in (" Dr", " Cr"):
        if text.endswith(mark):
            sign = 1 if mark == " Dr" else -1
            text = text[: -len(mark)]
    if kind in ("To Pay", "Cr"):
        sign = -1
    if text.startswith("-"):
        sign, text = -1, text[1:]
    text = text.removeprefix("₹").replace(",", "")
    rupees, _, paise = text.partition(".")
    return sign * (int(rupees) * 100 + int(paise or 0))


def write_csv(data: Customers, path: Path) -> Path:
    """Write as Excel's "CSV UTF-8" does: a BOM, CRLF, and a blank line after row 100."""
    import csv
    import io

    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(data.header)
    for n, row in enumerate(data.rows):
        writer.writerow(row)
        if n == 99:
            buffer.write("\r\n")
    path.write_bytes(("\ufeff" + buffer.getvalue()).encode("utf-8"))
    return path


def write_xlsx(data: Customers, path: Path) -> Path:
    """The same rows in a workbook (sheet "Parties"), the blank row included."""
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Parties"
    sheet.append(data.header)
    for n, row in enumerate(data.rows):
        sheet.append(row)
        if n == 99:
            sheet.append([])
    book.save(path)
    return path
