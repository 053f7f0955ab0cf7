"""Product CSV import/export: encodings, delimiters, aliases, every bad row, all-or-nothing."""

from __future__ import annotations

import csv
import io
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from posapp.errors import ValidationError
from posapp.extensions import db
from posapp.models import Category, Product, StockMovement, User
from posapp.money import is_valid_ean13
from posapp.services import catalog, catalog_csv, csv_io
from posapp.services.integrity import run_checks
from tests.factories import make_product

pytestmark = pytest.mark.usefixtures("app")


def count(model: type) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def by_name(name: str) -> Product:
    return db.session.scalar(select(Product).where(Product.name == name))


GOOD = (
    "Barcode,Product Name,Category,UOM,Selling Price,MRP,Cost Price,GST %,HSN,Qty,Reorder level\n"
    "8901234567890,Tata Salt 1kg,Grocery,pcs,28.00,30,24.5,5,2501,48,10\n"
    ",Basmati Rice,Grains,kg,120,,96,5,1006,25.500,5\n"
    ',"Biscuits, Marie",Snacks,pcs,10,10,8,18,,0,\n'
)


def test_a_good_file_is_previewed_then_imported(admin: User) -> None:
    raw = GOOD.encode()
    plan = catalog_csv.plan_import(db.session, raw)
    assert plan.ok, plan.errors
    assert (plan.rows, plan.creates, plan.updates, plan.stock_changes) == (3, 3, 0, 2)
    assert plan.columns["code"] == "Barcode" and plan.columns["stock"] == "Qty"
    assert count(Product) == 0  # nothing is written at preview
    result = catalog_csv.apply_import(db.session, raw, admin.id)
    assert (result.created, result.updated, result.stock_movements) == (3, 0, 2)
    salt = by_name("Tata Salt 1kg")
    assert (salt.code, salt.price, salt.mrp, salt.cost, salt.tax_rate_bp) == (
        "8901234567890",
        2800,
        3000,
        2450,
        500,
    )
    assert (salt.stock_milli, salt.low_stock_milli, salt.category_name) == (
        48_000,
        10_000,
        "Grocery",
    )
    rice = by_name("Basmati Rice")
    assert is_valid_ean13(rice.code) and rice.code.startswith("200")
    assert (rice.unit, rice.stock_milli) == ("kg", 25_500)
    assert by_name("Biscuits, Marie").stock_milli == 0
    assert count(Category) == 3
    assert run_checks(db.session).ok


def test_rows_with_a_known_code_update_that_product(admin: User) -> None:
    tea = make_product(db.session, name="Tea", price="100", code="111", opening_stock="5")
    raw = b"code;price;stock;name\n111;110.50;7;\n"  # blank cells keep the current value
    plan = catalog_csv.plan_import(db.session, raw)
    assert plan.delimiter == ";"
    assert (plan.creates, plan.updates, plan.stock_changes) == (0, 1, 1)
    catalog_csv.apply_import(db.session, raw, admin.id)
    tea = db.session.get(Product, tea.id)
    assert (tea.name, tea.price, tea.stock_milli) == ("Tea", 11050, 7000)
    last = db.session.scalars(select(StockMovement).order_by(StockMovement.id.desc())).first()
    assert (last.reason, last.delta_milli, last.ref) == ("adjust_count", 2000, "CSV import")
    assert run_checks(db.session).ok


