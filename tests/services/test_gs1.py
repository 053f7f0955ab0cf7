"""GS1 codes: element strings, raw scanner output, Digital Link URIs, GTIN spellings, dates,
and the till's scan lookup by GTIN with batch and expiry."""

from __future__ import annotations

import calendar
from datetime import date
from urllib.parse import quote

import pytest
from hypothesis import given
from hypothesis import strategies as st

from posapp.errors import NotFound, ValidationError
from posapp.extensions import db
from posapp.models import User
from posapp.services import catalog, gs1
from posapp.services.gs1 import GS, GS1Error
from tests.factories import make_product

pytestmark = pytest.mark.one_backend("reading GS1 codes")

TODAY = date(2026, 12, 6)


def with_check(body: str) -> str:
    return body + str(gs1.check_digit(body))


# ------------------------------------------------------------------ check digits and GTINs


def test_check_digits_of_known_codes() -> None:
    assert gs1.valid_check_digit("8901234567890")  # EAN-13
    assert gs1.valid_check_digit("012345678905")  # UPC-A
    assert gs1.valid_check_digit("96385074")  # EAN-8
    assert gs1.valid_check_digit("08901234567890")  # GTIN-14
    assert gs1.valid_check_digit("106141411234567897")  # SSCC
    assert not gs1.valid_check_digit("8901234567891")
    assert not gs1.valid_check_digit("890123456789०")  # only ASCII digits


def test_gtin_spellings() -> None:
    assert gs1.as_gtin14("8901234567890") == "08901234567890"
    assert gs1.as_gtin14("012345678905") == "00012345678905"
    assert gs1.as_gtin14("96385074") == "00000096385074"
    assert gs1.as_gtin14("8901234567891") is None
    assert gs1.as_gtin14("12345") is None
    assert gs1.gtin_codes("08901234567890") == ["08901234567890", "8901234567890"]
    assert gs1.gtin_codes("00012345678905") == [
        "00012345678905",
        "0012345678905",
        "012345678905",
    ]
    assert gs1.gtin_codes("00000096385074")[-1] == "96385074"


# ------------------------------------------------------------------ the three spellings

EXPECTED = (
    (("01", "08901234567890"), ("17", "261231"), ("10", "AB12")),
    "08901234567890",
    "AB12",
    date(2026, 12, 31),
)


@pytest.mark.parametrize(
    "text",
    [
        "(01)08901234567890(17)261231(10)AB12",
        "]C101089012345678901726123110AB12",
        "]Q3010890123456789017261231" + "10AB12",
        "]d2010890123456789017261231" + "10AB12" + GS,
        "]e0010890123456789017261231" + GS + "10AB12",  # a needless separator after a fixed field
        "0108901234567890" + "10AB12" + GS + "17261231",  # no identifier, but an FNC1: GS1
    ],
)
def test_element_strings(text: str) -> None:
    data = gs1.parse(text, TODAY)
    assert data is not None
    assert (data.gtin, data.batch, data.expiry) == EXPECTED[1:]
    assert sorted(data.elements) == sorted(EXPECTED[0])


def test_a_variable_field_ends_at_the_group_separator() -> None:
    data = gs1.parse("]C10108901234567890" + "10AB12" + GS + "17261231" + "21SN1", TODAY)
    assert data is not None
    assert data.elements == (
        ("01", "08901234567890"),
        ("10", "AB12"),
        ("17", "261231"),
        ("21", "SN1"),
    )
    # Without the separator the batch runs on: 10 takes what follows, up to 20 characters.
    data = gs1.parse("]C10108901234567890" + "10AB1217261231", TODAY)
    assert data is not None and data.batch == "AB1217261231" and data.expiry is None


@pytest.mark.parametrize(
    "uri",
    [
        "https://id.gs1.org/01/08901234567890/10/AB12?17=261231",
        "HTTP://shop.example.in/products/01/08901234567890/10/AB12?17=261231&linkType=all",
        "https://example.com/01/08901234567890/10/AB%31%32?17=261231#top",
        "https://id.gs1.org/01/08901234567890/10/AB12/?17=261231",
    ],
)
def test_digital_link(uri: str) -> None:
    data = gs1.parse(uri, TODAY)
    assert data is not None
    assert (data.gtin, data.batch, data.expiry) == EXPECTED[1:]


