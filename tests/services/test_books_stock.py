"""Entries posted by purchases, supplier payments and openings, debit notes, stock movements,
cost edits, expenses and the cash drawer, each computed by hand to the paisa."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from posapp.errors import InsufficientStock, ValidationError
from posapp.extensions import db
from posapp.models import (
    CashSession,
    JournalEntry,
    JournalLine,
    Product,
    Purchase,
    PurchaseLine,
    Supplier,
    User,
)
from posapp.models.base import write_transaction
from posapp.services import (
    books,
    books_checks,
    cash_sessions,
    catalog,
    catalog_csv,
    debit_notes,
    expenses,
    inventory,
    suppliers,
)
from posapp.services.ledger import local_today
from posapp.services.settings import save_settings
from tests.factories import make_product

GSTIN_27 = "27AAPFU0939F1ZV"  # Maharashtra, the shop's own state below
GSTIN_29 = "29AAGCB7383J1Z4"  # Karnataka

Posting = tuple[str, int, int, int | None]  # (system key, debit, credit, party)


def keys() -> dict[int, str]:
    return {account_id: key for key, account_id in books.system_ids(db.session).items()}


def lines_of(kind: str, source_id: int | None) -> list[Posting]:
    """The one entry an event posted, as sorted (account key, debit, credit, party) rows."""
    entries = books.entries_of(db.session, kind, source_id) if source_id is not None else []
    assert len(entries) == 1, f"{kind} {source_id}: {len(entries)} entries"
    return entry_lines(entries[0].id)


def entry_lines(entry_id: int) -> list[Posting]:
    names = keys()
    return sorted(
        (names[line.account_id], line.debit, line.credit, line.supplier_id or line.customer_id)
        for line in db.session.scalars(select(JournalLine).where(JournalLine.entry_id == entry_id))
    )


def entry_count() -> int:
    return int(db.session.scalar(select(func.count()).select_from(JournalEntry)) or 0)


def stock_value(product: Product) -> int:
    return int(db.session.scalar(select(Product.stock_value).where(Product.id == product.id)))


def books_agree() -> None:
    """Every entry balances; inventory = Σ stock value; payable = Σ suppliers' balances; each
    closed drawer's cash lines = counted − float (and the rest of `check` for the books)."""
    for entry_id, debit, credit in db.session.execute(
        select(JournalLine.entry_id, func.sum(JournalLine.debit), func.sum(JournalLine.credit))
        .group_by(JournalLine.entry_id)
    ):  # fmt: skip
        assert debit == credit, f"entry {entry_id}"
    total_value = db.session.scalar(select(func.coalesce(func.sum(Product.stock_value), 0)))
    assert books.balance(db.session, "inventory") == total_value
    owed = suppliers.balances(db.session, db.session.scalars(select(Supplier.id)).all())
    assert -books.balance(db.session, "payable") == sum(owed.values())
    cash = books.system_ids(db.session)["cash"]
    for sid, opening, counted in db.session.execute(
        select(CashSession.id, CashSession.opening_float, CashSession.counted).where(
            CashSession.closed_at.is_not(None)
        )
    ):
        moved = db.session.scalar(
            select(func.coalesce(func.sum(JournalLine.debit - JournalLine.credit), 0))
            .join(JournalEntry, JournalEntry.id == JournalLine.entry_id)
            .where(JournalEntry.cash_session_id == sid, JournalLine.account_id == cash)
        )
        assert moved == counted - opening, f"cash session {sid}"
    assert books_checks.check_problems(db.session)[1] == []


@pytest.fixture
def shop_in_27(admin: User) -> User:
    with write_transaction(db.session):
        save_settings(db.session, state_code="27")
    return admin


def receive(admin: User, lines: list[dict[str, str]], **fields: object) -> Purchase:
    return inventory.receive_stock(db.session, {"lines": lines, **fields}, admin.id)


# --- purchases ---------------------------------------------------------------------------------


