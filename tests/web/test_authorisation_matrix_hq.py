"""The authorisation matrix of HQ mode: every route HQ adds, anonymously, as a cashier and as
an admin (the shop's own routes are tests/web/test_authorisation_matrix.py's).

HQ's pages are the owner's: ADMIN. HQ's API is for shops, authenticated by the credential a
shop got at enrolment, never by a user's login or token: SHOP (only enrolment is OPEN — the
one-time code is its proof). A route HQ mode adds that is missing from the table fails.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask

from posapp.extensions import db
from posapp.services import hq
from tests.conftest import build_app
from tests.factories import make_user
from tests.web.helpers import login

OPEN, SHOP, ADMIN = "open", "shop", "admin"

POLICY: dict[tuple[str, str], str] = {
    ("hq_shops.index", "GET"): ADMIN,
    ("hq_shops.new", "GET"): ADMIN,
    ("hq_shops.create", "POST"): ADMIN,
    ("hq_shops.renew", "POST"): ADMIN,
    ("hq_shops.settings", "GET"): ADMIN,
    ("hq_shops.send_settings", "POST"): ADMIN,
    ("hq_catalog.index", "GET"): ADMIN,
    ("hq_catalog.send", "POST"): ADMIN,
    ("hq_transfers.transfers", "GET"): ADMIN,
    ("hq_transfers.create_transfer", "POST"): ADMIN,
    ("hq_reports.dashboard", "GET"): ADMIN,
    ("hq_reports.sales", "GET"): ADMIN,
    ("hq_reports.tax", "GET"): ADMIN,
    ("hq_reports.khata", "GET"): ADMIN,
    ("hq_reports.sharing", "POST"): ADMIN,
    ("hq_reports.stock", "GET"): ADMIN,
    ("hq_reports.books", "GET"): ADMIN,
    ("hq_reports.audit", "GET"): ADMIN,
    ("hq_reports.shop_users", "GET"): ADMIN,
    ("hq_api.enrol", "POST"): OPEN,
    ("hq_api.push", "POST"): SHOP,
    ("hq_api.status", "GET"): SHOP,
    ("hq_api.pull", "GET"): SHOP,
    ("hq_customers_api.due", "GET"): SHOP,
}


@pytest.fixture
def hq_app(data_dir: Path) -> Iterator[Flask]:
    application = build_app(data_dir, WTF_CSRF_ENABLED=False, HQ_MODE=True)
    with application.app_context():
        yield application
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def shop_id(hq_app: Flask) -> str:
    """The owner, a cashier, and one shop (its id fills the routes' <shop_id>)."""
    make_user(db.session, "owner", "admin")
    make_user(db.session, "cash1", "cashier")
    return hq.create_shop(db.session, "Andheri", None).shop.id


def _hq_routes(app: Flask, shop_id: str) -> Iterator[tuple[str, str, str]]:
    """(endpoint, method, url) of every route HQ mode adds (HQ's blueprints)."""
    for rule in app.url_map.iter_rules():
        if not (rule.endpoint or "").startswith("hq_") or rule.endpoint.startswith("hq_link"):
            continue
        if rule.endpoint.startswith("hq_due"):
            continue  # the shop's own page (asks its HQ): in the shop's matrix
        url = re.sub(r"<(?:[^:>]+:)?shop_id>", shop_id, rule.rule)
        url = re.sub(r"<(?:[^:>]+:)?[^>]+>", "1", url)
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            yield rule.endpoint, method, url


def test_every_hq_route_is_in_the_policy_table(hq_app: Flask, shop_id: str) -> None:
    routes = {(endpoint, method) for endpoint, method, _url in _hq_routes(hq_app, shop_id)}
    assert routes, "HQ mode registered no HQ route"
    assert not sorted(routes - POLICY.keys()), "new HQ routes need a line in POLICY"
    assert not sorted(POLICY.keys() - routes), "POLICY names HQ routes that no longer exist"


def test_anonymous_callers_get_the_login_page_or_the_envelope(hq_app: Flask, shop_id: str) -> None:
    client = hq_app.test_client()
    for endpoint, method, url in _hq_routes(hq_app, shop_id):
        response = client.open(url, method=method, json={}, buffered=True)
        policy = POLICY[(endpoint, method)]
        if policy == OPEN:
            assert response.status_code == 422, (endpoint, response.status_code)  # {} is no code
        elif policy == SHOP:
            assert response.status_code == 401, (endpoint, response.status_code)
            assert response.get_json()["error"]["code"] == "hq_credential_invalid"
        else:
            assert response.status_code == 302, (endpoint, response.status_code)
            assert "/login" in response.headers["Location"]


@pytest.mark.parametrize("username,role", [("cash1", "cashier"), ("owner", "admin")])
def test_users_get_hq_pages_by_role_and_never_the_shops_api(
    hq_app: Flask, shop_id: str, username: str, role: str
) -> None:
    client = hq_app.test_client()
    login(client, username)
    for endpoint, method, url in _hq_routes(hq_app, shop_id):
        policy = POLICY[(endpoint, method)]
        response = client.open(
            url, method=method, json={} if policy != ADMIN else None, buffered=True
        )
        status = response.status_code
        assert status < 500, (endpoint, method, status)
        if policy == SHOP:
            # A logged-in user's cookie is no shop credential.
            assert status == 401, (endpoint, method, status)
        elif policy == ADMIN and role == "cashier":
            assert status == 403, (endpoint, method, status)
        elif policy == ADMIN:
            assert status not in (401, 403), (endpoint, method, status)
            assert "/login" not in response.headers.get("Location", ""), (endpoint, method)
