"""GSTIN checking and state codes (posapp/gst.py), with real and corrupted numbers."""

from __future__ import annotations

import pytest

from posapp.errors import ValidationError
from posapp.gst import check_character, gstin_problem, parse_gstin, parse_state_code, state_label

# Published example GSTINs (the GST portal's and a listed company's).
REAL = ["27AAPFU0939F1ZV", "29AAGCB7383J1Z4"]


@pytest.mark.parametrize("gstin", REAL)
def test_real_gstins_pass(gstin: str) -> None:
    assert gstin_problem(gstin) is None
    assert parse_gstin(f" {gstin.lower()} ") == gstin


@pytest.mark.parametrize("gstin", REAL)
def test_every_single_character_slip_is_caught(gstin: str) -> None:
    for index in range(15):
        for char in "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ":
            if char == gstin[index]:
                continue
            corrupted = gstin[:index] + char + gstin[index + 1 :]
            assert gstin_problem(corrupted) is not None, corrupted


def test_check_character_by_hand() -> None:
    # 27AAPFU0939F1Z: values 2,7,10,10,25,15,30,0,9,3,9,15,1,35 × 1,2,1,2…; sum of the
    # products' base-36 digits is 2+(0+14)+10+(0+20)+25+(0+30)+30+0+9+(0+6)+9+(0+30)+1+(1+34)
    # = 221; (36 - 221 % 36) % 36 = 31 -> "V".
    assert check_character("27AAPFU0939F1Z") == "V"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("hello", "15 characters"),
        ("27AAPFU0939F1Z", "15 characters"),
        ("27AAPFU09391FZV", "e.g."),
        ("40AAPFU0939F1ZV", "not a GST state code"),
        ("27AAPFU0939F1ZW", "check character"),
    ],
)
def test_bad_gstins_are_refused_with_a_reason(value: str, message: str) -> None:
    with pytest.raises(ValidationError) as caught:
        parse_gstin(value, field="tax_number")
    assert message in str(caught.value)
    assert caught.value.fields == {"tax_number": str(caught.value)}


def test_state_codes() -> None:
    assert parse_state_code("7") == "07"
    assert parse_state_code(27) == "27"
    assert parse_state_code("") == ""
    assert state_label("27") == "27 – Maharashtra"
    for bad in ("00", "39", "96", "ab", True):
        with pytest.raises(ValidationError):
            parse_state_code(bad)


def test_heads_on_taxable_by_hand() -> None:
    from posapp.gst import heads_on_taxable

    # ₹184.75 at 5 %: each half 2.5 % of 18475 = 461.875 -> 462; IGST 923.75 -> 924.
    assert heads_on_taxable(18475, 500, "cgst_sgst") == (462, 462, 0)
    assert heads_on_taxable(18475, 500, "igst") == (0, 0, 924)
    assert heads_on_taxable(18475, 500, "none") == (0, 0, 0)
    # 18 % of ₹10.05: 9 % = 90.45 -> 90 each (the halves stay equal; tax 180, not 181).
    assert heads_on_taxable(1005, 1800, "cgst_sgst") == (90, 90, 0)