def test_a_purchase_on_credit_at_two_rates_debits_stock_and_input_cgst_sgst(
    shop_in_27: User,
) -> None:
    rice = make_product(db.session, name="Rice", unit="kg", opening_stock="0", tax_rate="5")
    soap = make_product(db.session, name="Soap", opening_stock="0", tax_rate="18")
    metro = suppliers.create_supplier(db.session, {"name": "Metro", "gstin": GSTIN_27}, shop_in_27)
    bill = receive(
        shop_in_27,
        [
            # 10 kg × 48.00 = 480.00; 2.5 % = 12.00 CGST and 12.00 SGST
            {"code": rice.code, "quantity": "10", "unit_cost": "48.00"},
            # 7 × 12.35 = 86.45; 9 % = 7.7805 -> 7.78 each
            {"code": soap.code, "quantity": "7", "unit_cost": "12.35"},
        ],
        supplier_id=metro.id, supplier_gstin=GSTIN_27, paid_now="0", reference="M-17",
    )  # fmt: skip
    assert bill.payable == 48000 + 8645 + 2 * (1200 + 778)
    assert lines_of("purchase", bill.id) == [
        ("input_cgst", 1978, 0, None),
        ("input_sgst", 1978, 0, None),
        ("inventory", 56645, 0, None),
        ("payable", 0, 60601, metro.id),
    ]
    entry = books.entries_of(db.session, "purchase", bill.id)[0]
    assert (entry.reference, entry.day) == (bill.number, books.business_day(bill.created_at))
    assert (stock_value(rice), stock_value(soap)) == (48000, 8645)
    books_agree()


def test_an_inter_state_purchase_is_igst_paid_by_upi_into_the_bank(shop_in_27: User) -> None:
    oil = make_product(db.session, name="Oil", opening_stock="0", tax_rate="18")
    # 3 × 10.01 = 30.03; 18 % = 5.4054 -> 5.41 IGST; paid in full now by UPI.
    bill = receive(
        shop_in_27,
        [{"code": oil.code, "quantity": "3", "unit_cost": "10.01"}],
        supplier_gstin=GSTIN_29, paid_method="upi",
    )  # fmt: skip
    assert lines_of("purchase", bill.id) == [
        ("bank", 0, 3544, None),
        ("input_igst", 541, 0, None),
        ("inventory", 3003, 0, None),
    ]
    assert stock_value(oil) == 3003
    books_agree()


def test_a_purchase_paid_half_now_in_cash_owes_the_other_half(shop_in_27: User) -> None:
    dal = make_product(db.session, name="Dal", unit="kg", opening_stock="0", tax_rate="5")
    metro = suppliers.create_supplier(db.session, {"name": "Metro", "gstin": GSTIN_27}, shop_in_27)
    # 20 kg × 50.00 = 1000.00 + 25.00 + 25.00 = 1050.00; 525.00 now in cash.
    bill = receive(
        shop_in_27,
        [{"code": dal.code, "quantity": "20", "unit_cost": "50.00"}],
        supplier_id=metro.id, supplier_gstin=GSTIN_27, paid_now="525.00", paid_method="cash",
    )  # fmt: skip
    assert lines_of("purchase", bill.id) == [
        ("cash", 0, 52500, None),
        ("input_cgst", 2500, 0, None),
        ("input_sgst", 2500, 0, None),
        ("inventory", 100000, 0, None),
        ("payable", 0, 52500, metro.id),
    ]
    assert suppliers.balance(db.session, metro.id) == 52500
    books_agree()


def test_tax_on_a_bill_without_the_suppliers_gstin_is_a_cost_not_input_tax(
    shop_in_27: User,
) -> None:
    salt = make_product(db.session, name="Salt", opening_stock="0", tax_rate="12")
    # 10 × 10.00 = 100.00; 6 % = 6.00 + 6.00 stored on the line, not claimable.
    bill = receive(shop_in_27, [{"code": salt.code, "quantity": "10", "unit_cost": "10.00"}])
    line = db.session.scalar(select(PurchaseLine).where(PurchaseLine.purchase_id == bill.id))
    assert (line.cgst, line.sgst) == (600, 600)
    assert lines_of("purchase", bill.id) == [
        ("cash", 0, 11200, None),
        ("inventory", 10000, 0, None),
        ("unclaimed_tax", 1200, 0, None),
    ]
    books_agree()


