"""Price a cart by docs/DESIGN.md §2: line and bill discounts, tax included or added, and
the GST heads (equal CGST/SGST halves intra-state, IGST inter-state, none on a bill of supply).

Also the per-rate tax summary, and which of a priced cart's discounts are above the shop's audit
threshold.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Protocol

from posapp.errors import ValidationError
from posapp.i18n import _
from posapp.money import (
    BP_100_PERCENT,
    MAX_MONEY_MINOR,
    MILLI,
    money_str,
    parse_money,
    parse_percent_bp,
    round_half_up_div,
)


@dataclass(frozen=True)
class LineInput:
    """One cart line as priced: unit price (minor), quantity (thousandths), rate (bp).

    `fixed_gross` is set for a line whose amount is fixed by something else than price ×
    quantity: a scale's price label sells exactly its printed price (docs/DESIGN.md §2).
    """

    unit_price: int
    qty_milli: int
    tax_rate_bp: int
    discount: int = 0
    fixed_gross: int | None = None


@dataclass(frozen=True)
class BillDiscount:
    """A bill discount: an amount in minor units, or a percentage in basis points."""

    amount: int = 0
    percent_bp: int = 0

    @property
    def is_zero(self) -> bool:
        return self.amount == 0 and self.percent_bp == 0


# How a bill charges GST: "cgst_sgst" (intra-state: equal central and state halves), "igst"
# (inter-state: one integrated tax) or "none" (a bill of supply: composition scheme, no tax).
TAX_SPLITS: tuple[str, ...] = ("cgst_sgst", "igst", "none")

# `tax_rule` of an invoice or credit note: 1 for documents issued before the heads were
# stored per line (a rate row's odd paisa went to CGST), 2 for equal halves stored per line.
LEGACY_TAX_RULE = 1
TAX_RULE = 2


@dataclass(frozen=True)
class PricedLine:
    """A priced line; `total` is what the customer pays for it.

    `tax = cgst + sgst + igst + cess`; on an intra-state line `cgst == sgst`.
    """

    gross: int
    line_discount: int
    bill_discount_share: int
    net: int
    taxable: int
    tax: int
    total: int
    tax_rate_bp: int
    cgst: int = 0
    sgst: int = 0
    igst: int = 0
    cess: int = 0

    @property
    def discount(self) -> int:
        return self.line_discount + self.bill_discount_share


@dataclass(frozen=True)
class TaxRow:
    """Tax summary for one rate: taxable value, tax and its heads (tax = their sum)."""

    rate_bp: int
    taxable: int
    tax: int
    cgst: int = 0
    sgst: int = 0
    igst: int = 0
    cess: int = 0

    @classmethod
    def legacy(cls, rate_bp: int, taxable: int, tax: int) -> TaxRow:
        """A row of a document issued under tax_rule 1: the whole tax was split into halves
        per rate row, the central half taking the odd paisa (how those documents printed)."""
        sign = -1 if tax < 0 else 1
        cgst = sign * ((abs(tax) + 1) // 2)
        return cls(rate_bp, taxable, tax, cgst=cgst, sgst=tax - cgst)

    @property
    def half_rate_bp(self) -> Decimal:
        """Half the rate in basis points (may end in .5: 2.5 % of 5 %)."""
        return Decimal(self.rate_bp) / 2


class TaxedLine(Protocol):
    """Anything with a rate, a taxable value, a tax and its heads: priced lines, invoice and
    credit-note lines, per-rate sums."""

    @property
    def tax_rate_bp(self) -> int: ...
    @property
    def taxable(self) -> int: ...
    @property
    def tax(self) -> int: ...
    @property
    def cgst(self) -> int: ...
    @property
    def sgst(self) -> int: ...
    @property
    def igst(self) -> int: ...
    @property
    def cess(self) -> int: ...


def summarise_tax(lines: Iterable[TaxedLine], rule: int = TAX_RULE) -> list[TaxRow]:
    """Sum taxable value, tax and heads per rate, lowest rate first (the one tax summary).

    `rule` is the document's `tax_rule`: 2 sums the heads stored on the lines; 1 (documents
    issued before the heads were stored) splits each rate row's tax the legacy way, so an old
    document reprints exactly as issued.
    """
    sums: dict[int, list[int]] = {}
    for line in lines:
        row = sums.setdefault(line.tax_rate_bp, [0] * 6)
        row[0] += line.taxable
        row[1] += line.tax
        row[2] += line.cgst
        row[3] += line.sgst
        row[4] += line.igst
        row[5] += line.cess
    if rule == LEGACY_TAX_RULE:
        return [TaxRow.legacy(rate, v[0], v[1]) for rate, v in sorted(sums.items())]
    return [TaxRow(rate, *values) for rate, values in sorted(sums.items())]


@dataclass(frozen=True)
class PricedCart:
    """The whole priced cart; every invariant of docs/DESIGN.md §2 holds on it."""

    lines: list[PricedLine]
    subtotal: int
    line_discount_total: int
    bill_discount: int
    discount_total: int
    taxable_total: int
    tax_total: int
    round_off: int
    total: int
    tax_summary: list[TaxRow] = field(default_factory=list)
    tax_split: str = "cgst_sgst"


def parse_bill_discount(value: object) -> BillDiscount:
    """Parse a bill discount: "10%" (percent) or an amount ("25.00", 25)."""
    if value is None or value == "":
        return BillDiscount()
    if isinstance(value, str) and value.strip().endswith("%"):
        bp = parse_percent_bp(value.strip()[:-1].strip(), field="discount")
        return BillDiscount(percent_bp=bp)
    return BillDiscount(amount=parse_money(value, field="discount"))


def line_gross(unit_price: int, qty_milli: int) -> int:
    """Return round_half_up(unit_price * qty) in minor units."""
    return round_half_up_div(unit_price * qty_milli, MILLI)


def allocate(amount: int, weights: list[int]) -> list[int]:
    """Split `amount` over `weights` pro rata, largest remainder first, so parts add up exactly."""
    total_weight = sum(weights)
    if amount == 0 or total_weight == 0:
        return [0] * len(weights)
    if amount > total_weight:
        raise ValueError("cannot allocate more than the weights")
    shares = [amount * w // total_weight for w in weights]
    remainders = [amount * w % total_weight for w in weights]
    left = amount - sum(shares)
    # Ties go to the earlier line, so the result is deterministic.
    order = sorted(range(len(weights)), key=lambda i: (-remainders[i], i))
    for i in order[:left]:
        shares[i] += 1
    return shares


@dataclass(frozen=True)
class LineTax:
    """What a line's net amount comes to: taxable value, the tax heads and the line total."""

    taxable: int
    cgst: int
    sgst: int
    igst: int
    total: int

    @property
    def tax(self) -> int:
        return self.cgst + self.sgst + self.igst


