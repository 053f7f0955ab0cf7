"""Money and quantity parsing/formatting (DESIGN §2)."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from posapp.errors import ValidationError
from posapp.money import (
    ean13_check_digit,
    format_money,
    format_qty,
    is_valid_ean13,
    money_str,
    parse_money,
    parse_percent_bp,
    parse_quantity,
    qty_str,
    round_half_up_div,
)


@pytest.mark.parametrize(
    ("raw", "minor"),
    [
        ("42.50", 4250),
        ("42.5", 4250),
        ("0", 0),
        (Decimal("1.10"), 110),
        (7, 700),
        ("1,234.56", 123456),
        (" 3 ", 300),
        ("2.500", 250),
    ],
)
def test_parse_money_accepts_up_to_two_decimals(raw: object, minor: int) -> None:
    assert parse_money(raw) == minor


@pytest.mark.parametrize(
    "raw", ["1.234", "0.001", "abc", "", None, "NaN", "Infinity", True, "1e400", "-1"]
)
def test_parse_money_rejects_bad_input_with_a_clear_error(raw: object) -> None:
    with pytest.raises(ValidationError) as info:
        parse_money(raw, field="price")
    assert info.value.fields == {"price": info.value.message}


def test_parse_money_never_rounds_silently() -> None:
    with pytest.raises(ValidationError, match="at most 2 decimals"):
        parse_money("10.005")


def test_floats_are_refused_so_they_never_touch_money() -> None:
    with pytest.raises(ValidationError):
        parse_money(0.1)


def test_parse_money_zero_and_negative_rules() -> None:
    with pytest.raises(ValidationError):
        parse_money("0", allow_zero=False)
    assert parse_money("-5.25", allow_negative=True) == -525


@pytest.mark.parametrize(
    ("raw", "unit", "milli"),
    [
        ("1.250", "kg", 1250),
        ("2", "pcs", 2000),
        (3, "pcs", 3000),
        ("0.001", "l", 1),
        ("2.0", "pcs", 2000),
    ],
)
def test_parse_quantity(raw: object, unit: str, milli: int) -> None:
    assert parse_quantity(raw, unit) == milli


@pytest.mark.parametrize(
    ("raw", "unit"), [("1.5", "pcs"), ("1.2345", "kg"), ("0", "kg"), ("-1", "pcs"), ("x", "kg")]
)
def test_parse_quantity_rejects(raw: object, unit: str) -> None:
    with pytest.raises(ValidationError):
        parse_quantity(raw, unit)


def test_parse_percent() -> None:
    assert parse_percent_bp("18") == 1800
    assert parse_percent_bp("12.5") == 1250
    for bad in ("101", "-1", "5.555"):
        with pytest.raises(ValidationError):
            parse_percent_bp(bad)


def test_round_half_up_div() -> None:
    assert round_half_up_div(5, 10) == 1  # 0.5 -> 1
    assert round_half_up_div(4, 10) == 0
    assert round_half_up_div(15, 10) == 2
    assert round_half_up_div(-15, 10) == -2
    assert round_half_up_div(25, 10) == 3  # half up, not banker's rounding


@given(st.integers(min_value=-(10**12), max_value=10**12), st.integers(1, 10**6))
def test_round_half_up_div_matches_decimal(numerator: int, denominator: int) -> None:
    exact = Decimal(numerator) / Decimal(denominator)
    expected = int(exact.quantize(Decimal(1), rounding="ROUND_HALF_UP"))
    assert round_half_up_div(numerator, denominator) == expected


@given(st.integers(min_value=-(10**12), max_value=10**12))
def test_money_str_round_trips(minor: int) -> None:
    assert parse_money(money_str(minor), allow_negative=True) == minor


def test_display_uses_indian_grouping_and_rupee_sign() -> None:
    assert format_money(12345650) == "₹1,23,456.50"
    assert format_money(12345650, "USD", "en_US") == "$123,456.50"
    assert format_qty(1250, "kg") == "1.250"
    assert format_qty(2000, "pcs") == "2"
    assert qty_str(2000, "pcs") == "2"
    assert qty_str(1250, "kg") == "1.250"


def test_ean13() -> None:
    assert ean13_check_digit("890123456789") == 0
    assert is_valid_ean13("4006381333931")
    assert not is_valid_ean13("4006381333932")
    assert not is_valid_ean13("400638133393")
