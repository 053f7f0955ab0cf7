"""The dashboard page: admins land on it from /, cashiers go to the till."""

from __future__ import annotations

from flask.testing import FlaskClient

from posapp.extensions import db
from tests.sales_data import seed
from tests.web.helpers import login


def test_home_sends_admins_to_the_dashboard_and_cashiers_to_the_till(
    client: FlaskClient,
    admin,
    cashier,  # type: ignore[no-untyped-def]
) -> None:
    login(client, "admin")
    assert client.get("/").headers["Location"].endswith("/dashboard/")
    client.post("/logout")
    login(client, "cashier")
    assert client.get("/").headers["Location"].endswith("/pos/")
    assert client.get("/dashboard/").status_code == 403


def test_the_page_links_each_list_to_its_page(client: FlaskClient, admin, cashier) -> None:  # type: ignore[no-untyped-def]
    seed(db.session, admin, cashier)
    login(client, "admin")
    html = client.get("/dashboard/").get_data(as_text=True)
    for href in (
        "/products/?filter=out",
        "/products/?filter=low",
        "/customers/dues",
        "/reports/dead-stock",
    ):
        assert href in html, href
    assert "Meena" in html  # the top debtor
    assert 'id="chart-daily"' in html and "chart.umd.min.js" in html
    assert '"name": "Rice"' in html or '"name":"Rice"' in html  # top by sales, embedded