def test_a_rejected_purchase_writes_no_entry(shop_in_27: User) -> None:
    rice = make_product(db.session, name="Rice", opening_stock="0")
    before = entry_count()
    with pytest.raises(ValidationError):
        receive(shop_in_27, [{"code": rice.code, "quantity": "2", "unit_cost": "1.2.3"}])
    with pytest.raises(ValidationError):  # on credit from nobody: refused inside the write
        receive(shop_in_27, [{"code": rice.code, "quantity": "2", "unit_cost": "5"}], paid_now="1")
    assert entry_count() == before and stock_value(rice) == 0
    books_agree()


# --- suppliers ---------------------------------------------------------------------------------


def test_supplier_opening_balance_payment_by_upi_and_a_debit_note(shop_in_27: User) -> None:
    admin = shop_in_27
    tea = make_product(db.session, name="Tea", opening_stock="0", tax_rate="5")
    metro = suppliers.create_supplier(
        db.session, {"name": "Metro", "opening_balance": "1500.00"}, admin
    )
    assert lines_of("supplier_opening", metro.id) == [
        ("opening", 150000, 0, None),
        ("payable", 0, 150000, metro.id),
    ]
    suppliers.update_supplier(db.session, metro.id, {"opening_balance": "2000.00"}, admin)
    raised = books.entries_of(db.session, "supplier_opening", metro.id)
    assert len(raised) == 2
    assert entry_lines(raised[1].id) == [
        ("opening", 50000, 0, None),
        ("payable", 0, 50000, metro.id),
    ]
    books_agree()

    paid = suppliers.record_payment(
        db.session, metro.id, {"amount": "300.00", "method": "upi", "reference": "UTR 9"}, admin
    )
    assert lines_of("supplier_payment", paid.payment.id) == [
        ("bank", 0, 30000, None),
        ("payable", 30000, 0, metro.id),
    ]
    books_agree()

    # 10 × 100.00 at 5 % on credit = 1050.00; 2 go back: 200.00 + 5.00 + 5.00 = 210.00.
    bill = receive(
        admin,
        [{"code": tea.code, "quantity": "10", "unit_cost": "100"}],
        supplier_id=metro.id, supplier_gstin=GSTIN_27, paid_now="0",
    )  # fmt: skip
    line_id = db.session.scalar(select(PurchaseLine.id).where(PurchaseLine.purchase_id == bill.id))
    note = debit_notes.record_debit_note(db.session, bill.id, {"lines": {str(line_id): "2"}}, admin)
    assert lines_of("debit_note", note.id) == [
        ("input_cgst", 0, 500, None),
        ("input_sgst", 0, 500, None),
        ("inventory", 0, 20000, None),
        ("payable", 21000, 0, metro.id),
    ]
    assert stock_value(tea) == 100000 - 20000
    assert suppliers.balance(db.session, metro.id) == 200000 - 30000 + 105000 - 21000
    books_agree()

    before = entry_count()
    with pytest.raises(ValidationError):  # more than is left on the line
        debit_notes.record_debit_note(db.session, bill.id, {"lines": {str(line_id): "9"}}, admin)
    inventory.adjust_stock(db.session, tea.id, {"delta": "-8", "reason": "adjust_loss"}, admin.id)
    with pytest.raises(InsufficientStock):  # the goods are no longer in the shop
        debit_notes.record_debit_note(db.session, bill.id, {"lines": {str(line_id): "1"}}, admin)
    assert entry_count() == before + 1  # only the loss
    books_agree()


