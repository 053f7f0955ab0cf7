"""Pricing rules of docs/DESIGN.md §2: worked examples and property-based invariants."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from posapp.errors import ValidationError
from posapp.services.pricing import (
    BillDiscount,
    LineInput,
    allocate,
    parse_bill_discount,
    price_cart,
)

RATES = st.sampled_from([0, 500, 1200, 1800, 2800]) | st.integers(0, 10000)


def test_inclusive_tax_extracts_tax_from_the_price() -> None:
    cart = price_cart([LineInput(11800, 1000, 1800)], prices_include_tax=True)
    line = cart.lines[0]
    assert (line.taxable, line.tax, line.total) == (10000, 1800, 11800)
    assert cart.total == 11800


def test_exclusive_tax_is_added_on_top() -> None:
    cart = price_cart([LineInput(10000, 1000, 1800)], prices_include_tax=False)
    line = cart.lines[0]
    assert (line.taxable, line.tax, line.total) == (10000, 1800, 11800)
    assert cart.total == 11800


def test_gross_rounds_half_up_for_measured_quantities() -> None:
    # 1.255 kg at 10.10/kg = 12.6755 -> 12.68
    cart = price_cart([LineInput(1010, 1255, 0)])
    assert cart.lines[0].gross == 1268


def test_inclusive_rounding_of_taxable() -> None:
    # 100.00 incl. 5 %: taxable = 10000*10000/10500 = 9523.8 -> 9524, tax 476
    line = price_cart([LineInput(10000, 1000, 500)]).lines[0]
    assert (line.taxable, line.tax) == (9524, 476)


def test_line_discount_then_bill_discount_spread_pro_rata() -> None:
    cart = price_cart(
        [LineInput(10000, 1000, 0, discount=1000), LineInput(3000, 3000, 0)],
        BillDiscount(amount=1800),
    )
    # nets before bill discount: 9000 and 9000 -> 900 each
    assert [line.bill_discount_share for line in cart.lines] == [900, 900]
    assert cart.discount_total == 2800
    assert cart.total == 19000 - 2800


def test_percent_bill_discount() -> None:
    cart = price_cart([LineInput(33333, 1000, 0)], BillDiscount(percent_bp=1000))
    assert cart.bill_discount == 3333  # 10 % of 333.33 = 33.333 -> 33.33


def test_allocation_largest_remainder_is_exact_and_deterministic() -> None:
    assert allocate(10, [10, 10, 10]) == [4, 3, 3]
    assert allocate(2, [1, 1, 1]) == [1, 1, 0]
    assert allocate(0, [5, 5]) == [0, 0]
    assert allocate(7, [0, 10]) == [0, 7]


def test_discount_never_exceeds_what_it_discounts() -> None:
    with pytest.raises(ValidationError, match="line discount"):
        price_cart([LineInput(1000, 1000, 0, discount=1001)])
    with pytest.raises(ValidationError, match="bill discount"):
        price_cart([LineInput(1000, 1000, 0)], BillDiscount(amount=1001))
    with pytest.raises(ValidationError):
        price_cart([LineInput(1000, 1000, 0, discount=-1)])


def test_round_off_to_whole_rupees_is_its_own_line() -> None:
    cart = price_cart([LineInput(1049, 1000, 0)], round_off=True)
    assert (cart.round_off, cart.total) == (-49, 1000)
    cart = price_cart([LineInput(1050, 1000, 0)], round_off=True)
    assert (cart.round_off, cart.total) == (50, 1100)
    assert price_cart([LineInput(1049, 1000, 0)]).round_off == 0


def test_parse_bill_discount() -> None:
    assert parse_bill_discount("10%") == BillDiscount(percent_bp=1000)
    assert parse_bill_discount("12.5 %") == BillDiscount(percent_bp=1250)
    assert parse_bill_discount("25.00") == BillDiscount(amount=2500)
    assert parse_bill_discount(None).is_zero
    for bad in ("150%", "abc", "1.001", "-5"):
        with pytest.raises(ValidationError):
            parse_bill_discount(bad)


line_strategy = st.builds(
    lambda price, qty, rate, disc_pct: (price, qty, rate, disc_pct),
    st.integers(1, 10**8),
    st.integers(1, 10**6),
    RATES,
    st.integers(0, 100),
)


@settings(max_examples=300, deadline=None)
@given(
    lines=st.lists(line_strategy, min_size=1, max_size=12),
    inclusive=st.booleans(),
    round_off=st.booleans(),
    bill_kind=st.sampled_from(["none", "amount", "percent"]),
    bill_fraction=st.integers(0, 100),
)
def test_invariants_hold_for_any_cart(lines, inclusive, round_off, bill_kind, bill_fraction):  # type: ignore[no-untyped-def]
    inputs = []
    for price, qty, rate, disc_pct in lines:
        gross = (price * qty * 2 + 1000) // 2000
        inputs.append(LineInput(price, qty, rate, discount=gross * disc_pct // 100))
    base = sum((i.unit_price * i.qty_milli * 2 + 1000) // 2000 - i.discount for i in inputs)
    if bill_kind == "amount":
        bill = BillDiscount(amount=base * bill_fraction // 100)
    elif bill_kind == "percent":
        bill = BillDiscount(percent_bp=bill_fraction * 100)
    else:
        bill = BillDiscount()

    cart = price_cart(inputs, bill, prices_include_tax=inclusive, round_off=round_off)

    # docs/DESIGN.md §2 invariants
    assert cart.total == sum(line.total for line in cart.lines) + cart.round_off
    assert cart.tax_total == sum(line.tax for line in cart.lines)
    assert sum(row.tax for row in cart.tax_summary) == cart.tax_total
    assert sum(row.taxable for row in cart.tax_summary) == cart.taxable_total
    assert sum(line.bill_discount_share for line in cart.lines) == cart.bill_discount
    assert cart.discount_total == sum(line.discount for line in cart.lines)
    assert cart.subtotal == sum(line.gross for line in cart.lines)
    for line, given_line in zip(cart.lines, inputs, strict=True):
        assert 0 <= line.discount <= line.gross
        assert line.net == line.gross - line.discount >= 0
        assert line.tax >= 0
        assert line.taxable + line.tax == (line.net if inclusive else line.total)
        if inclusive:
            assert line.total == line.net
        else:
            assert line.taxable == line.net
        assert line.tax_rate_bp == given_line.tax_rate_bp
    if round_off:
        assert cart.total % 100 == 0
        assert -50 < cart.round_off <= 50
    else:
        assert cart.round_off == 0


@given(st.integers(0, 10**9), st.lists(st.integers(0, 10**9), min_size=1, max_size=30))
def test_allocation_adds_up_and_stays_within_each_weight(amount, weights):  # type: ignore[no-untyped-def]
    amount = min(amount, sum(weights))
    shares = allocate(amount, weights)
    assert sum(shares) == amount
    assert all(0 <= s <= w for s, w in zip(shares, weights, strict=True))
    total = sum(weights)
    if total:
        # each share is within one unit of its exact pro-rata value
        assert all(
            abs(s * total - amount * w) < total for s, w in zip(shares, weights, strict=True)
        )
