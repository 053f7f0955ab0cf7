"""Fixtures of the page tests: the login helper and clients logged in as admin or cashier."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from posapp.models import User
from tests.web.helpers import AuthActions


@pytest.fixture
def auth(client: FlaskClient) -> AuthActions:
    """Log the test's `client` in and out."""
    return AuthActions(client)


@pytest.fixture
def admin_client(client: FlaskClient, auth: AuthActions, admin: User) -> FlaskClient:
    """The test's `client`, logged in as the admin."""
    auth.login("admin")
    return client


@pytest.fixture
def cashier_client(
    client: FlaskClient, auth: AuthActions, admin: User, cashier: User
) -> FlaskClient:
    """The test's `client`, logged in as a cashier (the shop has its admin too)."""
    auth.login("cashier")
    return client
