"""Export everything: every table on a trading shop, balances, the .xlsx workbook beside the CSVs.

The shop: the fixed report shop (tests/sales_data.py: cash, card, a credit sale, a void) with
two returns, a payment on account and an advance, a supplier with an opening balance, a bill
on credit, a payment and a debit note, an order, a drawer session with a pay-out, an expense.
The workbook is read back with openpyxl and compared cell by cell with the CSVs.
"""

from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from posapp.extensions import db
from posapp.models import Customer, Supplier, User
from posapp.models.base import utcnow, write_transaction
from posapp.money import money_str
from posapp.services import (
    cash_sessions,
    debit_notes,
    expenses,
    exports,
    inventory,
    ledger,
    orders,
    suppliers,
    workbook,
)
from posapp.services.settings import save_settings
from tests.factories import make_customer, make_product
from tests.sales_data import give_back, seed


@dataclass
class Trading:
    meena: Customer  # owes 30.00 from the credit sale, paid 10.00 of it
    ahead: Customer  # paid 250.00 with nothing owed: an advance
    evil: Customer
    metro: Supplier


@pytest.fixture
def shop(admin: User, cashier: User) -> Trading:
    fixed = seed(db.session, admin, cashier)
    give_back(db.session, fixed, admin)
    meena = db.session.get(Customer, fixed.c.customer_id)
    assert meena is not None
    ledger.record_payment(db.session, meena.id, {"amount": "10", "method": "upi"}, admin)
    ahead = make_customer(db.session, admin, name="Ahead")
    ledger.record_payment(db.session, ahead.id, {"amount": "250", "method": "cash"}, admin)
    evil = make_customer(
        db.session,
        admin,
        name='=HYPERLINK("http://evil.example","Click")',
        address="#N/A",
        notes="bell\x07 and tab-free",
    )
    metro = suppliers.create_supplier(
        db.session,
        {"name": "Metro Wholesale", "opening_balance": "500", "opening_date": "2026-01-01"},
        admin,
    )
    tea = make_product(db.session, name="Tea", unit="kg", cost="100", opening_stock="0")
    # 10 kg × ₹100.00 at 5 %: ₹1,050.00 on credit.
    bill = inventory.receive_stock(
        db.session,
        {"supplier_id": metro.id, "paid_now": "0", "reference": "M/77",
         "lines": [{"code": tea.code, "quantity": "10", "unit_cost": "100", "tax_rate": "5",
                    "batch": "B1"}]},
        admin.id,
    )  # fmt: skip
    suppliers.record_payment(db.session, metro.id, {"amount": "300", "method": "bank"}, admin)
    debit_notes.record_debit_note(
        db.session, bill.id, {"lines": {str(bill.lines[0].id): "2"}, "note": "Damp"}, admin
    )
    orders.create_order(
        db.session,
        orders.parse_order(
            {"customer_id": meena.id, "items": [{"product_id": fixed.pen.id, "quantity": 2}]}
        ),
        admin,
        "orders",
    )
    drawer = cash_sessions.open_session(db.session, {"opening_float": "500.00"}, cashier)
    cash_sessions.add_movement(
        db.session, drawer.id, {"kind": "pay_out", "amount": "30.00", "reason": "tea"}, cashier
    )
    expenses.add_expense(
        db.session, {"day": "2026-01-02", "category": "rent", "amount": "1500"}, admin.id
    )
    return Trading(meena, ahead, evil, metro)


def table(name: str) -> list[dict[str, str]]:
    rows = list(exports.table_rows(db.session, name))
    return [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]


def test_tables_come_masters_first_then_documents_then_the_books() -> None:
    names = list(exports.TABLES)
    assert names[:3] == ["products", "customers", "suppliers"]
    assert names[-3:] == ["accounts", "journal_entries", "journal_lines"]
    assert exports.WORKBOOK not in names
    for name in names:
        assert name == name.lower() and " " not in name
        assert len(workbook.sheet_title(name)) <= workbook.MAX_TITLE
    assert set(exports.NUMBER_COLUMNS) == set(names) == set(exports.TABLE_NOTES)


def test_every_table_exports_rows_each_column_explained(shop: Trading) -> None:
    for name in exports.TABLES:
        rows = list(exports.table_rows(db.session, name))
        header = rows[0]
        assert len(rows) > 1, f"{name} exported no rows on a trading shop"
        assert all(len(row) == len(header) for row in rows), name
        assert len(set(header)) == len(header), name
        for column in header:
            assert column == column.lower() and " " not in column, (name, column)
            assert exports.column_note(name, column), f"{name}.{column}: no note in COLUMN_NOTES"
        assert exports.NUMBER_COLUMNS[name] <= set(header), name
        # A note for a column that is not exported is a stale note.
        assert set(exports.COLUMN_NOTES.get(name, {})) <= set(header), name


