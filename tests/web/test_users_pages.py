"""The users page, changing one's password, forced changes after a reset, and the idle timeout."""

from __future__ import annotations

import json
import time

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from posapp.extensions import db
from posapp.models import ApiToken, AuditLog, User
from posapp.services import users
from posapp.services.settings import load_settings
from tests.factories import PASSWORD, make_user
from tests.web.helpers import login


def entries(action: str) -> list[AuditLog]:
    return list(db.session.scalars(select(AuditLog).where(AuditLog.action == action)))


def test_admin_adds_a_cashier_and_the_action_is_audited(client: FlaskClient, admin: User) -> None:
    login(client, "admin")
    response = client.post(
        "/users/",
        data={
            "username": "asha",
            "role": "cashier",
            "password": "s3cret-pass",
            "confirm": "s3cret-pass",
        },
    )
    assert response.status_code == 302
    page = client.get("/users/").get_data(as_text=True)
    assert "asha" in page
    (entry,) = entries("user.create")[-1:]
    assert json.loads(entry.after) == {"username": "asha", "role": "cashier"}
    assert "s3cret" not in (entry.after or "")


def test_bad_new_user_is_refused_with_a_message_and_nothing_written(
    client: FlaskClient, admin: User
) -> None:
    login(client, "admin")
    response = client.post(
        "/users/",
        data={"username": "bo", "role": "cashier", "password": "short", "confirm": "short"},
    )
    assert response.status_code == 422
    assert "at least 8 characters" in response.get_data(as_text=True)
    assert db.session.scalar(select(User).where(User.username == "bo")) is None


def test_an_admin_cannot_demote_or_deactivate_themselves(client: FlaskClient, admin: User) -> None:
    login(client, "admin")
    assert client.post(f"/users/{admin.id}/role", data={"role": "cashier"}).status_code == 409
    assert client.post(f"/users/{admin.id}/active", data={"active": "0"}).status_code == 409
    db.session.expire_all()
    assert admin.role == "admin" and admin.active


def test_the_last_active_admin_can_never_be_removed(app: Flask, admin: User) -> None:
    other = make_user(db.session, "boss2", "admin")
    users.set_active(db.session, other.id, False, admin.id)
    # `other` acting on `admin` (e.g. through a second session started before deactivation).
    for action in (
        lambda: users.set_role(db.session, admin.id, "cashier", other.id),
        lambda: users.set_active(db.session, admin.id, False, other.id),
    ):
        try:
            action()
        except users.Conflict as exc:
            assert exc.code == "last_admin"
        else:
            raise AssertionError("the last active admin was removed")
    users.set_active(db.session, other.id, True, admin.id)
    users.set_role(db.session, admin.id, "cashier", other.id)  # now there is another admin
    assert db.session.get(User, admin.id).role == "cashier"
    before_after = json.loads(entries("user.role")[-1].before)
    assert before_after == {"role": "admin"}


def test_deactivating_a_user_revokes_their_api_tokens(
    client: FlaskClient, admin: User, cashier: User, cashier_headers: dict[str, str]
) -> None:
    assert client.get("/api/products", headers=cashier_headers).status_code == 200
    login(client, "admin")
    assert client.post(f"/users/{cashier.id}/active", data={"active": "0"}).status_code == 302
    assert all(t.revoked for t in db.session.scalars(select(ApiToken)))
    client.post("/logout")
    assert client.get("/api/products", headers=cashier_headers).status_code == 401
    assert json.loads(entries("user.deactivate")[-1].after) == {
        "active": False,
        "tokens_revoked": 1,
    }
    # A deactivated user cannot log in; reactivated, they can.
    assert (
        client.post("/login", data={"username": "cashier", "password": PASSWORD}).status_code == 401
    )
    users.set_active(db.session, cashier.id, True, admin.id)
    login(client, "cashier")


def test_a_reset_password_must_be_changed_at_next_login(
    client: FlaskClient, api, admin: User, cashier: User
) -> None:
    login(client, "admin")
    response = client.post(
        f"/users/{cashier.id}/password", data={"password": "temp-pass-1", "confirm": "temp-pass-1"}
    )
    assert response.status_code == 302
    client.post("/logout")
    response = client.post("/login", data={"username": "cashier", "password": "temp-pass-1"})
    assert response.headers["Location"].endswith("/account/password")
    assert client.get("/pos/").headers["Location"].endswith("/account/password")
    refused = client.post(
        "/api/auth/login", json={"username": "cashier", "password": "temp-pass-1"}
    )
    assert refused.status_code == 403
    assert refused.get_json()["error"]["code"] == "password_change_required"
    response = client.post(
        "/account/password",
        data={"old_password": "temp-pass-1", "password": "mine-now-22", "confirm": "mine-now-22"},
    )
    assert response.status_code == 302
    assert client.get("/pos/").status_code == 200
    assert [e.action for e in entries("user.password_reset")] == ["user.password_reset"]
    assert entries("user.password_change")[-1].user_id == cashier.id
    for entry in db.session.scalars(select(AuditLog)):
        assert "temp-pass" not in f"{entry.before}{entry.after}"
        assert "mine-now" not in f"{entry.before}{entry.after}"