def test_digital_link_without_qualifiers_and_with_a_short_gtin() -> None:
    data = gs1.parse("https://id.gs1.org/01/08901234567890", TODAY)
    assert data is not None and (data.gtin, data.batch, data.expiry) == (
        "08901234567890",
        None,
        None,
    )
    # A URI is not GS1 without a primary key (of its shape) in its path.
    assert gs1.parse("https://example.com/about/us?17=261231", TODAY) is None
    assert gs1.parse("https://example.com/", TODAY) is None
    assert gs1.parse("https://blog.example.in/2024/01/15/diwali-offers", TODAY) is None
    # A key of the right shape with a wrong check digit is a misread, not an ordinary address.
    with pytest.raises(GS1Error, match="check digit"):
        gs1.parse("https://id.gs1.org/01/08901234567891", TODAY)


@pytest.mark.parametrize(
    "text",
    [
        "8901234567890",
        "R-100",
        "7UP",
        "(chai)",
        "]X1abc",
        "tata salt",
        "https://",
        "0108901234567890",
    ],
)
def test_ordinary_codes_are_not_gs1(text: str) -> None:
    assert gs1.parse(text, TODAY) is None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("(01)08901234567891", "check digit"),
        ("(01)0890123456789", "takes 14 characters"),
        ("(17)261331", "no month 13"),
        ("(17)260231", "no day 31"),
        ("(10)" + "A" * 21, "at most 20"),
        ("(10)AB 12", "GS1's punctuation"),
        ("(01)0890123456789A", "digits only"),
        ("(99)x(23)1", "Not a GS1 application identifier"),
        ("]C1230000", "Not a GS1 application identifier"),
        ("https://id.gs1.org/01/08901234567890/10", "no value"),
        ("https://id.gs1.org/01/08901234567890/17/261231", "cannot follow the key"),
        ("]C101089012345678", "takes 14 characters"),
    ],
)
def test_malformed_gs1_says_what_is_wrong(text: str, message: str) -> None:
    with pytest.raises(GS1Error, match=message):
        gs1.parse(text, TODAY)


# ------------------------------------------------------------------ dates


def test_day_00_is_the_last_day_of_the_month() -> None:
    assert gs1.gs1_date("240200", TODAY) == date(2024, 2, 29)
    assert gs1.gs1_date("250200", TODAY) == date(2025, 2, 28)
    assert gs1.gs1_date("261100", TODAY) == date(2026, 11, 30)


def test_century_rule() -> None:
    # Today 2026: years up to 50 ahead are this century, more than that the last one; more
    # than 49 back the next one.
    assert gs1.gs1_date("760101", TODAY) == date(2076, 1, 1)
    assert gs1.gs1_date("770101", TODAY) == date(1977, 1, 1)
    assert gs1.gs1_date("990101", date(2051, 6, 1)) == date(2099, 1, 1)
    assert gs1.gs1_date("000101", date(2051, 6, 1)) == date(2100, 1, 1)
    assert gs1.gs1_date("010101", date(2051, 6, 1)) == date(2101, 1, 1)
    assert gs1.gs1_date("020101", date(2051, 6, 1)) == date(2002, 1, 1)


# ------------------------------------------------------------------ round trips (properties)

GTINS = st.text("0123456789", min_size=13, max_size=13).map(with_check)
BATCHES = st.text(
    st.sampled_from("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-./_"),
    min_size=1,
    max_size=20,
)
DAYS = st.dates(min_value=date(1977, 1, 1), max_value=date(2076, 12, 31))


def yymmdd(day: date, end_of_month: bool) -> str:
    return day.strftime("%y%m") + ("00" if end_of_month else day.strftime("%d"))


def expected_day(day: date, end_of_month: bool) -> date:
    if end_of_month:
        return date(day.year, day.month, calendar.monthrange(day.year, day.month)[1])
    return day


@given(
    gtin=GTINS,
    batch=st.none() | BATCHES,
    day=st.none() | DAYS,
    end_of_month=st.booleans(),
    order=st.permutations([0, 1, 2]),
    identifier=st.sampled_from(gs1.SYMBOLOGY_IDS),
)
def test_round_trip_every_spelling(
    gtin: str,
    batch: str | None,
    day: date | None,
    end_of_month: bool,
    order: list[int],
    identifier: str,
) -> None:
    parts = [("01", gtin)]
    if batch is not None:
        parts.append(("10", batch))
    if day is not None:
        parts.append(("17", yymmdd(day, end_of_month)))
    elements = [parts[i] for i in order if i < len(parts)]
    want = (
        gtin,
        batch,
        expected_day(day, end_of_month) if day is not None else None,
    )
    texts = [gs1.bracketed(elements), gs1.raw(elements, identifier)]
    query = "&".join(f"{ai}={value}" for ai, value in parts if ai == "17")
    # A Digital Link percent-encodes what a path segment cannot carry ("/" in a batch).
    path = "".join(f"/{ai}/{quote(value, safe='')}" for ai, value in parts if ai != "17")
    texts.append(f"https://id.gs1.org{path}" + (f"?{query}" if query else ""))
    for text in texts:
        data = gs1.parse(text, TODAY)
        assert data is not None, text
        assert (data.gtin, data.batch, data.expiry) == want, text