def test_the_paise_a_last_debit_note_is_capped_by_are_round_off(shop_in_27: User) -> None:
    admin = shop_in_27
    chalk = make_product(db.session, name="Chalk", opening_stock="0", tax_rate="5")
    metro = suppliers.create_supplier(db.session, {"name": "Metro"}, admin)
    # 3 × 0.30 = 0.90; 2.5 % = 0.0225 -> 0.02 each: 0.94 owed.
    bill = receive(
        admin,
        [{"code": chalk.code, "quantity": "3", "unit_cost": "0.30"}],
        supplier_id=metro.id, supplier_gstin=GSTIN_27, paid_now="0",
    )  # fmt: skip
    line_id = db.session.scalar(select(PurchaseLine.id).where(PurchaseLine.purchase_id == bill.id))
    # 2 back: 0.60 and 0.015 -> 0.02 each = 0.64; the last one: 0.30 + 0.01 + 0.01 = 0.32, but
    # only 0.30 is still owed on the bill.
    first = debit_notes.record_debit_note(
        db.session, bill.id, {"lines": {str(line_id): "2"}}, admin
    )
    last = debit_notes.record_debit_note(db.session, bill.id, {"lines": {str(line_id): "1"}}, admin)
    assert (first.amount, last.amount) == (64, 30)
    assert lines_of("debit_note", last.id) == [
        ("input_cgst", 0, 1, None),
        ("input_sgst", 0, 1, None),
        ("inventory", 0, 30, None),
        ("payable", 30, 0, metro.id),
        ("round_off", 2, 0, None),
    ]
    assert stock_value(chalk) == 0 and suppliers.balance(db.session, metro.id) == 0
    books_agree()


def test_a_debit_note_on_a_bill_without_gstin_takes_the_tax_back_from_the_cost(
    shop_in_27: User,
) -> None:
    admin = shop_in_27
    salt = make_product(db.session, name="Salt", opening_stock="0", tax_rate="12")
    local = suppliers.create_supplier(db.session, {"name": "Local"}, admin)
    bill = receive(
        admin,
        [{"code": salt.code, "quantity": "10", "unit_cost": "10.00"}],
        supplier_id=local.id, paid_now="0",
    )  # fmt: skip
    line_id = db.session.scalar(select(PurchaseLine.id).where(PurchaseLine.purchase_id == bill.id))
    note = debit_notes.record_debit_note(db.session, bill.id, {"lines": {str(line_id): "5"}}, admin)
    # 5 × 10.00 = 50.00; 6 % = 3.00 + 3.00
    assert lines_of("debit_note", note.id) == [
        ("inventory", 0, 5000, None),
        ("payable", 5600, 0, local.id),
        ("unclaimed_tax", 0, 600, None),
    ]
    books_agree()


# --- stock -------------------------------------------------------------------------------------


