"""GST heads of a priced cart (issue 18): CGST == SGST intra-state, IGST inter-state, no tax on
a bill of supply; worked examples computed by hand and property-based invariants."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from posapp.gst import RATE_PRESETS_BP
from posapp.services.pricing import (
    BillDiscount,
    LineInput,
    PricedCart,
    TaxRow,
    price_cart,
    summarise_tax,
)

# Three rates on one bill: 5 %, 18 % and 40 %, and a ₹10.00 bill discount.
#   A: 105.00 × 2 @ 5 %  -> gross 21000
#   B:  59.00 × 1 @ 18 % -> gross  5900, line discount 1.00 -> 5800
#   C: 140.00 × 1 @ 40 % -> gross 14000
# The bill discount of 1000 over 21000/5800/14000 (base 40800), largest remainder:
#   A 1000×21000/40800 = 514 rem 28800, B 142 rem 6400, C 343 rem 5600: 999, the last
#   paisa to A (largest remainder) -> shares 515, 142, 343 -> nets 20485, 5658, 13657.
THREE_RATES = [
    LineInput(10500, 2000, 500),
    LineInput(5900, 1000, 1800, discount=100),
    LineInput(14000, 1000, 4000),
]
BILL = BillDiscount(amount=1000)


def heads(cart: PricedCart) -> list[tuple[int, int, int, int, int, int, int]]:
    """(net, taxable, cgst, sgst, igst, tax, total) of every line."""
    return [(x.net, x.taxable, x.cgst, x.sgst, x.igst, x.tax, x.total) for x in cart.lines]


def test_intra_state_inclusive_prices_by_hand() -> None:
    cart = price_cart(THREE_RATES, BILL, prices_include_tax=True, tax_split="cgst_sgst")
    assert [x.bill_discount_share for x in cart.lines] == [515, 142, 343]
    # half = round_half_up(net × (rate/2) / (100 % + rate)), tax = 2 × half, taxable the rest:
    #   A 20485 × 500 / 21000 = 487.74 -> 488; tax 976; taxable 20485 − 976 = 19509
    #   B  5658 × 1800 / 23600 = 431.54 -> 432; tax 864; taxable 5658 − 864 = 4794
    #   C 13657 × 4000 / 28000 = 1951 exactly; tax 3902; taxable 13657 − 3902 = 9755
    assert heads(cart) == [
        (20485, 19509, 488, 488, 0, 976, 20485),
        (5658, 4794, 432, 432, 0, 864, 5658),
        (13657, 9755, 1951, 1951, 0, 3902, 13657),
    ]
    # The customer pays exactly the nets: 20485 + 5658 + 13657 = 39800.
    assert (cart.total, cart.tax_total, cart.taxable_total) == (39800, 5742, 34058)
    assert cart.tax_summary == [
        TaxRow(500, 19509, 976, cgst=488, sgst=488),
        TaxRow(1800, 4794, 864, cgst=432, sgst=432),
        TaxRow(4000, 9755, 3902, cgst=1951, sgst=1951),
    ]
    # CGST total 488 + 432 + 1951 = 2871 = SGST total; 2 × 2871 = 5742 = the tax.
    assert sum(r.cgst for r in cart.tax_summary) == sum(r.sgst for r in cart.tax_summary) == 2871


def test_intra_state_exclusive_prices_by_hand() -> None:
    cart = price_cart(THREE_RATES, BILL, prices_include_tax=False, tax_split="cgst_sgst")
    # taxable = net; half = round_half_up(net × rate / 2 / 10000):
    #   A 20485 × 250 / 10000 = 512.125 -> 512; tax 1024; total 21509
    #   B  5658 × 900 / 10000 = 509.22  -> 509; tax 1018; total 6676
    #   C 13657 × 2000 / 10000 = 2731.4 -> 2731; tax 5462; total 19119
    assert heads(cart) == [
        (20485, 20485, 512, 512, 0, 1024, 21509),
        (5658, 5658, 509, 509, 0, 1018, 6676),
        (13657, 13657, 2731, 2731, 0, 5462, 19119),
    ]
    # 21509 + 6676 + 19119 = 47304; tax 1024 + 1018 + 5462 = 7504
    assert (cart.total, cart.tax_total, cart.taxable_total) == (47304, 7504, 39800)


def test_inter_state_is_igst_only_by_hand() -> None:
    inclusive = price_cart(THREE_RATES, BILL, prices_include_tax=True, tax_split="igst")
    # taxable = round_half_up(net × 10000 / (10000 + rate)), IGST the rest:
    #   A 20485 / 1.05 = 19509.52 -> 19510; IGST 975
    #   B  5658 / 1.18 = 4794.92  -> 4795;  IGST 863
    #   C 13657 / 1.40 = 9755.0   -> 9755;  IGST 3902
    assert heads(inclusive) == [
        (20485, 19510, 0, 0, 975, 975, 20485),
        (5658, 4795, 0, 0, 863, 863, 5658),
        (13657, 9755, 0, 0, 3902, 3902, 13657),
    ]
    exclusive = price_cart(THREE_RATES, BILL, prices_include_tax=False, tax_split="igst")
    # IGST = round_half_up(net × rate): 1024.25 -> 1024, 1018.44 -> 1018, 5462.8 -> 5463
    assert [x.igst for x in exclusive.lines] == [1024, 1018, 5463]
    assert exclusive.total == 39800 + 1024 + 1018 + 5463


def test_bill_of_supply_charges_no_tax() -> None:
    for inclusive in (True, False):
        cart = price_cart(THREE_RATES, BILL, prices_include_tax=inclusive, tax_split="none")
        # No tax at all, whatever the prices say: the customer pays the nets (39800).
        assert [(x.taxable, x.tax, x.tax_rate_bp, x.total) for x in cart.lines] == [
            (20485, 0, 0, 20485),
            (5658, 0, 0, 5658),
            (13657, 0, 0, 13657),
        ]
        assert (cart.total, cart.tax_total, cart.tax_split) == (39800, 0, "none")
        assert cart.tax_summary == [TaxRow(0, 39800, 0)]


def test_the_issue_18_bill_now_has_equal_halves() -> None:
    # A 5 % line of 349.00 and one of 0.21, prices with tax. The old rule: taxables 34900/1.05
    # = 33238.1 -> 33238 and 21/1.05 = 20, taxes 1662 + 1 = 1663, printed as CGST 8.32 and
    # SGST 8.31. Now each half is rounded on its own:
    #   34900 × 500 / 21000 = 830.95 -> 831 per half; tax 1662; taxable 33238
    #      21 × 500 / 21000 = 0.5    -> 1 per half (half up); tax 2; taxable 19
    cart = price_cart([LineInput(34900, 1000, 500), LineInput(21, 1000, 500)])
    assert [(x.taxable, x.cgst, x.sgst) for x in cart.lines] == [(33238, 831, 831), (19, 1, 1)]
    assert cart.tax_summary == [TaxRow(500, 33257, 1664, cgst=832, sgst=832)]


def test_an_unknown_split_is_refused() -> None:
    with pytest.raises(ValueError):
        price_cart([LineInput(100, 1000, 500)], tax_split="vat")


class _Line:
    """A stored line as summarise_tax reads it (an invoice line of a legacy document)."""

    def __init__(self, rate: int, taxable: int, tax: int, cgst: int, sgst: int) -> None:
        self.tax_rate_bp, self.taxable, self.tax = rate, taxable, tax
        self.cgst, self.sgst, self.igst, self.cess = cgst, sgst, 0, 0


def test_legacy_documents_split_each_rate_row_as_issued() -> None:
    # Two 5 % lines with tax 3 and 3 (backfilled per line as 2/1 and 2/1). Issued under
    # tax_rule 1 the row's tax 6 printed as 3 + 3; the stored heads would sum to 4 + 2.
    lines = [_Line(500, 60, 3, 2, 1), _Line(500, 60, 3, 2, 1), _Line(1800, 100, 17, 9, 8)]
    assert summarise_tax(lines, rule=1) == [
        TaxRow(500, 120, 6, cgst=3, sgst=3),
        TaxRow(1800, 100, 17, cgst=9, sgst=8),  # odd paisa to CGST
    ]
    assert summarise_tax(lines, rule=2)[0] == TaxRow(500, 120, 6, cgst=4, sgst=2)
    assert TaxRow.legacy(500, 0, -7) == TaxRow(500, 0, -7, cgst=-4, sgst=-3)


RATES = st.sampled_from(RATE_PRESETS_BP) | st.integers(0, 10000)
line_strategy = st.tuples(st.integers(1, 10**7), st.integers(1, 10**5), RATES, st.integers(0, 100))


@settings(max_examples=300, deadline=None)
@given(
    lines=st.lists(line_strategy, min_size=1, max_size=10),
    inclusive=st.booleans(),
    split=st.sampled_from(["cgst_sgst", "igst", "none"]),
    bill_kind=st.sampled_from(["none", "amount", "percent"]),
    bill_fraction=st.integers(0, 100),
)
def test_heads_hold_for_any_cart(  # type: ignore[no-untyped-def]
    lines, inclusive, split, bill_kind, bill_fraction
):
    inputs = []
    for price, qty, rate, disc_pct in lines:
        gross = (price * qty * 2 + 1000) // 2000
        inputs.append(LineInput(price, qty, rate, discount=gross * disc_pct // 100))
    base = sum((i.unit_price * i.qty_milli * 2 + 1000) // 2000 - i.discount for i in inputs)
    bill = {
        "none": BillDiscount(),
        "amount": BillDiscount(amount=base * bill_fraction // 100),
        "percent": BillDiscount(percent_bp=bill_fraction * 100),
    }[bill_kind]

    cart = price_cart(inputs, bill, prices_include_tax=inclusive, tax_split=split)

    for line, given_line in zip(cart.lines, inputs, strict=True):
        assert line.tax == line.cgst + line.sgst + line.igst + line.cess
        assert line.cess == 0
        assert line.taxable >= 0 and line.tax >= 0
        assert line.taxable + line.tax == (line.net if inclusive else line.total)
        if inclusive:
            assert line.total == line.net  # the customer pays exactly the price
        if split == "cgst_sgst":
            assert line.cgst == line.sgst and line.igst == 0
        elif split == "igst":
            assert line.cgst == line.sgst == 0 and line.igst == line.tax
        else:
            assert line.tax == 0 and line.tax_rate_bp == 0 and line.total == line.net
        if split != "none":
            assert line.tax_rate_bp == given_line.tax_rate_bp
    for row in cart.tax_summary:
        assert row.tax == row.cgst + row.sgst + row.igst + row.cess
        if split == "cgst_sgst":
            assert row.cgst == row.sgst and row.igst == 0
        elif split == "igst":
            assert row.cgst == row.sgst == 0 and row.igst == row.tax
    assert sum(r.tax for r in cart.tax_summary) == cart.tax_total
    assert sum(r.cgst for r in cart.tax_summary) == sum(x.cgst for x in cart.lines)
    assert sum(r.igst for r in cart.tax_summary) == sum(x.igst for x in cart.lines)
    assert cart.total == sum(x.total for x in cart.lines)
