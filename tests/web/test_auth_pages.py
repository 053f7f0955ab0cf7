"""Pages of posapp/web/auth.py: first-run setup, login with throttling, logout, the layout."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from posapp.extensions import db
from posapp.models import User
from posapp.models.base import write_transaction
from posapp.services.settings import load_settings, save_settings
from tests.factories import PASSWORD, make_user

SETUP = {
    "username": "owner",
    "password": PASSWORD,
    "confirm": PASSWORD,
    "shop_name": "Sharma Store",
}


def user_count() -> int:
    return db.session.scalar(select(func.count()).select_from(User))


def log_in(client: FlaskClient, username: str, password: str = PASSWORD):  # type: ignore[no-untyped-def]
    return client.post("/login", data={"username": username, "password": password})


# --- first run --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url", ["/", "/login", "/pos/", "/products/", "/products/new", "/pos/receipt/1", "/nowhere"]
)
def test_first_run_sends_every_page_to_setup(client: FlaskClient, url: str) -> None:
    response = client.get(url)
    assert response.status_code == 302
    assert response.headers["Location"] == "/setup"


def test_first_run_still_serves_static_files_and_health(client: FlaskClient) -> None:
    with client.get("/static/css/app.css") as response:
        assert response.status_code == 200
    assert client.get("/api/health").status_code == 200


def test_setup_page_shows_the_admin_form(client: FlaskClient) -> None:
    response = client.get("/setup")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    for name in ("username", "password", "confirm", "shop_name", "csrf_token"):
        assert f'name="{name}"' in html
    assert 'type="password"' in html
    assert "At least 8 characters" in html
    assert 'action="/setup"' in html


def test_setup_creates_the_admin_logs_in_and_names_the_shop(client: FlaskClient) -> None:
    response = client.post("/setup", data=SETUP)
    assert response.status_code == 302
    assert response.headers["Location"] == "/products/"
    user = db.session.scalar(select(User))
    assert user is not None
    assert (user.username, user.role) == ("owner", "admin")
    assert load_settings(db.session).shop_name == "Sharma Store"
    page = client.get("/products/")  # logged in: no redirect to the login page
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Sharma Store" in html
    assert "owner" in html


def test_setup_turns_rounding_to_the_rupee_on_for_an_inr_shop(client: FlaskClient) -> None:
    assert load_settings(db.session).round_off is False  # before setup: the stored default
    client.post("/setup", data=SETUP)
    db.session.expire_all()
    assert load_settings(db.session).round_off is True


def test_setup_leaves_round_off_alone_for_other_currencies_and_earlier_choices(
    client: FlaskClient,
) -> None:
    with write_transaction(db.session):
        save_settings(db.session, currency="USD")
    client.post("/setup", data=SETUP)
    db.session.expire_all()
    assert load_settings(db.session).round_off is False


def test_setup_keeps_a_round_off_choice_already_stored(client: FlaskClient) -> None:
    with write_transaction(db.session):
        save_settings(db.session, round_off=False)  # e.g. a restored shop's own choice
    client.post("/setup", data=SETUP)
    db.session.expire_all()
    assert load_settings(db.session).round_off is False


def test_setup_chooses_the_stock_policy(client: FlaskClient) -> None:
    assert 'name="stock_policy"' in client.get("/setup").get_data(as_text=True)
    bad = client.post("/setup", data={**SETUP, "stock_policy": "sometimes"})
    assert bad.status_code == 422 and db.session.scalar(select(User)) is None
    assert client.post("/setup", data={**SETUP, "stock_policy": "warn"}).status_code == 302
    assert load_settings(db.session).stock_policy == "warn"


def test_setup_is_gone_once_a_user_exists(client: FlaskClient, admin) -> None:  # type: ignore[no-untyped-def]
    assert client.get("/setup").headers["Location"] == "/login"
    response = client.post("/setup", data={**SETUP, "username": "intruder"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/login"
    assert user_count() == 1


def test_setup_is_refused_from_another_machine(client: FlaskClient) -> None:
    response = client.get("/setup", environ_base={"REMOTE_ADDR": "192.168.1.50"})
    assert response.status_code == 403
    assert "only be created on the shop computer" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("password", "confirm", "message"),
    [
        ("short12", "short12", "The password needs at least 8 characters."),
        (PASSWORD, PASSWORD + "x", "The two passwords do not match."),
    ],
)
def test_setup_re_shows_the_form_on_bad_passwords(
    client: FlaskClient, password: str, confirm: str, message: str
) -> None:
    data = {**SETUP, "password": password, "confirm": confirm}
    response = client.post("/setup", data=data)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message in html
    assert "is-invalid" in html
    assert 'value="owner"' in html  # the username is kept...
    assert password not in html  # ...passwords never echo back
    assert user_count() == 0


def test_setup_refuses_a_bad_username(client: FlaskClient) -> None:
    response = client.post("/setup", data={**SETUP, "username": "a b"})
    assert response.status_code == 422
    assert "Usernames are 2-64 letters" in response.get_data(as_text=True)
    assert user_count() == 0


# --- login, lockout, logout -------------------------------------------------------------------


def test_login_page(client: FlaskClient, admin) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/login")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'name="username"' in html
    assert 'name="password"' in html
    assert 'name="csrf_token"' in html


def test_login_lands_on_the_till(client: FlaskClient, admin) -> None:  # type: ignore[no-untyped-def]
    response = log_in(client, "admin")
    assert response.status_code == 302
    assert response.headers["Location"] == "/pos/"
    assert client.get("/pos/").status_code == 200


def test_login_follows_a_local_next_only(client: FlaskClient, admin) -> None:  # type: ignore[no-untyped-def]
    page = client.get("/login?next=/products/").get_data(as_text=True)
    assert 'action="/login?next=/products/"' in page
    response = client.post(
        "/login?next=/products/", data={"username": "admin", "password": PASSWORD}
    )
    assert response.headers["Location"] == "/products/"
    client.post("/logout")
    response = client.post(
        "/login?next=//evil.example/x", data={"username": "admin", "password": PASSWORD}
    )
    assert response.headers["Location"] == "/pos/"


def test_wrong_password_re_shows_the_form(client: FlaskClient, admin) -> None:  # type: ignore[no-untyped-def]
    response = log_in(client, "admin", "not-the-password")
    html = response.get_data(as_text=True)
    assert response.status_code == 401
    assert "Wrong username or password." in html
    assert 'value="admin"' in html
    assert "not-the-password" not in html
    assert client.get("/pos/").status_code == 302


def test_failures_from_one_address_throttle_only_that_address(client: FlaskClient, admin) -> None:  # type: ignore[no-untyped-def]
    wifi = {"REMOTE_ADDR": "192.168.1.77"}
    for _ in range(5):
        response = client.post(
            "/login", data={"username": "admin", "password": "wrong-password"}, environ_base=wifi
        )
        assert response.status_code == 401
    sixth = client.post(
        "/login", data={"username": "admin", "password": PASSWORD}, environ_base=wifi
    )
    assert sixth.status_code == 429  # even the right password waits, from that address
    assert "Too many failed logins. Try again in 1 minute." in sixth.get_data(as_text=True)
    # The owner at the shop laptop is not locked out by the device on the Wi-Fi.
    assert log_in(client, "admin").status_code == 302
    assert client.get("/pos/").status_code == 200


def test_logout_is_a_post_and_ends_the_session(client: FlaskClient, admin) -> None:  # type: ignore[no-untyped-def]
    log_in(client, "admin")
    assert client.get("/logout").status_code == 405
    response = client.post("/logout")
    assert response.status_code == 302
    assert response.headers["Location"] == "/login"
    after = client.get("/pos/")
    assert after.status_code == 302
    assert after.headers["Location"].startswith("/login")


# --- the layout -------------------------------------------------------------------------------


def test_layout_has_csrf_meta_theme_script_and_logout_form(client: FlaskClient, admin) -> None:  # type: ignore[no-untyped-def]
    log_in(client, "admin")
    html = client.get("/pos/").get_data(as_text=True)
    assert '<meta name="csrf-token" content="' in html
    # The theme script runs in <head>, before the stylesheets: no flash of the wrong theme.
    head = html.split("</head>")[0]
    assert head.index("js/theme.js") < head.index("bootstrap.min.css")
    assert "data-theme-toggle" in html
    assert 'action="/logout"' in html
    assert "vendor/bootstrap-5.3.9/bootstrap.bundle.min.js" in html


def test_admins_see_products_and_cashiers_do_not(client: FlaskClient, admin, cashier) -> None:  # type: ignore[no-untyped-def]
    log_in(client, "admin")
    assert 'href="/products/"' in client.get("/pos/").get_data(as_text=True)
    client.post("/logout")
    log_in(client, "cashier")
    html = client.get("/pos/").get_data(as_text=True)
    assert 'href="/products/"' not in html
    assert 'href="/pos/"' in html


def test_error_pages_use_the_layout(client: FlaskClient, admin) -> None:  # type: ignore[no-untyped-def]
    log_in(client, "admin")
    response = client.get("/no-such-page")
    html = response.get_data(as_text=True)
    assert response.status_code == 404
    assert "Not found" in html
    assert "Back to the till" in html


def test_inactive_users_cannot_log_in(client: FlaskClient, admin) -> None:  # type: ignore[no-untyped-def]
    user = make_user(db.session, "gone", "cashier")
    with write_transaction(db.session):
        stored = db.session.get(User, user.id)
        assert stored is not None
        stored.active = False
    assert log_in(client, "gone").status_code == 401


@pytest.mark.parametrize(
    "cookie,theme",
    [(None, "light"), ("dark", "dark"), ("light", "light"), ('dark" onload="x', "light")],
)
def test_the_page_arrives_in_the_theme_of_the_cookie(
    client: FlaskClient, cookie: str | None, theme: str
) -> None:
    # The cookie is per host, so the desktop app's new port each start still finds it.
    if cookie is not None:
        client.set_cookie("tillbook_theme", cookie)
    html = client.get("/login", follow_redirects=True).get_data(as_text=True)
    assert f'<html lang="en" data-bs-theme="{theme}">' in html


def test_setup_asks_the_credit_limit_for_new_customers(client: FlaskClient) -> None:
    html = client.get("/setup").get_data(as_text=True)
    assert "Credit limit for new customers" in html
    assert 'value="2000.00"' in html  # the default, prefilled
    # A bad limit re-shows the form and creates nobody.
    response = client.post("/setup", data={**SETUP, "new_customer_credit_limit": "-10"})
    assert response.status_code == 422
    assert "Please correct the credit limit" in response.get_data(as_text=True)
    assert user_count() == 0
    response = client.post("/setup", data={**SETUP, "new_customer_credit_limit": "500"})
    assert response.status_code == 302
    assert load_settings(db.session).new_customer_credit_limit == 50_000


def test_setup_may_choose_no_limit(client: FlaskClient) -> None:
    data = {**SETUP, "new_customer_credit_limit": "2000.00", "new_customer_no_credit_limit": "1"}
    assert client.post("/setup", data=data).status_code == 302
    assert load_settings(db.session).new_customer_no_credit_limit is True
