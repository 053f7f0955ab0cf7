"""Weighing-scale labels: the layout settings, the price check digit, reading a label, the
scale PLU of a product, the scan lookup and price-embedded lines at checkout."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from posapp.errors import Conflict, NotFound, ValidationError
from posapp.extensions import db
from posapp.models import InvoiceLine, Product, User
from posapp.models.base import write_transaction
from posapp.money import ean13_check_digit
from posapp.services import catalog, catalog_csv, checkout, held_bills, scale_labels
from posapp.services.pricing import LineInput, price_cart
from posapp.services.scale_labels import ScaleLayout, make_label, read_label
from posapp.services.settings import ShopSettings, load_settings, save_settings
from tests.factories import make_product

pytestmark = pytest.mark.one_backend("reading weighing-scale labels")

LAYOUTS = st.builds(
    ScaleLayout,
    prefixes=st.lists(st.integers(20, 29), min_size=1, unique=True).map(lambda p: tuple(sorted(p))),
    item_digits=st.sampled_from([4, 5, 6]),
    value=st.sampled_from(["weight", "price"]),
    price_check=st.booleans(),
).filter(lambda layout: not (layout.price_check and layout.item_digits == 6))


def scale(**values: object) -> None:
    with write_transaction(db.session):
        save_settings(db.session, **values)


def ean(body12: str) -> str:
    return body12 + str(ean13_check_digit(body12))


# ------------------------------------------------------------------ settings


@pytest.mark.parametrize(
    ("typed", "prefixes"),
    [
        ("20-29", tuple(range(20, 30))),
        ("2", tuple(range(20, 30))),  # the old one-digit setting
        ("21,22", (21, 22)),
        (" 23 , 25-27 ", (23, 25, 26, 27)),
        ("28", (28,)),
    ],
)
def test_prefixes_are_read_as_shops_type_them(typed: str, prefixes: tuple[int, ...]) -> None:
    assert scale_labels.parse_prefixes(typed) == prefixes


@pytest.mark.parametrize("typed", ["", "19", "30", "2-9", "20-30", "29-20", "2x", "20;21", "２０"])
def test_bad_prefixes_are_refused(typed: str) -> None:
    with pytest.raises(ValidationError) as caught:
        scale_labels.parse_prefixes(typed)
    assert caught.value.fields == {"scale_prefix": caught.value.message}


def test_prefixes_are_written_back_compactly() -> None:
    assert scale_labels.prefixes_text((20, 21, 22, 23)) == "20-23"
    assert scale_labels.prefixes_text((21, 22, 25, 27, 28, 29)) == "21,22,25,27-29"


def test_old_settings_read_as_the_new_layout() -> None:
    old = ShopSettings(scale_prefix="2", scale_item_digits=6, scale_value="weight")
    layout = scale_labels.layout_of(old)
    assert layout.prefixes == tuple(range(20, 30)) and layout.item_digits == 6
    assert layout.pattern == "PPIIIIIIVVVVE"
    assert scale_labels.layout_of(ShopSettings()).pattern == "PPIIIIIVVVVVE"
    garbled = ShopSettings(scale_prefix="abc", scale_item_digits=9, scale_value="volume")
    assert scale_labels.layout_of(garbled) == scale_labels.layout_of(ShopSettings())


def test_the_form_collects_every_error() -> None:
    with pytest.raises(ValidationError) as caught:
        scale_labels.validate_form(
            {
                "scale_prefix": "19",
                "scale_item_digits": "7",
                "scale_value": "volume",
                "scale_price_check": "maybe",
            }
        )
    assert set(caught.value.fields) == set(scale_labels.FORM_FIELDS)
    with pytest.raises(ValidationError) as caught:
        scale_labels.validate_form(
            {"scale_prefix": "20", "scale_item_digits": "6", "scale_value": "price",
             "scale_price_check": "1"}
        )  # fmt: skip
    assert set(caught.value.fields) == {"scale_price_check"}
    assert scale_labels.validate_form(
        {"scale_prefix": "22,21", "scale_item_digits": "4", "scale_value": "price",
         "scale_price_check": "1"}
    ) == {"scale_prefix": "21,22", "scale_item_digits": 4, "scale_value": "price",
          "scale_price_check": True}  # fmt: skip


# ------------------------------------------------------------------ the price check digit


def test_price_check_weights_are_the_published_tables() -> None:
    # GS1 General Specifications 7.9.3, tables of the weighting factors 2-, 5+ and 5-.
    assert [scale_labels._two_minus(d) for d in range(10)] == [0, 2, 4, 6, 8, 9, 1, 3, 5, 7]
    assert [scale_labels._five_plus(d) for d in range(10)] == [0, 5, 1, 6, 2, 7, 3, 8, 4, 9]
    assert [scale_labels._five_minus(d) for d in range(10)] == [0, 5, 9, 4, 8, 3, 7, 2, 6, 1]


def test_four_digit_price_check_worked_example() -> None:
    # 2875: 2-(2)=4, 2-(8)=5, 3(7)=21, 5-(5)=3; 33 × 3 = 99 -> 9
    assert scale_labels.price_check_digit("2875") == 9


def test_five_digit_price_check_worked_example() -> None:
    # 14685: 5+(1)=5, 2-(4)=8, 5-(6)=7, 5+(8)=4, 2-(5)=9; 33 -> 7 is needed, 5-(6) = 7 -> 6
    assert scale_labels.price_check_digit("14685") == 6


@given(st.integers(0, 99999), st.integers(0, 4), st.integers(1, 9))
def test_five_digit_check_catches_every_single_wrong_digit(value: int, at: int, shift: int) -> None:
    text = f"{value:05d}"
    wrong = text[:at] + str((int(text[at]) + shift) % 10) + text[at + 1 :]
    assert scale_labels.price_check_digit(text) != scale_labels.price_check_digit(wrong)


# ------------------------------------------------------------------ reading labels


@given(LAYOUTS, st.data())
def test_a_label_reads_back_what_was_printed(layout: ScaleLayout, data: st.DataObject) -> None:
    plu = data.draw(st.text("0123456789", min_size=layout.item_digits, max_size=layout.item_digits))
    value = data.draw(st.integers(1, 10**layout.value_digits - 1))
    prefix = data.draw(st.sampled_from(layout.prefixes))
    code = make_label(layout, plu, value, prefix)
    assert len(code) == 13
    assert read_label(code, layout) == scale_labels.LabelReading(plu, value)


@pytest.mark.parametrize(
    ("layout", "code", "plu", "value"),
    [
        (ScaleLayout((20,), 5, "weight", False), ean("200000101250"), "00001", 1250),
        (ScaleLayout((21, 22), 4, "weight", False), ean("220001001250"), "0001", 1250),
        (ScaleLayout((28,), 6, "price", False), ean("280000014750"), "000001", 4750),
        # 4-digit item, check digit 6 for the 5-digit price 14685
        (ScaleLayout((26,), 4, "price", True), ean("260042614685"), "0042", 14685),
        # 5-digit item, check digit 9 for the 4-digit price 2875
        (ScaleLayout((23,), 5, "price", True), ean("230007792875"), "00077", 2875),
    ],
)
def test_labels_of_each_layout(layout: ScaleLayout, code: str, plu: str, value: int) -> None:
    assert read_label(code, layout) == scale_labels.LabelReading(plu, value)


def test_codes_that_are_not_this_shops_labels() -> None:
    layout = ScaleLayout((21,), 5, "weight", False)
    assert read_label(ean("200000101250"), layout) is None  # prefix 20 is not the shop's
    assert read_label("2100001012340", layout) is None  # a wrong EAN check digit
    assert read_label("21000010125", layout) is None  # too short
    assert read_label(ean("890000101250"), layout) is None  # a real product's barcode


def test_a_wrong_price_check_digit_is_a_misread() -> None:
    layout = ScaleLayout((26,), 4, "price", True)
    with pytest.raises(ValidationError) as caught:
        read_label(ean("260042514685"), layout)  # 5 instead of 6
    assert caught.value.code == "bad_label"


def test_a_label_without_weight_is_refused() -> None:
    with pytest.raises(ValidationError, match="no weight"):
        read_label(ean("200000100000"), ScaleLayout((20,), 5, "weight", False))


def test_what_a_label_line_sells() -> None:
    weight = ScaleLayout((20,), 5, "weight", False)
    reading = scale_labels.LabelReading("00001", 1250)
    assert scale_labels.label_line(reading, weight, "kg", 3800).qty_milli == 1250
    assert scale_labels.label_line(reading, weight, "l", 3800).qty_milli == 1250
    assert scale_labels.label_line(reading, weight, "g", 50).qty_milli == 1_250_000
    price = ScaleLayout((20,), 5, "price", False)
    line = scale_labels.label_line(scale_labels.LabelReading("00001", 4750), price, "kg", 3800)
    assert (line.qty_milli, line.fixed_gross) == (1250, 4750)
    # 3.00 of cheese at 400.00/kg is 0.0075 kg: 0.008 kg for stock, still sold at 3.00
    line = scale_labels.label_line(scale_labels.LabelReading("00001", 300), price, "kg", 40000)
    assert (line.qty_milli, line.fixed_gross) == (8, 300)


# ------------------------------------------------------------------ the scale PLU


def test_plu_only_on_loose_products_with_the_labels_length(admin: User) -> None:
    with pytest.raises(ValidationError) as caught:
        make_product(db.session, admin.id, name="Soap", scale_plu="00001")
    assert "scale_plu" in caught.value.fields
    with pytest.raises(ValidationError) as caught:
        make_product(db.session, admin.id, name="Rice", unit="kg", scale_plu="0001")
    assert "5-digit" in caught.value.fields["scale_plu"]
    for bad in ("12a45", "1 234", "1234567", "１２３４５"):
        with pytest.raises(ValidationError):
            make_product(db.session, admin.id, name="Rice", unit="kg", scale_plu=bad)
    rice = make_product(db.session, admin.id, name="Rice", unit="kg", scale_plu="00001")
    assert rice.scale_plu == "00001"
    with pytest.raises(ValidationError):  # a PLU keeps the product loose
        catalog.update_product(db.session, rice.id, {"unit": "pcs"}, admin.id)
    catalog.update_product(db.session, rice.id, {"scale_plu": ""}, admin.id)
    assert db.session.get(type(rice), rice.id).scale_plu is None


def test_plu_is_unique_among_active_products(admin: User) -> None:
    onion = make_product(db.session, admin.id, name="Onion", unit="kg", scale_plu="00007")
    with pytest.raises(Conflict) as caught:
        make_product(db.session, admin.id, name="Potato", unit="kg", scale_plu="00007")
    assert caught.value.details["fields"] == {"scale_plu": "This PLU is taken."}
    catalog.archive_product(db.session, onion.id, admin.id)
    potato = make_product(db.session, admin.id, name="Potato", unit="kg", scale_plu="00007")
    assert potato.scale_plu == "00007"
    with pytest.raises(Conflict):  # bringing the old one back would make two
        catalog.update_product(db.session, onion.id, {"archived": False}, admin.id)


def test_lookup_finds_the_product_by_plu_not_by_code(admin: User) -> None:
    scale(scale_prefix="20-29", scale_item_digits=5, scale_value="weight")
    onion = make_product(
        db.session, admin.id, name="Onion", unit="kg", price="38.00", scale_plu="00001"
    )
    found = catalog.lookup_code(db.session, ean("200000101250"))
    assert (found.product.id, found.qty_milli, found.label) == (onion.id, 1250, ean("200000101250"))
    assert found.fixed_gross is None
    # The old rule (the product's code equal to the item digits) is gone.
    make_product(db.session, admin.id, name="Rice", unit="kg", code="00002")
    with pytest.raises(NotFound, match="scale PLU 00002"):
        catalog.lookup_code(db.session, ean("200000201250"))
    # A product's own code always wins over a label reading.
    packet = make_product(db.session, admin.id, name="Packet", code=ean("210000501000"))
    assert catalog.lookup_code(db.session, packet.code).product.id == packet.id


def test_lookup_of_price_labels_with_a_check_digit(admin: User) -> None:
    scale(scale_prefix="26", scale_item_digits=4, scale_value="price", scale_price_check=True)
    make_product(db.session, admin.id, name="Paneer", unit="kg", price="400.00", scale_plu="0042")
    found = catalog.lookup_code(db.session, ean("260042614685"))
    assert (found.qty_milli, found.fixed_gross) == (367, 14685)  # 146.85 / 400.00 = 0.367 kg
    with pytest.raises(ValidationError):
        catalog.lookup_code(db.session, ean("260042514685"))


# ------------------------------------------------------------------ checkout


def test_checkout_sells_a_price_label_at_its_price_with_tax(admin: User) -> None:
    scale(scale_value="price")
    with write_transaction(db.session):
        save_settings(db.session, prices_include_tax=False)
    ghee = make_product(
        db.session,
        admin.id,
        name="Loose ghee",
        unit="kg",
        price="620.00",
        tax_rate="5",
        scale_plu="00003",
        opening_stock="10",
    )
    label = ean("200000314750")  # 147.50
    # The client's quantity and product are not trusted: the label says what is sold.
    request = checkout.parse_checkout(
        {"items": [{"product_id": ghee.id, "scale_label": label, "quantity": "9"}]}
    )
    invoice = checkout.checkout(db.session, request, admin)
    line = db.session.scalars(select(InvoiceLine).where(InvoiceLine.invoice_id == invoice.id)).one()
    assert (line.gross, line.taxable, line.qty_milli) == (14750, 14750, 238)  # 147.50/620 kg
    assert line.cgst == line.sgst == 369 and line.total == 14750 + 738
    assert invoice.total == line.total
    assert db.session.get(type(ghee), ghee.id).stock_milli == 10_000 - 238


def test_checkout_refuses_labels_that_do_not_fit(admin: User) -> None:
    rice = make_product(db.session, admin.id, name="Rice", unit="kg", scale_plu="00001")
    other = make_product(db.session, admin.id, name="Dal", unit="kg", scale_plu="00002")
    for item, field in (
        ({"scale_label": "12345"}, "items.0.scale_label"),
        ({"scale_label": 2000001012500}, "items.0.scale_label"),
    ):
        with pytest.raises(ValidationError) as caught:
            checkout.parse_checkout({"items": [item]})
        assert field in caught.value.fields
    for item in (
        {"scale_label": ean("890000101250")},  # not a scale label
        {"scale_label": ean("200000901250")},  # nobody has PLU 00009
        {"product_id": other.id, "scale_label": ean("200000101250")},  # names rice, not dal
    ):
        with pytest.raises(ValidationError):
            checkout.preview(db.session, checkout.parse_checkout({"items": [item]}))
    view = checkout.preview(
        db.session, checkout.parse_checkout({"items": [{"scale_label": ean("200000101250")}]})
    )
    assert view.products[0].id == rice.id and view.qty_milli == [1250]
    assert load_settings(db.session).scale_value == "weight"


# ------------------------------------------------------------------ pricing a fixed gross


@given(
    st.lists(
        st.tuples(
            st.integers(1, 99_999),  # the label's price
            st.integers(1, 50_000),  # the quantity derived from it
            st.sampled_from([0, 25, 300, 500, 1800, 4000]),
        ),
        min_size=1,
        max_size=6,
    ),
    st.booleans(),
    st.sampled_from(["cgst_sgst", "igst", "none"]),
    st.booleans(),
)
def test_price_labels_keep_their_price_through_tax(
    labels: list[tuple[int, int, int]], include: bool, split: str, round_off: bool
) -> None:
    lines = [LineInput(99_999, qty, rate, fixed_gross=price) for price, qty, rate in labels]
    cart = price_cart(lines, prices_include_tax=include, tax_split=split, round_off=round_off)
    for line, (price, _, _) in zip(cart.lines, labels, strict=True):
        assert line.gross == line.net == price  # never unit price × quantity
        assert line.tax == line.cgst + line.sgst + line.igst
        if split == "cgst_sgst":
            assert line.cgst == line.sgst
        if include or split == "none":
            assert line.total == price and line.taxable == price - line.tax
        else:
            assert line.taxable == price and line.total == price + line.tax
    assert cart.subtotal == sum(price for price, _, _ in labels)
    assert cart.total == sum(line.total for line in cart.lines) + cart.round_off
    assert cart.tax_total == sum(row.tax for row in cart.tax_summary)


def test_held_bills_keep_their_labels(admin: User) -> None:
    onion = make_product(db.session, admin.id, name="Onion", unit="kg", scale_plu="00001")
    label = ean("200000101250")
    request = held_bills.parse_held(
        {"items": [{"product_id": onion.id, "scale_label": label, "quantity": "1.250"}]}
    )
    view = held_bills.park(db.session, request, admin)
    cart = held_bills.recall(db.session, view.bill.id, admin)
    assert [(line["scale_label"], line["quantity"]) for line in cart["lines"]] == [(label, "1.250")]
    with pytest.raises(ValidationError):
        held_bills.parse_held({"items": [{"product_id": onion.id, "scale_label": "2000"}]})


# ------------------------------------------------------------------ product CSV


def csv_bytes(*lines: str) -> bytes:
    return ("\r\n".join(lines) + "\r\n").encode()


def test_csv_imports_and_exports_scale_plus(admin: User) -> None:
    make_product(db.session, admin.id, name="Onion", code="ONION", unit="kg", scale_plu="00001")
    good = csv_bytes(
        "code,name,unit,price,plu",
        "TOMATO,Tomato,kg,40.00,00003",
        "ONION,Onion,kg,38.00,",  # an empty cell keeps the PLU
    )
    plan = catalog_csv.plan_import(db.session, good)
    assert plan.ok, plan.errors
    catalog_csv.apply_import(db.session, good, admin.id)
    tomato = db.session.scalars(select(Product).where(Product.code == "TOMATO")).one()
    assert tomato.scale_plu == "00003"
    rows = list(catalog_csv.export_rows(db.session))
    plu_at = rows[0].index("scale_plu")
    assert sorted(row[plu_at] for row in rows[1:]) == ["00001", "00003"]


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("SOAP,Soap,pcs,30.00,00005", "only products sold by kg, g or l"),
        ("DAL,Dal,kg,90.00,0005", "5-digit item code"),
        ("DAL,Dal,kg,90.00,00x05", "4 to 6 digits"),
        ("DAL,Dal,kg,90.00,00001", "another active product has the PLU 00001"),
        ("ONION,Onion,pcs,38.00,", "only products sold by kg, g or l"),  # its kept PLU
    ],
)
def test_csv_rows_with_bad_plus_are_refused(admin: User, line: str, message: str) -> None:
    make_product(db.session, admin.id, name="Onion", code="ONION", unit="kg", scale_plu="00001")
    plan = catalog_csv.plan_import(db.session, csv_bytes("code,name,unit,price,scale_plu", line))
    assert len(plan.errors) == 1 and message in plan.errors[0][1], plan.errors


def test_csv_plus_are_unique_within_the_file(admin: User) -> None:
    plan = catalog_csv.plan_import(
        db.session,
        csv_bytes("name,unit,price,scale_plu", "Dal,kg,90.00,00005", "Rice,kg,60.00,00005"),
    )
    assert plan.errors == [(3, "scale_plu: the PLU 00005 is already on line 2.")]
