"""Factories that build test data through the real services (so every rule applies)."""

from __future__ import annotations

import itertools
from typing import Any

from sqlalchemy.orm import Session

from posapp.models import Customer, Product, User
from posapp.services import catalog, customers, users

PASSWORD = "correct-horse-9"
_names = itertools.count(1)
_phones = itertools.count(1)


def make_user(
    session: Session, username: str = "admin", role: str = "admin", password: str = PASSWORD
) -> User:
    """Create a user with a known password."""
    return users.create_user(session, username, password, role)


def make_product(session: Session, user_id: int | None = None, **fields: Any) -> Product:
    """Create a product; price 10.00, 0 % tax, 100 pcs in stock unless told otherwise."""
    data: dict[str, Any] = {
        "name": f"Product {next(_names)}",
        "price": "10.00",
        "tax_rate": "0",
        "unit": "pcs",
        "opening_stock": "100",
    }
    data.update({k: v for k, v in fields.items()})
    return catalog.create_product(session, data, user_id)


def next_phone() -> str:
    """Return a fresh valid Indian mobile number as a shop would type it."""
    return f"98{next(_phones):08d}"


def make_customer(session: Session, user: User, **fields: Any) -> Customer:
    """Create a customer with a fresh phone number and no credit unless told otherwise."""
    data: dict[str, Any] = {"name": f"Customer {next(_names)}", "phone": next_phone()}
    # "0": the tests of other rules want no credit; the shop's default is tested on its own.
    data.setdefault("credit_limit", "0")
    data.update(fields)
    return customers.create_customer(session, data, user)