def test_opening_stock_damage_counts_and_a_cost_edit(admin: User) -> None:
    ghee = make_product(db.session, name="Ghee", opening_stock="10", cost="25.50")
    opening = db.session.scalar(
        select(JournalEntry).where(JournalEntry.source_kind == "stock")
    )  # fmt: skip
    assert entry_lines(opening.id) == [("inventory", 25500, 0, None), ("opening", 0, 25500, None)]
    assert stock_value(ghee) == 25500
    books_agree()

    inventory.adjust_stock(
        db.session, ghee.id, {"delta": "-2", "reason": "adjust_damage"}, admin.id
    )
    damage = db.session.scalars(select(JournalEntry).order_by(JournalEntry.id.desc())).first()
    assert entry_lines(damage.id) == [("inventory", 0, 5100, None), ("stock_loss", 5100, 0, None)]
    books_agree()

    inventory.book_stock_count(db.session, {ghee.id: "9"}, admin.id)  # 8 on record: 1 more
    more = db.session.scalars(select(JournalEntry).order_by(JournalEntry.id.desc())).first()
    assert entry_lines(more.id) == [("inventory", 2550, 0, None), ("stock_count", 0, 2550, None)]
    assert more.reference.startswith("COUNT-")
    inventory.book_stock_count(db.session, {ghee.id: "6"}, admin.id)  # 3 fewer
    less = db.session.scalars(select(JournalEntry).order_by(JournalEntry.id.desc())).first()
    assert entry_lines(less.id) == [("inventory", 0, 7650, None), ("stock_count", 7650, 0, None)]
    assert stock_value(ghee) == 25500 - 5100 + 2550 - 7650
    books_agree()

    # 6 at 30.00 = 180.00 against a book value of 153.00: 27.00 revaluation gain.
    catalog.update_product(db.session, ghee.id, {"cost": "30.00"}, admin.id)
    reval = db.session.scalars(select(JournalEntry).order_by(JournalEntry.id.desc())).first()
    assert entry_lines(reval.id) == [
        ("inventory", 2700, 0, None),
        ("stock_revaluation", 0, 2700, None),
    ]
    assert (reval.source_kind, reval.reference) == ("stock", ghee.code)
    assert stock_value(ghee) == 18000
    books_agree()

    before = entry_count()
    catalog.update_product(db.session, ghee.id, {"name": "Cow ghee"}, admin.id)  # no cost change
    with pytest.raises(InsufficientStock):
        inventory.adjust_stock(
            db.session, ghee.id, {"delta": "-7", "reason": "adjust_loss"}, admin.id
        )
    with pytest.raises(ValidationError):
        inventory.book_stock_count(db.session, {ghee.id: "-1"}, admin.id)
    assert entry_count() == before and stock_value(ghee) == 18000
    books_agree()


def test_a_loose_count_is_valued_at_the_rounded_cost_of_its_grams(admin: User) -> None:
    sugar = make_product(db.session, name="Sugar", unit="kg", opening_stock="0", cost="42.75")
    inventory.book_stock_count(db.session, {sugar.id: "0.333"}, admin.id)
    # 0.333 kg × 42.75 = 14.23575 -> 14.24
    entry = db.session.scalars(select(JournalEntry).order_by(JournalEntry.id.desc())).first()
    assert entry_lines(entry.id) == [("inventory", 1424, 0, None), ("stock_count", 0, 1424, None)]
    inventory.book_stock_count(db.session, {sugar.id: "0"}, admin.id)
    assert stock_value(sugar) == 0
    books_agree()


def test_a_purchase_by_hand_without_a_bill_is_stock_of_unknown_source(admin: User) -> None:
    jam = make_product(db.session, name="Jam", opening_stock="0")
    inventory.adjust_stock(
        db.session, jam.id, {"delta": "4", "reason": "purchase", "unit_cost": "12.50"}, admin.id
    )
    entry = db.session.scalars(select(JournalEntry).order_by(JournalEntry.id.desc())).first()
    assert entry_lines(entry.id) == [("inventory", 5000, 0, None), ("opening", 0, 5000, None)]
    books_agree()


def test_a_csv_import_posts_one_entry_for_opening_stock_stock_set_and_costs(admin: User) -> None:
    ghee = make_product(db.session, name="Ghee", code="111", opening_stock="10", cost="25.50")
    jam = make_product(db.session, name="Jam", code="222", opening_stock="4", cost="10.00")
    before = entry_count()
    raw = (
        b"code,name,price,cost,stock\n"
        b"111,,,30.00,12\n"  # 10 at 30.00 = +45.00 revaluation, then +2 at 30.00 = +60.00 count
        b"222,,,,1\n"  # 3 fewer at 10.00 = -30.00 count
        b"333,Tea,5,2.25,8\n"  # new: 8 at 2.25 = 18.00 opening
    )
    catalog_csv.apply_import(db.session, raw, admin.id)
    assert entry_count() == before + 1
    entry = db.session.scalars(select(JournalEntry).order_by(JournalEntry.id.desc())).first()
    assert (entry.source_kind, entry.reference) == ("stock", "CSV import")
    assert entry_lines(entry.id) == [
        ("inventory", 4500 + 6000 - 3000 + 1800, 0, None),
        ("opening", 0, 1800, None),
        ("stock_count", 0, 3000, None),
        ("stock_revaluation", 0, 4500, None),
    ]
    tea = db.session.scalar(select(Product).where(Product.code == "333"))
    assert (stock_value(ghee), stock_value(jam), stock_value(tea)) == (36000, 1000, 1800)
    books_agree()
    with pytest.raises(ValidationError):  # a bad row: nothing imported, nothing posted
        catalog_csv.apply_import(db.session, b"code,name,price,stock\n444,Salt,1,-3\n", admin.id)
    assert entry_count() == before + 1
    books_agree()


