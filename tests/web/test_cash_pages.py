"""The cash drawer pages: open, pay in/out, blind close, Z-report (HTML and PDF), access."""

from __future__ import annotations

from flask.testing import FlaskClient

from posapp.extensions import db
from posapp.models import CashSession, User
from posapp.services import cash_sessions, checkout
from tests.factories import make_product, make_user
from tests.web.helpers import login


def test_cashier_opens_moves_money_and_closes_blind(
    client: FlaskClient, admin: User, cashier: User
) -> None:
    product = make_product(db.session, admin.id, price="100.00")
    login(client, "cashier")
    page = client.get("/cash/")
    assert page.status_code == 200 and b"data-open-form" in page.data
    assert client.post("/cash/open", data={"opening_float": "200"}).status_code == 302
    sid = cash_sessions.open_session_id(db.session, cashier.id)
    assert sid is not None
    checkout.checkout(
        db.session,
        checkout.parse_checkout({"items": [{"product_id": product.id, "quantity": 1}]}),
        cashier,
    )
    response = client.post(
        f"/cash/{sid}/movement", data={"kind": "pay_out", "amount": "15", "reason": "Courier"}
    )
    assert response.status_code == 302
    page = client.get("/cash/")
    assert b"data-current-session" in page.data and b"Courier" in page.data
    assert b"285.00" not in page.data  # the expected figure stays hidden until the count
    response = client.post(f"/cash/{sid}/close", data={"counted": "280"})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/cash/{sid}/z")
    z = client.get(f"/cash/{sid}/z")
    assert z.status_code == 200
    text = z.get_data(as_text=True)
    assert "data-expected>₹285.00" in text and "data-over-short>-₹5.00" in text
    assert "Courier" in text
    assert "data-returns>₹0.00<" in text  # nothing returned: no "-₹0.00"
    assert "-₹15.00" in text  # the pay-out goes out of the drawer
    pdf = client.get(f"/cash/{sid}/z.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"


def test_errors_reshow_the_form(client: FlaskClient, cashier: User) -> None:
    login(client, "cashier")
    page = client.post("/cash/open", data={"opening_float": "lots"})
    assert page.status_code == 422 and b"data-form-error" in page.data and b"lots" in page.data
    client.post("/cash/open", data={"opening_float": "10"})
    again = client.post("/cash/open", data={"opening_float": "10"})
    assert again.status_code == 409
    sid = cash_sessions.open_session_id(db.session, cashier.id)
    page = client.post(f"/cash/{sid}/movement", data={"kind": "pay_in", "amount": "5"})
    assert page.status_code == 422 and b"Give a reason." in page.data
    page = client.post(f"/cash/{sid}/close", data={"counted": "-3", "note": "evening"})
    assert page.status_code == 422 and b"evening" in page.data
    # a Z-report of an open session would break the blind count
    assert client.get(f"/cash/{sid}/z").status_code == 409
    assert client.post("/cash/999/close", data={"counted": "1"}).status_code == 404


def test_cashiers_see_only_their_own_sessions_admins_all(
    client: FlaskClient, admin: User, cashier: User
) -> None:
    other = make_user(db.session, "other", "cashier")
    sid = cash_sessions.open_session(db.session, {"opening_float": "0"}, other).id
    cash_sessions.close_session(db.session, sid, {"counted": "0"}, other)
    login(client, "cashier")
    assert client.get(f"/cash/{sid}/z").status_code == 404
    assert b"data-session-list" not in client.get("/cash/").data
    client.post("/logout")
    login(client, "admin")
    listing = client.get("/cash/")
    assert b"data-session-list" in listing.data and b"other" in listing.data
    assert client.get(f"/cash/{sid}/z").status_code == 200
    assert db.session.get(CashSession, sid) is not None


def test_dashboard_shows_cash_in_open_drawers(
    client: FlaskClient, admin: User, cashier: User
) -> None:
    product = make_product(db.session, admin.id, price="100.00")
    cash_sessions.open_session(db.session, {"opening_float": "50"}, cashier)
    checkout.checkout(
        db.session,
        checkout.parse_checkout({"items": [{"product_id": product.id, "quantity": 2}]}),
        cashier,
    )
    login(client, "admin")
    page = client.get("/dashboard/").get_data(as_text=True)
    assert "data-cash-in-drawer>₹250.00" in page
    stats = client.get("/api/dashboard/stats").get_json()
    assert "cash_in_drawer" not in stats  # the API's shape is a contract: only additive ...
    assert stats["today"]["cash_in_drawer"] == "250.00"  # ... inside "today"
    # Closing the session empties the figure: only open drawers count.
    sid = cash_sessions.open_session_id(db.session, cashier.id)
    assert sid is not None
    cash_sessions.close_session(db.session, sid, {"counted": "250.00"}, cashier)
    assert client.get("/api/dashboard/stats").get_json()["today"]["cash_in_drawer"] == "0.00"


def test_admin_sets_the_required_rule_and_the_till_refuses_cash(
    client: FlaskClient, admin: User, cashier: User
) -> None:
    product = make_product(db.session, admin.id, price="100.00")
    login(client, "admin")
    assert client.post("/cash/required", data={"required": "1"}).status_code == 302
    client.post("/logout")
    login(client, "cashier")
    assert client.post("/cash/required", data={}).status_code == 403
    cart = {"items": [{"product_id": product.id, "quantity": 1}]}
    refused = client.post("/api/invoice/create", json=cart)
    assert refused.status_code == 409
    assert "Open the cash drawer session first" in refused.get_json()["error"]["message"]
