"""The JSON API of docs/API.md; each resource module registers its routes on `bp`."""

from posapp.api import (
    auth,
    books,
    books_export,
    customers,
    dashboard,
    docs,
    inventory,
    invoices,
    orders,
    payments,
    products,
    settings,
    suppliers,
)
from posapp.api.base import bp

__all__ = [
    "auth",
    "books",
    "books_export",
    "bp",
    "customers",
    "dashboard",
    "docs",
    "inventory",
    "invoices",
    "orders",
    "payments",
    "products",
    "settings",
    "suppliers",
]
