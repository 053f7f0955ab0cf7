"""GET /api/dashboard/stats: the contract's shape, hand-computed figures, admin only."""

from __future__ import annotations

import re
from datetime import timedelta

from flask.testing import FlaskClient

from posapp.extensions import db
from posapp.services.ledger import local_today
from tests.factories import make_product
from tests.sales_data import give_back, seed

MONEY = re.compile(r"^-?\d+\.\d{2}$")


MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


def test_stats_have_the_contract_shape_and_the_hand_computed_figures(
    client: FlaskClient,
    admin,
    cashier,
    admin_headers,  # type: ignore[no-untyped-def]
) -> None:
    seed(db.session, admin, cashier)
    make_product(db.session, name="Ink", opening_stock="0")
    make_product(db.session, name="Glue", opening_stock="2", low_stock_threshold="5")
    response = client.get("/api/dashboard/stats", headers=admin_headers)
    assert response.status_code == 200
    body = response.get_json()
    assert list(body) == [
        "today",
        "daily",
        "monthly",
        "top_products",
        "low_stock",
        "out_of_stock",
        "outstanding_credit",
        "payment_methods",
    ]
    assert body["today"] == {
        "sales": "315.50",
        "invoices": 3,
        "gross_profit": "65.11",  # 286.86 net of tax - 221.75 cost
        "average_bill": "105.17",  # 315.50 / 3, half up
        "cash_in_drawer": "0.00",  # no drawer session is open (additive field)
    }
    today = local_today()
    assert len(body["daily"]) == 30
    assert body["daily"][-1] == {
        "date": today.isoformat(),
        "label": today.strftime("%d-%m"),  # the day as the chart's axis shows it (en_IN)
        "sales": "315.50",
        "invoices": 3,
    }
    assert body["daily"][0]["date"] == (today - timedelta(days=29)).isoformat()
    assert all(MONEY.match(d["sales"]) for d in body["daily"])
    assert len(body["monthly"]) == 12
    assert body["monthly"][-1] == {
        "month": today.strftime("%Y-%m"),
        "label": f"{MONTHS[today.month - 1]} {today.year}",
        "sales": "315.50",
        "gross_profit": "65.11",
    }
    assert body["top_products"] == [
        {
            "product_id": body["top_products"][0]["product_id"],
            "name": "Pen",
            "quantity": "8",
            "sales": "83.00",
        },
        {
            "product_id": body["top_products"][1]["product_id"],
            "name": "Soap",
            "quantity": "3",
            "sales": "82.50",
        },
        {
            "product_id": body["top_products"][2]["product_id"],
            "name": "Rice",
            "quantity": "2.500",
            "sales": "150.00",
        },
    ]
    assert [p["name"] for p in body["out_of_stock"]] == ["Ink"]
    assert [p["name"] for p in body["low_stock"]] == ["Glue"]
    assert body["low_stock"][0]["stock"] == "2"
    assert body["outstanding_credit"] == "30.00"
    assert body["payment_methods"] == [
        {"method": "cash", "amount": "236.00"},
        {"method": "card", "amount": "49.50"},
        {"method": "upi", "amount": "0.00"},
        {"method": "credit", "amount": "30.00"},
    ]


def test_an_empty_shop_has_zeros(client: FlaskClient, admin_headers) -> None:  # type: ignore[no-untyped-def]
    body = client.get("/api/dashboard/stats", headers=admin_headers).get_json()
    assert body["today"] == {
        "sales": "0.00",
        "invoices": 0,
        "gross_profit": "0.00",
        "average_bill": "0.00",
        "cash_in_drawer": "0.00",
    }
    assert body["top_products"] == [] and body["outstanding_credit"] == "0.00"


def test_cashiers_and_strangers_are_refused(client: FlaskClient, cashier_headers) -> None:  # type: ignore[no-untyped-def]
    assert client.get("/api/dashboard/stats", headers=cashier_headers).status_code == 403
    assert client.get("/api/dashboard/stats").status_code == 401


def test_best_sellers_and_categories_are_net_of_returns(
    client: FlaskClient,
    admin,
    cashier,
    admin_headers,  # type: ignore[no-untyped-def]
) -> None:
    from posapp.services import dashboard

    give_back(db.session, seed(db.session, admin, cashier), admin)  # 1 kg Rice and 1 Pen back
    body = client.get("/api/dashboard/stats", headers=admin_headers).get_json()
    assert [(p["name"], p["quantity"], p["sales"]) for p in body["top_products"]] == [
        ("Pen", "7", "74.01"),  # 83.00 less the note of 8.99
        ("Soap", "3", "82.50"),
        ("Rice", "1.500", "90.00"),
    ]
    today = local_today()
    assert dashboard.sales_by_category(db.session, today, today) == [
        {"category": "Grocery", "sales": 9000},
        {"category": "Personal care", "sales": 8250},
        {"category": "", "sales": 7401},
    ]