def tax_for(net: int, rate_bp: int, prices_include_tax: bool, tax_split: str) -> LineTax:
    """Split a line's net amount into taxable value and tax heads (docs/DESIGN.md §2).

    Intra-state, each half is rounded on its own (half the rate on the taxable value, or half
    the tax a price contains), so CGST == SGST always. Prices with tax always come to exactly
    `net`: the taxable value is what the tax leaves.
    """
    if tax_split == "none" or rate_bp == 0:
        return LineTax(net, 0, 0, 0, net)
    if tax_split == "cgst_sgst":
        if prices_include_tax:
            # The half of the tax a price contains: net × (rate/2) / (100 % + rate).
            half = round_half_up_div(net * rate_bp, 2 * (BP_100_PERCENT + rate_bp))
            return LineTax(net - 2 * half, half, half, 0, net)
        half = round_half_up_div(net * rate_bp, 2 * BP_100_PERCENT)
        return LineTax(net, half, half, 0, net + 2 * half)
    if tax_split != "igst":
        raise ValueError(f"unknown tax split {tax_split!r}")
    if prices_include_tax:
        taxable = round_half_up_div(net * BP_100_PERCENT, BP_100_PERCENT + rate_bp)
        return LineTax(taxable, 0, 0, net - taxable, net)
    igst = round_half_up_div(net * rate_bp, BP_100_PERCENT)
    return LineTax(net, 0, 0, igst, net + igst)


