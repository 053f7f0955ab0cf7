"""The profile page's named API tokens: shown once, stored hashed, last use, revoke, role."""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from posapp.extensions import db
from posapp.models import ApiToken, AuditLog
from posapp.models.base import utcnow
from posapp.services import users
from tests.factories import make_user
from tests.web.helpers import login


def _create(client: FlaskClient, name: str) -> str:
    response = client.post("/account/tokens", data={"name": name})
    assert response.status_code == 201, response.get_data(as_text=True)
    match = re.search(
        r'data-token-value value="([^"]+)"|value="([^"]+)"[^>]*data-token-value',
        response.get_data(as_text=True),
    )
    assert match
    return match.group(1) or match.group(2)


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_a_token_is_shown_once_and_stored_only_as_its_hash(app: Flask, client: FlaskClient) -> None:
    make_user(db.session, "owner", "admin")
    login(client, "owner")
    token = _create(client, "Accountant export")
    row = db.session.scalar(select(ApiToken).where(ApiToken.name == "Accountant export"))
    assert row is not None and not row.revoked
    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in row.token_hash
    page = client.get("/account").get_data(as_text=True)
    assert "Accountant export" in page
    assert token not in page  # never again
    assert "data-new-token" not in page
    assert db.session.scalar(select(AuditLog).where(AuditLog.action == "token.create"))


def test_the_token_acts_with_its_users_role(app: Flask, client: FlaskClient) -> None:
    make_user(db.session, "owner", "admin")
    make_user(db.session, "till1", "cashier")
    login(client, "till1")
    cashier_token = _create(client, "till script")
    api = app.test_client()  # no cookie: only the bearer token speaks
    assert api.get("/api/products", headers=_bearer(cashier_token)).status_code == 200
    refused = api.post(
        "/api/products", json={"name": "X", "price": "1.00"}, headers=_bearer(cashier_token)
    )
    assert refused.status_code == 403
    assert refused.get_json()["error"]["code"] == "forbidden"

    owner = app.test_client()
    login(owner, "owner")
    admin_token = _create(owner, "stock sync")
    created = api.post(
        "/api/products", json={"name": "Tea", "price": "10.00"}, headers=_bearer(admin_token)
    )
    assert created.status_code == 201, created.get_json()


def test_last_use_is_recorded_and_shown(app: Flask, client: FlaskClient) -> None:
    make_user(db.session, "owner", "admin")
    login(client, "owner")
    token = _create(client, "nightly")
    assert "data-last-used>never<" in client.get("/account").get_data(as_text=True)
    before = utcnow()
    assert app.test_client().get("/api/products", headers=_bearer(token)).status_code == 200
    db.session.expire_all()
    row = db.session.scalar(select(ApiToken).where(ApiToken.name == "nightly"))
    assert row is not None and row.last_used_at is not None
    assert row.last_used_at >= before - timedelta(seconds=1)
    assert "data-last-used>never<" not in client.get("/account").get_data(as_text=True)


def test_revoking_stops_the_token_at_once(app: Flask, client: FlaskClient) -> None:
    make_user(db.session, "owner", "admin")
    login(client, "owner")
    token = _create(client, "old laptop")
    api = app.test_client()
    assert api.get("/api/products", headers=_bearer(token)).status_code == 200
    row = db.session.scalar(select(ApiToken).where(ApiToken.name == "old laptop"))
    assert row is not None
    response = client.post(f"/account/tokens/{row.id}/revoke")
    assert response.status_code == 302 and response.headers["Location"].endswith("/account")
    refused = api.get("/api/products", headers=_bearer(token))
    assert refused.status_code == 401
    assert refused.get_json()["error"]["code"] == "invalid_token"
    page = client.get("/account").get_data(as_text=True)
    assert "was revoked" in page and "data-no-tokens" in page and "<td>old laptop" not in page
    assert db.session.scalar(select(AuditLog).where(AuditLog.action == "token.revoke"))


def test_nobody_revokes_someone_elses_token(app: Flask, client: FlaskClient) -> None:
    make_user(db.session, "owner", "admin")
    make_user(db.session, "till1", "cashier")
    login(client, "owner")
    token = _create(client, "owner's")
    row_id = db.session.scalar(select(ApiToken.id).where(ApiToken.name == "owner's"))
    other = app.test_client()
    login(other, "till1")
    assert other.post(f"/account/tokens/{row_id}/revoke").status_code == 404
    assert app.test_client().get("/api/products", headers=_bearer(token)).status_code == 200


def test_names_are_required_short_and_unique_among_live_tokens(
    app: Flask, client: FlaskClient
) -> None:
    make_user(db.session, "owner", "admin")
    login(client, "owner")
    empty = client.post("/account/tokens", data={"name": "   "})
    assert empty.status_code == 422
    assert "Give the token a name" in empty.get_data(as_text=True)
    long = client.post("/account/tokens", data={"name": "x" * 81})
    assert long.status_code == 422
    assert "at most 80 characters" in long.get_data(as_text=True)
    _create(client, "sync")
    again = client.post("/account/tokens", data={"name": "SYNC"})
    assert again.status_code == 409
    assert "already have a live token" in again.get_data(as_text=True)
    assert db.session.scalar(select(ApiToken.id).where(ApiToken.name == "SYNC")) is None
    row_id = db.session.scalar(select(ApiToken.id).where(ApiToken.name == "sync"))
    client.post(f"/account/tokens/{row_id}/revoke")
    _create(client, "sync")  # a revoked name is free again


def test_a_deactivated_users_tokens_stop(app: Flask, client: FlaskClient) -> None:
    owner = make_user(db.session, "owner", "admin")
    till = make_user(db.session, "till1", "cashier")
    login(client, "till1")
    token = _create(client, "till")
    users.set_active(db.session, till.id, False, owner.id)
    assert app.test_client().get("/api/products", headers=_bearer(token)).status_code == 401


def test_the_user_menu_links_the_account_page(app: Flask, client: FlaskClient) -> None:
    make_user(db.session, "till1", "cashier")
    login(client, "till1")
    page = client.get("/pos/").get_data(as_text=True)
    assert 'href="/account"' in page
    assert 'href="/api/v1/docs"' in page
