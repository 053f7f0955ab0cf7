"""The "Change tax rates" page (posapp/web/products.py): choose, preview, confirm; admins only."""

from __future__ import annotations

import re

from flask.testing import FlaskClient
from sqlalchemy import func, select

from posapp.extensions import db
from posapp.models import AuditLog, Product
from tests.factories import make_product


def rates() -> dict[str, int]:
    db.session.expire_all()
    return {p.name: p.tax_rate_bp for p in db.session.scalars(select(Product))}


def audit_count(action: str = "product.rerate") -> int:
    stmt = select(func.count()).select_from(AuditLog).where(AuditLog.action == action)
    return db.session.scalar(stmt) or 0


def hidden(html: str, name: str) -> str:
    match = re.search(rf'<input type="hidden" name="{name}" value="([^"]*)">', html)
    assert match, name
    return match.group(1)


def confirm_form(html: str) -> dict[str, str]:
    """The confirm form's hidden fields, as the browser would post them."""
    form = html.split("data-rerate-confirm")[1].split("</form>")[0]
    return {name: hidden(form, name) for name in ("category", "current_rate", "new_rate", "token")}


def seed() -> None:
    make_product(db.session, name="Namkeen", category="Snacks", tax_rate="12")
    make_product(db.session, name="Biscuits", category="Snacks", tax_rate="18")
    make_product(db.session, name="Butter", category="Dairy", tax_rate="12")


def test_cashiers_cannot_reach_the_page(cashier_client: FlaskClient) -> None:
    seed()
    assert cashier_client.get("/products/rerate").status_code == 403
    data = {"category": "Snacks", "new_rate": "5"}
    assert cashier_client.post("/products/rerate", data=data).status_code == 403
    assert cashier_client.post("/products/rerate/apply", data=data).status_code == 403
    assert rates()["Namkeen"] == 1200


def test_anonymous_callers_are_sent_to_login(client: FlaskClient, admin) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/products/rerate")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_the_page_offers_categories_slabs_and_the_rates_in_use(admin_client: FlaskClient) -> None:
    seed()
    html = admin_client.get("/products/").get_data(as_text=True)
    assert 'href="/products/rerate"' in html
    html = admin_client.get("/products/rerate").get_data(as_text=True)
    assert '<option value="Snacks">Snacks</option>' in html
    presets = html.split('id="tax-presets"')[1].split("</datalist>")[0]
    assert re.findall(r'<option value="([\d.]+)">', presets) == ["0", "0.25", "3", "5", "18", "40"]
    table = html.split('id="rates-in-use-table"')[1].split("</table>")[0]
    assert "12%" in table and "not a current slab" in table and "18%" in table
    prefilled = admin_client.get("/products/rerate?rate=12").get_data(as_text=True)
    assert re.search(r'name="current_rate"\s+value="12"', prefilled)


def test_preview_then_confirm_changes_the_products(admin_client: FlaskClient) -> None:
    seed()
    response = admin_client.post("/products/rerate", data={"current_rate": "12", "new_rate": "5"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "2 products will change to 5%" in html
    changes = html.split('id="rerate-changes"')[1].split("</table>")[0]
    assert "Butter" in changes and "Namkeen" in changes and "Biscuits" not in changes
    assert "Bills on hold are re-priced at the new rate when recalled" in html
    assert rates()["Namkeen"] == 1200 and audit_count() == 0  # a preview writes nothing
    form = confirm_form(html)
    assert form["current_rate"] == "12" and form["new_rate"] == "5" and form["category"] == ""
    response = admin_client.post("/products/rerate/apply", data=form)
    assert response.status_code == 302
    assert response.headers["Location"] == "/products/"
    assert rates() == {"Namkeen": 500, "Biscuits": 1800, "Butter": 500}
    assert audit_count() == 1
    page = admin_client.get("/products/").get_data(as_text=True)
    assert "Changed the tax rate to 5 %. Products changed: 2." in page


def test_a_category_preview_goes_back_to_that_category(admin_client: FlaskClient) -> None:
    seed()
    html = admin_client.post(
        "/products/rerate", data={"category": "Snacks", "new_rate": "5"}
    ).get_data(as_text=True)
    assert "2 products will change to 5%" in html
    response = admin_client.post("/products/rerate/apply", data=confirm_form(html))
    assert response.headers["Location"] == "/products/?category=Snacks"
    assert rates() == {"Namkeen": 500, "Biscuits": 500, "Butter": 1200}


def test_bad_input_re_shows_the_form_with_its_errors(admin_client: FlaskClient) -> None:
    seed()
    response = admin_client.post("/products/rerate", data={"current_rate": "2,5", "new_rate": ""})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="f-current_rate-error"' in html and 'id="f-new_rate-error"' in html
    assert 'value="2,5"' in html  # what was typed comes back
    response = admin_client.post("/products/rerate", data={"new_rate": "5"})
    assert response.status_code == 422
    assert "Choose a category, a current rate or both." in response.get_data(as_text=True)
    response = admin_client.post("/products/rerate", data={"category": "Toys", "new_rate": "5"})
    assert response.status_code == 422
    assert "There is no category named" in response.get_data(as_text=True)
    no_token = {"category": "Snacks", "new_rate": "5"}
    response = admin_client.post("/products/rerate/apply", data=no_token)
    assert response.status_code == 422
    assert "Preview the change first" in response.get_data(as_text=True)
    assert rates()["Namkeen"] == 1200 and audit_count() == 0


def test_a_stale_preview_is_refused_and_the_fresh_one_shown(admin_client: FlaskClient) -> None:
    seed()
    html = admin_client.post(
        "/products/rerate", data={"category": "Dairy", "new_rate": "5"}
    ).get_data(as_text=True)
    form = confirm_form(html)
    make_product(db.session, name="Ghee", category="Dairy", tax_rate="12")
    response = admin_client.post("/products/rerate/apply", data=form)
    html = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "changed since the preview" in html
    assert "2 products will change to 5%" in html and "Ghee" in html
    assert rates()["Butter"] == 1200 and audit_count() == 0
    response = admin_client.post("/products/rerate/apply", data=confirm_form(html))
    assert response.status_code == 302
    assert rates()["Ghee"] == rates()["Butter"] == 500


def test_nothing_to_change_shows_no_confirm_button(admin_client: FlaskClient) -> None:
    seed()
    response = admin_client.post("/products/rerate", data={"current_rate": "18", "new_rate": "18"})
    assert response.status_code == 422  # the same rate is refused before any preview
    html = admin_client.post(
        "/products/rerate", data={"category": "Snacks", "current_rate": "18", "new_rate": "5"}
    ).get_data(as_text=True)
    assert "1 product will change" in html
    make_product(db.session, name="Rusk", category="Bakery", tax_rate="5")
    html = admin_client.post(
        "/products/rerate", data={"category": "Bakery", "new_rate": "5"}
    ).get_data(as_text=True)
    assert "No product would change" in html and "data-rerate-confirm" not in html
    assert "1 selected product already at 5% stays as it is" in html
