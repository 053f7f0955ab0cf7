"""GST returns for a month: GSTR-1 (the offline tool's CSVs and the portal's JSON) and GSTR-3B.

Everything is read from stored documents only: each line's tax heads (CGST/SGST/IGST, cess as
tax minus the three), each document's `tax_split` and `place_of_supply`, and the customer's
GSTIN. Nothing is recomputed, so the returns say what the invoices said. docs/DESIGN.md ("GST
returns") holds the rules: which invoice goes to which table, the thresholds, the formats.

Big months never sit in memory: the invoice-wise tables (B2B, B2CL, CDNR, CDNUR) stream rows
from one set-based query grouped per (document, rate) through `report_framework.batches`;
B2CS, HSN, nil-rated, documents issued and GSTR-3B are grouped in SQL to a handful of rows.
Amounts are integer paise until the edge: CSV cells via `money_str`, JSON numbers via Decimal
written by `json_text` (never a float).
"""

from __future__ import annotations

import json
import re
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import IO, Any

from sqlalchemy import and_, case, func, literal, or_, select
from sqlalchemy.orm import Session

from posapp.errors import Conflict, ValidationError
from posapp.gst import STATES, state_of
from posapp.i18n import _
from posapp.models import (
    CreditNote,
    CreditNoteLine,
    Customer,
    Invoice,
    InvoiceLine,
    Purchase,
    PurchaseLine,
)
from posapp.models.base import local_midnight_utc, to_local
from posapp.money import money_str, qty_str
from posapp.services.csv_io import csv_text, safe_rows
from posapp.services.report_framework import Report, batches, collect
from posapp.services.settings import ShopSettings

# Rule 59(4) CGST Rules: inter-state invoices to unregistered buyers above this value are
# reported invoice-wise (B2CL). Rs 2.5 lakh until 31 July 2024, Rs 1 lakh from 1 August 2024
# (Notification 12/2024-Central Tax of 10 July 2024). "Above" is strict: exactly Rs 1 lakh is B2CS.
B2CL_CUTOVER = date(2024, 8, 1)
B2CL_ABOVE_BEFORE = 250000_00
B2CL_ABOVE = 100000_00
FIRST_GST_MONTH = date(2017, 7, 1)

# The offline tool's unit quantity codes for TillBook's units (posapp.money.UNITS); the CSV
# takes "code-name" as the tool's drop-down lists it, the JSON the bare code.
UQC = {"pcs": "NOS", "kg": "KGS", "g": "GMS", "l": "LTR", "ml": "MLT", "m": "MTR"}
UQC_NAMES = {
    "NOS": "NUMBERS",
    "KGS": "KILOGRAMS",
    "GMS": "GRAMMES",
    "LTR": "LITRES",
    "MLT": "MILILITRE",
    "MTR": "METERS",
    "OTH": "OTHERS",
}
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
INVOICES_DOC = "Invoices for outward supply"
CREDIT_NOTES_DOC = "Credit Note"
EXEMP_ROWS = (
    ("INTRB2B", "Inter-State supplies to registered persons"),
    ("INTRAB2B", "Intra-State supplies to registered persons"),
    ("INTRB2C", "Inter-State supplies to unregistered persons"),
    ("INTRAB2C", "Intra-State supplies to unregistered persons"),
)
_MONTH_RE = re.compile(r"(\d{4})-(\d{2})")


# -- the period and the shop ---------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    """A calendar month in local dates; `fp` is the return period as the portal writes it."""

    start: date
    end: date

    @property
    def fp(self) -> str:
        return f"{self.start.month:02d}{self.start.year:04d}"

    @property
    def label(self) -> str:
        return f"{MONTHS[self.start.month - 1]} {self.start.year}"

    @property
    def value(self) -> str:
        """The month as an <input type="month"> writes it ("2026-11")."""
        return f"{self.start.year:04d}-{self.start.month:02d}"