def test_balances_are_signed_and_batched(
    shop: Trading, admin: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(exports, "BATCH", 2)  # several pages of customers
    for number in range(5):
        make_customer(db.session, admin, name=f"Page {number}")
    people = {row["name"]: row for row in table("customers")}
    assert len(people) == db.session.query(Customer).count()
    assert people["Meena"]["balance"] == "20.00"  # 30.00 on credit less 10.00 paid
    assert people["Ahead"]["balance"] == "-250.00"  # the shop holds an advance
    assert people["Page 4"]["balance"] == "0.00"
    evil = people['\'=HYPERLINK("http://evil.example","Click")']
    assert evil["notes"] == "bell\x07 and tab-free"
    (metro,) = table("suppliers")
    # Owed: 500.00 opening + 1,050.00 bill − 300.00 paid − 210.00 sent back.
    assert (metro["opening_balance"], metro["opening_date"]) == ("500.00", "2026-01-01")
    assert metro["balance"] == "1040.00"
    assert metro["balance"] == money_str(suppliers.balance(db.session, shop.metro.id))


def test_documents_read_as_the_shop_wrote_them(shop: Trading) -> None:
    (bill,) = table("purchases")
    assert (bill["reference"], bill["taxable"], bill["payable"], bill["returned"]) == (
        "M/77", "1000.00", "1050.00", "210.00",
    )  # fmt: skip
    (line,) = table("purchase_lines")
    assert (line["quantity"], line["unit"], line["tax_rate"], line["batch"]) == (
        "10.000", "kg", "5.00", "B1",
    )  # fmt: skip
    (note,) = table("debit_note_lines")
    assert (note["quantity"], note["unit_cost"]) == ("2.000", "100.00")
    returns = table("credit_note_lines")
    assert [r["quantity"] for r in returns] == ["1.000", "1"]  # 1 kg of rice, 1 pen
    (order,) = table("orders")
    assert (order["status"], order["customer_id"]) == ("pending", str(shop.meena.id))
    (drawer,) = table("cash_sessions")
    assert (drawer["opening_float"], drawer["user"], drawer["closed_at"]) == (
        "500.00", "cashier", "",
    )  # fmt: skip
    lines = table("journal_lines")
    debit = sum(Decimal(r["debit"]) for r in lines)
    assert debit > 0 and debit == sum(Decimal(r["credit"]) for r in lines)  # the books balance
    codes = {r["code"] for r in table("accounts")}
    assert {r["account_code"] for r in lines} <= codes


def _zip(now: Any = None) -> zipfile.ZipFile:
    spool = io.BytesIO()
    exports.zip_file(db.session, spool, now)
    spool.seek(0)
    return zipfile.ZipFile(spool)


def _csv(archive: zipfile.ZipFile, member: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(archive.read(member).decode("utf-8-sig"))))


def _as_text(value: object, cell_type: str) -> str:
    """A workbook cell as the CSV wrote it (numbers to their decimal text)."""
    if value is None:
        return ""
    assert cell_type in ("s", "n"), cell_type  # never a formula ("f") or an error ("e")
    return str(value)


def test_the_workbook_holds_a_readme_and_the_csv_rows(shop: Trading) -> None:
    archive = _zip()
    folder = archive.namelist()[0].split("/")[0]
    members = {n.split("/")[1] for n in archive.namelist()}
    assert members == {f"{t}.csv" for t in exports.TABLES} | {f"{folder}.xlsx"}
    book = load_workbook(io.BytesIO(archive.read(f"{folder}/{folder}.xlsx")))
    assert book.sheetnames == ["README", *exports.TABLES]
    readme = [[c.value for c in row] for row in book["README"].iter_rows()]
    flat = [str(v) for row in readme for v in row if v is not None]
    assert "TillBook export" in flat and "My Shop" in flat
    explained = {(r[0], r[1]) for r in readme if r[0] in exports.TABLES and r[2]}
    for name in exports.TABLES:
        header = _csv(archive, f"{folder}/{name}.csv")[0]
        assert {(name, column) for column in header} <= explained
    for name in exports.TABLES:
        from_csv = _csv(archive, f"{folder}/{name}.csv")
        sheet = book[name]
        from_xlsx = [
            [_as_text(c.value, c.data_type) for c in row]
            for row in sheet.iter_rows(max_col=len(from_csv[0]))
        ]
        assert len(from_xlsx) == len(from_csv), name
        numbers = exports.NUMBER_COLUMNS[name]
        for csv_row, xlsx_row in zip(from_csv, from_xlsx, strict=True):
            for column, want, got in zip(from_csv[0], csv_row, xlsx_row, strict=True):
                if column in numbers and got and csv_row is not from_csv[0]:
                    assert Decimal(got) == Decimal(want), (name, column)
                elif want != got:
                    # The only difference allowed: control characters an .xlsx cannot hold.
                    assert workbook.ILLEGAL.sub("", want) == got, (name, column)


