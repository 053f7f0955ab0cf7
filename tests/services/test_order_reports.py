"""Order reports (services/order_reports.py): by state, by day, time to delivery and
cancellations, over a local date range, on every configured backend."""

from __future__ import annotations

from datetime import datetime, timedelta

from posapp.extensions import db
from posapp.models import User
from posapp.models.base import clock_at, local_midnight_utc, to_local
from posapp.models.orders import Order
from posapp.services import order_reports, orders
from posapp.services.report_framework import report_rows
from tests.factories import make_product


def _take(user: User, product_id: int, phone: str, fulfilment: str = "pickup") -> Order:
    draft = orders.parse_order(
        {
            "customer": {"name": f"Customer {phone[-2:]}", "phone": phone},
            "items": [{"product_id": product_id, "quantity": "2"}],
            "fulfilment": fulfilment,
            "address": "Flat 1" if fulfilment == "delivery" else "",
        }
    )
    return orders.create_order(db.session, draft, user, "orders")


def _deliver(order_id: int, user: User, to: str) -> None:
    for step in ("confirmed", "packed", to):
        orders.change_status(db.session, order_id, step, user)
    orders.deliver_order(
        db.session, order_id, {"payments": [{"method": "cash", "amount": "100.00"}]}, user
    )


def test_orders_by_state_day_delivery_time_and_cancellations(admin: User) -> None:
    tea = make_product(db.session, name="Tea", price="10.00")
    day = to_local(datetime(2026, 11, 10, 6, 0)).date()
    morning = local_midnight_utc(day) + timedelta(hours=9)
    with clock_at(morning):
        picked = _take(admin, tea.id, "98111 00001")
        sent = _take(admin, tea.id, "98111 00002", "delivery")
        gone = _take(admin, tea.id, "98111 00003")
    with clock_at(morning + timedelta(days=1)):
        waiting = _take(admin, tea.id, "98111 00004")
    with clock_at(morning + timedelta(hours=2, minutes=30)):
        _deliver(picked.id, admin, "ready_for_pickup")
    with clock_at(morning + timedelta(hours=26)):
        _deliver(sent.id, admin, "out_for_delivery")
    with clock_at(morning + timedelta(hours=1)):
        orders.cancel_order(db.session, gone.id, "Customer away", admin)

    by_state = order_reports.by_state(db.session, day, day + timedelta(days=1))
    assert by_state.rows == [
        ["Pending", 1, 20_00],
        ["Delivered", 2, 40_00],
        ["Cancelled", 1, 20_00],
    ]
    assert by_state.totals == {"Orders": 4, "Estimate": 80_00}
    # the next day alone: only the order taken then
    assert order_reports.by_state(
        db.session, day + timedelta(days=1), day + timedelta(days=1)
    ).rows == [["Pending", 1, 20_00]]

    by_day = order_reports.by_day(db.session, day, day + timedelta(days=1))
    assert by_day.rows == [
        [day, 3, 2, 1, 60_00],
        [day + timedelta(days=1), 1, 0, 0, 20_00],
    ]

    timing = order_reports.delivery_time(db.session, day, day + timedelta(days=2))
    assert timing.rows == [
        ["Pickup", 1, "2 h 30 min", "2 h 30 min", "2 h 30 min"],
        ["Delivery", 1, "26 h 00 min", "26 h 00 min", "26 h 00 min"],
        ["All orders", 2, "14 h 15 min", "2 h 30 min", "26 h 00 min"],
    ]
    # delivered outside the range: not counted
    assert (
        order_reports.delivery_time(
            db.session, day - timedelta(days=5), day - timedelta(days=1)
        ).rows
        == []
    )

    cancelled = order_reports.cancellations(db.session, day, day)
    rows = list(cancelled.rows)
    assert [row[0] for row in rows] == [gone.number]
    assert rows[0][5:] == ["Customer away", "admin"]
    csv = list(report_rows(order_reports.cancellations(db.session, day, day)))
    assert csv[0][0] == "Order" and csv[1][5] == "Customer away" and csv[-1][0] == "Total"
    assert waiting.status == "pending"
