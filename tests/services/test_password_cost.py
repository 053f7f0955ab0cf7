"""Passwords and PINs are hashed at the shipped scrypt cost.

The rest of the suite hashes at a cheap cost (tests/conftest.py); these tests put the shipped
method back and check what a shop's database really stores.
"""

from __future__ import annotations

import pytest
from flask import Flask

from posapp.errors import AuthError
from posapp.extensions import db
from posapp.services import users
from tests.conftest import SHIPPED_DUMMY_HASH, SHIPPED_HASH_METHOD
from tests.factories import PASSWORD, make_user

pytestmark = pytest.mark.one_backend("the cost of a password hash")

# werkzeug's scrypt: N = 2**15, r = 8, p = 1 (~0.1 s and 32 MiB a hash).
SHIPPED_PREFIX = "scrypt:32768:8:1$"


@pytest.fixture
def shipped_cost(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(users, "HASH_METHOD", SHIPPED_HASH_METHOD)
    monkeypatch.setattr(users, "_DUMMY_HASH", SHIPPED_DUMMY_HASH)


def test_a_password_is_stored_at_the_shipped_cost_and_checked(
    app: Flask, shipped_cost: None
) -> None:
    user = make_user(db.session, "owner", "admin")
    assert user.password_hash.startswith(SHIPPED_PREFIX)
    assert users.authenticate(db.session, "owner", PASSWORD).id == user.id
    with pytest.raises(AuthError):
        users.authenticate(db.session, "owner", "not-the-password")


def test_an_unknown_username_costs_a_check_at_the_same_cost() -> None:
    # A wrong username is checked against this hash so it takes as long as a wrong password.
    assert SHIPPED_DUMMY_HASH.startswith(SHIPPED_PREFIX)
