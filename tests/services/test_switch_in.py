"""Switching in: customers' dues, suppliers' payables and opening stock from another app's files."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import func, select

from posapp.errors import ValidationError
from posapp.extensions import db
from posapp.models import AuditLog, Customer, LedgerEntry, Product, StockMovement, Supplier, User
from posapp.models.base import to_local
from posapp.money import format_money, parse_written_money
from posapp.services import integrity, ledger, suppliers, switch_in
from posapp.services.ledger import local_today
from tests.factories import make_customer, make_product
from tests.switch_in_data import customers_200, write_csv, write_xlsx

PHONE_COLUMN = 1  # "Contact (WhatsApp)": no app writes it, so it is mapped by hand


def _count(model: type) -> int:
    return int(db.session.scalar(select(func.count()).select_from(model)) or 0)


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# ---------------------------------------------------------------- amounts as people write them


@given(st.integers(min_value=-(10**12), max_value=10**12))
def test_an_amount_formatted_the_indian_or_western_way_reads_back_exactly(minor: int) -> None:
    for locale in ("en_IN", "en_US"):
        written = format_money(minor, "INR", locale)
        assert parse_written_money(written) == minor, written


@given(st.from_regex(r"[0-9]{1,3}(,[0-9]{1,4}){1,3}(\.[0-9]{1,2})?", fullmatch=True))
def test_a_comma_is_read_only_between_real_groups_of_digits(text: str) -> None:
    whole = text.partition(".")[0]
    groups = whole.split(",")
    western = all(len(g) == 3 for g in groups[1:]) and 1 <= len(groups[0]) <= 3
    indian = (
        len(groups[-1]) == 3 and all(len(g) == 2 for g in groups[1:-1]) and 1 <= len(groups[0]) <= 2
    )
    if western or indian:
        assert parse_written_money(text) == parse_written_money(text.replace(",", ""))
    else:
        with pytest.raises(ValidationError):
            parse_written_money(text)


@pytest.mark.parametrize(
    ("text", "type_text", "customers", "suppliers_"),
    [
        ("₹1,250.50", "", 125050, 125050),
        ("1,25,000", "", 12500000, 12500000),
        ("1250 Dr", "", 125000, -125000),
        ("1250 Cr", "", -125000, 125000),
        ("-300", "", -30000, -30000),
        ("1,250", "To Collect", 125000, -125000),
        ("1,250", "To Pay", -125000, 125000),
        ("1250 (Dr)", "", 125000, -125000),
        ("(300)", "", -30000, -30000),
        ("Rs. 99/-", "", 9900, 9900),
    ],
)
def test_balances_take_their_side_from_dr_cr_words(
    text: str, type_text: str, customers: int, suppliers_: int
) -> None:
    assert switch_in.parse_balance(text, type_text, switch_in.KINDS["customers"]) == customers
    assert switch_in.parse_balance(text, type_text, switch_in.KINDS["suppliers"]) == suppliers_


@pytest.mark.parametrize(
    ("text", "type_text", "says"),
    [
        ("2,5", "", "not grouped"),
        ("-300 Dr", "", "ambiguous"),
        ("300 Dr", "Cr", "opposite"),
        ("300", "maybe", "neither"),
        ("1.250,50", "", "Amount"),
    ],
)
def test_a_balance_read_two_ways_is_refused(text: str, type_text: str, says: str) -> None:
    with pytest.raises(ValidationError) as caught:
        switch_in.parse_balance(text, type_text, switch_in.KINDS["customers"])
    assert says in caught.value.message


def test_the_rules_on_the_preview_are_worked_out_by_the_parser(admin: User) -> None:
    from posapp.services.settings import load_settings

    rules = dict(switch_in.rules(switch_in.KINDS["customers"], load_settings(db.session)))
    assert rules["1250 Dr"] == "the customer owes ₹1,250.00"
    assert rules["-300"] == "advance held for the customer: ₹300.00"
    assert rules["2,5"].startswith("refused")


# ---------------------------------------------------------------- 200 customers, CSV and XLSX


@pytest.mark.parametrize("form", ["csv", "xlsx"])
def test_two_hundred_customers_preview_lists_every_bad_row_and_writes_nothing(
    admin: User, tmp_path: Path, form: str
) -> None:
    data = customers_200()
    path = (write_csv if form == "csv" else write_xlsx)(data, tmp_path / f"parties.{form}")
    audits = _count(AuditLog)

    unmapped = switch_in.plan(db.session, "customers", path)
    assert unmapped.problems == ["No column gives the phone: choose one below."]
    assert unmapped.mapping[:6] == ["name", "", "address", "balance", "balance_type", "note"]

    plan = switch_in.plan(db.session, "customers", path, chosen={PHONE_COLUMN: "phone"})
    assert plan.problems == []
    assert sorted(line for line, _ in plan.errors) == sorted(data.bad_lines)
    for line, message in plan.errors:
        assert data.bad_lines[line] in message, message
    assert len(plan.rows) == data.good == plan.count("create")
    assert plan.totals == {"owed": data.owed, "advance": data.advance}
    assert not plan.ok
    assert (_count(Customer), _count(LedgerEntry), _count(AuditLog)) == (0, 0, audits)
    with pytest.raises(ValidationError, match="2 rows have problems; nothing was imported"):
        switch_in.apply(db.session, "customers", path, admin, chosen={PHONE_COLUMN: "phone"})
    assert (_count(Customer), _count(LedgerEntry), _count(AuditLog)) == (0, 0, audits)


def _fixed(tmp_path: Path, form: str = "csv") -> tuple[Path, int, int]:
    data = customers_200()
    data.rows[149][1] = "9000000149"  # the duplicate gets its own phone
    data.rows[76][1] = "9000000076"  # the bad phone is corrected
    owed = advance = 0
    from tests.switch_in_data import _paise

    for row in data.rows:
        paise = _paise(row)
        owed += max(paise, 0)
        advance += max(-paise, 0)
    path = (write_csv if form == "csv" else write_xlsx)(data, tmp_path / f"fixed.{form}")
    return path, owed, advance


@pytest.mark.parametrize("form", ["csv", "xlsx"])
def test_a_clean_file_imports_every_customer_with_an_opening_entry_in_khata_and_books(
    admin: User, tmp_path: Path, form: str
) -> None:
    path, owed, advance = _fixed(tmp_path, form)
    as_of = local_today() - timedelta(days=30)
    result = switch_in.apply(
        db.session, "customers", path, admin, chosen={PHONE_COLUMN: "phone"}, as_of=as_of
    )
    assert (result.created, result.updated, result.unchanged) == (200, 0, 0)
    ids = list(db.session.scalars(select(Customer.id)))
    balances = ledger.balances(db.session, ids)
    assert sum(b for b in balances.values() if b > 0) == owed
    assert -sum(b for b in balances.values() if b < 0) == advance
    entries = db.session.scalars(select(LedgerEntry)).all()
    assert {e.kind for e in entries} == {"opening"}
    assert {to_local(e.created_at).date() for e in entries} == {as_of}
    assert integrity.run_checks(db.session).ok
    sunita = db.session.scalar(select(Customer).where(Customer.phone == "+919000000076"))
    assert sunita is not None and sunita.address == "77 Gandhi Nagar"
    assert sunita.notes == "old khata"
    logged = db.session.scalar(select(AuditLog).where(AuditLog.action == "import.customers"))
    assert logged is not None and json.loads(logged.after or "{}")["created"] == 200

    again = switch_in.apply(
        db.session, "customers", path, admin, chosen={PHONE_COLUMN: "phone"}, as_of=as_of
    )
    assert (again.created, again.updated, again.unchanged) == (0, 0, 200)
    assert ledger.balances(db.session, ids) == balances
    assert _count(LedgerEntry) == len(entries)


def test_a_phone_the_shop_has_updates_that_customer_and_posts_only_the_difference(
    admin: User, tmp_path: Path
) -> None:
    known = make_customer(db.session, admin, name="Sunita", phone="98765 43210",
                          opening_balance="500")  # fmt: skip
    path = _write(
        tmp_path,
        "c.csv",
        "Customer Name,Mobile,Balance,As of,GSTIN\n"
        f"Sunita Sharma,+91 98765 43210,1250 Dr,{(local_today() - timedelta(days=2)):%d-%m-%Y},\n"
        "Asha,9123456780,,,\n",
    )
    plan = switch_in.plan(db.session, "customers", path)
    assert [(r.action, r.amount) for r in plan.rows] == [("update", 75000), ("create", 0)]
    switch_in.apply(db.session, "customers", path, admin)
    assert _count(Customer) == 2
    db.session.refresh(known)
    assert known.name == "Sunita Sharma"
    assert ledger.balance(db.session, known.id) == 125000
    latest = db.session.scalars(
        select(LedgerEntry).where(LedgerEntry.customer_id == known.id).order_by(LedgerEntry.id)
    ).all()
    assert [e.amount for e in latest] == [50000, 75000]
    assert to_local(latest[-1].created_at).date() == local_today() - timedelta(days=2)


@pytest.mark.parametrize(
    ("cell", "says"),
    [("31-02-2026", "not a day"), ((date.today() + timedelta(days=3)).isoformat(), "future")],
)
@pytest.mark.servers_first_case("reading the file is Python; the first case reaches the database")
def test_an_impossible_or_future_day_is_a_bad_row(
    admin: User, tmp_path: Path, cell: str, says: str
) -> None:
    path = _write(tmp_path, "c.csv", f"name,phone,balance,as_of\nA,9123456780,10,{cell}\n")
    plan = switch_in.plan(db.session, "customers", path)
    assert plan.errors and says in plan.errors[0][1]


def test_a_cashier_cannot_import_balances(cashier: User, tmp_path: Path) -> None:
    path = _write(tmp_path, "c.csv", "name,phone,balance\nA,9123456780,10\n")
    from posapp.errors import Forbidden

    with pytest.raises(Forbidden):
        switch_in.apply(db.session, "customers", path, cashier)
    assert _count(Customer) == 0


def test_a_heading_can_be_mapped_by_hand_or_ignored(admin: User, tmp_path: Path) -> None:
    path = _write(tmp_path, "c.csv", "Naam,Phone,Baki Rakam,Extra\nA,9123456780,10 Dr,x\n")
    plan = switch_in.plan(db.session, "customers", path)
    assert plan.problems  # "Naam" is no heading TillBook knows
    plan = switch_in.plan(db.session, "customers", path, chosen={0: "name", 2: "balance"})
    assert plan.ok and plan.totals["owed"] == 1000 and plan.chosen[:3] == [True, False, True]
    plan = switch_in.plan(db.session, "customers", path, chosen={0: "name", 2: ""})
    assert plan.ok and plan.totals["owed"] == 0  # the balance column ignored


def test_a_file_that_is_not_a_table_is_refused_clearly(admin: User, tmp_path: Path) -> None:
    fake = tmp_path / "c.xlsx"
    fake.write_bytes(b"PK\x03\x04not really a zip")
    with pytest.raises(ValidationError, match="not an Excel workbook"):
        switch_in.plan(db.session, "customers", fake)
    with pytest.raises(ValidationError, match="no rows"):
        switch_in.plan(db.session, "customers", _write(tmp_path, "h.csv", "name,phone\n"))


def test_workbook_cells_read_as_typed_and_a_formula_is_never_run(
    admin: User, tmp_path: Path
) -> None:
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["name", "phone", "balance"])
    sheet.append(["Ravi", 9123456780, 1250.5])  # numbers typed as numbers
    sheet.append(["Mohan", "9123456781", 12.505])  # three decimals: not an amount
    sheet.append(['=HYPERLINK("http://x")', "9123456782", 1])  # never saved by Excel
    book.save(tmp_path / "n.xlsx")
    plan = switch_in.plan(db.session, "customers", tmp_path / "n.xlsx")
    assert [r.amount for r in plan.rows] == [125050]
    assert plan.errors[0][0] == 3 and "at most 2 decimals" in plan.errors[0][1]
    # A formula has no value until a spreadsheet computes it: the name is empty, not run.
    assert plan.errors[1][0] == 4 and "Name is required" in plan.errors[1][1]


# ---------------------------------------------------------------- suppliers


def test_suppliers_import_with_payables_matched_by_gstin_and_posted_to_the_books(
    admin: User, tmp_path: Path
) -> None:
    day = local_today() - timedelta(days=10)
    known = suppliers.create_supplier(
        db.session, {"name": "Metro Cash & Carry", "gstin": "29AAGCB7383J1Z4"}, admin
    )
    path = _write(
        tmp_path,
        "s.csv",
        "Supplier Name,GSTIN,Phone No,Closing Balance,Credit Period,As on Date\n"
        f'Metro Wholesale,29AAGCB7383J1Z4,,"12,500 Cr",30,{day:%d/%m/%Y}\n'
        'Sharma Distributors,,080 4123 4567,"₹2,00,000.00",15,\n'
        "Lal Agencies,,,0,,\n",
    )
    plan = switch_in.plan(db.session, "suppliers", path)
    assert plan.ok, plan.errors
    assert [r.action for r in plan.rows] == ["update", "create", "create"]
    assert plan.totals == {"owed": 1250000 + 20000000, "advance": 0}
    switch_in.apply(db.session, "suppliers", path, admin)
    db.session.refresh(known)
    assert (known.name, known.opening_balance, known.opening_date, known.credit_days) == (
        "Metro Wholesale", 1250000, day, 30)  # fmt: skip
    ids = list(db.session.scalars(select(Supplier.id)))
    assert sum(suppliers.balances(db.session, ids).values()) == 21250000
    assert integrity.run_checks(db.session).ok


def test_an_advance_to_a_supplier_is_refused_with_what_to_do(admin: User, tmp_path: Path) -> None:
    path = _write(tmp_path, "s.csv", "name,balance\nMetro,500 Dr\n")
    plan = switch_in.plan(db.session, "suppliers", path)
    assert "record the advance as a payment" in plan.errors[0][1]


# ---------------------------------------------------------------- opening stock


def test_opening_stock_adds_what_is_not_on_hand_at_the_given_cost_and_date(
    admin: User, tmp_path: Path
) -> None:
    salt = make_product(db.session, admin.id, name="Tata Salt 1kg", code="8901234567890",
                        opening_stock="0", cost="20.00")  # fmt: skip
    rice = make_product(db.session, admin.id, name="Basmati Rice", unit="kg",
                        opening_stock="5", cost="90.00")  # fmt: skip
    day = local_today() - timedelta(days=1)
    path = _write(
        tmp_path,
        "stock.csv",
        "Item Code,Item Name,Closing Stock,Purchase Price,Date\n"
        f"8901234567890,,48,24.50,{day:%d-%m-%Y}\n"
        ',basmati rice,25.500,"1,000.00",\n'
        ",Unknown Thing,3,1,\n",
    )
    plan = switch_in.plan(db.session, "stock", path)
    assert plan.errors == [(4, "no product is named 'Unknown Thing': import or add the products "
                               "first.")]  # fmt: skip
    path.write_text(path.read_text().rsplit("\n", 2)[0] + "\n")
    switch_in.apply(db.session, "stock", path, admin)
    db.session.refresh(salt)
    db.session.refresh(rice)
    assert (salt.stock_milli, salt.cost, salt.stock_value) == (48000, 2450, 117600)
    assert rice.stock_milli == 25500
    moves = db.session.scalars(select(StockMovement).where(StockMovement.reason == "opening",
                               StockMovement.ref == "Opening stock import")).all()  # fmt: skip
    assert sorted(m.delta_milli for m in moves) == [20500, 48000]
    assert to_local(next(m for m in moves if m.product_id == salt.id).created_at).date() == day
    assert integrity.run_checks(db.session).ok
    again = switch_in.plan(db.session, "stock", path)
    assert [r.action for r in again.rows] == ["unchanged", "unchanged"]


def test_opening_stock_below_what_is_held_is_a_bad_row(admin: User, tmp_path: Path) -> None:
    make_product(db.session, admin.id, name="Soap", code="1111", opening_stock="50")
    path = _write(tmp_path, "s.csv", "code,qty\n1111,40\n")
    plan = switch_in.plan(db.session, "stock", path)
    assert "opening stock only adds" in plan.errors[0][1]
    assert _count(Product) == 1
