"""The books' statements on entries posted by hand, checked against hand figures."""

from __future__ import annotations

from datetime import date

import pytest
from flask import Flask
from sqlalchemy import select

from posapp.errors import ValidationError
from posapp.extensions import db
from posapp.models import Account, AuditLog, JournalEntry, User
from posapp.models.base import write_transaction
from posapp.money import format_money
from posapp.services import audit_text, books, books_admin, books_reports, inventory, suppliers
from posapp.services.books import cr, dr
from tests.factories import make_customer, make_product

D1, D2, D3 = date(2026, 10, 5), date(2026, 11, 3), date(2026, 11, 20)


def post(day: date, *lines: books.Line, kind: str = "manual", source_id: int | None = None,
         reference: str = "") -> int:  # fmt: skip
    with write_transaction(db.session):
        entry_id = books.post(
            db.session, day=day, source_kind=kind, source_id=source_id, lines=list(lines),
            reference=reference, narration=f"{kind} {reference}",
        )  # fmt: skip
    assert entry_id is not None
    return entry_id


@pytest.fixture
def shop(app: Flask, admin: User) -> dict[str, int]:
    """A small month: capital, a cash sale with GST, a credit sale, a purchase, rent."""
    customer = make_customer(db.session, admin, credit_limit="5000")
    supplier = suppliers.create_supplier(db.session, {"name": "Wholesaler"}, admin)
    post(D1, dr("cash", 500000), cr("capital", 500000))
    post(D2, dr("inventory", 200000), dr("input_cgst", 18000), dr("input_sgst", 18000),
         cr("payable", 236000, supplier_id=supplier.id), kind="purchase",
         reference="PUR-1")  # fmt: skip
    post(D2, dr("cash", 118000), cr("sales", 100000), cr("output_cgst", 9000),
         cr("output_sgst", 9000), dr("cogs", 60000), cr("inventory", 60000), kind="sale",
         reference="INV-1")  # fmt: skip
    post(D3, dr("receivable", 59000, customer_id=customer.id), cr("sales", 50000),
         cr("output_cgst", 4500), cr("output_sgst", 4500), dr("cogs", 30000),
         cr("inventory", 30000), kind="sale", reference="INV-2")  # fmt: skip
    post(D3, dr("expense_rent", 20000), cr("cash", 20000), kind="expense")
    return {"customer": customer.id, "supplier": supplier.id}


def figures(statement: books_reports.Statement) -> dict[str, list[object]]:
    return {str(row.cells[1]): row.cells[2:] for row in statement.rows}


def test_trial_balance_at_a_date_from_day_totals(shop: dict[str, int]) -> None:
    tb = books_reports.trial_balance(db.session, D3)
    rows = figures(tb)
    assert rows["Cash in drawer"] == [598000, None]  # 5000 + 1180 − 200
    assert rows["Inventory (stock)"] == [110000, None]  # 2000 − 600 − 300
    assert rows["Sales"] == [None, 150000]
    assert rows["Payables (suppliers' khata)"] == [None, 236000]
    assert rows["Total"] == [913000, 913000]
    assert tb.figures["total_debit"] == tb.figures["total_credit"] == 913000
    earlier = figures(books_reports.trial_balance(db.session, D1))
    assert earlier["Cash in drawer"] == [500000, None] and "Sales" not in earlier


def test_profit_and_loss_of_a_period(shop: dict[str, int]) -> None:
    pnl = books_reports.profit_and_loss(db.session, D2, D3).figures
    assert pnl == {
        "sales": 150000, "sales_returns": 0, "net_sales": 150000, "cogs": 90000,
        "gross_profit": 60000, "other_income": 0, "expenses": 20000, "net_profit": 40000,
    }  # fmt: skip
    only_november_20 = books_reports.profit_and_loss(db.session, D3, D3).figures
    assert only_november_20["net_sales"] == 50000 and only_november_20["net_profit"] == 0


