"""The managed category list: counts, add, rename (unique in any case), delete only when unused."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from posapp.errors import Conflict, NotFound, ValidationError
from posapp.extensions import db
from posapp.models import AuditLog, Category
from posapp.services import catalog, categories
from tests.factories import make_product


def test_counts_active_and_archived_products(app) -> None:  # type: ignore[no-untyped-def]
    make_product(db.session, category="Dairy")
    old = make_product(db.session, category="dairy")  # same category, any case
    catalog.archive_product(db.session, old.id, None)
    categories.create_category(db.session, {"name": "Bakery"}, None)
    rows = categories.list_categories(db.session)
    assert [(r.name, r.active, r.archived, r.used) for r in rows] == [
        ("Bakery", 0, 0, False),
        ("Dairy", 1, 1, True),
    ]


def test_add_checks_the_name(app) -> None:  # type: ignore[no-untyped-def]
    categories.create_category(db.session, {"name": "  Snacks   and  Sweets "}, None)
    assert db.session.scalar(select(Category.name)) == "Snacks and Sweets"
    with pytest.raises(Conflict, match="already a category named 'Snacks and Sweets'"):
        categories.create_category(db.session, {"name": "SNACKS AND SWEETS"}, None)
    with pytest.raises(ValidationError, match="Enter a category name"):
        categories.create_category(db.session, {"name": "   "}, None)
    with pytest.raises(ValidationError, match="At most 80"):
        categories.create_category(db.session, {"name": "x" * 81}, None)
    assert db.session.scalar(select(func.count()).select_from(Category)) == 1


def test_rename_moves_products_and_refuses_a_taken_name(app) -> None:  # type: ignore[no-untyped-def]
    product = make_product(db.session, category="Drinks")
    other = categories.create_category(db.session, {"name": "Snacks"}, None)
    drinks = db.session.scalar(select(Category).where(Category.name == "Drinks"))
    categories.rename_category(db.session, drinks.id, {"name": "Beverages"}, None)
    db.session.refresh(product)
    assert product.category_name == "Beverages"
    categories.rename_category(db.session, drinks.id, {"name": "BEVERAGES"}, None)  # own name
    assert drinks.name == "BEVERAGES"
    with pytest.raises(Conflict, match="already a category named 'Snacks'"):
        categories.rename_category(db.session, drinks.id, {"name": "snacks"}, None)
    with pytest.raises(NotFound):
        categories.rename_category(db.session, 999, {"name": "X"}, None)
    assert other.name == "Snacks"
    actions = list(db.session.scalars(select(AuditLog.action).where(AuditLog.entity == "category")))
    assert actions.count("category.rename") == 2


def test_delete_only_when_unused(app) -> None:  # type: ignore[no-untyped-def]
    product = make_product(db.session, category="Toys")
    catalog.archive_product(db.session, product.id, None)
    toys = db.session.scalar(select(Category).where(Category.name == "Toys"))
    with pytest.raises(Conflict, match="Toys still has 1 product"):
        categories.delete_category(db.session, toys.id, None)
    catalog.update_product(db.session, product.id, {"category": ""}, None)
    assert categories.delete_category(db.session, toys.id, None) == "Toys"
    assert db.session.get(Category, toys.id) is None
    with pytest.raises(NotFound):
        categories.delete_category(db.session, toys.id, None)