@given(gtin=GTINS, position=st.integers(0, 12), delta=st.integers(1, 9))
def test_a_changed_digit_is_caught(gtin: str, position: int, delta: int) -> None:
    wrong = gtin[:position] + str((int(gtin[position]) + delta) % 10) + gtin[position + 1 :]
    with pytest.raises(GS1Error, match="check digit"):
        gs1.parse(f"(01){wrong}", TODAY)


# ------------------------------------------------------------------ the scan lookup


def test_lookup_by_gtin_finds_the_ean13_and_upca_products(admin: User) -> None:
    tea = make_product(db.session, admin.id, name="Tea", code="8901234567890")
    soap = make_product(db.session, admin.id, name="Soap", code="012345678905")
    mints = make_product(db.session, admin.id, name="Mints", code="96385074")
    found = catalog.lookup_code(db.session, "(01)08901234567890(17)261231(10)AB12", TODAY)
    assert (found.product.id, found.qty_milli) == (tea.id, 1000)
    assert (found.batch, found.expiry, found.expired) == ("AB12", date(2026, 12, 31), False)
    found = catalog.lookup_code(db.session, "]C10100012345678905" + "10L7" + GS + "17250600", TODAY)
    assert (found.product.id, found.batch, found.expiry) == (soap.id, "L7", date(2025, 6, 30))
    assert found.expired  # June 2025 is before 6 December 2026
    found = catalog.lookup_code(db.session, "https://id.gs1.org/01/00000096385074", TODAY)
    assert (found.product.id, found.batch, found.expiry, found.expired) == (
        mints.id,
        None,
        None,
        False,
    )
    # A bare GTIN-14 (a carton's ITF-14) or a UPC-A written as EAN-13 names the same products.
    assert catalog.lookup_code(db.session, "08901234567890", TODAY).product.id == tea.id
    assert catalog.lookup_code(db.session, "0012345678905", TODAY).product.id == soap.id


def test_expiry_today_is_not_expired(admin: User) -> None:
    make_product(db.session, admin.id, name="Milk", code="8901234567890")
    found = catalog.lookup_code(db.session, "(01)08901234567890(17)261206", TODAY)
    assert not found.expired
    found = catalog.lookup_code(db.session, "(01)08901234567890(17)261205", TODAY)
    assert found.expired


def test_the_exact_code_wins_and_the_product_qr_keeps_scanning(admin: User) -> None:
    # TillBook's own product QR codes carry the product's code: that is an exact match, even
    # for a code that happens to look like a Digital Link or an element string.
    odd = make_product(db.session, admin.id, name="Odd", code="(01)X")
    plain = make_product(db.session, admin.id, name="Plain", code="R-100")
    generated = make_product(db.session, admin.id, name="Generated")
    for product in (odd, plain, generated):
        assert catalog.lookup_code(db.session, product.code, TODAY).product.id == product.id
    # A product whose code is the GTIN-14 itself is found from the EAN-13 spelling too.
    carton = make_product(db.session, admin.id, name="Carton", code="18901234567897")
    found = catalog.lookup_code(db.session, "]C10118901234567897", TODAY)
    assert found.product.id == carton.id


def test_lookup_refusals(admin: User) -> None:
    make_product(db.session, admin.id, name="Tea", code="8901234567890")
    with pytest.raises(ValidationError, match="check digit is wrong"):
        catalog.lookup_code(db.session, "(01)08901234567891", TODAY)
    with pytest.raises(ValidationError, match="no month 13"):
        catalog.lookup_code(db.session, "(01)08901234567890(17)261301", TODAY)
    with pytest.raises(NotFound, match="no product has the GTIN 04006381333931"):
        catalog.lookup_code(db.session, "(01)04006381333931", TODAY)
    with pytest.raises(NotFound, match="no product number"):
        catalog.lookup_code(db.session, "(00)106141411234567897", TODAY)
    with pytest.raises(NotFound, match="Unknown code: 4006381333931"):
        catalog.lookup_code(db.session, "4006381333931", TODAY)


def test_an_archived_product_is_not_found_by_gtin(admin: User) -> None:
    tea = make_product(db.session, admin.id, name="Tea", code="8901234567890")
    catalog.archive_product(db.session, tea.id, admin.id)
    with pytest.raises(NotFound):
        catalog.lookup_code(db.session, "(01)08901234567890", TODAY)
