"""Login tokens that expire and slide, POST /api/auth/logout, the cleanup of dead tokens, and
logins throttled by (username, address) and by address, with unknown usernames answered
exactly like known ones."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select, update

from posapp.extensions import db
from posapp.models import ApiToken, AuditLog, LoginAttempt
from posapp.models.base import utcnow, write_transaction
from posapp.services import users
from tests.factories import PASSWORD

WIFI = "192.168.1.77"


def api_login(
    client: FlaskClient, username: str, password: str = PASSWORD, address: str = "127.0.0.1"
) -> Any:
    return client.post(
        "/api/auth/login",
        json={"username": username, "password": password},
        environ_base={"REMOTE_ADDR": address},
    )


def bearer(response: Any) -> dict[str, str]:
    assert response.status_code == 200, response.get_json()
    return {"Authorization": f"Bearer {response.get_json()['token']}"}


def the_token() -> ApiToken:
    db.session.expire_all()
    row = db.session.scalar(select(ApiToken).order_by(ApiToken.id.desc()))
    assert row is not None
    return row


def shift_token(**values: Any) -> None:
    with write_transaction(db.session):
        db.session.execute(update(ApiToken).values(**values))


def age_attempts(by: timedelta) -> None:
    """Make every stored failed login older, as if time had passed."""
    # In Python: date arithmetic in SQL differs per backend (SQLite stores text).
    with write_transaction(db.session):
        for row in db.session.scalars(select(LoginAttempt)):
            row.created_at -= by


# --- tokens -------------------------------------------------------------------------------


def test_a_login_token_expires_after_30_days_and_slides_on_use(
    client: FlaskClient, admin: Any
) -> None:
    headers = bearer(api_login(client, "admin"))
    row = the_token()
    assert row.sliding and row.expires_at is not None
    assert timedelta(days=29, hours=23) < row.expires_at - utcnow() <= timedelta(days=30)
    # Used after a while (more than the one-minute write resolution): the end moves on.
    shift_token(
        last_used_at=utcnow() - timedelta(days=10), expires_at=utcnow() + timedelta(days=20)
    )
    assert client.get("/api/products", headers=headers).status_code == 200
    assert the_token().expires_at - utcnow() > timedelta(days=29, hours=23)  # type: ignore[operator]
    # Past its end it answers 401.
    shift_token(expires_at=utcnow() - timedelta(seconds=1))
    response = client.get("/api/products", headers=headers)
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "invalid_token"


def test_the_lifetime_is_a_shop_setting(client: FlaskClient, admin: Any) -> None:
    users.set_api_token_days(db.session, 7, admin.id)
    bearer(api_login(client, "admin"))
    left = the_token().expires_at - utcnow()  # type: ignore[operator]
    assert timedelta(days=6, hours=23) < left <= timedelta(days=7)
    for bad in (0, 366):
        try:
            users.set_api_token_days(db.session, bad, admin.id)
        except users.ValidationError:
            continue
        raise AssertionError(f"{bad} days accepted")


def test_logout_ends_the_calling_token_only(client: FlaskClient, admin: Any) -> None:
    first = bearer(api_login(client, "admin"))
    second = bearer(api_login(client, "admin"))
    response = client.post("/api/auth/logout", headers=first)
    assert response.status_code == 204
    assert response.get_data() == b""
    after = client.get("/api/products", headers=first)
    assert after.status_code == 401
    assert client.post("/api/auth/logout", headers=first).status_code == 401
    assert client.get("/api/products", headers=second).status_code == 200
    assert client.post("/api/auth/logout").status_code == 401  # nobody to log out


def test_expired_and_revoked_tokens_are_deleted_on_login(client: FlaskClient, admin: Any) -> None:
    bearer(api_login(client, "admin"))
    shift_token(expires_at=utcnow() - timedelta(days=1))
    named, _token = users.create_named_token(db.session, admin.id, "script", days=0)
    revoked, _token = users.create_named_token(db.session, admin.id, "old script", days=30)
    users.revoke_token(db.session, admin.id, revoked.id)
    assert db.session.scalar(select(func.count()).select_from(ApiToken)) == 3
    bearer(api_login(client, "admin"))
    db.session.expire_all()
    names = sorted(row.name for row in db.session.scalars(select(ApiToken)))
    assert names == ["login", "script"]  # the fresh login token and the never-expiring one
    assert db.session.get(ApiToken, named.id) is not None


def test_the_cleanup_also_runs_at_start(app: Flask, admin: Any) -> None:
    from posapp import purge_expired_logins

    users.issue_token(db.session, admin)
    shift_token(expires_at=utcnow() - timedelta(days=1))
    purge_expired_logins()
    assert db.session.scalar(select(func.count()).select_from(ApiToken)) == 0


# --- throttling -------------------------------------------------------------------------------


def statuses(client: FlaskClient, username: str, times: int, address: str = WIFI) -> list[int]:
    return [
        api_login(client, username, "wrong-password", address).status_code for _ in range(times)
    ]


def test_an_unknown_username_gets_the_same_answers_as_a_wrong_password(
    client: FlaskClient, admin: Any
) -> None:
    known = statuses(client, "admin", 7)
    unknown = statuses(client, "nobody", 7)
    assert known == unknown == [401] * 5 + [429] * 2
    bodies = [
        api_login(client, name, "wrong-password", WIFI).get_json()["error"]
        for name in ("admin", "nobody")
    ]
    assert bodies[0]["code"] == bodies[1]["code"] == "locked_out"
    assert bodies[0]["message"] == bodies[1]["message"]


def test_failed_logins_of_unknown_usernames_are_audited_with_the_address(
    client: FlaskClient, admin: Any
) -> None:
    api_login(client, "nobody", "wrong-password", WIFI)
    api_login(client, "admin", "wrong-password", WIFI)
    failed = list(db.session.scalars(select(AuditLog).where(AuditLog.action == "login.failed")))
    details = [json.loads(entry.after or "{}") for entry in failed]
    assert {"username": "nobody", "address": WIFI} in details
    assert {"username": "admin", "address": WIFI} in details
    unknown = failed[details.index({"username": "nobody", "address": WIFI})]
    assert unknown.user_id is None


def test_failures_from_one_address_do_not_lock_the_user_out_elsewhere(
    client: FlaskClient, admin: Any
) -> None:
    assert statuses(client, "admin", 6) == [401] * 5 + [429]
    # The right password from the Wi-Fi device waits too...
    assert api_login(client, "admin", address=WIFI).status_code == 429
    # ...but not from the shop laptop, nor from another device.
    assert api_login(client, "admin").status_code == 200
    assert api_login(client, "admin", address="192.168.1.20").status_code == 200


def test_the_delay_grows_with_each_failure_up_to_15_minutes(
    client: FlaskClient, admin: Any
) -> None:
    statuses(client, "admin", 5)
    waits = []
    for _ in range(6):
        refused = api_login(client, "admin", "wrong-password", WIFI)
        assert refused.status_code == 429
        wait = refused.get_json()["error"]["details"]["retry_after"]
        waits.append(wait)
        age_attempts(timedelta(seconds=wait))  # the wait passes...
        assert api_login(client, "admin", "wrong-password", WIFI).status_code == 401  # ...a try
    assert [round(w / 60) for w in waits] == [1, 2, 4, 8, 15, 15]
    # After the wait the right password works, and clears the slate.
    age_attempts(timedelta(minutes=15))
    assert api_login(client, "admin", address=WIFI).status_code == 200
    assert statuses(client, "admin", 1) == [401]


def test_one_address_is_limited_across_all_usernames(client: FlaskClient, admin: Any) -> None:
    for i in range(30):
        assert api_login(client, f"guess{i}", "wrong-password", WIFI).status_code == 401
    # A 31st username from that address waits, even the real one with its password...
    assert api_login(client, "guess-new", "wrong-password", WIFI).status_code == 429
    assert api_login(client, "admin", address=WIFI).status_code == 429
    # ...while the shop laptop is never blocked by another address's failures.
    assert api_login(client, "admin").status_code == 200
    # Once the window passes, the address may try again.
    age_attempts(timedelta(minutes=15))
    assert api_login(client, "admin", address=WIFI).status_code == 200


def test_old_failed_logins_are_pruned(client: FlaskClient, admin: Any) -> None:
    statuses(client, "admin", 3)
    age_attempts(timedelta(hours=25))
    statuses(client, "nobody", 1)
    users.purge_expired(db.session)
    left = db.session.scalars(select(LoginAttempt.username)).all()
    assert left == ["nobody"]
