"""Order reports (read only): orders by state and by day, time from order to delivery, and
cancellations with their reasons, each a `report_framework.Report` over a local date range.

An order counts in a range by the local day it was taken (`created_at`); the delivery times
count the orders delivered in the range (`delivered_at`). Days are grouped in Python over a
streamed query: the database servers disagree on turning a UTC time into a local day, and a
shop takes tens of orders a day, not thousands.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from posapp.i18n import _, lazy
from posapp.models import Customer, User
from posapp.models.base import local_midnight_utc, to_local
from posapp.models.orders import ORDER_STATUSES, Order, OrderEvent
from posapp.services.orders import STATUS_LABELS
from posapp.services.report_framework import Report, batches, collect

# The reports of the Orders → Reports page, by URL name, in the order the page shows them.
TITLES = {
    "by-state": lazy("Orders by state"),
    "by-day": lazy("Orders by day"),
    "delivery-time": lazy("Time from order to delivery"),
    "cancellations": lazy("Cancellations with reasons"),
}
# Column titles (shown in the reader's language; totals name them by these objects).
ORDERS = lazy("Orders")
ESTIMATE = lazy("Estimate")
DELIVERED = lazy("Delivered")
CANCELLED = lazy("Cancelled")
FULFILMENTS = {"pickup": lazy("Pickup"), "delivery": lazy("Delivery")}


def _bounds(start: date, end: date) -> tuple[datetime, datetime]:
    return local_midnight_utc(start), local_midnight_utc(end + timedelta(days=1))


def status_label(status: str) -> str:
    """An order state as people read it ("out_for_delivery" -> "Out for delivery")."""
    label = STATUS_LABELS.get(status)
    return str(label) if label is not None else status.replace("_", " ").capitalize()


def by_state(session: Session, start: date, end: date) -> Report:
    """How many orders taken in the range stand in each state now, and their estimates."""
    low, high = _bounds(start, end)
    counts: Counter[str] = Counter()
    amounts: Counter[str] = Counter()
    stmt = select(Order.status, Order.estimate).where(
        Order.created_at >= low, Order.created_at < high
    )
    for status, estimate in batches(session, stmt):
        counts[status] += 1
        amounts[status] += estimate
    rows = [
        [status_label(status), counts[status], amounts[status]]
        for status in ORDER_STATUSES
        if counts[status]
    ]
    return collect(
        TITLES["by-state"],
        [(lazy("State"), "text"), (ORDERS, "number"), (ESTIMATE, "money")],
        rows,
        totals=(ORDERS, ESTIMATE),
    )


def by_day(session: Session, start: date, end: date) -> Report:
    """Per local day: orders taken, how many of them were delivered or cancelled, estimates."""
    low, high = _bounds(start, end)
    days: dict[date, list[int]] = {}
    stmt = (
        select(Order.created_at, Order.status, Order.estimate)
        .where(Order.created_at >= low, Order.created_at < high)
        .order_by(Order.created_at)
    )
    for created_at, status, estimate in batches(session, stmt):
        row = days.setdefault(to_local(created_at).date(), [0, 0, 0, 0])
        row[0] += 1
        row[1] += status == "delivered"
        row[2] += status == "cancelled"
        row[3] += estimate
    return collect(
        TITLES["by-day"],
        [
            (lazy("Date"), "date"),
            (ORDERS, "number"),
            (DELIVERED, "number"),
            (CANCELLED, "number"),
            (ESTIMATE, "money"),
        ],
        ([day, *figures] for day, figures in sorted(days.items())),
        totals=(ORDERS, DELIVERED, CANCELLED, ESTIMATE),
    )


def hours_text(seconds: int) -> str:
    """A duration as hours and minutes ("26 h 05 min"), whole minutes rounded half up."""
    minutes = (seconds + 30) // 60
    return _("%(hours)s h %(minutes)s min", hours=minutes // 60, minutes=f"{minutes % 60:02d}")


def delivery_time(session: Session, start: date, end: date) -> Report:
    """Orders delivered in the range, by pickup or delivery: how many, and the average,
    shortest and longest time from taking the order to handing it over."""
    low, high = _bounds(start, end)
    spans: dict[str, list[int]] = {}
    stmt = select(Order.fulfilment, Order.created_at, Order.delivered_at).where(
        Order.status == "delivered", Order.delivered_at >= low, Order.delivered_at < high
    )
    for fulfilment, created_at, delivered_at in batches(session, stmt):
        seconds = max(0, int((delivered_at - created_at).total_seconds()))
        spans.setdefault(fulfilment, []).append(seconds)
    everything = [s for kind in sorted(spans) for s in spans[kind]]

    def row(title: str, values: list[int]) -> list[Any]:
        average = (sum(values) + len(values) // 2) // len(values)
        return [
            title,
            len(values),
            hours_text(average),
            hours_text(min(values)),
            hours_text(max(values)),
        ]

    rows = [row(str(FULFILMENTS[kind]), spans[kind]) for kind in FULFILMENTS if kind in spans]
    if len(rows) > 1:
        rows.append(row(_("All orders"), everything))
    return collect(
        TITLES["delivery-time"],
        [
            (lazy("Fulfilment"), "text"),
            (DELIVERED, "number"),
            (lazy("Average time"), "text"),
            (lazy("Shortest"), "text"),
            (lazy("Longest"), "text"),
        ],
        rows,
    )


def cancellations(session: Session, start: date, end: date) -> Report:
    """Orders cancelled in the range: which, whose, when, by whom and why."""
    low, high = _bounds(start, end)
    stmt = (
        select(
            Order.number,
            Customer.name,
            Order.created_at,
            Order.cancelled_at,
            Order.status,
            Order.estimate,
            Order.cancel_reason,
            User.username,
        )
        .join(Customer, Order.customer_id == Customer.id)
        .outerjoin(
            OrderEvent,
            (OrderEvent.order_id == Order.id) & (OrderEvent.to_status == "cancelled"),
        )
        .outerjoin(User, OrderEvent.user_id == User.id)
        .where(Order.status == "cancelled", Order.cancelled_at >= low, Order.cancelled_at < high)
        .order_by(Order.cancelled_at, Order.id)
    )

    def rows() -> Iterator[list[Any]]:
        for number, name, created, cancelled, _status, estimate, reason, who in batches(
            session, stmt
        ):
            yield [number, name, created, cancelled, estimate, reason, who or ""]

    return collect(
        TITLES["cancellations"],
        [
            (lazy("Order"), "text"),
            (lazy("Customer"), "text"),
            (lazy("Taken"), "time"),
            (CANCELLED, "time"),
            (ESTIMATE, "money"),
            (lazy("Reason"), "text"),
            (lazy("Cancelled by"), "text"),
        ],
        rows(),
        totals=(ESTIMATE,),
    )


REPORTS = {
    "by-state": by_state,
    "by-day": by_day,
    "delivery-time": delivery_time,
    "cancellations": cancellations,
}
