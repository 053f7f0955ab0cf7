"""Every route refuses anonymous callers, and admin areas refuse cashiers (DESIGN §8)."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.factories import PASSWORD, make_user

# Reachable without logging in: the first-run page, the login page, health, static files.
OPEN_ENDPOINTS = {"static", "auth.setup", "auth.login", "api.health", "api.login"}
# Pages a cashier may use; every other web page is the admin's.
CASHIER_ENDPOINTS = {"auth.home", "auth.logout", "pos.index", "pos.price", "pos.receipt"}
CASHIER_ENDPOINTS |= {"pos.hold", "pos.held", "pos.recall"}  # held bills at the till
CASHIER_ENDPOINTS |= {"products.qr"}  # the till shows product QR codes
# Cashiers serve customers: find and add them, take payments, print statements and receipts.
CASHIER_ENDPOINTS |= {
    "customers.index",
    "customers.dues",
    "customers.new",
    "customers.edit",
    "customers.archive",
    "customers.restore",
    "customers.detail",
    "customers.record_payment",
    "customers.payment_receipt",
    "customers.payment_pdf",
    "customers.statement",
}

# Cashiers find, open, reprint and take returns against their own invoices (never void).
CASHIER_ENDPOINTS |= {"invoices.index", "invoices.detail", "invoices.pdf", "invoices.take_return"}


def _routes(app: Flask) -> list[tuple[str, str, str]]:
    """Return (endpoint, method, url) for every route, with dummy ids filled in."""
    routes = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint in OPEN_ENDPOINTS:
            continue
        url = re.sub(r"<(?:[^:>]+:)?[^>]+>", "1", rule.rule)
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            routes.append((rule.endpoint, method, url))
    return routes


def test_the_route_list_is_not_empty(app: Flask) -> None:
    endpoints = {endpoint for endpoint, _, _ in _routes(app)}
    assert {"pos.index", "products.index", "api.create_invoice"} <= endpoints


def test_anonymous_callers_are_sent_to_login_or_get_401(app: Flask, client: FlaskClient) -> None:
    make_user(app.extensions["sqlalchemy"].session, "owner", "admin")
    for endpoint, method, url in _routes(app):
        response = client.open(url, method=method, json={})
        if url.startswith("/api/"):
            assert response.status_code == 401, (endpoint, method, response.status_code)
            assert response.get_json()["error"]["code"] == "unauthorized"
        else:
            assert response.status_code == 302, (endpoint, method, response.status_code)
            assert "/login" in response.headers["Location"], (endpoint, method)


@pytest.mark.parametrize("role", ["cashier"])
def test_cashiers_get_403_outside_the_till(app: Flask, client: FlaskClient, role: str) -> None:
    session = app.extensions["sqlalchemy"].session
    make_user(session, "owner", "admin")
    make_user(session, "cash1", role)
    response = client.post("/login", data={"username": "cash1", "password": PASSWORD})
    assert response.status_code == 302
    checked = 0
    for endpoint, method, url in _routes(app):
        if url.startswith("/api/") or endpoint in CASHIER_ENDPOINTS:
            continue
        response = client.open(url, method=method, data={})
        assert response.status_code == 403, (endpoint, method, response.status_code)
        checked += 1
    assert checked > 0
