"""Dates the clock cannot convert: every date filter answers a message (422), never a 500.

datetime.astimezone() raises OSError on Windows before 1970 and after 3000, and 9999-12-31
plus a day overflows everywhere; each parser refuses such days at the source.
"""

from __future__ import annotations

from datetime import date

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from posapp.dates import RANGE_MESSAGE, check_day, parse_day
from posapp.errors import ValidationError
from posapp.extensions import db
from posapp.models import Expense, User
from tests.factories import make_customer

OUT_OF_RANGE = [("from", "0001-01-01"), ("to", "9999-12-31"), ("from", "1969-12-31")]


@pytest.mark.parametrize(("field", "day"), OUT_OF_RANGE)
@pytest.mark.parametrize("page", ["/invoices/", "/audit/", "/reports/movements"])
def test_pages_answer_a_message_for_days_out_of_range(
    admin_client: FlaskClient, page: str, field: str, day: str
) -> None:
    response = admin_client.get(page, query_string={field: day})
    assert response.status_code == 422
    assert "Dates from 1970 to 2999" in response.get_data(as_text=True)


@pytest.mark.parametrize(("field", "day"), OUT_OF_RANGE)
def test_the_api_invoice_list_answers_422_in_its_envelope(
    client: FlaskClient, admin_headers: dict[str, str], field: str, day: str
) -> None:
    response = client.get("/api/invoices", query_string={field: day}, headers=admin_headers)
    assert response.status_code == 422, response.get_data(as_text=True)
    error = response.get_json()["error"]
    assert error["message"] == RANGE_MESSAGE and error["code"] == "date_out_of_range"
    assert error["details"]["fields"] == {field: RANGE_MESSAGE}


def test_the_edges_of_the_range_are_accepted(
    admin_client: FlaskClient, client: FlaskClient, admin_headers: dict[str, str]
) -> None:
    edges = {"from": "1970-01-02", "to": "2999-12-31"}
    for page in ("/invoices/", "/audit/", "/reports/movements"):
        assert admin_client.get(page, query_string=edges).status_code == 200, page
    assert client.get("/api/invoices", query_string=edges, headers=admin_headers).status_code == 200


def test_the_statement_and_the_expense_form_refuse_such_days(
    admin_client: FlaskClient, admin: User
) -> None:
    customer = make_customer(db.session, admin, name="Far Future")
    response = admin_client.get(
        f"/customers/{customer.id}/statement.pdf",
        query_string={"from": "2026-01-01", "to": "9999-12-31"},
    )
    assert response.status_code == 422
    response = admin_client.post(
        "/reports/expenses",
        data={"day": "0001-01-01", "category": "rent", "amount": "10"},
    )
    assert response.status_code == 422 and "Dates from 1970 to 2999" in response.get_data(
        as_text=True
    )
    assert db.session.scalars(select(Expense)).first() is None


def test_the_parser_itself() -> None:
    assert parse_day(" 2026-11-22 ", "from") == date(2026, 11, 22)
    assert check_day(date(1970, 1, 2), "d") == date(1970, 1, 2)
    for bad in (date(1970, 1, 1), date(3000, 1, 1), date.min, date.max):
        with pytest.raises(ValidationError, match="Dates from 1970 to 2999"):
            check_day(bad, "d")
    with pytest.raises(ValidationError, match="YYYY-MM-DD") as caught:
        parse_day("22/11/2026", "to")
    assert caught.value.fields == {"to": "Dates are YYYY-MM-DD."}
