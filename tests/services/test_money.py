"""Money and quantity parsing/formatting."""

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


@pytest.mark.parametrize("raw", [[0, [1, 2], 0], (0, (5,), 0), {"rupees": 5}, b"5"])
def test_containers_are_not_numbers(raw: object) -> None:
    # Decimal() would read [0, [1, 2], 0] as 12: a JSON array must be refused, not priced.
    with pytest.raises(ValidationError, match="must be a number"):
        parse_money(raw)
    with pytest.raises(ValidationError, match="must be a number"):
        parse_quantity(raw, "kg")


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


@pytest.mark.parametrize(
    ("raw", "hint"),
    [
        ("2,5", "write 2.5, not 2,5"),
        ("12,50", "write 2.5, not 2,5"),
        ("1,234.56", "no thousands separators"),
        ("1e3", "1000, not 1e3"),
        ("1E3", "1000, not 1e3"),
        ("1_0", "10, not 1_0"),
        ("1 0", "10, not 1_0"),
        ("1.2.3", "at most one dot"),
        # Bengali 2.5: Decimal() reads it, the rule does not (Devanagari ०-९ are read as 0-9:
        # tests/services/test_devanagari_digits.py).
        ("\u09e8.\u09eb", "digits 0-9"),
        ("\uff11\uff10", "digits 0-9"),  # full-width 10
        ("+5", "digits 0-9"),
    ],
)
def test_numbers_are_digits_and_one_dot_only(raw: str, hint: str) -> None:
    for parse in (parse_money, lambda v: parse_quantity(v, "kg")):
        with pytest.raises(ValidationError) as info:
            parse(raw)
        assert info.value.status == 422
        assert hint in info.value.message


def test_the_issue_examples_are_no_longer_misread() -> None:
    with pytest.raises(ValidationError):
        parse_quantity("2,5", "kg")  # was 25 kg
    with pytest.raises(ValidationError):
        parse_money("12,50")  # was 1 250.00
    with pytest.raises(ValidationError):
        parse_quantity("1e3", "pcs")  # was 1 000 pieces
    with pytest.raises(ValidationError):
        parse_quantity("1_0", "pcs")  # was 10


typed_amounts = st.from_regex(r"\A-?[0-9]{1,11}(\.[0-9]{0,2})?\Z")


@given(typed_amounts)
def test_any_accepted_amount_round_trips_through_money_str(text: str) -> None:
    minor = parse_money(text, allow_negative=True)
    assert parse_money(money_str(minor), allow_negative=True) == minor
    assert Decimal(money_str(minor)) == Decimal(text)


@given(st.text(max_size=12))
def test_whatever_the_parser_accepts_round_trips(text: str) -> None:
    try:
        minor = parse_money(text, allow_negative=True)
    except ValidationError:
        return
    assert text.strip().lstrip("-").replace(".", "", 1).isascii()
    assert parse_money(money_str(minor), allow_negative=True) == minor
    assert Decimal(money_str(minor)) == Decimal(text.strip())


@given(st.text(alphabet="0123456789.-", max_size=8), st.sampled_from([",", "e", "E", "_"]),
       st.text(alphabet="0123456789", min_size=1, max_size=4))  # fmt: skip
def test_comma_exponent_and_underscore_are_refused(head: str, mark: str, tail: str) -> None:
    with pytest.raises(ValidationError):
        parse_money(head + mark + tail, allow_negative=True)
    with pytest.raises(ValidationError):
        parse_quantity(head + mark + tail, "kg")


@given(st.integers(min_value=1, max_value=10**10))
def test_any_accepted_quantity_round_trips_through_qty_str(milli: int) -> None:
    assert parse_quantity(qty_str(milli, "kg"), "kg") == milli