def test_balance_sheet_balances_with_gst_net_and_profit_in_equity(shop: dict[str, int]) -> None:
    bs = books_reports.balance_sheet(db.session, D3).figures
    # cash 5980 + receivable 590 + inventory 1100 (input GST moves to the GST line)
    assert bs["assets"] == 767000
    assert bs["gst_payable"] == 27000 - 36000  # output 270 − input 360: a credit to carry
    assert bs["liabilities"] == 236000 - 9000
    assert bs["retained_profit"] == 40000
    assert bs["equity"] == 540000
    assert bs["assets"] == bs["liabilities"] + bs["equity"]


def test_sub_accounts_roll_up_and_show_indented(shop: dict[str, int], admin: User) -> None:
    sales = db.session.scalar(select(Account).where(Account.system_key == "sales"))
    online = books_admin.add_sub_account(
        db.session, {"code": "4110", "name": "Online sales", "parent_id": str(sales.id)}, admin.id
    )
    assert online.kind == "income"
    post(D3, dr("bank", 30000), cr(online.id, 30000))
    tb = books_reports.trial_balance(db.session, D3)
    by_name = {row.cells[1]: row for row in tb.rows}
    assert by_name["Sales"].cells[3] == 180000 and by_name["Sales"].depth == 0
    assert by_name["Online sales"].cells[3] == 30000 and by_name["Online sales"].depth == 1
    assert tb.figures["total_debit"] == tb.figures["total_credit"] == 943000
    pnl = books_reports.profit_and_loss(db.session, D2, D3).figures
    assert pnl["sales"] == 180000 and pnl["net_profit"] == 70000
    # A parent with no balance of its own still shows when a sub-account under it has one.
    discounts = db.session.scalar(select(Account).where(Account.system_key == "discounts"))
    festival = books_admin.add_sub_account(
        db.session, {"code": "5210", "name": "Festival offers", "parent_id": discounts.id}, admin.id
    )
    post(D3, dr(festival.id, 500), cr("cash", 500))
    depths = {row.cells[1]: row.depth for row in books_reports.trial_balance(db.session, D3).rows}
    assert depths["Discounts allowed"] == 0 and depths["Festival offers"] == 1
    lines = books_reports.profit_and_loss(db.session, D2, D3).rows
    assert [row.cells[1] for row in lines if row.cells[0] in ("5200", "5210")] == [
        "Discounts allowed", "Festival offers",
    ]  # fmt: skip


def test_day_book_account_book_and_party_ledgers(shop: dict[str, int]) -> None:
    day = books_reports.day_book(db.session, D3, D3)
    assert day.figures["entries"] == 2
    assert day.figures["total_debit"] == day.figures["total_credit"] == 59000 + 30000 + 20000
    cash = books.system_ids(db.session)["cash"]
    book = books_reports.account_book(db.session, cash, D2, D3)
    assert book.figures["opening"] == 500000
    assert [row.cells[5] for row in book.rows] == [500000, 618000, 598000, 598000]
    customer = books_reports.party_ledger(
        db.session, customer_id=shop["customer"], start=D1, end=D3
    )
    assert customer.figures["closing"] == 59000
    supplier = books_reports.party_ledger(
        db.session, supplier_id=shop["supplier"], start=D3, end=D3
    )
    assert supplier.figures["opening"] == 236000 and supplier.figures["closing"] == 236000


def test_registers_and_gst_ledger(shop: dict[str, int]) -> None:
    sales = books_reports.sales_register(db.session, D1, D3)
    assert [row.cells[1] for row in sales.rows[:-1]] == ["INV-1", "INV-2"]
    assert sales.figures == {
        "taxable": 150000, "cgst": 13500, "sgst": 13500, "igst": 0, "cess": 0, "total": 177000
    }  # fmt: skip
    purchases = books_reports.purchase_register(db.session, D1, D3)
    assert purchases.figures["taxable"] == 200000 and purchases.figures["total"] == 236000
    gst = books_reports.gst_ledger(db.session, D1, D3)
    november = next(row for row in gst.rows if row.cells[0] == "2026-11")
    assert november.cells[1:3] == [13500, 13500] and november.cells[5:7] == [18000, 18000]
    assert november.cells[-1] == -9000 and gst.figures["net"] == -9000