def price_cart(
    lines: list[LineInput],
    bill_discount: BillDiscount | None = None,
    *,
    prices_include_tax: bool = True,
    round_off: bool = False,
    tax_split: str = "cgst_sgst",
) -> PricedCart:
    """Price a cart; raise ValidationError when a discount exceeds what it discounts.

    `tax_split` is how the bill charges GST (`TAX_SPLITS`); with "none" (a bill of supply)
    every line's rate is 0.
    """
    if tax_split not in TAX_SPLITS:
        raise ValueError(f"unknown tax split {tax_split!r}")
    bill_discount = bill_discount or BillDiscount()
    grosses: list[int] = []
    nets_before_bill: list[int] = []
    for index, line in enumerate(lines):
        if line.discount < 0:
            raise ValidationError(
                _("A discount cannot be negative."), field=f"items.{index}.discount"
            )
        if line.fixed_gross is not None:
            gross = line.fixed_gross
        else:
            gross = line_gross(line.unit_price, line.qty_milli)
        if gross > MAX_MONEY_MINOR:
            # Price and quantity are each bounded, their product is not: past 64 bits it
            # crashed the database write (a 500); a bill this size is a typing slip anyway.
            raise ValidationError(
                _(
                    "This line comes to more than %(amount)s; check the quantity and price.",
                    amount=money_str(MAX_MONEY_MINOR),
                ),
                field=f"items.{index}.quantity",
            )
        if line.discount > gross:
            raise ValidationError(
                _("A line discount cannot exceed the line amount."),
                field=f"items.{index}.discount",
            )
        grosses.append(gross)
        nets_before_bill.append(gross - line.discount)

    base = sum(nets_before_bill)
    if base > MAX_MONEY_MINOR:
        raise ValidationError(
            _(
                "The bill comes to more than %(amount)s; split it or check the quantities.",
                amount=money_str(MAX_MONEY_MINOR),
            ),
            field="items",
        )
    if bill_discount.percent_bp:
        bill_amount = round_half_up_div(base * bill_discount.percent_bp, BP_100_PERCENT)
    else:
        bill_amount = bill_discount.amount
    if bill_amount > base:
        raise ValidationError(
            _("The bill discount cannot exceed the bill amount."), field="discount"
        )
    shares = allocate(bill_amount, nets_before_bill)

    priced: list[PricedLine] = []
    for line, gross, before, share in zip(lines, grosses, nets_before_bill, shares, strict=True):
        net = before - share
        rate = 0 if tax_split == "none" else line.tax_rate_bp
        heads = tax_for(net, rate, prices_include_tax, tax_split)
        priced.append(
            PricedLine(
                gross=gross,
                line_discount=line.discount,
                bill_discount_share=share,
                net=net,
                taxable=heads.taxable,
                tax=heads.tax,
                total=heads.total,
                tax_rate_bp=rate,
                cgst=heads.cgst,
                sgst=heads.sgst,
                igst=heads.igst,
            )
        )

    lines_total = sum(p.total for p in priced)
    adjustment = 0
    if round_off:
        adjustment = round_half_up_div(lines_total, 100) * 100 - lines_total
    line_discount_total = sum(p.line_discount for p in priced)
    return PricedCart(
        lines=priced,
        subtotal=sum(grosses),
        line_discount_total=line_discount_total,
        bill_discount=bill_amount,
        discount_total=line_discount_total + bill_amount,
        taxable_total=sum(p.taxable for p in priced),
        tax_total=sum(p.tax for p in priced),
        round_off=adjustment,
        total=lines_total + adjustment,
        tax_summary=summarise_tax(priced),
        tax_split=tax_split,
    )


def _percent_text(part: int, whole: int) -> str:
    """part/whole as a percentage with 2 decimals ("12.50"), in integers (basis points)."""
    return money_str(round_half_up_div(part * 10_000, whole)) if whole else "0.00"


def discounts_above(priced: PricedCart, threshold_percent: int) -> dict[str, Any] | None:
    """Describe the line and bill discounts above the shop's audit threshold, or None.

    A line's discount is measured against its gross amount, the bill discount against what
    the lines come to after their own discounts; "above" is strictly greater.
    """
    lines = [
        {
            "line": i,
            "discount": money_str(line.line_discount),
            "percent": _percent_text(line.line_discount, line.gross),
        }
        for i, line in enumerate(priced.lines, start=1)
        if line.line_discount * 100 > threshold_percent * line.gross
    ]
    base = priced.subtotal - priced.line_discount_total
    bill_above = priced.bill_discount * 100 > threshold_percent * base
    if not lines and not bill_above:
        return None
    found: dict[str, Any] = {
        "threshold_percent": threshold_percent,
        "discount_total": money_str(priced.discount_total),
        "lines": lines,
    }
    if bill_above:
        found["bill_discount"] = money_str(priced.bill_discount)
        found["bill_percent"] = _percent_text(priced.bill_discount, base)
    return found


def percent_of(bp: int) -> Decimal:
    """Return basis points as a Decimal percentage (for display only)."""
    return Decimal(bp).scaleb(-2)
