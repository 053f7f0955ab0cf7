"""Discounts above the shop's threshold are audit-logged at checkout (issue 9)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import event, select

from posapp.extensions import db
from posapp.models import AuditLog, Invoice, User
from posapp.models.base import write_transaction
from posapp.services import checkout
from posapp.services.approvals import ApprovalRequired
from posapp.services.checkout import DISCOUNT_AUDIT_ACTION
from posapp.services.settings import save_settings
from tests.factories import make_product


def sell(user: User, items: list[dict[str, Any]], **extra: Any) -> Invoice:
    return checkout.checkout(db.session, checkout.parse_checkout({"items": items, **extra}), user)


def discount_entries() -> list[dict[str, Any]]:
    rows = db.session.scalars(select(AuditLog).where(AuditLog.action == DISCOUNT_AUDIT_ACTION))
    return [json.loads(row.after or "{}") | {"_user": row.user_id} for row in rows]


@pytest.fixture(autouse=True)
def cashiers_may_discount(app: object) -> None:
    """These tests are about the audit threshold, not the cashier's limits (approvals)."""
    with write_transaction(db.session):
        save_settings(
            db.session, cashier_max_line_discount_percent=100, cashier_max_bill_discount_percent=100
        )


@pytest.fixture
def rice(app: object) -> int:
    return make_product(db.session, name="Rice", price="100.00").id


def test_a_line_discount_above_ten_percent_is_logged(cashier: User, rice: int) -> None:
    invoice = sell(cashier, [{"product_id": rice, "quantity": 2, "discount": "20.01"}])
    (entry,) = discount_entries()
    assert entry["number"] == invoice.number
    assert entry["cashier"] == "cashier" and entry["_user"] == cashier.id
    assert entry["lines"] == [{"line": 1, "discount": "20.01", "percent": "10.01"}]
    assert entry["threshold_percent"] == 10 and entry["discount_total"] == "20.01"
    assert "bill_discount" not in entry


def test_exactly_the_threshold_is_not_above_it(cashier: User, rice: int) -> None:
    sell(cashier, [{"product_id": rice, "quantity": 2, "discount": "20.00"}], discount="10%")
    assert discount_entries() == []


def test_a_bill_discount_is_measured_after_line_discounts(cashier: User, rice: int) -> None:
    other = make_product(db.session, name="Dal", price="50.00").id
    invoice = sell(
        cashier,
        [
            {"product_id": rice, "quantity": 1, "discount": "5.00"},
            {"product_id": other, "quantity": 1},
        ],
        discount="16.00",  # of 145.00 after the line discount: 11.03 %
    )
    (entry,) = discount_entries()
    assert entry["number"] == invoice.number
    assert entry["lines"] == []  # 5 % on the line is within the threshold
    assert (entry["bill_discount"], entry["bill_percent"]) == ("16.00", "11.03")
    assert entry["discount_total"] == "21.00"


def test_the_threshold_is_the_shops_setting(cashier: User, rice: int) -> None:
    with write_transaction(db.session):
        save_settings(db.session, discount_audit_percent=25)
    sell(cashier, [{"product_id": rice, "quantity": 1}], discount="20%")
    assert discount_entries() == []
    with write_transaction(db.session):
        save_settings(db.session, discount_audit_percent=0)
    sell(cashier, [{"product_id": rice, "quantity": 1, "discount": "0.01"}])
    (entry,) = discount_entries()
    assert entry["lines"][0]["percent"] == "0.01"


def test_a_refused_sale_logs_nothing(cashier: User) -> None:
    scarce = make_product(db.session, name="Saffron", price="100.00", opening_stock="1").id
    with pytest.raises(ApprovalRequired):
        sell(cashier, [{"product_id": scarce, "quantity": 2, "discount": "90.00"}])
    assert discount_entries() == []


@contextmanager
def counted_statements() -> Iterator[list[str]]:
    statements: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", count)


def test_the_check_costs_no_query_unless_a_discount_is_logged(cashier: User, rice: int) -> None:
    sell(cashier, [{"product_id": rice, "quantity": 1}])  # warm the first-sale paths up
    db.session.expire_all()
    with counted_statements() as plain:
        sell(cashier, [{"product_id": rice, "quantity": 1}])
    db.session.expire_all()
    with counted_statements() as small:
        sell(cashier, [{"product_id": rice, "quantity": 1, "discount": "1.00"}])
    db.session.expire_all()
    with counted_statements() as logged:
        sell(cashier, [{"product_id": rice, "quantity": 1, "discount": "50.00"}])
    assert len(small) == len(plain)
    assert len(logged) > len(plain)
    assert len(discount_entries()) == 1
