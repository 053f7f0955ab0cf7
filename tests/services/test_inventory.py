"""Stock services: movements, moving average cost, adjustments, purchases, counts, expiry."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from posapp.errors import InsufficientStock, NotFound, ValidationError
from posapp.extensions import db
from posapp.models import AuditLog, Product, Purchase, PurchaseLine, StockMovement, User
from posapp.models.base import write_transaction
from posapp.services import checkout, inventory
from posapp.services.integrity import run_checks
from posapp.services.settings import save_settings
from tests.factories import make_product


def movements(product: Product) -> list[StockMovement]:
    return list(
        db.session.scalars(
            select(StockMovement)
            .where(StockMovement.product_id == product.id)
            .order_by(StockMovement.id)
        )
    )


def count(model: type) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


# --- moving average cost -----------------------------------------------------------------------


def test_moving_average_cost_weights_by_quantity() -> None:
    # 10 on hand at 20.00, 30 more at 24.00: (200 + 720) / 40 = 23.00
    assert inventory.moving_average_cost(10_000, 2000, 30_000, 2400) == 2300
    # rounds half up: (1 * 1.00 + 2 * 1.01) / 3 = 1.00666..
    assert inventory.moving_average_cost(1000, 100, 2000, 101) == 101
    # nothing (or less than nothing) on hand: the new cost is the purchase cost
    assert inventory.moving_average_cost(0, 5000, 1000, 1234) == 1234
    assert inventory.moving_average_cost(-3000, 5000, 1000, 1234) == 1234


@given(
    stock=st.integers(1, 10**8),
    cost=st.integers(0, 10**8),
    qty=st.integers(1, 10**8),
    unit_cost=st.integers(0, 10**8),
)
@settings(max_examples=300, deadline=None)
def test_moving_average_lies_between_the_two_costs(
    stock: int, cost: int, qty: int, unit_cost: int
) -> None:
    average = inventory.moving_average_cost(stock, cost, qty, unit_cost)
    assert min(cost, unit_cost) <= average <= max(cost, unit_cost)
    assert isinstance(average, int)


def test_a_purchase_moves_cost_to_the_moving_average(admin: User) -> None:
    rice = make_product(db.session, name="Rice", unit="kg", opening_stock="10", cost="40.00")
    purchase = inventory.receive_stock(
        db.session,
        {
            "supplier": "Metro",
            "reference": "BILL-77",
            "lines": [{"code": rice.code, "quantity": "30", "unit_cost": "48.00"}],
        },
        admin.id,
    )
    rice = db.session.get(Product, rice.id)
    assert rice.stock_milli == 40_000
    assert rice.cost == 4600  # (10 * 40 + 30 * 48) / 40
    assert purchase.number == "PUR-000001"
    assert purchase.total == 144_000
    last = movements(rice)[-1]
    assert (last.reason, last.delta_milli, last.unit_cost) == ("purchase", 30_000, 4800)
    assert last.ref == "PUR-000001 / BILL-77"
    assert run_checks(db.session).ok


# --- purchases -----------------------------------------------------------------------------------


def test_a_purchase_with_any_bad_line_writes_nothing(admin: User) -> None:
    rice = make_product(db.session, name="Rice", unit="kg")
    salt = make_product(db.session, name="Salt")
    before = count(StockMovement)
    with pytest.raises(ValidationError) as caught:
        inventory.receive_stock(
            db.session,
            {
                "lines": [
                    {"code": rice.code, "quantity": "1.5", "unit_cost": "40"},
                    {"code": salt.code, "quantity": "1.5", "unit_cost": "20"},
                    {"code": "nope", "quantity": "1", "unit_cost": "1"},
                    {"code": salt.code, "quantity": "2", "unit_cost": "1.234"},
                    {"code": salt.code, "quantity": "2", "unit_cost": "1", "expiry": "31-12-2026"},
                ]
            },
            admin.id,
        )
    fields = caught.value.fields
    assert "whole numbers" in fields["lines.2.quantity"]
    assert "no product" in fields["lines.3.code"]
    assert "2 decimals" in fields["lines.4.unit_cost"]
    assert "YYYY-MM-DD" in fields["lines.5.expiry"]
    assert "lines.1.quantity" not in fields
    assert count(StockMovement) == before
    assert count(Purchase) == 0
    assert db.session.get(Product, rice.id).stock_milli == 100_000


def test_a_purchase_needs_lines(admin: User) -> None:
    with pytest.raises(ValidationError, match="at least one line"):
        inventory.receive_stock(db.session, {"supplier": "X", "lines": []}, admin.id)


def test_products_are_found_by_name_too_and_archived_ones_refused(admin: User) -> None:
    dal = make_product(db.session, name="Dal")
    tea = make_product(db.session, name="Çay Ürün")  # lowered by Python, SQLite missed it
    old = make_product(db.session, name="Old")
    for name in ("dal", "Çay Ürün"):
        inventory.receive_stock(
            db.session, {"lines": [{"code": name, "quantity": "5", "unit_cost": "90"}]}, admin.id
        )
    assert db.session.get(Product, dal.id).stock_milli == 105_000  # 100 to start, 5 received
    assert db.session.get(Product, tea.id).stock_milli == 105_000
    with write_transaction(db.session):
        db.session.get(Product, old.id).archived = True
    with pytest.raises(ValidationError, match="archived"):
        inventory.receive_stock(
            db.session, {"lines": [{"code": old.code, "quantity": "5", "unit_cost": "1"}]}, admin.id
        )


# --- adjustments ---------------------------------------------------------------------------------


def test_adjustments_book_signed_movements_with_note_and_user(admin: User) -> None:
    milk = make_product(db.session, name="Milk", opening_stock="20")
    inventory.adjust_stock(
        db.session, milk.id, {"delta": "-3", "reason": "adjust_damage", "note": "burst"}, admin.id
    )
    inventory.adjust_stock(db.session, milk.id, {"delta": -2, "reason": "adjust_loss"}, admin.id)
    inventory.adjust_stock(db.session, milk.id, {"delta": "4", "reason": "adjust_count"}, admin.id)
    milk = db.session.get(Product, milk.id)
    assert milk.stock_milli == 19_000
    booked = movements(milk)
    assert [(m.reason, m.delta_milli) for m in booked] == [
        ("opening", 20_000),
        ("adjust_damage", -3000),
        ("adjust_loss", -2000),
        ("adjust_count", 4000),
    ]
    assert booked[1].note == "burst" and booked[1].user_id == admin.id
    assert milk.stock_milli == sum(m.delta_milli for m in booked)
    assert db.session.scalar(select(func.count()).where(AuditLog.action.like("stock.%"))) == 3


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"delta": "0", "reason": "adjust_count"}, "delta", "not be zero"),
        ({"delta": "2", "reason": "adjust_damage"}, "delta", "must be negative"),
        ({"delta": "-2", "reason": "purchase"}, "delta", "must be positive"),
        ({"delta": "1.5", "reason": "adjust_count"}, "delta", "whole numbers"),
        ({"delta": "abc", "reason": "adjust_count"}, "delta", "number"),
        ({"delta": "1", "reason": "sale"}, "reason", "Reason must be one of"),
        ({"delta": "1", "reason": "adjust_count", "unit_cost": "2"}, "unit_cost", "only with"),
        ({"delta": "1", "reason": "purchase", "unit_cost": "-2"}, "unit_cost", "negative"),
        ({"delta": "1", "reason": "adjust_count", "note": "x" * 201}, "note", "200"),
    ],
)
@pytest.mark.servers_first_case(
    "validation in Python; the first case shows a refused write leaves nothing"
)
def test_bad_adjustments_are_refused_and_write_nothing(
    admin: User, data: dict, field: str, message: str
) -> None:
    soap = make_product(db.session, name="Soap", opening_stock="5")
    before = count(StockMovement)
    with pytest.raises(ValidationError) as caught:
        inventory.adjust_stock(db.session, soap.id, data, admin.id)
    assert message in caught.value.fields[field]
    assert count(StockMovement) == before
    assert db.session.get(Product, soap.id).stock_milli == 5000


def test_taking_more_than_on_hand_is_refused_unless_negative_stock_is_allowed(admin: User) -> None:
    soap = make_product(db.session, name="Soap", opening_stock="2")
    with pytest.raises(InsufficientStock) as caught:
        inventory.adjust_stock(db.session, soap.id, {"delta": "-3", "reason": "adjust_loss"}, 1)
    assert caught.value.details["available"] == "2"
    assert db.session.get(Product, soap.id).stock_milli == 2000
    with write_transaction(db.session):
        save_settings(db.session, stock_policy="warn")
    inventory.adjust_stock(db.session, soap.id, {"delta": "-3", "reason": "adjust_loss"}, admin.id)
    assert db.session.get(Product, soap.id).stock_milli == -1000
    assert run_checks(db.session).ok


def test_unknown_product_is_not_found(admin: User) -> None:
    with pytest.raises(NotFound):
        inventory.adjust_stock(db.session, 999, {"delta": "1", "reason": "adjust_count"}, 1)


# --- stock count ---------------------------------------------------------------------------------


def test_a_stock_count_books_only_the_differences(admin: User) -> None:
    rice = make_product(db.session, name="Rice", unit="kg", opening_stock="10")
    salt = make_product(db.session, name="Salt", opening_stock="7")
    sugar = make_product(db.session, name="Sugar", opening_stock="3")
    results = inventory.book_stock_count(
        db.session, {rice.id: "9.250", salt.id: "7", sugar.id: ""}, admin.id, note="March count"
    )
    assert [(r.product.name, r.delta_milli) for r in results] == [("Rice", -750), ("Salt", 0)]
    assert db.session.get(Product, rice.id).stock_milli == 9250
    last = movements(rice)[-1]
    assert (last.reason, last.ref, last.note) == ("adjust_count", "COUNT-000001", "March count")
    assert len(movements(salt)) == 1  # no zero movement
    assert run_checks(db.session).ok


def test_a_count_with_a_bad_quantity_books_nothing(admin: User) -> None:
    rice = make_product(db.session, name="Rice", unit="kg", opening_stock="10")
    salt = make_product(db.session, name="Salt", opening_stock="7")
    with pytest.raises(ValidationError) as caught:
        inventory.book_stock_count(db.session, {rice.id: "8", salt.id: "6.5"}, admin.id)
    assert "Salt" in caught.value.fields[f"count.{salt.id}"]
    assert db.session.get(Product, rice.id).stock_milli == 10_000
    with pytest.raises(ValidationError, match="cannot be negative"):
        inventory.book_stock_count(db.session, {rice.id: "-1"}, admin.id)
    with pytest.raises(ValidationError, match="at least one"):
        inventory.book_stock_count(db.session, {rice.id: ""}, admin.id)


# --- invariants ----------------------------------------------------------------------------------


def test_stock_is_always_the_sum_of_movements_after_every_kind_of_change(admin: User) -> None:
    tea = make_product(db.session, name="Tea", opening_stock="50", cost="100")
    checkout.checkout(
        db.session,
        checkout.parse_checkout({"items": [{"product_id": tea.id, "quantity": 4}]}),
        admin,
    )
    inventory.receive_stock(
        db.session, {"lines": [{"product_id": tea.id, "quantity": "10", "unit_cost": "110"}]}, 1
    )
    inventory.adjust_stock(db.session, tea.id, {"delta": "-1", "reason": "adjust_damage"}, 1)
    inventory.book_stock_count(db.session, {tea.id: "50"}, admin.id)
    tea = db.session.get(Product, tea.id)
    assert tea.stock_milli == 50_000
    assert tea.stock_milli == sum(m.delta_milli for m in movements(tea))
    assert run_checks(db.session).ok


def test_check_reports_stock_that_drifted_from_its_movements(admin: User) -> None:
    tea = make_product(db.session, name="Tea", opening_stock="5")
    with write_transaction(db.session):
        db.session.get(Product, tea.id).stock_milli = 6000
    report = run_checks(db.session)
    assert not report.ok
    assert "stock_milli 6000 != sum of movements 5000" in report.problems[0]


# --- expiry --------------------------------------------------------------------------------------


def test_expiring_batches_follow_fifo(admin: User) -> None:
    today = date(2026, 11, 1)
    curd = make_product(db.session, name="Curd", opening_stock="0")
    inventory.receive_stock(
        db.session,
        {
            "lines": [
                {"code": curd.code, "quantity": "10", "unit_cost": "20", "expiry": "2026-11-05"},
            ]
        },
        admin.id,
    )
    inventory.receive_stock(
        db.session,
        {
            "lines": [
                {
                    "code": curd.code,
                    "quantity": "5",
                    "unit_cost": "20",
                    "expiry": "2026-12-30",
                    "batch": "B2",
                },
            ]
        },
        admin.id,
    )
    found = inventory.expiring_batches(db.session, within_days=30, today=today)
    assert [(b.line.batch, b.remaining_milli, b.days_left) for b in found] == [("", 10_000, 4)]
    # sell 12: the older batch is gone (FIFO), 3 of the newer remain and expire in 59 days
    checkout.checkout(
        db.session,
        checkout.parse_checkout({"items": [{"product_id": curd.id, "quantity": 12}]}),
        admin,
    )
    assert inventory.expiring_batches(db.session, within_days=30, today=today) == []
    later = inventory.expiring_batches(db.session, within_days=60, today=today)
    assert [(b.line.batch, b.remaining_milli) for b in later] == [("B2", 3000)]
    assert count(PurchaseLine) == 2


# --- input tax on purchase bills ---------------------------------------------------------------


def shop_in(state: str) -> None:
    with write_transaction(db.session):
        save_settings(db.session, state_code=state)


def lines_of(purchase: Purchase) -> list[PurchaseLine]:
    return list(
        db.session.scalars(
            select(PurchaseLine)
            .where(PurchaseLine.purchase_id == purchase.id)
            .order_by(PurchaseLine.id)
        )
    )


def test_an_intra_state_bill_records_equal_cgst_and_sgst_halves(admin: User) -> None:
    shop_in("27")
    rice = make_product(db.session, name="Rice", unit="kg", opening_stock="10", cost="40.00")
    soap = make_product(db.session, name="Soap", tax_rate="5")
    oil = make_product(db.session, name="Oil", tax_rate="12")
    purchase = inventory.receive_stock(
        db.session,
        {
            "supplier": "Metro",
            "supplier_gstin": " 27aapfu0939f1zv ",
            "bill_date": "2026-11-30",
            "lines": [
                {"code": rice.code, "quantity": "30", "unit_cost": "48.00", "tax_rate": "5"},
                {"code": soap.code, "quantity": "7", "unit_cost": "12.35", "tax_rate": "18"},
                {"code": oil.code, "quantity": "3", "unit_cost": "10.01"},  # the product's 12 %
            ],
        },
        admin.id,
    )
    assert (purchase.supplier_gstin, purchase.supplier_state) == ("27AAPFU0939F1ZV", "27")
    assert purchase.bill_date == date(2026, 11, 30)
    got = [(ln.tax_rate_bp, ln.taxable, ln.cgst, ln.sgst, ln.igst) for ln in lines_of(purchase)]
    assert got == [
        # 30 × 48.00 = 1440.00; 2.5 % of it = 36.00 each
        (500, 144_000, 3600, 3600, 0),
        # 7 × 12.35 = 86.45; 9 % = 7.7805 -> 7.78 each
        (1800, 8645, 778, 778, 0),
        # 3 × 10.01 = 30.03; 6 % = 1.8018 -> 1.80 each
        (1200, 3003, 180, 180, 0),
    ]
    # The stock is valued before tax: the total and the moving average ignore the tax.
    assert purchase.total == 155_648
    assert db.session.get(Product, rice.id).cost == 4600
    tax = inventory.purchase_taxes(db.session, [purchase])[purchase.id]
    assert (tax.taxable, tax.cgst, tax.sgst, tax.igst, tax.tax) == (155_648, 4558, 4558, 0, 9116)
    assert tax.bill_total == 164_764
    entry = db.session.scalars(select(AuditLog).order_by(AuditLog.id.desc())).first()
    assert entry.action == "stock.purchase" and '"tax": 9116' in entry.after


def test_a_bill_from_another_state_is_igst(admin: User) -> None:
    shop_in("27")
    oil = make_product(db.session, name="Oil", tax_rate="18")
    purchase = inventory.receive_stock(
        db.session,
        {
            "supplier_gstin": "29AAGCB7383J1Z4",
            "lines": [{"code": oil.code, "quantity": "3", "unit_cost": "10.01"}],
        },
        admin.id,
    )
    assert purchase.supplier_state == "29"
    # 18 % of 30.03 = 5.4054 -> 5.41, all IGST
    line = lines_of(purchase)[0]
    assert (line.taxable, line.cgst, line.sgst, line.igst) == (3003, 0, 0, 541)
    # A state typed without a GSTIN counts too.
    purchase = inventory.receive_stock(
        db.session,
        {"supplier_state": "7", "lines": [{"code": oil.code, "quantity": "1", "unit_cost": "100"}]},
        admin.id,
    )
    assert (purchase.supplier_gstin, purchase.supplier_state) == ("", "07")
    assert lines_of(purchase)[0].igst == 1800


def test_without_the_shop_state_a_bill_is_split_in_halves(admin: User) -> None:
    oil = make_product(db.session, name="Oil", tax_rate="18")
    purchase = inventory.receive_stock(
        db.session,
        {
            "supplier_state": "29",
            "lines": [{"code": oil.code, "quantity": "1", "unit_cost": "99.99"}],
        },
        admin.id,
    )
    # 9 % of 99.99 = 8.9991 -> 9.00 each; the shop's state is unknown, so not IGST
    line = lines_of(purchase)[0]
    assert (line.cgst, line.sgst, line.igst) == (900, 900, 0)


def test_a_zero_rate_line_and_a_rate_of_any_percent(admin: User) -> None:
    rice = make_product(db.session, name="Rice")
    purchase = inventory.receive_stock(
        db.session,
        {
            "lines": [
                {"code": rice.code, "quantity": "2", "unit_cost": "50"},  # the product's 0 %
                {"code": rice.code, "quantity": "1", "unit_cost": "200", "tax_rate": "0.25"},
            ]
        },
        admin.id,
    )
    got = [(ln.tax_rate_bp, ln.taxable, ln.cgst, ln.sgst) for ln in lines_of(purchase)]
    # 0.125 % of 200.00 = 0.25 each
    assert got == [(0, 10_000, 0, 0), (25, 20_000, 25, 25)]


def test_bad_supplier_details_and_rates_write_nothing(admin: User) -> None:
    shop_in("27")
    rice = make_product(db.session, name="Rice")
    before = (count(StockMovement), count(Purchase), count(AuditLog))
    with pytest.raises(ValidationError) as caught:
        inventory.receive_stock(
            db.session,
            {
                "supplier_gstin": "27AAPFU0939F1ZW",  # wrong check character
                "bill_date": "2999-01-01",
                "lines": [
                    {"code": rice.code, "quantity": "1", "unit_cost": "1", "tax_rate": "101"},
                    {"code": rice.code, "quantity": "1", "unit_cost": "1", "tax_rate": "5.125"},
                    {"code": rice.code, "quantity": "1", "unit_cost": "1", "tax_rate": "x"},
                ],
            },
            admin.id,
        )
    fields = caught.value.fields
    assert "check character" in fields["supplier_gstin"]
    assert "future" in fields["bill_date"]
    assert "between 0 and 100" in fields["lines.1.tax_rate"]
    assert "2 decimals" in fields["lines.2.tax_rate"]
    assert "lines.3.tax_rate" in fields
    with pytest.raises(ValidationError) as caught:
        inventory.receive_stock(
            db.session,
            {
                "supplier_gstin": "27AAPFU0939F1ZV",
                "supplier_state": "29",
                "bill_date": "31-12-2026",
                "lines": [{"code": rice.code, "quantity": "1", "unit_cost": "1"}],
            },
            admin.id,
        )
    fields = caught.value.fields
    assert "27 – Maharashtra" in fields["supplier_state"]
    assert "YYYY-MM-DD" in fields["bill_date"]
    with pytest.raises(ValidationError, match="not a GST state code"):
        inventory.receive_stock(
            db.session,
            {
                "supplier_state": "66",
                "lines": [{"code": rice.code, "quantity": "1", "unit_cost": "1"}],
            },
            admin.id,
        )
    assert (count(StockMovement), count(Purchase), count(AuditLog)) == before


def test_purchases_booked_before_input_tax_show_their_cost_as_taxable(admin: User) -> None:
    rice = make_product(db.session, name="Rice")
    purchase = inventory.receive_stock(
        db.session, {"lines": [{"code": rice.code, "quantity": "3", "unit_cost": "1.25"}]}, admin.id
    )
    with write_transaction(db.session):
        for line in lines_of(purchase):
            line.taxable = 0  # as the migration left older purchase lines
    line = lines_of(purchase)[0]
    assert inventory.line_taxable_shown(line) == 375
    assert inventory.purchase_taxes(db.session, [purchase])[purchase.id].bill_total == 375