def month_period(year: int, month: int) -> Period:
    """The Period of a calendar month."""
    start = date(year, month, 1)
    following = date(year + month // 12, month % 12 + 1, 1)
    return Period(start, following - timedelta(days=1))


def parse_month(raw: str | None, today: date) -> Period:
    """Read "YYYY-MM"; no value means last month (returns are filed for the month gone by)."""
    if raw is None or not raw.strip():
        last = today.replace(day=1) - timedelta(days=1)
        return month_period(last.year, last.month)
    match = _MONTH_RE.fullmatch(raw.strip())
    if not match or not 1 <= int(match.group(2)) <= 12:
        raise ValidationError(_("Pick a month as YYYY-MM, e.g. 2026-11."), field="month")
    period = month_period(int(match.group(1)), int(match.group(2)))
    if period.start < FIRST_GST_MONTH or period.start.year > 9998:
        raise ValidationError(_("GST returns start with July 2017."), field="month")
    return period


@dataclass(frozen=True)
class Shop:
    """What the returns need of the settings: the GSTIN and the home state."""

    gstin: str
    state: str

    @classmethod
    def of(cls, settings: ShopSettings) -> Shop:
        """The shop's GST identity; refused (409) without a GSTIN or under composition."""
        if not settings.tax_number:
            raise Conflict(
                _("GST returns need the shop's GSTIN: set it under Settings first."),
                code="no_gstin",
            )
        if settings.composition_scheme:
            raise Conflict(
                _("A composition taxpayer files CMP-08 and GSTR-4, not GSTR-1 and GSTR-3B."),
                code="composition_scheme",
            )
        return cls(settings.tax_number, settings.state_code or state_of(settings.tax_number))


# -- formatting ----------------------------------------------------------------------------


def amount(minor: int) -> Decimal:
    """Paise as an exact Decimal with 2 decimals (a JSON number, never a float)."""
    return Decimal(int(minor)).scaleb(-2)


def rate_text(bp: int) -> str:
    """A rate as the tool's lists write it: "18", "7.5", "0.25", "0"."""
    text = money_str(int(bp))
    return text.rstrip("0").rstrip(".") if "." in text else text


def csv_date(day: date) -> str:
    """dd-Mon-yyyy with English month names whatever the machine's locale (the tool's form)."""
    return f"{day.day:02d}-{MONTHS[day.month - 1]}-{day.year:04d}"


def json_date(day: date) -> str:
    return f"{day.day:02d}-{day.month:02d}-{day.year:04d}"


def place_label(code: str) -> str:
    """ "27-Maharashtra", the offline tool's spelling of a place of supply."""
    return f"{code}-{STATES[code]}" if code in STATES else code


def uqc(unit: str) -> str:
    return UQC.get(unit, "OTH")


def json_text(value: Any) -> str:
    """JSON text where Decimals are written as numbers exactly as they are ("12.50").

    json.dumps cannot write a Decimal as a number (its `default` hook must hand back a type it
    knows, and a float would round); this writer handles the shapes the returns use.
    """
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return "{" + ",".join(f"{json.dumps(k)}:{json_text(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list | tuple):
        return "[" + ",".join(json_text(v) for v in value) + "]"
    if isinstance(value, float):
        raise TypeError("floats never go into a return")
    return json.dumps(value, ensure_ascii=False)


def _local_day(moment: Any) -> date:
    return to_local(moment).date()


# -- the month's documents, per (document, rate) -------------------------------------------


def _bounds(period: Period) -> tuple[Any, Any]:
    return local_midnight_utc(period.start), local_midnight_utc(period.end + timedelta(days=1))


def _registered() -> Any:
    return func.coalesce(Customer.gstin, "") != ""


def _large(created_at: Any, total: Any) -> Any:
    """The B2CL size test at the invoice's own date (a note follows its invoice)."""
    cut = local_midnight_utc(B2CL_CUTOVER)
    return or_(
        and_(created_at < cut, total > B2CL_ABOVE_BEFORE),
        and_(created_at >= cut, total > B2CL_ABOVE),
    )


def _place(document_place: Any, shop: Shop) -> Any:
    """The stored place of supply; legacy rows ("") fall back to the buyer's state, then ours."""
    return func.coalesce(
        func.nullif(document_place, ""), func.nullif(Customer.state_code, ""), literal(shop.state)
    )


def _invoice_rates(period: Period, only: Any = None) -> Any:
    """Per (invoice, rate) of the month's issued (not void) invoices: values and heads.

    Lines are read from the covering index `ix_invoice_lines_report` (cess is tax minus the
    three heads, so the table is never touched), narrowed to the month's first..last id.
    `only` is a condition on the invoice that keeps an invoice-wise table (B2B, B2CL) from
    grouping the lines of every walk-in bill of the month.
    """
    lo, hi = _bounds(period)
    first = select(func.min(Invoice.id)).where(Invoice.created_at >= lo).scalar_subquery()
    last = select(func.max(Invoice.id)).where(Invoice.created_at < hi).scalar_subquery()
    return (
        select(
            InvoiceLine.invoice_id.label("iid"),
            InvoiceLine.tax_rate_bp.label("rate"),
            func.sum(InvoiceLine.taxable).label("taxable"),
            func.sum(InvoiceLine.tax).label("tax"),
            func.sum(InvoiceLine.cgst).label("cgst"),
            func.sum(InvoiceLine.sgst).label("sgst"),
            func.sum(InvoiceLine.igst).label("igst"),
        )
        .join(Invoice, Invoice.id == InvoiceLine.invoice_id)
        .where(
            InvoiceLine.invoice_id.between(first, last),
            Invoice.created_at >= lo,
            Invoice.created_at < hi,
            Invoice.status != "void",
            *([] if only is None else [only]),
        )
        .group_by(InvoiceLine.invoice_id, InvoiceLine.tax_rate_bp)
        .subquery()
    )


def _note_rates(period: Period) -> Any:
    """Per (credit note, rate) of the notes issued in the month (a return counts on its day)."""
    lo, hi = _bounds(period)
    return (
        select(
            CreditNoteLine.credit_note_id.label("nid"),
            InvoiceLine.tax_rate_bp.label("rate"),
            func.sum(CreditNoteLine.taxable).label("taxable"),
            func.sum(CreditNoteLine.tax).label("tax"),
            func.sum(CreditNoteLine.cgst).label("cgst"),
            func.sum(CreditNoteLine.sgst).label("sgst"),
            func.sum(CreditNoteLine.igst).label("igst"),
        )
        .join(CreditNote, CreditNote.id == CreditNoteLine.credit_note_id)
        .join(InvoiceLine, InvoiceLine.id == CreditNoteLine.invoice_line_id)
        .where(CreditNote.created_at >= lo, CreditNote.created_at < hi)
        .group_by(CreditNoteLine.credit_note_id, InvoiceLine.tax_rate_bp)
        .subquery()
    )


def _taxed(split: Any, rate: Any) -> Any:
    """A taxable supply: a tax invoice's line with a rate (not nil rated, no bill of supply)."""
    return and_(split != "none", rate > 0)


def _invoice_rows(period: Period, shop: Shop, only: Any = None) -> Any:
    """Every (invoice, rate) of the month with what classifies it, as one subquery."""
    per = _invoice_rates(period, only)
    return (
        select(
            Invoice.id.label("doc_id"),
            Invoice.number.label("number"),
            Invoice.created_at.label("created_at"),
            Invoice.total.label("value"),
            Invoice.tax_split.label("split"),
            _place(Invoice.place_of_supply, shop).label("pos"),
            func.coalesce(Customer.gstin, "").label("gstin"),
            func.coalesce(func.nullif(Customer.legal_name, ""), Customer.name, "").label("buyer"),
            case((_registered(), 1), else_=0).label("reg"),
            case((_large(Invoice.created_at, Invoice.total), 1), else_=0).label("large"),
            per.c.rate,
            per.c.taxable,
            per.c.cgst,
            per.c.sgst,
            per.c.igst,
            (per.c.tax - per.c.cgst - per.c.sgst - per.c.igst).label("cess"),
        )
        .join(per, per.c.iid == Invoice.id)
        .outerjoin(Customer, Customer.id == Invoice.customer_id)
        .subquery()
    )


def _note_rows(period: Period, shop: Shop) -> Any:
    """Every (credit note, rate) of the month, classified by the invoice it goes against."""
    per = _note_rates(period)
    return (
        select(
            CreditNote.id.label("doc_id"),
            CreditNote.number.label("number"),
            CreditNote.created_at.label("created_at"),
            CreditNote.total.label("value"),
            Invoice.tax_split.label("split"),
            _place(
                func.coalesce(func.nullif(CreditNote.place_of_supply, ""), Invoice.place_of_supply),
                shop,
            ).label("pos"),
            func.coalesce(Customer.gstin, "").label("gstin"),
            func.coalesce(func.nullif(Customer.legal_name, ""), Customer.name, "").label("buyer"),
            case((_registered(), 1), else_=0).label("reg"),
            case((_large(Invoice.created_at, Invoice.total), 1), else_=0).label("large"),
            per.c.rate,
            per.c.taxable,
            per.c.cgst,
            per.c.sgst,
            per.c.igst,
            (per.c.tax - per.c.cgst - per.c.sgst - per.c.igst).label("cess"),
        )
        .join(per, per.c.nid == CreditNote.id)
        .join(Invoice, Invoice.id == CreditNote.invoice_id)
        .outerjoin(Customer, Customer.id == Invoice.customer_id)
        .subquery()
    )


def _b2cl(rows: Any) -> Any:
    return and_(rows.c.reg == 0, rows.c.split == "igst", rows.c.large == 1)


# -- GSTR-1 tables --------------------------------------------------------------------------


@dataclass(frozen=True)
class Table:
    """One GSTR-1 table: its file in the ZIP, the tool's columns, and how to build it."""

    key: str
    file: str
    title: str
    build: Callable[..., Report]
    csv_width: int | None = None  # columns past this are for the page only


B2B_COLUMNS = [
    ("GSTIN/UIN of Recipient", "text"),
    ("Receiver Name", "text"),
    ("Invoice Number", "text"),
    ("Invoice date", "text"),
    ("Invoice Value", "money"),
    ("Place Of Supply", "text"),
    ("Reverse Charge", "text"),
    ("Applicable % of Tax Rate", "text"),
    ("Invoice Type", "text"),
    ("E-Commerce GSTIN", "text"),
    ("Rate", "text"),
    ("Taxable Value", "money"),
    ("Cess Amount", "money"),
]
B2CL_COLUMNS = [
    ("Invoice Number", "text"),
    ("Invoice date", "text"),
    ("Invoice Value", "money"),
    ("Place Of Supply", "text"),
    ("Applicable % of Tax Rate", "text"),
    ("Rate", "text"),
    ("Taxable Value", "money"),
    ("Cess Amount", "money"),
    ("E-Commerce GSTIN", "text"),
]
B2CS_COLUMNS = [
    ("Type", "text"),
    ("Place Of Supply", "text"),
    ("Applicable % of Tax Rate", "text"),
    ("Rate", "text"),
    ("Taxable Value", "money"),
    ("Cess Amount", "money"),
    ("E-Commerce GSTIN", "text"),
]
CDNR_COLUMNS = [
    ("GSTIN/UIN of Recipient", "text"),
    ("Receiver Name", "text"),
    ("Note Number", "text"),
    ("Note Date", "text"),
    ("Note Type", "text"),
    ("Place Of Supply", "text"),
    ("Reverse Charge", "text"),
    ("Note Supply Type", "text"),
    ("Note Value", "money"),
    ("Applicable % of Tax Rate", "text"),
    ("Rate", "text"),
    ("Taxable Value", "money"),
    ("Cess Amount", "money"),
]
CDNUR_COLUMNS = [
    ("UR Type", "text"),
    ("Note Number", "text"),
    ("Note Date", "text"),
    ("Note Type", "text"),
    ("Place Of Supply", "text"),
    ("Note Value", "money"),
    ("Applicable % of Tax Rate", "text"),
    ("Rate", "text"),
    ("Taxable Value", "money"),
    ("Cess Amount", "money"),
]
HSN_COLUMNS = [
    ("HSN", "text"),
    ("Description", "text"),
    ("UQC", "text"),
    ("Total Quantity", "qty"),
    ("Total Value", "money"),
    ("Rate", "text"),
    ("Taxable Value", "money"),
    ("Integrated Tax Amount", "money"),
    ("Central Tax Amount", "money"),
    ("State/UT Tax Amount", "money"),
    ("Cess Amount", "money"),
]
EXEMP_COLUMNS = [
    ("Description", "text"),
    ("Nil Rated Supplies", "money"),
    ("Exempted(other than nil rated/non GST supply)", "money"),
    ("Non-GST Supplies", "money"),
]
DOCS_COLUMNS = [
    ("Nature of Document", "text"),
    ("Sr. No. From", "text"),
    ("Sr. No. To", "text"),
    ("Total Number", "number"),
    ("Cancelled", "number"),
    ("Net issued", "number"),
]


def _money_titles(columns: list[tuple[str, str]]) -> list[str]:
    return [title for title, kind in columns if kind == "money"]


def _finish(
    title: str,
    columns: list[tuple[str, str]],
    rows: Iterable[list[Any]],
    limit: int | None,
    stream: bool,
) -> Report:
    return collect(title, columns, rows, _money_titles(columns), limit=limit, stream=stream)


def _b2b_stmt(period: Period, shop: Shop) -> Any:
    buyers = select(Customer.id).where(Customer.gstin != "")
    rows = _invoice_rows(period, shop, Invoice.customer_id.in_(buyers))
    return (
        select(rows)
        .where(rows.c.reg == 1, _taxed(rows.c.split, rows.c.rate))
        .order_by(rows.c.gstin, rows.c.created_at, rows.c.doc_id, rows.c.rate)
    )


def b2b(
    session: Session,
    period: Period,
    shop: Shop,
    *,
    limit: int | None = None,
    stream: bool = False,
    memo: Memo | None = None,
) -> Report:
    """Table 4A: invoices to registered buyers, one row per invoice and rate."""
    source = (
        [
            r.gstin,
            r.buyer,
            r.number,
            csv_date(_local_day(r.created_at)),
            int(r.value),
            place_label(r.pos),
            "N",
            "",
            "Regular B2B",
            "",
            rate_text(r.rate),
            int(r.taxable),
            int(r.cess),
        ]
        for r in batches(session, _b2b_stmt(period, shop))
    )
    return _finish("B2B invoices (4A)", B2B_COLUMNS, source, limit, stream)


def _b2cl_stmt(period: Period, shop: Shop) -> Any:
    # The lower of the two thresholds narrows; `_b2cl` then applies the invoice's own.
    rows = _invoice_rows(
        period, shop, and_(Invoice.tax_split == "igst", Invoice.total > B2CL_ABOVE)
    )
    return (
        select(rows)
        .where(_b2cl(rows), _taxed(rows.c.split, rows.c.rate))
        .order_by(rows.c.pos, rows.c.created_at, rows.c.doc_id, rows.c.rate)
    )


def b2cl(
    session: Session,
    period: Period,
    shop: Shop,
    *,
    limit: int | None = None,
    stream: bool = False,
    memo: Memo | None = None,
) -> Report:
    """Table 5: inter-state invoices above the B2CL threshold to unregistered buyers."""
    source = (
        [
            r.number,
            csv_date(_local_day(r.created_at)),
            int(r.value),
            place_label(r.pos),
            "",
            rate_text(r.rate),
            int(r.taxable),
            int(r.cess),
            "",
        ]
        for r in batches(session, _b2cl_stmt(period, shop))
    )
    return _finish("B2C large invoices (5)", B2CL_COLUMNS, source, limit, stream)


@dataclass(frozen=True)
class Group:
    """The month's supplies of one kind, invoices less credit notes (paise)."""

    reg: bool
    split: str
    pos: str
    rate: int
    large: bool
    taxable: int
    igst: int
    cgst: int
    sgst: int
    cess: int

    @property
    def taxed(self) -> bool:
        """A taxable supply (see `_taxed`)."""
        return self.split != "none" and self.rate > 0

    @property
    def b2cl(self) -> bool:
        return not self.reg and self.split == "igst" and self.large

    @property
    def heads(self) -> tuple[int, int, int, int, int]:
        return self.taxable, self.igst, self.cgst, self.sgst, self.cess


def _line_rows(period: Period, shop: Shop) -> Any:
    """The month's invoice lines (not void) with what classifies them, unaggregated."""
    lo, hi = _bounds(period)
    return (
        select(
            case((_registered(), 1), else_=0).label("reg"),
            Invoice.tax_split.label("split"),
            _place(Invoice.place_of_supply, shop).label("pos"),
            InvoiceLine.tax_rate_bp.label("rate"),
            case((_large(Invoice.created_at, Invoice.total), 1), else_=0).label("large"),
            InvoiceLine.taxable.label("taxable"),
            InvoiceLine.igst.label("igst"),
            InvoiceLine.cgst.label("cgst"),
            InvoiceLine.sgst.label("sgst"),
            (InvoiceLine.tax - InvoiceLine.cgst - InvoiceLine.sgst - InvoiceLine.igst).label(
                "cess"
            ),
        )
        .join(Invoice, Invoice.id == InvoiceLine.invoice_id)
        .outerjoin(Customer, Customer.id == Invoice.customer_id)
        .where(Invoice.created_at >= lo, Invoice.created_at < hi, Invoice.status != "void")
        .subquery()
    )


def month_groups(session: Session, period: Period, shop: Shop) -> list[Group]:
    """The month grouped by (registered, split, place, rate, B2CL size), invoices less notes.

    Lines are grouped straight away (no per-invoice step); the keys are computed in a
    subquery so that the outer GROUP BY names plain columns on every database.
    """
    sums: dict[tuple[int, str, str, int, int], list[int]] = {}
    for sign, rows in ((1, _line_rows(period, shop)), (-1, _note_rows(period, shop))):
        keys = (rows.c.reg, rows.c.split, rows.c.pos, rows.c.rate, rows.c.large)
        values = (rows.c.taxable, rows.c.igst, rows.c.cgst, rows.c.sgst, rows.c.cess)
        stmt = select(*keys, *(func.sum(v) for v in values)).group_by(*keys)
        for reg, split, pos, rate, large, *amounts in session.execute(stmt):
            row = sums.setdefault((int(reg), split, pos, int(rate), int(large)), [0] * 5)
            for i, value in enumerate(amounts):
                row[i] += sign * int(value)
    return [
        Group(bool(reg), split, pos, rate, bool(large), *values)
        for (reg, split, pos, rate, large), values in sorted(sums.items())
    ]


B2csKey = tuple[str, str, int]


def _b2cs_sums(groups: list[Group]) -> dict[B2csKey, list[int]]:
    """(split, place, rate) -> [taxable, IGST, CGST, SGST, cess], the month's B2C notes off."""
    sums: dict[B2csKey, list[int]] = {}
    for g in groups:
        if not g.reg and not g.b2cl and g.taxed:
            row = sums.setdefault((g.split, g.pos, g.rate), [0] * 5)
            for i, value in enumerate(g.heads):
                row[i] += value
    return dict(sorted(sums.items(), key=lambda item: (item[0][1], item[0][2], item[0][0])))


def b2cs(
    session: Session,
    period: Period,
    shop: Shop,
    *,
    limit: int | None = None,
    stream: bool = False,
    memo: Memo | None = None,
) -> Report:
    """Table 7: the other B2C supplies, rate-wise per place of supply, net of B2C notes."""
    sums = _b2cs_sums(_groups(session, period, shop, memo))
    source = (
        ["OE", place_label(pos), "", rate_text(rate), taxable, cess, ""]
        for (_split, pos, rate), (taxable, _i, _c, _s, cess) in sums.items()
    )
    return _finish("B2C small, rate-wise (7)", B2CS_COLUMNS, source, limit, stream)


def _notes_stmt(period: Period, shop: Shop, registered: bool) -> Any:
    rows = _note_rows(period, shop)
    which = rows.c.reg == 1 if registered else _b2cl(rows)
    return (
        select(rows)
        .where(which, _taxed(rows.c.split, rows.c.rate))
        .order_by(rows.c.gstin, rows.c.created_at, rows.c.doc_id, rows.c.rate)
    )


def cdnr(
    session: Session,
    period: Period,
    shop: Shop,
    *,
    limit: int | None = None,
    stream: bool = False,
    memo: Memo | None = None,
) -> Report:
    """Table 9B: credit notes to registered buyers, one row per note and rate."""
    source = (
        [
            r.gstin,
            r.buyer,
            r.number,
            csv_date(_local_day(r.created_at)),
            "C",
            place_label(r.pos),
            "N",
            "Regular B2B",
            int(r.value),
            "",
            rate_text(r.rate),
            int(r.taxable),
            int(r.cess),
        ]
        for r in batches(session, _notes_stmt(period, shop, registered=True))
    )
    return _finish("Credit notes, registered (9B)", CDNR_COLUMNS, source, limit, stream)


def cdnur(
    session: Session,
    period: Period,
    shop: Shop,
    *,
    limit: int | None = None,
    stream: bool = False,
    memo: Memo | None = None,
) -> Report:
    """Table 9B: credit notes to unregistered buyers against B2CL invoices."""
    source = (
        [
            "B2CL",
            r.number,
            csv_date(_local_day(r.created_at)),
            "C",
            place_label(r.pos),
            int(r.value),
            "",
            rate_text(r.rate),
            int(r.taxable),
            int(r.cess),
        ]
        for r in batches(session, _notes_stmt(period, shop, registered=False))
    )
    return _finish("Credit notes, unregistered (9B)", CDNUR_COLUMNS, source, limit, stream)


def _exemp_sums(groups: list[Group], shop: Shop) -> dict[str, list[int]]:
    """Supply type -> [nil rated, exempted, non-GST] taxable values, the month's notes off.

    Rate-0 lines of tax invoices are nil rated; bills of supply ("none") are exempt supplies.
    Inter-state: an IGST document, or a place of supply outside the shop's state.
    """
    sums = {key: [0, 0, 0] for key, _ in EXEMP_ROWS}
    for g in groups:
        if not g.taxed:
            inter = g.split == "igst" or g.pos != shop.state
            key = ("INTR" if inter else "INTRA") + ("B2B" if g.reg else "B2C")
            sums[key][1 if g.split == "none" else 0] += g.taxable
    return sums


def exemp(
    session: Session,
    period: Period,
    shop: Shop,
    *,
    limit: int | None = None,
    stream: bool = False,
    memo: Memo | None = None,
) -> Report:
    """Table 8: nil-rated and exempt supplies by supply type."""
    sums = _exemp_sums(_groups(session, period, shop, memo), shop)
    source = ([label, *sums[key]] for key, label in EXEMP_ROWS)
    return _finish("Nil rated and exempt (8)", EXEMP_COLUMNS, source, limit, stream)


def _hsn_columns(reg: Any, amounts: type[InvoiceLine] | type[CreditNoteLine]) -> Any:
    """The HSN summary's columns: the sold line's HSN, unit and rate, the amounts of `amounts`
    (the invoice line itself, or the credit-note line that returns part of it)."""
    return select(
        reg,
        InvoiceLine.hsn.label("hsn"),
        InvoiceLine.unit.label("unit"),
        InvoiceLine.tax_rate_bp.label("rate"),
        amounts.qty_milli.label("qty"),
        amounts.total.label("total"),
        amounts.taxable.label("taxable"),
        amounts.igst.label("igst"),
        amounts.cgst.label("cgst"),
        amounts.sgst.label("sgst"),
        amounts.tax.label("tax"),
    )


def _hsn_sides(session: Session, period: Period) -> dict[bool, list[list[Any]]]:
    """(HSN, unit, rate) groups of both sides (registered True = B2B), notes taken off."""
    lo, hi = _bounds(period)
    reg = case((_registered(), 1), else_=0).label("reg")
    sold = (
        _hsn_columns(reg, InvoiceLine)
        .join(Invoice, Invoice.id == InvoiceLine.invoice_id)
        .outerjoin(Customer, Customer.id == Invoice.customer_id)
        .where(Invoice.created_at >= lo, Invoice.created_at < hi, Invoice.status != "void")
        .subquery()
    )
    returned = (
        _hsn_columns(reg, CreditNoteLine)
        .join(CreditNote, CreditNote.id == CreditNoteLine.credit_note_id)
        .join(InvoiceLine, InvoiceLine.id == CreditNoteLine.invoice_line_id)
        .join(Invoice, Invoice.id == CreditNote.invoice_id)
        .outerjoin(Customer, Customer.id == Invoice.customer_id)
        .where(CreditNote.created_at >= lo, CreditNote.created_at < hi)
        .subquery()
    )
    sums: dict[tuple[int, str, str, int], list[int]] = {}
    for sign, lines in ((1, sold), (-1, returned)):
        stmt = select(
            lines.c.reg,
            lines.c.hsn,
            lines.c.unit,
            lines.c.rate,
            func.sum(lines.c.qty),
            func.sum(lines.c.total),
            func.sum(lines.c.taxable),
            func.sum(lines.c.igst),
            func.sum(lines.c.cgst),
            func.sum(lines.c.sgst),
            func.sum(lines.c.tax - lines.c.igst - lines.c.cgst - lines.c.sgst),
        ).group_by(lines.c.reg, lines.c.hsn, lines.c.unit, lines.c.rate)
        for reg, hsn, unit, rate, *values in session.execute(stmt):
            row = sums.setdefault((int(reg), hsn or "", unit, int(rate)), [0] * 7)
            for i, value in enumerate(values):
                row[i] += sign * int(value)
    ordered = sorted(sums.items(), key=lambda i: (i[0][1], i[0][3], i[0][2]))
    return {
        side: [
            [hsn, unit, rate, *values] for (reg, hsn, unit, rate), values in ordered if reg == side
        ]
        for side in (True, False)
    }


Memo = dict[str, Any]


def _memo(memo: Memo | None, key: str, build: Callable[[], Any]) -> Any:
    """One computation shared by the tables of one download or page (`memo`), else fresh."""
    if memo is None:
        return build()
    if key not in memo:
        memo[key] = build()
    return memo[key]


def _hsn_groups(
    session: Session, period: Period, registered: bool, memo: Memo | None = None
) -> list[list[Any]]:
    sides = _memo(memo, "hsn", lambda: _hsn_sides(session, period))
    return list(sides[registered])


def _groups(session: Session, period: Period, shop: Shop, memo: Memo | None) -> list[Group]:
    return list(_memo(memo, "groups", lambda: month_groups(session, period, shop)))


def _hsn(session: Session, period: Period, registered: bool, title: str, **kw: Any) -> Report:
    source = (
        [
            hsn,
            "",
            f"{uqc(unit)}-{UQC_NAMES[uqc(unit)]}",
            (qty, unit),
            total,
            rate_text(rate),
            taxable,
            igst,
            cgst,
            sgst,
            cess,
        ]
        for hsn, unit, rate, qty, total, taxable, igst, cgst, sgst, cess in _hsn_groups(
            session, period, registered, kw.get("memo")
        )
    )
    return _finish(title, HSN_COLUMNS, source, kw.get("limit"), kw.get("stream", False))


def hsn_b2b(session: Session, period: Period, shop: Shop, **kw: Any) -> Report:
    """Table 12, B2B tab: HSN-wise summary of supplies to registered buyers."""
    return _hsn(session, period, True, "HSN summary, B2B (12)", **kw)


def hsn_b2c(session: Session, period: Period, shop: Shop, **kw: Any) -> Report:
    """Table 12, B2C tab: HSN-wise summary of supplies to unregistered buyers."""
    return _hsn(session, period, False, "HSN summary, B2C (12)", **kw)


def _series(session: Session, model: Any, period: Period, voided: bool) -> list[list[Any]]:
    """Per numbering series (financial year) of a document kind: first, last, count, cancelled."""
    lo, hi = _bounds(period)
    cancelled = func.sum(case((model.status == "void", 1), else_=0)) if voided else literal(0)
    stmt = (
        select(model.fy, func.min(model.seq), func.max(model.seq), func.count(), cancelled)
        .where(model.created_at >= lo, model.created_at < hi)
        .group_by(model.fy)
        .order_by(model.fy)
    )
    out = []
    for fy, first, last, count, void in session.execute(stmt).all():
        numbers: dict[int, str] = {
            int(seq): str(number)
            for seq, number in session.execute(
                select(model.seq, model.number).where(model.fy == fy, model.seq.in_([first, last]))
            )
        }
        out.append([numbers[first], numbers[last], int(count), int(void or 0)])
    return out


def docs(
    session: Session,
    period: Period,
    shop: Shop,
    *,
    limit: int | None = None,
    stream: bool = False,
    memo: Memo | None = None,
) -> Report:
    """Table 13: documents issued in the month, per series; voided invoices are cancelled."""
    rows = [
        [nature, first, last, count, void, count - void]
        for nature, model, voided in (
            (INVOICES_DOC, Invoice, True),
            (CREDIT_NOTES_DOC, CreditNote, False),
        )
        for first, last, count, void in _series(session, model, period, voided)
    ]
    return _finish("Documents issued (13)", DOCS_COLUMNS, rows, limit, stream)


TABLES: list[Table] = [
    Table("b2b", "b2b.csv", "B2B invoices (4A)", b2b),
    Table("b2cl", "b2cl.csv", "B2C large invoices (5)", b2cl),
    Table("b2cs", "b2cs.csv", "B2C small (7)", b2cs),
    Table("cdnr", "cdnr.csv", "Credit notes, registered (9B)", cdnr),
    Table("cdnur", "cdnur.csv", "Credit notes, unregistered (9B)", cdnur),
    Table("exemp", "exemp.csv", "Nil rated and exempt (8)", exemp),
    Table("hsn_b2b", "hsn(b2b).csv", "HSN summary, B2B (12)", hsn_b2b),
    Table("hsn_b2c", "hsn(b2c).csv", "HSN summary, B2C (12)", hsn_b2c),
    Table("docs", "docs.csv", "Documents issued (13)", docs, csv_width=5),
]


def csv_rows(report: Report, width: int | None = None) -> Iterator[list[str]]:
    """A table as the offline tool imports it: the header, then the rows (no totals row)."""
    columns = report.columns[:width]
    yield [title for title, _ in columns]
    for row in report.rows:
        yield [_cell(kind, value) for (_, kind), value in zip(columns, row, strict=False)]


def _cell(kind: str, value: Any) -> str:
    if kind == "money":
        return money_str(value)
    if kind == "qty":
        milli, unit = value
        return qty_str(milli, unit)
    return str(value)


# -- GSTR-1 JSON ---------------------------------------------------------------------------


def _itm(num: int, r: Any, heads: tuple[str, ...]) -> dict[str, Any]:
    det: dict[str, Any] = {"rt": Decimal(rate_text(r.rate)), "txval": amount(r.taxable)}
    for key, column in (("iamt", "igst"), ("camt", "cgst"), ("samt", "sgst")):
        if key in heads:
            det[key] = amount(getattr(r, column))
    det["csamt"] = amount(r.cess)
    return {"num": num, "itm_det": det}


def _documents(rows: Iterable[Any]) -> Iterator[tuple[Any, list[Any]]]:
    """Group consecutive (document, rate) rows by document: (first row, all its rows)."""
    current: list[Any] = []
    for row in rows:
        if current and current[0].doc_id != row.doc_id:
            yield current[0], current
            current = []
        current.append(row)
    if current:
        yield current[0], current


def _items(rows: list[Any], heads: tuple[str, ...]) -> list[dict[str, Any]]:
    # The portal numbers items rate by rate: num = rate * 100 + 1 for a goods line.
    return [_itm(int(r.rate) + 1, r, heads) for r in rows]


ALL_HEADS = ("iamt", "camt", "samt")


def _b2b_json(session: Session, period: Period, shop: Shop) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for head, rows in _documents(batches(session, _b2b_stmt(period, shop))):
        if not out or out[-1]["ctin"] != head.gstin:
            out.append({"ctin": head.gstin, "inv": []})
        out[-1]["inv"].append(
            {
                "inum": head.number,
                "idt": json_date(_local_day(head.created_at)),
                "val": amount(head.value),
                "pos": head.pos,
                "rchrg": "N",
                "inv_typ": "R",
                "itms": _items(rows, ALL_HEADS),
            }
        )
    return out


def _b2cl_json(session: Session, period: Period, shop: Shop) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for head, rows in _documents(batches(session, _b2cl_stmt(period, shop))):
        if not out or out[-1]["pos"] != head.pos:
            out.append({"pos": head.pos, "inv": []})
        out[-1]["inv"].append(
            {
                "inum": head.number,
                "idt": json_date(_local_day(head.created_at)),
                "val": amount(head.value),
                "itms": _items(rows, ("iamt",)),
            }
        )
    return out


def _b2cs_json(groups: list[Group]) -> list[dict[str, Any]]:
    out = []
    for (split, pos, rate), (taxable, igst, cgst, sgst, cess) in _b2cs_sums(groups).items():
        row: dict[str, Any] = {
            "sply_ty": "INTER" if split == "igst" else "INTRA",
            "pos": pos,
            "typ": "OE",
            "rt": Decimal(rate_text(rate)),
            "txval": amount(taxable),
        }
        if split == "igst":
            row["iamt"] = amount(igst)
        else:
            row["camt"], row["samt"] = amount(cgst), amount(sgst)
        row["csamt"] = amount(cess)
        out.append(row)
    return out


def _cdn_json(session: Session, period: Period, shop: Shop, registered: bool) -> list[Any]:
    out: list[dict[str, Any]] = []
    stmt = _notes_stmt(period, shop, registered)
    for head, rows in _documents(batches(session, stmt)):
        note: dict[str, Any] = {
            "ntty": "C",
            "nt_num": head.number,
            "nt_dt": json_date(_local_day(head.created_at)),
            "val": amount(head.value),
            "pos": head.pos,
        }
        if registered:
            note.update({"rchrg": "N", "inv_typ": "R", "itms": _items(rows, ALL_HEADS)})
            if not out or out[-1]["ctin"] != head.gstin:
                out.append({"ctin": head.gstin, "nt": []})
            out[-1]["nt"].append(note)
        else:
            out.append({"typ": "B2CL", **note, "itms": _items(rows, ("iamt",))})
    return out


def _hsn_json(
    session: Session, period: Period, registered: bool, memo: Memo | None
) -> list[dict[str, Any]]:
    return [
        {
            "num": num,
            "hsn_sc": hsn,
            "desc": "",
            "uqc": uqc(unit),
            "qty": Decimal(qty_str(qty)),
            "rt": Decimal(rate_text(rate)),
            "txval": amount(taxable),
            "iamt": amount(igst),
            "camt": amount(cgst),
            "samt": amount(sgst),
            "csamt": amount(cess),
        }
        for num, (hsn, unit, rate, qty, _total, taxable, igst, cgst, sgst, cess) in enumerate(
            _hsn_groups(session, period, registered, memo), start=1
        )
    ]


def _exemp_json(groups: list[Group], shop: Shop) -> dict[str, Any]:
    sums = _exemp_sums(groups, shop)
    return {
        "inv": [
            {
                "sply_ty": key,
                "nil_amt": amount(sums[key][0]),
                "expt_amt": amount(sums[key][1]),
                "ngsup_amt": amount(sums[key][2]),
            }
            for key, _ in EXEMP_ROWS
        ]
    }


def _doc_issue_json(session: Session, period: Period) -> dict[str, Any]:
    details = []
    for doc_num, nature, model, voided in (
        (1, INVOICES_DOC, Invoice, True),
        (5, CREDIT_NOTES_DOC, CreditNote, False),
    ):
        series = _series(session, model, period, voided)
        if series:
            details.append(
                {
                    "doc_num": doc_num,
                    "doc_typ": nature,
                    "docs": [
                        {
                            "num": num,
                            "from": first,
                            "to": last,
                            "totnum": count,
                            "cancel": void,
                            "net_issue": count - void,
                        }
                        for num, (first, last, count, void) in enumerate(series, start=1)
                    ],
                }
            )
    return {"doc_det": details}


def gstr1_data(
    session: Session, period: Period, shop: Shop, memo: Memo | None = None
) -> dict[str, Any]:
    """The GSTR-1 upload as the portal reads it (amounts as Decimal; write with `json_text`).

    Empty sections are left out, as the offline tool leaves them out.
    """
    data: dict[str, Any] = {"gstin": shop.gstin, "fp": period.fp}
    groups = _groups(session, period, shop, memo)
    sections: dict[str, Any] = {
        "b2b": _b2b_json(session, period, shop),
        "b2cl": _b2cl_json(session, period, shop),
        "b2cs": _b2cs_json(groups),
        "cdnr": _cdn_json(session, period, shop, registered=True),
        "cdnur": _cdn_json(session, period, shop, registered=False),
    }
    exempt = _exemp_json(groups, shop)
    if any(v != 0 for row in exempt["inv"] for k, v in row.items() if k != "sply_ty"):
        sections["nil"] = exempt
    hsn = {
        "hsn_b2b": _hsn_json(session, period, True, memo),
        "hsn_b2c": _hsn_json(session, period, False, memo),
    }
    sections["hsn"] = {k: v for k, v in hsn.items() if v}
    sections["doc_issue"] = _doc_issue_json(session, period)
    data.update({k: v for k, v in sections.items() if v and v != {"doc_det": []}})
    return data


def gstr1_zip(session: Session, period: Period, shop: Shop, out: IO[bytes]) -> None:
    """Write every GSTR-1 CSV (the offline tool's names) and the portal JSON into a ZIP.

    Each CSV streams from its query into the archive; nothing holds the month in memory.
    The grouped figures (B2CS, table 8, HSN) are computed once for the CSVs and the JSON.
    """
    memo: Memo = {}
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for table in TABLES:
            report = table.build(session, period, shop, stream=True, memo=memo)
            with archive.open(table.file, "w") as member:
                for chunk in csv_text(safe_rows(csv_rows(report, table.csv_width))):
                    member.write(chunk.encode("utf-8"))
        name = f"GSTR1_{shop.gstin}_{period.fp}.json"
        archive.writestr(name, json_text(gstr1_data(session, period, shop, memo)))


# -- GSTR-3B -------------------------------------------------------------------------------


@dataclass
class Heads:
    """A taxable value and its four heads in paise."""

    taxable: int = 0
    igst: int = 0
    cgst: int = 0
    sgst: int = 0
    cess: int = 0

    def add(self, values: Iterable[Any], sign: int = 1) -> None:
        taxable, igst, cgst, sgst, cess = (int(v or 0) for v in values)
        self.taxable += sign * taxable
        self.igst += sign * igst
        self.cgst += sign * cgst
        self.sgst += sign * sgst
        self.cess += sign * cess

    def json(self, keys: tuple[str, ...] = ("txval", "iamt", "camt", "samt", "csamt")) -> Any:
        values = {
            "txval": self.taxable,
            "iamt": self.igst,
            "camt": self.cgst,
            "samt": self.sgst,
            "csamt": self.cess,
        }
        return {key: amount(values[key]) for key in keys}


@dataclass
class Gstr3b:
    """The GSTR-3B figures of a month (paise)."""

    period: Period
    gstin: str
    outward: Heads = field(default_factory=Heads)  # 3.1(a)
    nil_exempt: Heads = field(default_factory=Heads)  # 3.1(c), taxable value only
    unregistered_inter: dict[str, Heads] = field(default_factory=dict)  # 3.2, by place
    itc_other: Heads = field(default_factory=Heads)  # 4(A)(5)
    itc_bills: int = 0

    def json(self) -> dict[str, Any]:
        zero = Heads()
        itc_heads = ("iamt", "camt", "samt", "csamt")
        return {
            "gstin": self.gstin,
            "ret_period": self.period.fp,
            "sup_details": {
                "osup_det": self.outward.json(),
                "osup_zero": zero.json(("txval", "iamt", "csamt")),
                "osup_nil_exmp": self.nil_exempt.json(("txval",)),
                "isup_rev": zero.json(),
                "osup_nongst": zero.json(("txval",)),
            },
            "inter_sup": {
                "unreg_details": [
                    {"pos": pos, **heads.json(("txval", "iamt"))}
                    for pos, heads in self.unregistered_inter.items()
                ],
                "comp_details": [],
                "uin_details": [],
            },
            "itc_elg": {
                "itc_avl": [
                    {"ty": ty, **(self.itc_other if ty == "OTH" else zero).json(itc_heads)}
                    for ty in ("IMPG", "IMPS", "ISRC", "ISD", "OTH")
                ],
                "itc_rev": [{"ty": ty, **zero.json(itc_heads)} for ty in ("RUL", "OTH")],
                "itc_net": self.itc_other.json(itc_heads),
                "itc_inelg": [{"ty": ty, **zero.json(itc_heads)} for ty in ("RUL", "OTH")],
            },
        }


def gstr3b(session: Session, period: Period, shop: Shop) -> Gstr3b:
    """GSTR-3B: outward supplies net of the month's credit notes, 3.2, and input tax credit."""
    result = Gstr3b(period, shop.gstin)
    places: dict[str, Heads] = {}
    for g in month_groups(session, period, shop):
        if not g.taxed:
            result.nil_exempt.taxable += g.taxable
            continue
        result.outward.add(g.heads)
        if not g.reg and g.split == "igst":
            places.setdefault(g.pos, Heads()).add(g.heads)
    result.unregistered_inter = dict(sorted(places.items()))

    lo, hi = _bounds(period)
    # The bill's own date decides its month; a bill entered without one counts on entry.
    dated = or_(
        Purchase.bill_date.between(period.start, period.end),
        and_(Purchase.bill_date.is_(None), Purchase.created_at >= lo, Purchase.created_at < hi),
    )
    itc = session.execute(
        select(
            func.sum(PurchaseLine.taxable),
            func.sum(PurchaseLine.igst),
            func.sum(PurchaseLine.cgst),
            func.sum(PurchaseLine.sgst),
            func.sum(PurchaseLine.cess),
            func.count(func.distinct(Purchase.id)),
        )
        .join(Purchase, Purchase.id == PurchaseLine.purchase_id)
        .where(Purchase.supplier_gstin != "", dated)
    ).one()
    result.itc_other.add(itc[:5])
    result.itc_bills = int(itc[5] or 0)
    return result


def gstr3b_report(summary: Gstr3b) -> Report:
    """GSTR-3B as a page table: one row per section."""
    columns = [
        ("Section", "text"),
        ("Taxable value", "money"),
        ("Integrated tax", "money"),
        ("Central tax", "money"),
        ("State/UT tax", "money"),
        ("Cess", "money"),
    ]

    def row(label: str, h: Heads) -> list[Any]:
        return [label, h.taxable, h.igst, h.cgst, h.sgst, h.cess]

    rows = [
        row("3.1(a) Outward taxable supplies (net of credit notes)", summary.outward),
        row("3.1(c) Nil rated and exempted supplies", summary.nil_exempt),
        *(
            row(f"3.2 Inter-state to unregistered persons, {place_label(pos)}", h)
            for pos, h in summary.unregistered_inter.items()
        ),
        row(f"4(A)(5) All other ITC ({summary.itc_bills} bill(s))", summary.itc_other),
    ]
    return Report("GSTR-3B", columns, rows)
