"""Two-step login: enrolment with a QR shown once, codes at login (web and API), recovery
codes that work once, replayed codes refused, and the shop setting that requires it."""

from __future__ import annotations

import re
from datetime import UTC
from typing import Any

import pyotp
from flask import Flask, g
from flask.testing import FlaskClient

from posapp.extensions import db
from posapp.models import User
from posapp.models.base import utcnow
from posapp.services import two_step
from tests.factories import PASSWORD, make_user


def call(client: FlaskClient, method: str, url: str, **kwargs: Any) -> Any:
    g.pop("_login_user", None)  # let this client's cookie alone decide who is logged in
    return client.open(url, method=method, **kwargs)


def password_step(client: FlaskClient, username: str) -> Any:
    return call(client, "POST", "/login", data={"username": username, "password": PASSWORD})


def code_now(secret: str, steps_ahead: int = 0) -> str:
    totp = pyotp.TOTP(secret)
    return totp.generate_otp(totp.timecode(utcnow().replace(tzinfo=UTC)) + steps_ahead)


def enrol(app: Flask, username: str) -> tuple[str, list[str]]:
    """Enrol through the pages; return the secret and the recovery codes."""
    client = app.test_client()
    assert password_step(client, username).status_code == 302
    page = call(client, "POST", "/account/two-step/start").get_data(as_text=True)
    assert "<svg" in page and "data-two-step-qr" in page
    secret = re.search(r"data-two-step-secret>([A-Z2-7]+)<", page).group(1)  # type: ignore[union-attr]
    done = call(client, "POST", "/account/two-step/confirm", data={"code": code_now(secret)})
    assert done.status_code == 200
    html = done.get_data(as_text=True)
    codes = re.findall(r"<li>([A-Z2-9]{5}-[A-Z2-9]{5})</li>", html)
    assert len(codes) == 10
    assert secret not in html  # the QR and the key are shown only during the set-up
    return secret, codes


def is_logged_in(client: FlaskClient) -> bool:
    return call(client, "GET", "/account").status_code == 200


def test_enrolment_needs_a_matching_code_and_keeps_only_hashes(app: Flask) -> None:
    make_user(db.session, "owner", "admin")
    client = app.test_client()
    password_step(client, "owner")
    page = call(client, "POST", "/account/two-step/start").get_data(as_text=True)
    wrong = call(client, "POST", "/account/two-step/confirm", data={"code": "000000"})
    assert wrong.status_code == 422
    assert "does not match" in wrong.get_data(as_text=True)
    user = db.session.scalar(db.select(User).where(User.username == "owner"))
    db.session.refresh(user)
    assert user is not None and not user.totp_enabled
    secret = re.search(r"data-two-step-secret>([A-Z2-7]+)<", page).group(1)  # type: ignore[union-attr]
    html = call(
        client, "POST", "/account/two-step/confirm", data={"code": code_now(secret)}
    ).get_data(as_text=True)
    codes = re.findall(r"<li>([A-Z2-9]{5}-[A-Z2-9]{5})</li>", html)
    db.session.refresh(user)
    assert user.totp_enabled and user.recovery_codes
    assert not any(code.replace("-", "") in user.recovery_codes for code in codes)


def test_login_asks_for_the_code_after_the_password(app: Flask) -> None:
    make_user(db.session, "owner", "admin")
    secret, _codes = enrol(app, "owner")
    client = app.test_client()
    first = password_step(client, "owner")
    assert first.status_code == 302 and first.headers["Location"].startswith("/login/code")
    assert not is_logged_in(client)  # the password alone does not log in
    wrong = call(client, "POST", "/login/code", data={"code": "000000"})
    assert wrong.status_code == 401
    assert not is_logged_in(client)
    ok = call(client, "POST", "/login/code", data={"code": code_now(secret, 1)})
    assert ok.status_code == 302
    assert is_logged_in(client)


def test_a_code_works_once_and_a_recovery_code_once(app: Flask) -> None:
    make_user(db.session, "owner", "admin")
    secret, codes = enrol(app, "owner")
    used = code_now(secret, 1)
    first = app.test_client()
    password_step(first, "owner")
    assert call(first, "POST", "/login/code", data={"code": used}).status_code == 302
    replay = app.test_client()
    password_step(replay, "owner")
    assert call(replay, "POST", "/login/code", data={"code": used}).status_code == 401
    # The phone is lost: a recovery code (typed in lower case, without the dash) works once.
    spare = codes[3].replace("-", "").lower()
    assert call(replay, "POST", "/login/code", data={"code": spare}).status_code == 302
    again = app.test_client()
    password_step(again, "owner")
    assert call(again, "POST", "/login/code", data={"code": spare}).status_code == 401


def test_the_api_login_needs_the_code_too(app: Flask) -> None:
    make_user(db.session, "owner", "admin")
    secret, _codes = enrol(app, "owner")
    api = app.test_client()
    body = {"username": "owner", "password": PASSWORD}
    missing = api.post("/api/auth/login", json=body)
    assert missing.status_code == 401
    assert missing.get_json()["error"]["code"] == "two_step_required"
    wrong = api.post("/api/auth/login", json={**body, "code": "000000"})
    assert wrong.status_code == 401
    ok = api.post("/api/auth/login", json={**body, "code": code_now(secret, 1)})
    assert ok.status_code == 200 and ok.get_json()["token"]


def test_the_shop_can_require_it_for_every_admin(app: Flask) -> None:
    make_user(db.session, "owner", "admin")
    make_user(db.session, "till1", "cashier")
    browser = app.test_client()
    password_step(browser, "owner")
    response = call(browser, "POST", "/users/two-step", data={"required": "1"})
    assert response.status_code == 302
    assert two_step.required_for_admins(db.session)
    held = call(browser, "GET", "/pos/")
    assert held.status_code == 302 and held.headers["Location"] == "/account/two-step"
    page = call(browser, "GET", "/account/two-step").get_data(as_text=True)
    assert "data-two-step-required" in page
    refused = app.test_client().post(
        "/api/auth/login", json={"username": "owner", "password": PASSWORD}
    )
    assert refused.status_code == 403
    assert refused.get_json()["error"]["code"] == "two_step_setup_required"
    # Cashiers are not concerned.
    cashier = app.test_client()
    password_step(cashier, "till1")
    assert call(cashier, "GET", "/pos/").status_code == 200
    # Once enrolled, the admin goes on.
    enrol(app, "owner")
    assert call(browser, "GET", "/pos/").status_code == 200


def test_turning_it_off_needs_the_password(app: Flask) -> None:
    make_user(db.session, "owner", "admin")
    secret, _codes = enrol(app, "owner")
    client = app.test_client()
    password_step(client, "owner")
    call(client, "POST", "/login/code", data={"code": code_now(secret, 1)})
    bad = call(client, "POST", "/account/two-step/disable", data={"password": "nope-nope"})
    assert bad.status_code == 422
    good = call(client, "POST", "/account/two-step/disable", data={"password": PASSWORD})
    assert good.status_code == 302
    fresh = app.test_client()
    assert password_step(fresh, "owner").headers["Location"] == "/pos/"


def test_the_code_must_follow_the_password_within_five_minutes(app: Flask) -> None:
    make_user(db.session, "owner", "admin")
    secret, _codes = enrol(app, "owner")
    client = app.test_client()
    password_step(client, "owner")
    with client.session_transaction() as sess:
        sess["two_step_at"] -= 301
    late = call(client, "POST", "/login/code", data={"code": code_now(secret, 1)})
    assert late.status_code == 302 and late.headers["Location"] == "/login"
    assert not is_logged_in(client)