def test_a_reversed_sale_comes_off_the_sales_register(shop: dict[str, int], admin: User) -> None:
    sale = db.session.scalar(select(JournalEntry.id).where(JournalEntry.reference == "INV-1"))
    books_admin.reverse_entry(db.session, sale, D3, admin.id)
    sales = books_reports.sales_register(db.session, D1, D3)
    assert [(row.cells[1], row.cells[2]) for row in sales.rows[:-1]] == [
        ("INV-1", "sale"), ("INV-2", "sale"), ("INV-1", "reversal"),
    ]  # fmt: skip
    assert sales.figures["taxable"] == 50000 and sales.figures["total"] == 59000
    pnl = books_reports.profit_and_loss(db.session, D1, D3).figures
    assert pnl["net_sales"] == sales.figures["taxable"]


def test_csv_rows_indent_sub_accounts(shop: dict[str, int], admin: User) -> None:
    rows = list(books_reports.statement_csv(books_reports.trial_balance(db.session, D3)))
    assert rows[0] == ["Code", "Account", "Debit", "Credit"]
    assert ["1100", "Cash in drawer", "5980.00", ""] in rows
    assert rows[-1] == ["", "Total", "9130.00", "9130.00"]
    cash = books.system_ids(db.session)["cash"]
    sneaky = books_admin.add_sub_account(
        db.session, {"code": "1110", "name": "=HYPERLINK(1)", "parent_id": cash}, admin.id
    )
    post(D3, dr(sneaky.id, 100), cr("capital", 100))
    rows = list(books_reports.statement_csv(books_reports.trial_balance(db.session, D3)))
    assert ["1110", "  '=HYPERLINK(1)", "1.00", ""] in rows


def test_manual_entry_refuses_an_unbalanced_entry_and_writes_nothing(
    shop: dict[str, int], admin: User
) -> None:
    before = db.session.query(JournalEntry).count()
    with pytest.raises(ValidationError, match=r"does not balance: debits 100\.00, credits 99\.00"):
        books_admin.manual_entry(
            db.session,
            {"day": "2026-11-21", "narration": "Owner took cash",
             "lines": [{"account": "3200", "debit": "100"}, {"account": "1100", "credit": "99"}]},
            admin.id,
        )  # fmt: skip
    assert db.session.query(JournalEntry).count() == before
    with pytest.raises(ValidationError, match="choose the customer"):
        books_admin.manual_entry(
            db.session,
            {"day": "2026-11-21", "narration": "Write-off",
             "lines": [{"account": "5200", "debit": "10"}, {"account": "1300", "credit": "10"}]},
            admin.id,
        )  # fmt: skip
    entry_id = books_admin.manual_entry(
        db.session,
        {"day": "2026-11-21", "narration": "Write-off",
         "lines": [{"account": "5200", "debit": "10"},
                   {"account": "1300", "credit": "10", "party": f"c:{shop['customer']}"},
                   {"account": "", "debit": "", "credit": ""}]},
        admin.id,
    )  # fmt: skip
    assert books.balance(db.session, "receivable", customer_id=shop["customer"]) == 58000
    assert (
        db.session.scalar(
            select(AuditLog.action)
            .where(AuditLog.entity_id == entry_id)
            .order_by(AuditLog.id.desc())
        )
        == "books.entry"
    )
    reversal = books_admin.reverse_entry(db.session, entry_id, date(2026, 11, 22), admin.id)
    assert books.balance(db.session, "receivable", customer_id=shop["customer"]) == 59000
    assert db.session.get(JournalEntry, reversal).reverses_id == entry_id
    with pytest.raises(ValidationError, match="already been reversed"):
        books_admin.reverse_entry(db.session, entry_id, date(2026, 11, 22), admin.id)


