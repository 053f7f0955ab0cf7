"""The dashboard's "Getting started" card: shown to a new shop, ticked from the data, hidden
for good by an admin's POST (CSRF, audited), shown again from the settings page."""

from __future__ import annotations

import json
import re

from flask import Flask, g
from flask.testing import FlaskClient
from sqlalchemy import select

from posapp.extensions import db
from posapp.models import AuditLog, User
from posapp.services import receipt_printer, shop_settings
from posapp.services.settings import load_settings
from tests.factories import PASSWORD, make_customer, make_product, make_user
from tests.web.helpers import login

CARD = "data-getting-started>"


def page(client: FlaskClient, url: str = "/dashboard/") -> str:
    # The tests' app context outlives a request; production reads the settings afresh each time.
    g.pop("shop_settings", None)
    response = client.get(url)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def step_of(html: str, key: str) -> str:
    found = re.search(rf'<li [^>]*data-step="{key}".*?</li>', html, re.S)
    assert found, key
    return found.group(0)


def audits() -> list[AuditLog]:
    return list(db.session.scalars(select(AuditLog).where(AuditLog.action == "settings.change")))


def test_a_new_shop_sees_the_card_with_a_link_for_each_step(admin_client: FlaskClient) -> None:
    html = page(admin_client)
    assert CARD in html and "Getting started" in html
    assert html.index(CARD) < html.index('id="today-h"')  # above the figures
    assert "0 of 7 done" in html
    links = {
        "shop": 'href="/settings/"',
        "gst": 'href="/settings/"',
        "products": 'href="/products/import"',
        "customers": 'href="/import/"',
        "users": 'href="/users/"',
        "backup": 'href="/backups/"',
        "printer": 'href="/settings/#printer"',
    }
    for key, href in links.items():
        item = step_of(html, key)
        assert href in item and "To do" in item and 'data-done="0"' in item, key


def test_a_step_done_reads_done_in_words_and_links_nowhere(
    admin_client: FlaskClient, admin: User
) -> None:
    make_product(db.session, admin.id)
    receipt_printer.save_printer_settings(
        db.session, {"printer_kind": "network", "printer_host": "192.168.1.50"}, admin.id
    )
    html = page(admin_client)
    assert "2 of 7 done" in html
    for key in ("products", "printer"):
        item = step_of(html, key)
        assert "Done" in item and "To do" not in item and "href" not in item, key
    assert "To do" in step_of(html, "users")


def test_the_card_is_gone_once_every_step_is_done(
    admin_client: FlaskClient, admin: User, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    shop_settings.save_changes(
        db.session,
        {
            **{"shop_name": "Sharma Kirana", "address": "12 MG Road, Pune"},
            **{"tax_number": "27AAPFU0939F1ZV", "state_code": "27", "printer_kind": "usb"},
            "offsite_backup_dir": str(tmp_path / "usb"),
        },
        "settings.change",
        admin.id,
    )
    make_product(db.session, admin.id)
    make_customer(db.session, admin)
    assert CARD in page(admin_client)  # one step left: a cashier's login
    make_user(db.session, "till1", "cashier")
    html = page(admin_client)
    assert CARD not in html and "Getting started" not in html
    assert 'id="today-h"' in html


def test_hide_removes_the_card_for_good_and_settings_shows_it_again(
    admin_client: FlaskClient, admin: User
) -> None:
    assert "data-getting-started-show" not in page(admin_client, "/settings/")
    response = admin_client.post("/dashboard/getting-started/hide")
    assert response.status_code == 302 and response.headers["Location"] == "/dashboard/"
    assert load_settings(db.session).getting_started_hidden is True
    html = page(admin_client)
    assert CARD not in html and "Shop settings can show it again" in html
    (row,) = audits()
    assert row.user_id == admin.id and json.loads(row.after or "{}") == {
        "getting_started_hidden": "1"
    }
    make_product(db.session, admin.id)  # doing a step does not bring it back
    assert CARD not in page(admin_client)

    settings_html = page(admin_client, "/settings/")
    assert 'action="/dashboard/getting-started/show"' in settings_html
    assert admin_client.post("/dashboard/getting-started/show").status_code == 302
    db.session.expire_all()
    assert load_settings(db.session).getting_started_hidden is False
    html = page(admin_client)
    assert CARD in html and "back on the dashboard" in html and "1 of 7 done" in html
    assert len(audits()) == 2
    assert "data-getting-started-show" not in page(admin_client, "/settings/")


def test_only_an_admin_may_hide_or_show_the_list(
    client: FlaskClient, admin: User, cashier: User
) -> None:
    for url in ("/dashboard/getting-started/hide", "/dashboard/getting-started/show"):
        assert client.post(url).headers["Location"].startswith("/login")
    login(client, "cashier")
    for url in ("/dashboard/getting-started/hide", "/dashboard/getting-started/show"):
        assert client.post(url).status_code == 403
    assert load_settings(db.session).getting_started_hidden is False
    assert audits() == []


def test_hide_needs_the_csrf_token(csrf_app: Flask) -> None:
    make_user(db.session, "admin", "admin")
    client = csrf_app.test_client()

    def token(url: str) -> str:
        g.pop("shop_settings", None)
        found = re.search(r'name="csrf_token" value="([^"]+)"', client.get(url).get_data(True))
        assert found
        return found.group(1)

    fields = {"username": "admin", "password": PASSWORD, "csrf_token": token("/login")}
    assert client.post("/login", data=fields).status_code == 302
    g.pop("_login_user", None)
    assert client.post("/dashboard/getting-started/hide").status_code == 400
    assert load_settings(db.session).getting_started_hidden is False
    hide = {"csrf_token": token("/dashboard/")}
    assert client.post("/dashboard/getting-started/hide", data=hide).status_code == 302
    db.session.expire_all()
    assert load_settings(db.session).getting_started_hidden is True


def test_showing_a_finished_list_says_there_is_nothing_to_show(
    admin_client: FlaskClient, admin: User, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    admin_client.post("/dashboard/getting-started/hide")
    shop_settings.save_changes(
        db.session,
        {
            **{"shop_name": "Sharma Kirana", "address": "12 MG Road, Pune"},
            **{"tax_number": "27AAPFU0939F1ZV", "state_code": "27", "printer_kind": "usb"},
            "offsite_backup_dir": str(tmp_path / "usb"),
        },
        "settings.change",
        admin.id,
    )
    make_product(db.session, admin.id)
    make_customer(db.session, admin)
    make_user(db.session, "till1", "cashier")
    admin_client.post("/dashboard/getting-started/show")
    html = page(admin_client)
    assert CARD not in html and "there is no list to show" in html
