"""Pages of posapp/web/categories.py: list with counts, add, rename, delete."""

from __future__ import annotations

from flask.testing import FlaskClient
from sqlalchemy import select

from posapp.extensions import db
from posapp.models import Category
from tests.factories import make_product


def category(name: str) -> Category:
    found = db.session.scalar(select(Category).where(Category.name == name))
    assert found is not None
    return found


def test_list_add_rename_delete(admin_client: FlaskClient) -> None:
    make_product(db.session, category="Dairy")
    page = admin_client.get("/products/categories/").get_data(as_text=True)
    assert "Dairy" in page and "In use" in page
    assert "/products/categories/" in admin_client.get("/products/").get_data(as_text=True)

    response = admin_client.post("/products/categories/", data={"name": "Bakery"})
    assert response.status_code == 302
    bakery = category("Bakery")
    assert "Added the category Bakery" in admin_client.get("/products/categories/").get_data(
        as_text=True
    )
    response = admin_client.post(
        f"/products/categories/{bakery.id}/rename", data={"name": "Bread & Cakes"}
    )
    assert response.status_code == 302
    assert category("Bread & Cakes").id == bakery.id
    response = admin_client.post(f"/products/categories/{bakery.id}/delete")
    assert response.status_code == 302
    assert db.session.get(Category, bakery.id) is None


def test_bad_input_reshows_the_page(admin_client: FlaskClient) -> None:
    make_product(db.session, category="Dairy")
    dairy = category("Dairy")
    response = admin_client.post("/products/categories/", data={"name": "DAIRY"})
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert "already a category named" in html and 'value="DAIRY"' in html
    response = admin_client.post("/products/categories/", data={"name": ""})
    assert response.status_code == 422
    assert "Enter a category name" in response.get_data(as_text=True)

    snacks = admin_client.post("/products/categories/", data={"name": "Snacks"})
    assert snacks.status_code == 302
    response = admin_client.post(
        f"/products/categories/{category('Snacks').id}/rename", data={"name": "dairy"}
    )
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert "is-invalid" in html and 'value="dairy"' in html
    assert category("Snacks")

    response = admin_client.post(f"/products/categories/{dairy.id}/delete")
    assert response.status_code == 409
    assert "Dairy still has 1 product" in response.get_data(as_text=True)
    assert db.session.get(Category, dairy.id) is not None
    assert admin_client.post("/products/categories/999/delete").status_code == 404
    assert (
        admin_client.post("/products/categories/999/rename", data={"name": "x"}).status_code == 404
    )


def test_the_product_form_still_creates_categories(admin_client: FlaskClient) -> None:
    response = admin_client.post(
        "/products/new", data={"name": "Rusk", "price": "30", "category": "Tea Time"}
    )
    assert response.status_code == 302
    assert category("Tea Time")