def test_accounts_with_entries_are_archived_not_deleted(shop: dict[str, int], admin: User) -> None:
    bank = books_admin.add_bank_account(
        db.session, {"code": "1210", "name": "Second bank", "methods": "upi"}, admin.id
    )
    standard = db.session.scalar(select(Account).where(Account.system_key == "bank"))
    assert standard.methods == "card,bank" and books.method_account(db.session, "upi") == bank.id
    post(D3, dr(bank.id, 100), cr("cash", 100))
    with pytest.raises(ValidationError, match="archive it instead"):
        books_admin.delete_account(db.session, bank.id, admin.id)
    books_admin.set_archived(db.session, bank.id, True, admin.id)
    with pytest.raises(ValidationError, match="archived"):
        books_admin.manual_entry(
            db.session,
            {"day": "2026-11-21", "narration": "x",
             "lines": [{"account": "1210", "debit": "1"}, {"account": "1100", "credit": "1"}]},
            admin.id,
        )  # fmt: skip
    with pytest.raises(ValidationError, match="cannot be archived"):
        books_admin.set_archived(db.session, standard.id, True, admin.id)
    spare = books_admin.add_bank_account(db.session, {"code": "1220", "name": "Spare"}, admin.id)
    books_admin.delete_account(db.session, spare.id, admin.id)
    assert db.session.get(Account, spare.id) is None
    with pytest.raises(ValidationError, match="taken"):
        books_admin.add_bank_account(db.session, {"code": "1100", "name": "Dup"}, admin.id)


def test_audit_entries_of_the_books_read_as_sentences(shop: dict[str, int], admin: User) -> None:
    books_admin.manual_entry(
        db.session,
        {"day": "2026-11-21", "narration": "Owner took cash",
         "lines": [{"account": "3200", "debit": "100"}, {"account": "1100", "credit": "100"}]},
        admin.id,
    )  # fmt: skip
    bank = books_admin.add_bank_account(db.session, {"code": "1210", "name": "HDFC"}, admin.id)
    books_admin.rename_account(db.session, bank.id, "HDFC current", admin.id)
    context = audit_text.Context(money=lambda minor: format_money(minor, "INR", "en_IN"))
    texts = [
        audit_text.describe(row.action, row.before, row.after, context)
        for row in db.session.scalars(
            select(AuditLog).where(AuditLog.action.like("books.%")).order_by(AuditLog.id)
        )
    ]
    assert texts == [
        "Journal entry of ₹100.00 on 2026-11-21: Owner took cash",
        "Account 1210 HDFC added (bank)",
        "Account 1210 HDFC current changed: name HDFC → HDFC current",
    ]


def test_register_rows_name_the_party_of_their_document(shop: dict[str, int], admin: User) -> None:
    product = make_product(db.session, admin.id, name="Rice 25kg", opening_stock="0")
    purchase = inventory.receive_stock(
        db.session,
        {"supplier": "Metro Cash & Carry", "paid_now": "0",
         "lines": [{"product_id": product.id, "quantity": "2", "unit_cost": "100"}]},
        admin.id,
    )  # fmt: skip
    # Posted here by hand, so the test does not depend on the purchase posting its own entry.
    post(D3, dr("inventory", 20000), cr("payable", 20000, supplier_id=purchase.supplier_id),
         kind="purchase", source_id=purchase.id, reference="MY-PUR")  # fmt: skip
    rows = books_reports.purchase_register(db.session, D3, D3).rows
    mine = next(row for row in rows if row.cells[1] == "MY-PUR")
    assert mine.cells[3] == "Metro Cash & Carry" and mine.cells[4] == 20000