def test_changing_my_password_needs_the_old_one_and_twice_the_new(
    client: FlaskClient, cashier: User
) -> None:
    login(client, "cashier")
    page = client.post(
        "/account/password",
        data={"old_password": "wrong-one-9", "password": "new-pass-77", "confirm": "new-pass-77"},
    )
    assert page.status_code == 422 and "current password is wrong" in page.get_data(as_text=True)
    page = client.post(
        "/account/password",
        data={"old_password": PASSWORD, "password": "new-pass-77", "confirm": "new-pass-78"},
    )
    assert page.status_code == 422 and "do not match" in page.get_data(as_text=True)
    page = client.post(
        "/account/password",
        data={"old_password": PASSWORD, "password": "short", "confirm": "short"},
    )
    assert page.status_code == 422
    client.post("/logout")
    login(client, "cashier")  # still the old password


def test_an_idle_session_ends_on_the_server(client: FlaskClient, admin: User) -> None:
    assert load_settings(db.session).session_timeout_minutes == 480
    login(client, "admin")
    assert client.get("/pos/").status_code == 200
    with client.session_transaction() as sess:
        sess["last_seen"] = int(time.time()) - 481 * 60
    response = client.get("/pos/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert client.get("/pos/").status_code == 302  # really logged out, not just redirected once


def test_the_api_answers_401_to_an_idle_cookie_session(client: FlaskClient, admin: User) -> None:
    login(client, "admin")
    with client.session_transaction() as sess:
        sess["last_seen"] = int(time.time()) - 481 * 60
    response = client.get("/api/products")
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "session_expired"


def test_the_timeout_is_set_on_the_users_page_and_zero_turns_it_off(
    client: FlaskClient, admin: User
) -> None:
    login(client, "admin")
    assert client.post("/users/timeout", data={"timeout": "abc"}).status_code == 422
    assert client.post("/users/timeout", data={"timeout": "0"}).status_code == 302
    assert load_settings(db.session).session_timeout_minutes == 0
    with client.session_transaction() as sess:
        sess["last_seen"] = int(time.time()) - 10 * 24 * 3600
    assert client.get("/pos/").status_code == 200
    entry = entries("settings.session_timeout")[-1]
    assert json.loads(entry.after) == {"session_timeout_minutes": "0"}


def test_logins_ok_and_failed_are_audited(client: FlaskClient, cashier: User) -> None:
    for _ in range(6):  # the sixth is throttled: not checked, not audited
        client.post("/login", data={"username": "cashier", "password": "nope-nope"})
    actions = [e.action for e in db.session.scalars(select(AuditLog).order_by(AuditLog.id))]
    assert actions.count("login.failed") == 5
    users.reset_password(db.session, cashier.id, "temp-pass-1", "temp-pass-1", cashier.id)
    client.post("/login", data={"username": "cashier", "password": "temp-pass-1"})
    assert entries("login.ok")


def test_an_admin_sets_a_till_pin_and_another_admin_clears_it(
    client: FlaskClient, admin: User
) -> None:
    make_user(db.session, "boss", "admin")
    login(client, "boss")
    bad = client.post("/account/pin", data={"pin": "12a4", "confirm": "12a4"})
    assert bad.status_code == 422
    assert "The PIN must be 4 to 8 digits" in bad.get_data(as_text=True)
    assert client.post("/account/pin", data={"pin": "9876", "confirm": "9876"}).status_code == 302
    boss = users.check_pin(db.session, "boss", "9876")
    assert client.get("/account").get_data(as_text=True).count("A PIN is set.") == 1
    client.post("/logout")
    login(client, "admin")
    assert "till PIN set" in client.get("/users/").get_data(as_text=True)
    assert client.post(f"/users/{boss.id}/pin/clear").status_code == 302
    db.session.expire_all()
    assert db.session.get(User, boss.id).pin_hash is None
    assert [e.user_id for e in entries("user.pin_set")] == [boss.id]
    assert [e.user_id for e in entries("user.pin_clear")] == [admin.id]


def test_a_cashier_has_no_till_pin(client: FlaskClient, admin: User) -> None:
    make_user(db.session, "asha", "cashier")
    login(client, "asha")
    assert "Till PIN" not in client.get("/account").get_data(as_text=True)
    assert client.post("/account/pin", data={"pin": "1234", "confirm": "1234"}).status_code == 403
    assert client.post(f"/users/{admin.id}/pin/clear").status_code == 403
    assert entries("user.pin_set") == [] and entries("user.pin_clear") == []
