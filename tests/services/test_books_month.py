"""A month of a small shop whose books were computed by hand, to the paisa.

November 2026, prices include tax, the shop and its supplier in the same state:
- 1 Nov: opening stock Rice 100 kg @ ₹80, Soap 50 @ ₹40, Pen 100 @ ₹6 (₹10,600);
  the owner brings ₹10,000 of capital into the drawer (a manual entry).
- 2 Nov S1, cash: Rice 2 kg @ ₹105 (5 %) + Soap 1 @ ₹59 (18 %) = ₹269
  (taxable 200 + 50, CGST = SGST = 5.00 + 4.50); cost 160 + 40.
- 3 Nov S2, ₹100 cash + ₹61 UPI: Pen 5 @ ₹11.20 (12 %) + Rice 1 kg = ₹161
  (taxable 50 + 100, CGST = SGST = 3.00 + 2.50); cost 30 + 80.
- 5 Nov S3, on credit to Meena: Rice 3 kg + Soap 2 = ₹433
  (taxable 300 + 100, CGST = SGST = 7.50 + 9.00); cost 240 + 80.
- 10 Nov Meena pays ₹200 cash; 12 Nov she returns 1 Soap of S3 to her account (restocked):
  taxable 50, CGST = SGST = 4.50, ₹59; 20 Nov she pays ₹133 by UPI: she owes ₹41.
- 14 Nov S4, cash: Pen 10 = ₹112, voided the same day (nets to nothing).
- 15 Nov purchase on credit from Kumar Traders (GSTIN, same state): Rice 50 kg @ ₹84 (5 %)
  and Soap 20 @ ₹42 (18 %): taxable 4,200 + 840, CGST = SGST = 105 + 75.60; ₹5,401.20.
- 18 Nov rent ₹5,000 in cash; 20 Nov the drawer is closed ₹10 over;
  25 Nov half the purchase bill (₹2,700.60) is paid in cash.

Trial balance at 30 Nov (₹): cash 2,878.40 Dr; bank 194 Dr; receivable 41 Dr; inventory
15,050 Dr; input CGST 180.60 Dr, SGST 180.60 Dr; payable 2,700.60 Cr; output CGST 27 Cr,
SGST 27 Cr; capital 10,000 Cr; opening balances 10,600 Cr; sales 800 Cr; sales returns 50
Dr; COGS 590 Dr; rent 5,000 Dr; cash over 10 Cr. Totals 24,164.60 each side.
P&L: net sales 750, COGS 590, gross profit 160, rent 5,000, cash over 10: net loss 4,830.
Balance sheet (GST netted, output less input, among liabilities): assets 18,163.40 =
liabilities 2,393.40 (payable 2,700.60, GST −307.20) + equity 15,770 (10,000 + 10,600 − 4,830).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from xml.etree import ElementTree

import pytest
from flask import Flask
from sqlalchemy import delete, func, insert, select, update

from posapp.extensions import db
from posapp.models import (
    AccountDay,
    CashSession,
    Customer,
    Invoice,
    JournalEntry,
    JournalLine,
    Product,
    Purchase,
    Setting,
    Supplier,
    User,
)
from posapp.models.base import clock_at, write_transaction
from posapp.services import (
    books,
    books_history,
    books_reports,
    cash_sessions,
    checkout,
    expenses,
    inventory,
    ledger,
    returns,
    sales_reports,
    suppliers,
    tally,
)
from posapp.services.books import cr, dr
from posapp.services.integrity import run_checks
from posapp.services.settings import save_settings
from tests.factories import make_customer, make_product

NOV = 2026, 11


def at(day: int, hour: int = 10) -> datetime:
    return datetime(*NOV, day, hour, 0)


@dataclass
class Month:
    rice: Product
    soap: Product
    pen: Product
    meena: Customer
    kumar: Supplier
    s1: Invoice
    s2: Invoice
    s3: Invoice
    s4: Invoice
    purchase: Purchase
    drawer: CashSession


def sell(user: User, items: list[tuple[Product, str]], **extra: object) -> Invoice:
    request = {"items": [{"product_id": p.id, "quantity": q} for p, q in items], **extra}
    return checkout.checkout(db.session, checkout.parse_checkout(request), user)


@pytest.fixture
def month(app: Flask, admin: User) -> Iterator[Month]:
    with write_transaction(db.session):
        save_settings(db.session, state_code="27")
    with clock_at(at(1, 8)):
        rice = make_product(
            db.session, name="Rice", unit="kg", price="105", cost="80", tax_rate="5",
            opening_stock="100",
        )  # fmt: skip
        soap = make_product(
            db.session, name="Soap", price="59", cost="40", tax_rate="18", opening_stock="50"
        )
        pen = make_product(
            db.session, name="Pen", price="11.20", cost="6", tax_rate="12", opening_stock="100"
        )
        meena = make_customer(db.session, admin, name="Meena", credit_limit="1000")
        with write_transaction(db.session):
            books.post(
                db.session, day=date(*NOV, 1), source_kind="manual", source_id=None,
                narration="Capital brought in", user_id=admin.id,
                lines=[dr("cash", 1_000_000), cr("capital", 1_000_000)],
            )  # fmt: skip
    with clock_at(at(2, 8)):
        drawer = cash_sessions.open_session(db.session, {"opening_float": "0"}, admin)
    with clock_at(at(2)):
        s1 = sell(admin, [(rice, "2"), (soap, "1")], payments=[{"method": "cash", "amount": "269"}])
    with clock_at(at(3)):
        s2 = sell(
            admin, [(pen, "5"), (rice, "1")],
            payments=[{"method": "cash", "amount": "100"}, {"method": "upi", "amount": "61"}],
        )  # fmt: skip
    with clock_at(at(5)):
        s3 = sell(
            admin, [(rice, "3"), (soap, "2")], customer_id=meena.id,
            payments=[{"method": "credit", "amount": "433"}],
        )  # fmt: skip
    with clock_at(at(10)):
        ledger.record_payment(db.session, meena.id, {"amount": "200", "method": "cash"}, admin)
    with clock_at(at(12)):
        soap_line = next(line for line in s3.lines if line.product_id == soap.id)
        returns.create_return(
            db.session, s3.id,
            {"lines": [{"line_id": soap_line.id, "quantity": "1"}], "refund_method": "credit",
             "restock": True},
            admin,
        )  # fmt: skip
    with clock_at(at(14)):
        s4 = sell(admin, [(pen, "10")], payments=[{"method": "cash", "amount": "112"}])
    with clock_at(at(14, 11)):
        returns.void_invoice(db.session, s4.id, {"reason": "Rang up twice"}, admin)
    with clock_at(at(15)):
        purchase = inventory.receive_stock(
            db.session,
            {
                "supplier": "Kumar Traders",
                "supplier_gstin": "27AAPFU0939F1ZV",
                "reference": "KT/881",
                "bill_date": "2026-11-15",
                "paid_now": "0",
                "lines": [
                    {"code": rice.code, "quantity": "50", "unit_cost": "84", "tax_rate": "5"},
                    {"code": soap.code, "quantity": "20", "unit_cost": "42", "tax_rate": "18"},
                ],
            },
            admin.id,
        )
    kumar = db.session.get(Supplier, purchase.supplier_id)
    assert kumar is not None
    with clock_at(at(18)):
        expenses.add_expense(
            db.session, {"day": "2026-11-18", "category": "rent", "amount": "5000"}, admin.id
        )
    with clock_at(at(20)):
        ledger.record_payment(db.session, meena.id, {"amount": "133", "method": "upi"}, admin)
    with clock_at(at(20, 20)):
        expected = cash_sessions.expected_cash(db.session, drawer.id)
        cash_sessions.close_session(
            db.session, drawer.id, {"counted": f"{(expected + 1000) / 100:.2f}"}, admin
        )
    with clock_at(at(25)):
        suppliers.record_payment(
            db.session, kumar.id,
            {"amount": "2700.60", "method": "cash", "paid_on": "2026-11-25"}, admin,
        )  # fmt: skip
    db.session.expire_all()
    yield Month(rice, soap, pen, meena, kumar, s1, s2, s3, s4, purchase, drawer)


HAND_TRIAL_BALANCE = {
    # system key: debit − credit, paise
    "cash": 287_840,
    "bank": 19_400,
    "receivable": 4_100,
    "inventory": 1_505_000,
    "input_cgst": 18_060,
    "input_sgst": 18_060,
    "payable": -270_060,
    "output_cgst": -2_700,
    "output_sgst": -2_700,
    "capital": -1_000_000,
    "opening": -1_060_000,
    "sales": -80_000,
    "sales_returns": 5_000,
    "cogs": 59_000,
    "expense_rent": 500_000,
    "over_short": -1_000,
}


def test_every_account_matches_the_hand_trial_balance(month: Month) -> None:
    got = {
        key: books.balance(db.session, key, at=date(*NOV, 30))
        for key in books.system_ids(db.session)
    }
    assert {k: v for k, v in got.items() if v} == HAND_TRIAL_BALANCE
    assert sum(HAND_TRIAL_BALANCE.values()) == 0
    assert sum(v for v in HAND_TRIAL_BALANCE.values() if v > 0) == 2_416_460


def test_parties_and_sub_ledgers_match_by_hand(month: Month) -> None:
    assert books.balance(db.session, "receivable", customer_id=month.meena.id) == 4_100
    assert ledger.balance(db.session, month.meena.id) == 4_100
    assert books.balance(db.session, "payable", supplier_id=month.kumar.id) == -270_060
    assert suppliers.balance(db.session, month.kumar.id) == 270_060
    values = {p.name: p.stock_value for p in db.session.scalars(select(Product))}
    assert values == {"Rice": 1_172_000, "Soap": 276_000, "Pen": 57_000}


def test_day_by_day_the_balances_move_as_computed(month: Month) -> None:
    def cash(day: int) -> int:
        return books.balance(db.session, "cash", at=date(*NOV, day))

    assert cash(1) == 1_000_000
    assert cash(2) == 1_026_900
    assert cash(3) == 1_036_900
    assert cash(10) == 1_056_900
    assert cash(14) == 1_056_900  # the voided sale and its reversal on the same day
    assert cash(18) == 556_900
    assert cash(20) == 557_900  # ₹10 over at the close
    assert cash(25) == 287_840
    assert books.balance(db.session, "receivable", at=date(*NOV, 11)) == 23_300
    assert books.balance(db.session, "receivable", at=date(*NOV, 12)) == 17_400


def test_the_check_passes_and_catches_a_hand_corrupted_entry(month: Month) -> None:
    assert run_checks(db.session).ok, run_checks(db.session).problems
    sale_line = db.session.scalars(
        select(JournalLine)
        .join(JournalLine.entry)
        .where(JournalLine.credit > 0)
        .order_by(JournalLine.id.desc())
    ).first()
    assert sale_line is not None
    with write_transaction(db.session):
        db.session.execute(
            update(JournalLine)
            .where(JournalLine.id == sale_line.id)
            .values(credit=JournalLine.credit + 1)
        )
    problems = run_checks(db.session).problems
    assert any(f"journal entry {sale_line.entry_id}: debits" in p for p in problems), problems
    assert any("day totals" in p for p in problems), problems


NOV_1, NOV_30 = date(*NOV, 1), date(*NOV, 30)


def test_trial_balance_pnl_and_balance_sheet_match_by_hand(month: Month) -> None:
    tb = books_reports.trial_balance(db.session, NOV_30).figures
    assert tb["total_debit"] == tb["total_credit"] == 2_416_460
    pnl = books_reports.profit_and_loss(db.session, NOV_1, NOV_30).figures
    assert (pnl["sales"], pnl["sales_returns"], pnl["net_sales"]) == (80_000, 5_000, 75_000)
    assert (pnl["cogs"], pnl["gross_profit"]) == (59_000, 16_000)
    assert (pnl["other_income"], pnl["expenses"], pnl["net_profit"]) == (1_000, 500_000, -483_000)
    sheet = books_reports.balance_sheet(db.session, NOV_30).figures
    # GST is one line, output less input (here input is ahead: −307.20), among liabilities.
    assert sheet["assets"] == 1_852_460 - 36_120
    assert sheet["liabilities"] == 270_060 + 5_400 - 36_120
    assert sheet["gst_payable"] == 5_400 - 36_120
    assert (sheet["retained_profit"], sheet["equity"]) == (-483_000, 1_577_000)


def test_gst_ledger_and_registers_match_by_hand(month: Month) -> None:
    gst = books_reports.gst_ledger(db.session, NOV_1, NOV_30).figures
    assert (gst["output_cgst"], gst["output_sgst"], gst["output_igst"]) == (2_700, 2_700, 0)
    assert (gst["input_cgst"], gst["input_sgst"], gst["input_igst"]) == (18_060, 18_060, 0)
    assert gst["net"] == 5_400 - 36_120
    sales = books_reports.sales_register(db.session, NOV_1, NOV_30)
    total = sales.rows[-1].cells
    # S1 250 + S2 150 + S3 400 + S4 100 − S4's void 100 − the return 50 = 750 taxable.
    assert total[4] == 75_000 and total[5] == total[6] == 2_700
    purchases = books_reports.purchase_register(db.session, NOV_1, NOV_30)
    assert purchases.rows[-1].cells[4:] == [504_000, 18_060, 18_060, 0, 0, 540_120]


def test_the_sales_pnl_report_agrees_with_the_books(month: Month) -> None:
    """The sales P&L (from the daily summary) and the books' P&L agree to the paisa on
    revenue, cost of goods, gross profit and expenses; the books add what only they know
    (here the drawer's ₹10 over), so net profit differs by exactly that."""
    report = {
        row[0]: row[1] for row in sales_reports.profit_and_loss(db.session, NOV_1, NOV_30).rows
    }
    books_pnl = books_reports.profit_and_loss(db.session, NOV_1, NOV_30).figures
    assert report["Net revenue (excl. tax)"] == books_pnl["net_sales"] == 75_000
    assert report["Cost of goods sold"] == books_pnl["cogs"] == 59_000
    assert report["Gross profit"] == books_pnl["gross_profit"] == 16_000
    assert report["Expenses"] == books_pnl["expenses"] == 500_000
    assert books_pnl["net_profit"] - report["Net profit"] == books_pnl["other_income"] == 1_000


def test_the_months_tally_xml_voucher_by_voucher(month: Month) -> None:
    text = "".join(tally.tally_xml(db.session, NOV_1, NOV_30, "Month shop"))
    root = ElementTree.fromstring(text)  # noqa: S314 (our own export, not untrusted)
    masters = {ledger.get("NAME") for ledger in root.iter("LEDGER")}
    got = []
    for voucher in root.iter("VOUCHER"):
        amounts = {
            entry.findtext("LEDGERNAME"): Decimal(entry.findtext("AMOUNT") or "x")
            for entry in voucher.iter("ALLLEDGERENTRIES.LIST")
        }
        assert sum(amounts.values()) == 0 and set(amounts) <= masters
        got.append((voucher.findtext("DATE"), voucher.findtext("VOUCHERTYPENAME"), amounts))
    assert [(d, t) for d, t, _ in got] == [
        ("20261101", "Journal"),  # opening stock of Rice, Soap, Pen
        ("20261101", "Journal"),
        ("20261101", "Journal"),
        ("20261101", "Receipt"),  # capital brought into the drawer
        ("20261102", "Sales"),
        ("20261103", "Sales"),
        ("20261105", "Sales"),
        ("20261110", "Receipt"),
        ("20261112", "Credit Note"),
        ("20261114", "Sales"),
        ("20261114", "Credit Note"),  # the void
        ("20261115", "Purchase"),
        ("20261118", "Payment"),  # rent
        ("20261120", "Receipt"),  # Meena's UPI
        ("20261120", "Receipt"),  # the drawer ₹10 over
        ("20261125", "Payment"),  # half the bill to Kumar Traders
    ]
    s1 = got[4][2]
    assert s1["Cash in drawer"] == Decimal("-269.00")
    assert (s1["Sales"], s1["Output CGST"], s1["Output SGST"]) == (
        Decimal("250.00"), Decimal("9.50"), Decimal("9.50"),
    )  # fmt: skip
    assert (s1["Cost of goods sold"], s1["Inventory (stock)"]) == (
        Decimal("-200.00"), Decimal("200.00"),
    )  # fmt: skip
    bill = got[11][2]
    assert bill["Kumar Traders"] == Decimal("5401.20")
    assert bill["Inventory (stock)"] == Decimal("-5040.00")
    assert bill["Input CGST"] == bill["Input SGST"] == Decimal("-180.60")
    credit_note = got[8][2]
    assert credit_note["Meena"] == Decimal("59.00")
    assert credit_note["Sales returns"] == Decimal("-50.00")


def test_opening_the_books_on_the_same_history_posts_what_the_live_code_posted(
    month: Month,
) -> None:
    """As if the month had been kept by a version without books: keep only the admin's
    manual entry, value the stock at stock × cost, and let the upgrade's replay post the rest.
    Every account ends where the live postings left it, except the stock's rounding: valued
    at their new averages, Rice (144 kg × ₹81.39 = ₹11,720.16) and Soap (68 × ₹40.59 =
    ₹2,760.12) are 16 + 12 paise above the ₹11,720.00 and ₹2,760.00 the live postings moved
    them by; the 28 paise are closed against opening balances."""
    live = {key: books.balance(db.session, key) for key in books.system_ids(db.session)}
    with write_transaction(db.session):
        manual = select(JournalEntry.id).where(JournalEntry.source_kind == "manual")
        db.session.execute(delete(JournalLine).where(JournalLine.entry_id.not_in(manual)))
        for reversing in (True, False):  # MariaDB checks the self-reference row by row
            db.session.execute(
                delete(JournalEntry).where(
                    JournalEntry.source_kind != "manual",
                    JournalEntry.reverses_id.is_not(None) == reversing,
                )
            )
        db.session.execute(delete(AccountDay))
        db.session.execute(
            insert(AccountDay).from_select(
                ["account_id", "day", "debit", "credit"],
                select(
                    JournalLine.account_id,
                    JournalEntry.day,
                    func.sum(JournalLine.debit),
                    func.sum(JournalLine.credit),
                )
                .join(JournalEntry, JournalEntry.id == JournalLine.entry_id)
                .group_by(JournalLine.account_id, JournalEntry.day),
            )
        )
        for product in db.session.scalars(select(Product)):
            product.stock_value = books.issue_value(product.stock_milli, product.cost)
        db.session.execute(delete(Setting).where(Setting.key == books_history.OPENED_KEY))
    opened = books_history.open_books(db.session)
    assert opened is not None and opened.differences == ["inventory +28"]
    replayed = {key: books.balance(db.session, key) for key in books.system_ids(db.session)}
    assert replayed == {
        **live,
        "inventory": live["inventory"] + 28,
        "opening": live["opening"] - 28,
    }
    assert run_checks(db.session).ok, run_checks(db.session).problems
    assert books_history.open_books(db.session) is None  # once only