def test_every_kind_of_bad_row_is_listed_with_its_line_and_nothing_is_imported(
    admin: User,
) -> None:
    make_product(db.session, name="Existing", code="555")
    raw = (
        b"code,name,price,mrp,unit,tax,qty,archived\n"
        b"1,Fine,10,,pcs,5,1,no\n"  # line 2: good
        b"2,,10,,pcs,5,1,no\n"  # 3: no name
        b"3,No price,,,pcs,5,1,no\n"  # 4
        b"4,Zero price,0,,pcs,5,1,no\n"  # 5
        b"5,Three decimals,1.005,,pcs,5,1,no\n"  # 6
        b"6,Below MRP,20,10,pcs,5,1,no\n"  # 7
        b"7,Bad unit,10,,box,5,1,no\n"  # 8
        b"8,Bad tax,10,,pcs,101,1,no\n"  # 9
        b"9,Half a piece,10,,pcs,5,1.5,no\n"  # 10
        b"10,Negative,10,,pcs,5,-2,no\n"  # 11
        b"1,Repeated code,10,,pcs,5,1,no\n"  # 12
        b"11,fine,10,,pcs,5,1,no\n"  # 13: the name of line 2, other case
        b"12,existing,10,,pcs,5,1,no\n"  # 14: an active product has that name
        b"4006381333932,Bad check digit,10,,pcs,5,1,no\n"  # 15
        b"13,Bad flag,10,,pcs,5,1,maybe\n"  # 16
        b"14,Not a number,ten,,pcs,5,1,no\n"  # 17
    )
    plan = catalog_csv.plan_import(db.session, raw)
    errors = dict(plan.errors)
    assert sorted(errors) == list(range(3, 18)), errors
    assert "name: Name is required" in errors[3]
    assert "price: Required" in errors[4]
    assert "more than zero" in errors[5]
    assert "2 decimals" in errors[6]
    assert "MRP cannot be below" in errors[7]
    assert "unit: Unit must be one of" in errors[8]
    assert "between 0 and 100" in errors[9]
    assert "stock: Pieces are counted in whole numbers" in errors[10]
    assert "stock:" in errors[11]
    assert "already on line 2" in errors[12]
    assert "already on line 2" in errors[13]
    assert "already named 'existing'" in errors[14]
    assert "check digit" in errors[15]
    assert "yes or no" in errors[16]
    assert "must be a number" in errors[17]
    before = (count(Product), count(StockMovement))
    with pytest.raises(ValidationError, match="15 row"):
        catalog_csv.apply_import(db.session, raw, admin.id)
    assert (count(Product), count(StockMovement)) == before


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"", "empty"),
        (b"colour,size\nred,1\n", "name or a code column"),
        (b"name,product,price\nA,B,1\n", "Two columns mean name"),
        (b"name,price\n", "no rows"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00", "not a CSV"),
    ],
)
@pytest.mark.servers_first_case("reading the file is Python; the first case reaches the database")
def test_files_that_are_not_product_csvs_are_refused(raw: bytes, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        catalog_csv.plan_import(db.session, raw)


def test_bom_windows_1252_utf16_and_tab_files(admin: User) -> None:
    bom = "\ufeffName,Price\nCafé Latte,120\n".encode()
    plan = catalog_csv.plan_import(db.session, bom)
    assert plan.ok and plan.sample_creates[0]["name"] == "Café Latte"
    assert plan.columns == {"name": "Name", "price": "Price"}  # the BOM is not in the header
    excel = "Name;Price;Colour\nCrème brûlée;45,50;Blanc\n".encode("cp1252")
    plan = catalog_csv.plan_import(db.session, excel)
    assert plan.encoding == "windows-1252" and plan.delimiter == ";"
    assert plan.sample_creates[0]["name"] == "Crème brûlée"
    assert plan.sample_creates[0]["price"] == 4550  # `;` files use the decimal comma
    utf16 = "name\tprice\tsku\nGhee 1L\t650\tG1\n".encode("utf-16")
    plan = catalog_csv.plan_import(db.session, utf16)
    assert plan.delimiter == "\t" and plan.sample_creates[0]["code"] == "G1"


def test_unknown_columns_are_ignored_and_reported() -> None:
    plan = catalog_csv.plan_import(db.session, b"name,price,Weight (g)\nA,1,250\n")
    assert plan.ok and plan.ignored == ["Weight (g)"]


RATES = (0, 5, 12, 18, 28)


def test_a_10000_row_file_imports_quickly(admin: User) -> None:
    lines = ["sku,name,category,unit,price,cost,gst,stock"]
    lines += [
        f"SKU{i:05d},Item {i},Cat {i % 25},pcs,{i % 900 + 1}.50,1,{RATES[i % 5]},{i % 40}"
        for i in range(10_000)
    ]
    raw = ("\n".join(lines) + "\n").encode()
    started = time.perf_counter()
    result = catalog_csv.apply_import(db.session, raw, admin.id)
    elapsed = time.perf_counter() - started
    assert result.created == 10_000
    assert count(Product) == 10_000 and count(Category) == 25
    assert elapsed < 20, elapsed
    assert run_checks(db.session).ok
    # the same file again updates every row and creates nothing
    plan = catalog_csv.plan_import(db.session, raw)
    assert (plan.creates, plan.updates, plan.stock_changes) == (0, 10_000, 0)


def test_export_has_every_field_and_neutralises_formulas(admin: User) -> None:
    make_product(
        db.session,
        name='=HYPERLINK("http://evil")',
        code="+123",
        supplier="@SUM(A1)",
        location="-2+3",
        color="plain",
        category="Tools",
        mrp="12.00",
        price="10.00",
    )
    text = "".join(csv_io.csv_text(catalog_csv.export_rows(db.session)))
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows[0] == list(catalog_csv.EXPORT_COLUMNS)
    row = dict(zip(rows[0], rows[1], strict=True))
    assert row["name"] == '\'=HYPERLINK("http://evil")'
    assert row["code"] == "'+123"
    assert row["supplier"] == "'@SUM(A1)"
    assert row["location"] == "'-2+3"
    assert (row["color"], row["category"], row["price"], row["mrp"]) == (
        "plain",
        "Tools",
        "10.00",
        "12.00",
    )
    for cell in (c for r in rows for c in r):
        assert not cell.startswith(("=", "+", "-", "@"))
    # an exported file imports back unchanged (as updates by code)
    plan = catalog_csv.plan_import(db.session, text.encode())
    assert plan.ok and plan.updates == 1
    catalog_csv.apply_import(db.session, text.encode(), None)
    assert by_name('=HYPERLINK("http://evil")').code == "+123"


def test_the_template_imports_cleanly() -> None:
    text = "".join(csv_io.csv_text(catalog_csv.template_rows()))
    plan = catalog_csv.plan_import(db.session, text.encode())
    assert plan.ok and plan.creates == 2


def test_plain_negative_amounts_stay_numbers_but_formulas_are_defused() -> None:
    assert csv_io.neutralise("-0.50") == "-0.50"  # a shortage or a refund: a number
    assert csv_io.neutralise("-12") == "-12"
    for hostile in ("-2+3", "-1.5e3", "- 1", "-cmd|' /C calc'!A0", "+12", "=1", "@SUM(A1)"):
        assert csv_io.neutralise(hostile) == "'" + hostile


def plan_and_result(raw: bytes, admin: User) -> tuple[tuple[object, ...], list[tuple[str, ...]]]:
    """Check then import a file; return what the check said and every product afterwards."""
    plan = catalog_csv.plan_import(db.session, raw)
    said = (plan.rows, plan.creates, plan.updates, plan.stock_changes, plan.errors)
    if plan.ok:
        catalog_csv.apply_import(db.session, raw, admin.id)
    products = db.session.execute(
        select(Product.code, Product.name, Product.price, Product.stock_milli).order_by(Product.id)
    )
    return said, [tuple(str(v) for v in row) for row in products]


MIXED = (
    b"code,name,price,qty\n"
    b"555,,12,9\n"  # line 2: updates Existing (its name kept) and its stock
    b"A1,Tea,10,1\n"
    b"A2,Coffee,10,1\n"
    b"A1,Milk,10,1\n"  # 5: the code of line 3
    b",TEA,10,1\n"  # 6: the name of line 3
    b",existing,10,1\n"  # 7: an active product has that name
    b"A3,Sugar,10,1\n"
    b",Salt,10,0\n"
)


@pytest.mark.parametrize("batch", [1, 2, 3, 500])
def test_batches_change_nothing(admin: User, monkeypatch: pytest.MonkeyPatch, batch: int) -> None:
    monkeypatch.setattr(catalog_csv, "BATCH", batch)
    make_product(db.session, name="Existing", code="555", opening_stock="4")
    said, _ = plan_and_result(MIXED, admin)
    assert said == (
        8,
        4,
        1,
        4,
        [
            (5, "the code A1 is already on line 3."),
            (6, "the name 'TEA' is already on line 3."),
            (7, "an active product is already named 'existing'."),
        ],
    )
    good = b"".join(line for i, line in enumerate(MIXED.splitlines(True)) if i + 1 not in (5, 6, 7))
    said, products = plan_and_result(good, admin)
    assert said == (5, 4, 1, 4, [])
    assert products[0] == ("555", "Existing", "1200", "9000")
    assert [p[1:] for p in products[1:]] == [
        ("Tea", "1000", "1000"),
        ("Coffee", "1000", "1000"),
        ("Sugar", "1000", "1000"),
        ("Salt", "1000", "0"),
    ]
    assert is_valid_ean13(products[-1][0])
    assert run_checks(db.session).ok


def test_names_are_compared_lower_cased_as_python_does(admin: User) -> None:
    # SQLite's lower() folds only ASCII: "CRÈME" and "crème" are two names to the database.
    make_product(db.session, name="CRÈME BRÛLÉE", code="C1")
    make_product(db.session, name="Old Stock", code="C2")
    catalog.archive_product(db.session, by_name("Old Stock").id, admin.id)
    raw = "code,name,price\n,Crème Brûlée,10\n,old stock,10\nC1,crème brûlée,12\n".encode()
    plan = catalog_csv.plan_import(db.session, raw)
    assert plan.errors == [(2, "an active product is already named 'Crème Brûlée'.")]
    # an archived product's name is free, and a product may keep its own name in any case
    assert (plan.creates, plan.updates) == (1, 1)


def test_automatic_codes_skip_codes_in_use_and_codes_in_the_file(
    admin: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(catalog_csv, "BATCH", 2)
    first, second, third, fourth, fifth = (catalog_csv._internal_code(n) for n in range(1, 6))
    make_product(db.session, name="Taken", code=first)
    raw = f"code,name,price\n,New A,1\n,New B,1\n,New C,1\n{third},New D,1\n".encode()
    catalog_csv.apply_import(db.session, raw, admin.id)
    codes = {name: by_name(name).code for name in ("New A", "New B", "New C", "New D")}
    assert codes == {"New A": second, "New B": fourth, "New C": fifth, "New D": third}


def test_the_import_checks_again_what_changed_since_the_preview(admin: User) -> None:
    raw = b"name,price\nTea,10\nCoffee,10\n"
    assert catalog_csv.plan_import(db.session, raw).ok
    make_product(db.session, name="Coffee")
    before = count(Product)
    with pytest.raises(ValidationError, match="1 row"):
        catalog_csv.apply_import(db.session, raw, admin.id)
    assert count(Product) == before


def test_a_saved_file_is_read_from_disk_in_chunks(
    admin: User, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(catalog_csv, "READ_CHUNK", 3)  # characters straddle chunks
    path = tmp_path / "items.csv"
    path.write_bytes("name;price\nCafé Crème;45,50\nThé;3\n".encode())
    plan = catalog_csv.plan_import(db.session, path)
    assert (plan.encoding, plan.delimiter, plan.creates) == ("utf-8", ";", 2)
    assert (
        plan.sample_creates == catalog_csv.plan_import(db.session, path.read_bytes()).sample_creates
    )
    assert catalog_csv.apply_import(db.session, path, admin.id).created == 2
    assert by_name("Café Crème").price == 4550
    # A byte that is not UTF-8, past the first 64 KiB, still makes the whole file Windows-1252.
    path.write_bytes(b"name,price\nCr\xe8me,1\n".replace(b"\n", b"\n" + b" " * 70_000, 1))
    plan = catalog_csv.plan_import(db.session, path)
    assert plan.encoding == "windows-1252"
    assert plan.sample_creates[0]["name"] == "Crème"
    path.write_bytes("name,price\nA,1\n".encode("utf-16") + b"\x00")  # an odd byte at the end
    with pytest.raises(ValidationError, match="not readable UTF-16"):
        catalog_csv.plan_import(db.session, path)
    path.write_bytes(b"\xef\xbb\xbf \r\n\t\n")
    with pytest.raises(ValidationError, match="empty"):
        catalog_csv.plan_import(db.session, path)


def test_the_preview_shows_the_first_new_products_and_counts_them_all() -> None:
    raw = ("name,price\n" + "".join(f"Item {i},1\n" for i in range(25))).encode()
    plan = catalog_csv.plan_import(db.session, raw)
    assert plan.creates == 25
    assert [f["name"] for f in plan.sample_creates] == [f"Item {i}" for i in range(10)]


def test_aliases_round_trip_and_old_files_keep_them(admin: User) -> None:
    raw = (
        b"code,name,price,unit,Search words\n"
        b'111,Sugar (loose),46,kg,"Chini, cheeni, SHAKKAR"\n'
        b"222,Wheat Atta 5 kg,275,pcs,aata; atta\n"
    )
    plan = catalog_csv.plan_import(db.session, raw)
    assert plan.ok, plan.errors
    assert plan.columns["aliases"] == "Search words"
    catalog_csv.apply_import(db.session, raw, admin.id)
    assert by_name("Sugar (loose)").aliases == "chini,cheeni,shakkar"
    assert by_name("Wheat Atta 5 kg").aliases == "aata; atta"  # one alias: only commas split
    items, _ = catalog.search_products(db.session, q="cheeni")
    assert [p.name for p in items] == ["Sugar (loose)"]

    text = "".join(csv_io.csv_text(catalog_csv.export_rows(db.session)))
    rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows[0]["aliases"] == "chini, cheeni, shakkar"
    catalog_csv.apply_import(db.session, text.encode(), admin.id)  # back in: nothing changes
    assert by_name("Sugar (loose)").aliases == "chini,cheeni,shakkar"

    # A file without the column (every file made before it existed) leaves aliases alone.
    catalog_csv.apply_import(db.session, b"code,price\n111,48\n", admin.id)
    sugar = by_name("Sugar (loose)")
    assert (sugar.price, sugar.aliases) == (4800, "chini,cheeni,shakkar")


def test_bad_aliases_in_a_file_name_the_line_and_import_nothing(admin: User) -> None:
    too_many = ",".join(f"w{n}" for n in range(13))
    raw = f'name,price,aliases\nSugar,46,chini\nSalt,28,"{too_many}"\n'.encode()
    plan = catalog_csv.plan_import(db.session, raw)
    assert not plan.ok
    assert plan.errors == [(3, "aliases: At most 12 aliases (there are 13).")]
    with pytest.raises(ValidationError):
        catalog_csv.apply_import(db.session, raw, admin.id)
    assert count(Product) == 0


def test_perishable_round_trips_and_old_files_leave_it_alone(admin: User) -> None:
    raw = (
        b"code,name,price,Perishable\n"
        b"111,Amul Taaza Milk 500 ml,28,yes\n"
        b"222,Tata Salt 1kg,28,No\n"
        b"333,Modern Bread 400 g,45,\n"
    )
    plan = catalog_csv.plan_import(db.session, raw)
    assert plan.ok, plan.errors
    assert plan.columns["perishable"] == "Perishable"
    catalog_csv.apply_import(db.session, raw, admin.id)
    flags = {p.name: p.perishable for p in db.session.scalars(select(Product))}
    assert flags == {
        "Amul Taaza Milk 500 ml": True,
        "Tata Salt 1kg": False,
        "Modern Bread 400 g": False,  # blank is "no" for a new product
    }

    text = "".join(csv_io.csv_text(catalog_csv.export_rows(db.session)))
    rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    assert [row["perishable"] for row in rows] == ["yes", "no", "no"]
    catalog_csv.apply_import(db.session, text.encode(), admin.id)  # back in: nothing changes
    assert by_name("Amul Taaza Milk 500 ml").perishable is True

    # A row may mark a known product; a blank cell or a file without the column (every file
    # made before it existed) keeps what is there.
    catalog_csv.apply_import(db.session, b"code,perishable\n333,y\n111,\n", admin.id)
    catalog_csv.apply_import(db.session, b"code,price\n111,30\n", admin.id)
    milk, bread = by_name("Amul Taaza Milk 500 ml"), by_name("Modern Bread 400 g")
    assert (milk.price, milk.perishable, bread.perishable) == (3000, True, True)


def test_a_perishable_cell_that_is_not_yes_or_no_names_the_line(admin: User) -> None:
    raw = b"name,price,perishable\nMilk,28,yes\nCurd,35,sometimes\n"
    plan = catalog_csv.plan_import(db.session, raw)
    assert plan.errors == [(3, "perishable: Perishable must be yes or no.")]
    with pytest.raises(ValidationError):
        catalog_csv.apply_import(db.session, raw, admin.id)
    assert count(Product) == 0


def test_a_stock_value_column_sets_a_new_products_opening_book_value(admin: User) -> None:
    raw = (
        b"code,name,price,cost,stock,stock_value\n"
        b"A1,Atta 5kg,250,200.33,3,600.99\n"
        b"A2,Besan 1kg,90,70,2,\n"
    )
    catalog_csv.apply_import(db.session, raw, admin.id)
    values = dict(db.session.execute(select(Product.code, Product.stock_value)).all())
    assert values == {"A1": 60099, "A2": 14000}  # as given; else stock x cost
    assert run_checks(db.session).ok
    bad = catalog_csv.plan_import(db.session, b"code,name,price,stock_value\nA3,Rice,1,5\n")
    assert bad.errors == [(2, "stock_value: a value needs stock to be worth it.")]
