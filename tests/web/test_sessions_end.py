"""Sessions that end for good: logout, password change, admin reset and deactivation end
every session (a copied cookie included) and change/reset every API token of the user."""

from __future__ import annotations

from typing import Any

from flask import Flask, g
from flask.testing import FlaskClient
from sqlalchemy import select

from posapp.extensions import db
from posapp.models import ApiToken, User
from posapp.services import users
from tests.factories import PASSWORD, make_user

NEW_PASSWORD = "brand-new-pass-9"


def call(client: FlaskClient, method: str, url: str, **kwargs: Any) -> Any:
    """One request decided by this client's own cookie only."""
    # The fixture's app context (and its `g`) spans every request of the test, and Flask-Login
    # caches the user there: forget it so the cookie decides who is logged in.
    g.pop("_login_user", None)
    return client.open(url, method=method, **kwargs)


def logged_in(app: Flask, username: str, password: str = PASSWORD) -> FlaskClient:
    client = app.test_client()
    response = call(client, "POST", "/login", data={"username": username, "password": password})
    assert response.status_code == 302, response.get_data(as_text=True)
    return client


def is_logged_in(client: FlaskClient) -> bool:
    response = call(client, "GET", "/account")
    if response.status_code == 302:
        assert response.headers["Location"].startswith("/login")
        return False
    assert response.status_code == 200
    return True


def copy_of(app: Flask, client: FlaskClient) -> FlaskClient:
    """Another browser holding a copy of the client's session cookie."""
    cookie = client.get_cookie("session")
    assert cookie is not None
    thief = app.test_client()
    thief.set_cookie("session", cookie.value)
    return thief


def api_token(app: Flask, username: str, password: str = PASSWORD) -> dict[str, str]:
    response = app.test_client().post(
        "/api/auth/login", json={"username": username, "password": password}
    )
    assert response.status_code == 200, response.get_json()
    return {"Authorization": f"Bearer {response.get_json()['token']}"}


def token_works(app: Flask, headers: dict[str, str]) -> bool:
    status = app.test_client().get("/api/products", headers=headers).status_code
    assert status in (200, 401)
    return status == 200


def test_a_cookie_copied_before_logout_gets_the_login_page_after(app: Flask) -> None:
    make_user(db.session, "owner", "admin")
    browser = logged_in(app, "owner")
    copied = copy_of(app, browser)
    assert is_logged_in(copied)
    assert call(browser, "POST", "/logout").status_code == 302
    assert not is_logged_in(browser)
    assert not is_logged_in(copied)  # the copy died with the logout
    # A later login works, and the old copy stays dead.
    again = logged_in(app, "owner")
    assert is_logged_in(again)
    assert not is_logged_in(copied)


def test_logout_ends_the_users_other_sessions_too(app: Flask) -> None:
    make_user(db.session, "till1", "cashier")
    first, second = logged_in(app, "till1"), logged_in(app, "till1")
    call(first, "POST", "/logout")
    assert not is_logged_in(second)