# --- expenses and the drawer -------------------------------------------------------------------


def test_an_expense_is_paid_from_the_drawer_on_its_own_day(admin: User) -> None:
    spent = expenses.add_expense(
        db.session,
        {"day": local_today().isoformat(), "category": "rent", "amount": "5000", "note": "Dec"},
        admin.id,
    )
    assert lines_of("expense", spent.id) == [
        ("cash", 0, 500000, None),
        ("expense_rent", 500000, 0, None),
    ]
    assert books.entries_of(db.session, "expense", spent.id)[0].day == spent.day
    before = entry_count()
    with pytest.raises(ValidationError):
        expenses.add_expense(db.session, {"day": "2026-01-01", "category": "rent"}, admin.id)
    assert entry_count() == before
    books_agree()


@pytest.mark.parametrize(("counted", "over"), [("1160.00", 1000), ("1140.00", -1000)])
def test_pay_in_pay_out_and_over_or_short_at_close(admin: User, counted: str, over: int) -> None:
    sid = cash_sessions.open_session(db.session, {"opening_float": "1000.00"}, admin).id
    pay_in = cash_sessions.add_movement(
        db.session, sid, {"kind": "pay_in", "amount": "200.00", "reason": "Change"}, admin
    )
    pay_out = cash_sessions.add_movement(
        db.session, sid, {"kind": "pay_out", "amount": "50.00", "reason": "Tea"}, admin
    )
    assert lines_of("cash_move", pay_in.id) == [
        ("capital", 0, 20000, None),
        ("cash", 20000, 0, None),
    ]
    assert lines_of("cash_move", pay_out.id) == [
        ("cash", 0, 5000, None),
        ("drawings", 5000, 0, None),
    ]
    closed = cash_sessions.close_session(db.session, sid, {"counted": counted}, admin)
    assert (closed.expected, closed.over_short) == (115000, over)
    want = (
        [("cash", 1000, 0, None), ("over_short", 0, 1000, None)]
        if over > 0
        else [("cash", 0, 1000, None), ("over_short", 1000, 0, None)]
    )
    assert lines_of("over_short", sid) == want
    entries = db.session.scalars(select(JournalEntry).where(JournalEntry.cash_session_id == sid))
    assert len(list(entries)) == 3
    books_agree()


def test_a_drawer_that_balances_posts_no_over_short(admin: User) -> None:
    sid = cash_sessions.open_session(db.session, {"opening_float": "500.00"}, admin).id
    cash_sessions.close_session(db.session, sid, {"counted": "500.00"}, admin)
    assert books.entries_of(db.session, "over_short", sid) == []
    books_agree()


def test_entries_are_in_the_events_day(admin: User) -> None:
    # A supplier payment dated earlier is in the books on the day it was paid.
    metro = suppliers.create_supplier(db.session, {"name": "Metro"}, admin)
    paid = suppliers.record_payment(
        db.session, metro.id, {"amount": "10", "method": "cash", "paid_on": "2026-11-02"}, admin
    )
    assert books.entries_of(db.session, "supplier_payment", paid.payment.id)[0].day == date(
        2026, 11, 2
    )
    books_agree()
