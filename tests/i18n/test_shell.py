"""The shell in the user's language: the My account choice (saved, audited, refused when
unknown), the menu speaking it, and the login page following the browser.

The Hindi words come from the committed catalogs; the `lang` of the page and everything about
the choice hold whatever they say.
"""

from __future__ import annotations

import json

from flask.testing import FlaskClient
from flask_babel import refresh
from sqlalchemy import select

from posapp.extensions import db
from posapp.models import AuditLog, User
from posapp.services import audit_text
from posapp.services.audit_text import Context
from tests.web.helpers import login


def _entries() -> list[AuditLog]:
    return list(db.session.scalars(select(AuditLog).where(AuditLog.action == "user.language")))


def _language_of(username: str) -> str:
    db.session.expire_all()
    user = db.session.scalar(select(User).where(User.username == username))
    assert user is not None
    return user.language


def test_a_user_choosing_hindi_sees_the_menu_in_hindi(client: FlaskClient, admin: User) -> None:
    login(client, "admin")
    response = client.post("/account/language", data={"language": "hi"})
    assert response.status_code == 302
    assert _language_of("admin") == "hi"
    # The user's choice wins over an English browser.
    page = client.get("/account", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert '<html lang="hi"' in page
    assert '<option value="hi" selected>' in page
    for hindi in ("ग्राहक", "गल्ला", "लॉग आउट", "मेरा खाता", "भाषा"):
        assert hindi in page, hindi


def test_the_language_choice_is_audited(client: FlaskClient, admin: User) -> None:
    login(client, "admin")
    client.post("/account/language", data={"language": "mr"})
    client.post("/account/language", data={"language": "mr"})  # no change: nothing written
    client.post("/account/language", data={"language": ""})
    first, second = _entries()
    assert (json.loads(first.before or "{}"), json.loads(first.after or "{}")) == (
        {"language": ""},
        {"language": "mr"},
    )
    assert json.loads(second.after or "{}") == {"language": ""}
    assert first.user_id == admin.id and first.entity_id == admin.id
    assert _language_of("admin") == ""
    refresh()  # as a new request would (see the login test)
    page = client.get("/account", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert '<html lang="en"' in page


def test_an_unknown_language_is_refused_and_nothing_is_written(
    client: FlaskClient, admin: User
) -> None:
    login(client, "admin")
    for code in ("xx", "fr", "hi'><script>", "EN"):
        response = client.post("/account/language", data={"language": code})
        assert response.status_code == 422
        page = response.get_data(as_text=True)
        assert "Choose a language from the list." in page
        assert "<script>" not in page.split('id="tb-i18n"')[1].split("</script>", 1)[1]
    assert _language_of("admin") == ""
    assert _entries() == []


def test_a_cashier_chooses_their_own_language(
    client: FlaskClient, admin: User, cashier: User
) -> None:
    login(client, "cashier")
    assert client.post("/account/language", data={"language": "hi"}).status_code == 302
    assert _language_of("cashier") == "hi"
    assert _language_of("admin") == ""


def test_the_login_page_follows_the_browser(client: FlaskClient, admin: User) -> None:
    hindi = client.get("/login", headers={"Accept-Language": "hi-IN,hi;q=0.9,en;q=0.5"})
    page = hindi.get_data(as_text=True)
    assert '<html lang="hi"' in page
    assert "लॉग इन" in page and "पासवर्ड" in page
    # The fixtures' app context (and `g`, where Flask-Babel keeps the request's language)
    # spans every request of a test; a real request starts without it.
    refresh()
    english = client.get("/login", headers={"Accept-Language": "en-GB,en;q=0.9"})
    page = english.get_data(as_text=True)
    assert '<html lang="en"' in page
    assert "Log in" in page and "Password" in page and "लॉग इन" not in page


def test_the_audit_log_says_the_change_in_words() -> None:
    ctx = Context(money=str, customers={})
    text = audit_text.describe(
        "user.language", json.dumps({"language": ""}), json.dumps({"language": "hi"}), ctx
    )
    assert text == "Language changed from the browser's language to हिन्दी"