def test_a_password_change_ends_other_sessions_and_tokens_but_not_the_changers(
    app: Flask,
) -> None:
    make_user(db.session, "owner", "admin")
    make_user(db.session, "other", "admin")
    mine, elsewhere = logged_in(app, "owner"), logged_in(app, "owner")
    copied = copy_of(app, mine)
    bystander = logged_in(app, "other")
    token, named = api_token(app, "owner"), api_token(app, "owner")
    others_token = api_token(app, "other")
    response = call(
        mine,
        "POST",
        "/account/password",
        data={"old_password": PASSWORD, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
    )
    assert response.status_code == 302
    assert is_logged_in(mine)  # re-issued: the changer stays logged in
    assert not is_logged_in(elsewhere)
    assert not is_logged_in(copied)
    assert not token_works(app, token) and not token_works(app, named)
    # Nobody else is touched.
    assert is_logged_in(bystander)
    assert token_works(app, others_token)
    # The new password logs in and gets working tokens.
    assert token_works(app, api_token(app, "owner", NEW_PASSWORD))


def test_an_admin_reset_ends_the_users_sessions_and_tokens(app: Flask) -> None:
    make_user(db.session, "owner", "admin")
    till = make_user(db.session, "till1", "cashier")
    admin_browser = logged_in(app, "owner")
    cashier_browser = logged_in(app, "till1")
    token = api_token(app, "till1")
    response = call(
        admin_browser,
        "POST",
        f"/users/{till.id}/password",
        data={"password": "temp-pass-1", "confirm": "temp-pass-1"},
    )
    assert response.status_code == 302
    assert not is_logged_in(cashier_browser)
    assert not token_works(app, token)
    assert is_logged_in(admin_browser)
    stored = db.session.scalars(select(ApiToken).where(ApiToken.user_id == till.id)).all()
    assert stored and all(row.revoked for row in stored)


def test_deactivation_ends_the_users_sessions(app: Flask) -> None:
    owner = make_user(db.session, "owner", "admin")
    till = make_user(db.session, "till1", "cashier")
    cashier_browser = logged_in(app, "till1")
    users.set_active(db.session, till.id, False, owner.id)
    users.set_active(db.session, till.id, True, owner.id)
    # Reactivated, yet the session from before stays ended: log in again.
    assert not is_logged_in(cashier_browser)
    assert is_logged_in(logged_in(app, "till1"))


def test_a_session_from_before_the_session_version_existed_must_log_in_again(
    app: Flask, client: FlaskClient
) -> None:
    user = make_user(db.session, "owner", "admin")
    with client.session_transaction() as sess:
        sess["_user_id"] = str(user.id)
        sess["_fresh"] = True
    assert not is_logged_in(client)


def test_a_named_token_expires_after_the_chosen_days_or_never(app: Flask) -> None:
    make_user(db.session, "owner", "admin")
    browser = logged_in(app, "owner")
    for days, name in ((30, "a month"), (365, "a year"), (0, "forever")):
        response = call(browser, "POST", "/account/tokens", data={"name": name, "expires": days})
        assert response.status_code == 201
    rows = {row.name: row for row in db.session.scalars(select(ApiToken))}
    month, year, forever = rows["a month"], rows["a year"], rows["forever"]
    assert forever.expires_at is None
    assert month.expires_at is not None and year.expires_at is not None
    assert (year.expires_at - month.expires_at).days == 335
    assert not month.sliding
    page = call(browser, "GET", "/account").get_data(as_text=True)
    assert "data-expires" in page and 'name="expires"' in page
    refused = call(browser, "POST", "/account/tokens", data={"name": "odd", "expires": "7"})
    assert refused.status_code == 422
    assert "30, 90 or 365 days, or never" in refused.get_data(as_text=True)
    assert db.session.scalar(select(ApiToken).where(ApiToken.name == "odd")) is None


def test_the_login_token_lifetime_is_set_on_the_users_page(app: Flask) -> None:
    make_user(db.session, "owner", "admin")
    browser = logged_in(app, "owner")
    assert 'name="token_days"' in call(browser, "GET", "/users/").get_data(as_text=True)
    assert call(browser, "POST", "/users/token-days", data={"token_days": "0"}).status_code == 422
    assert call(browser, "POST", "/users/token-days", data={"token_days": "x"}).status_code == 422
    assert call(browser, "POST", "/users/token-days", data={"token_days": "7"}).status_code == 302
    assert users.api_token_days(db.session) == 7


def test_a_session_survives_for_a_user_row_reloaded_elsewhere(app: Flask) -> None:
    # Reading the user elsewhere (e.g. the users page) changes nothing: only a bump ends it.
    make_user(db.session, "owner", "admin")
    browser = logged_in(app, "owner")
    assert db.session.scalar(select(User).where(User.username == "owner")) is not None
    assert is_logged_in(browser)