def test_amounts_are_exact_numbers_and_text_never_a_formula(shop: Trading) -> None:
    archive = _zip()
    folder = archive.namelist()[0].split("/")[0]
    book = load_workbook(io.BytesIO(archive.read(f"{folder}/{folder}.xlsx")))
    sheet = book["customers"]
    header = [c.value for c in next(sheet.iter_rows(max_row=1))]
    rows = {
        row[1].value: dict(zip(header, row, strict=False)) for row in sheet.iter_rows(min_row=2)
    }
    evil = rows['\'=HYPERLINK("http://evil.example","Click")']
    assert evil["name"].data_type == "s"  # inert text, not a formula
    assert (evil["address"].value, evil["address"].data_type) == ("#N/A", "s")  # not an error
    assert evil["notes"].value == "bell and tab-free"
    assert evil["phone"].data_type == "s"  # '+91...: text, not a number
    ahead = rows["Ahead"]["balance"]
    assert (ahead.data_type, ahead.value, ahead.number_format) == ("n", -250, "0.00")
    lines = book["invoice_lines"]
    head = [c.value for c in next(lines.iter_rows(max_row=1))]
    rice = dict(zip(head, next(lines.iter_rows(min_row=2)), strict=False))
    assert (rice["quantity"].value, rice["quantity"].number_format) == (2.5, "0.000")
    assert rice["code"].data_type == "s"  # codes stay text (leading zeros, long barcodes)


def test_a_table_past_the_row_limit_continues_on_another_sheet(tmp_path: Path) -> None:
    book = workbook.Book(max_rows=3)
    rows = [["n", "amount"], *([str(i), f"{i}.50"] for i in range(5))]
    passed = list(book.table("numbers", rows, {"amount"}))
    assert passed == rows
    book.add("empty", [["n"]])
    book.readme([["hello"]])
    book.save(str(tmp_path / "t.xlsx"))
    read = load_workbook(tmp_path / "t.xlsx")
    assert read.sheetnames == ["README", "numbers", "numbers (2)", "numbers (3)", "empty"]
    assert [[c.value for c in r] for r in read["numbers (2)"].iter_rows()] == [
        ["n", "amount"], ["2", 2.5], ["3", 3.5],
    ]  # fmt: skip
    assert [[c.value for c in r] for r in read["empty"].iter_rows()] == [["n"]]
    assert book.sheets["numbers"] == [("numbers", 2), ("numbers (2)", 2), ("numbers (3)", 1)]


def test_rows_stream_through_the_workbook_one_at_a_time() -> None:
    pulled = 0

    def rows() -> Any:
        nonlocal pulled
        yield ["n"]
        for i in range(50_000):
            pulled += 1
            yield [str(i)]

    book = workbook.Book()
    passing = book.table("big", rows())
    for _ in range(11):
        next(passing)
    assert pulled == 10  # nothing read ahead: a big table never sits in memory
    for _ in passing:
        pass
    assert book.sheets["big"] == [("big", 50_000)]
    book.discard()


def test_the_folder_gets_the_workbook_last(shop: Trading, tmp_path: Path) -> None:
    seen: list[str] = []
    folder = exports.write_folder(
        db.session, tmp_path, progress=lambda done, total, step: seen.append(step)
    )
    assert seen == [*exports.TABLES, exports.WORKBOOK]
    written = sorted(p.name for p in folder.iterdir())
    assert written == sorted([*(f"{t}.csv" for t in exports.TABLES), f"{folder.name}.xlsx"])
    book = load_workbook(folder / f"{folder.name}.xlsx", read_only=True)
    assert book.sheetnames[0] == "README"
    book.close()


def test_the_readme_names_the_shop_inertly(app: Any) -> None:
    with write_transaction(db.session):
        save_settings(db.session, shop_name="=cmd|' /C calc'!A0")
    book = workbook.Book()
    rows = list(exports.readme_rows(db.session, book, utcnow()))
    assert ["Shop", "'=cmd|' /C calc'!A0"] in rows
    book.discard()


def test_a_failed_workbook_leaves_no_file_behind(
    shop: Trading, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from openpyxl.worksheet import _writer

    def pulled_out(session: Any) -> Any:
        yield ["id"]
        yield ["1"]
        raise OSError(5, "Input/output error")  # the USB stick pulled mid-way

    monkeypatch.setitem(exports.TABLES, "zz_broken", pulled_out)
    monkeypatch.setitem(exports.NUMBER_COLUMNS, "zz_broken", frozenset())
    before = list(_writer.ALL_TEMP_FILES)
    folder = tmp_path / exports.folder_name()
    with pytest.raises(OSError, match="Input/output"):
        exports.write_workbook(db.session, folder)
    assert list(folder.iterdir()) == []  # neither the workbook nor its part file
    left = list(_writer.ALL_TEMP_FILES)
    assert left == before  # the sheets' temporary files went at once, not at exit
