"""Input bounds in the services: search text, text fields, dates at the calendar's edges."""

from __future__ import annotations

import pytest

from posapp.errors import ValidationError
from posapp.extensions import db
from posapp.services import catalog, customers, hosts, invoices, report_framework
from tests.factories import make_customer


def test_search_text_is_capped_in_the_services(admin) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValidationError, match="at most 200"):
        customers.search_customers(db.session, "x" * 60_000)
    with pytest.raises(ValidationError, match="at most 200"):
        invoices.list_invoices(db.session, admin, q="x" * 60_000)
    assert customers.search_customers(db.session, "x" * 200) == ([], 0)


def test_a_list_where_text_is_expected_is_refused(admin) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValidationError) as info:
        catalog.create_product(db.session, {"name": ["a", "b"], "price": "1"}, admin.id)
    assert "name" in info.value.fields
    with pytest.raises(ValidationError):
        make_customer(db.session, admin, notes={"a": 1})
    assert catalog.search_products(db.session, "")[1] == 0


@pytest.mark.parametrize(("start", "end"), [("0001-01-01", None), (None, "9999-12-31")])
def test_dates_at_the_calendar_edges_are_a_422(admin, start, end) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValidationError, match=r"too far|Dates from 1970 to 2999"):
        invoices.list_invoices(db.session, admin, date_from=start, date_to=end)
    with pytest.raises(ValidationError, match=r"too far|Dates from 1970 to 2999"):
        report_framework.parse_range(start, end or "2026-01-01")


def test_host_names() -> None:
    assert hosts.allowed("LOCALHOST:8000", [])
    assert hosts.allowed("[::1]:8000", [])
    assert hosts.allowed("till.lan.", ["till.lan"])
    assert not hosts.allowed("127.0.0.1.evil.com", [])
    assert not hosts.allowed("", ["", "till.lan"])
    assert hosts.parse_names("A.lan, 10.0.0.1 ,") == ["a.lan", "10.0.0.1"]
    with pytest.raises(RuntimeError, match="TILLBOOK_ALLOWED_HOSTS"):
        hosts.env_names("bad name")
