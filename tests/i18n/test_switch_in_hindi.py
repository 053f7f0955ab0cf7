"""Import from another app, exports and the audit log in Hindi: the import's row messages, the
audit sentences and the action labels go through the translation lookup; and the import
preview, the audit page and the export page speak Hindi to a Hindi browser."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from flask_babel import refresh

from posapp import i18n
from posapp.extensions import db
from posapp.models import User
from posapp.services import audit_text, exports, switch_in
from posapp.services.audit_text import Context
from posapp.vocabulary import labels
from tests.factories import make_customer
from tests.web.helpers import login

ROOT = Path(__file__).resolve().parents[2]
HINDI = {"Accept-Language": "hi"}
# Two rows with the same phone: the second is refused, so the preview shows a row message.
CUSTOMERS_CSV = b"name,phone,balance\nSunita Sharma,9876543210,1250 Dr\nRakesh,9876543210,300\n"


@pytest.fixture
def marked(app: object, monkeypatch: pytest.MonkeyPatch) -> None:
    """A stand-in second language (English in «»), so what goes through the lookup shows
    without depending on a filled catalog (set after the app installs its own lookup)."""
    monkeypatch.setattr(i18n, "_gettext", lambda message: f"«{message}»")


@pytest.mark.usefixtures("marked")
def test_audit_sentences_and_labels_are_looked_up() -> None:
    ctx = Context(money=lambda minor: f"₹{minor / 100:.2f}")
    after = json.dumps({"name": "Sunita", "credit_limit": 50000})
    text = audit_text.describe("customer.create", None, after, ctx)
    assert text == "««Customer Sunita added», credit limit ₹500.00»"
    assert labels.audit_action("customer_create") == "«Customer added»"  # a legacy name too
    assert isinstance(labels.audit_action("customer.create"), str)


@pytest.mark.usefixtures("marked")
def test_an_import_row_message_is_looked_up(tmp_path: Path) -> None:
    source = tmp_path / "parties.csv"
    source.write_bytes(CUSTOMERS_CSV)
    plan = switch_in.plan(db.session, "customers", source)
    [(line, message)] = plan.errors
    assert line == 3
    assert message.startswith("«the phone ") and message.endswith(" is already on line 2.»")
    assert str(switch_in.KINDS["customers"].title) == "«Customers with dues»"
    # How the file was read: shown in the user's language, logged in English.
    assert plan.read_as == "«CSV, comma-separated, utf-8»"
    assert plan.source == "CSV, comma-separated, utf-8"


def test_the_english_audit_sentence_is_unchanged(client: FlaskClient, admin: User) -> None:
    make_customer(db.session, admin, name="Sunita Sharma")
    login(client, "admin")
    page = client.get("/audit/").get_data(as_text=True)
    assert "Customer Sunita Sharma added" in page and "Customer added" in page


def test_every_exported_table_has_a_title() -> None:
    assert set(exports.TABLE_TITLES) == set(exports.TABLES)


def test_the_import_preview_speaks_hindi(client: FlaskClient, admin: User) -> None:
    login(client, "admin")
    refresh()
    response = client.post(
        "/import/customers",
        data={"file": (io.BytesIO(CUSTOMERS_CSV), "parties.csv")},
        content_type="multipart/form-data",
        headers=HINDI,
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    page = client.get(response.headers["Location"], headers=HINDI).get_data(as_text=True)
    assert '<html lang="hi"' in page
    for hindi in ("झलक: parties.csv", "2 पंक्तियाँ पढ़ीं", "CSV, कॉमा से अलग", "पहले से लाइन 2 पर है"):
        assert hindi in page, hindi
    assert "ग्राहक पर ₹1,250.00 बकाया" in page  # how amounts are read, worked out by the parser


def test_the_audit_page_speaks_hindi(client: FlaskClient, admin: User) -> None:
    make_customer(db.session, admin, name="Sunita Sharma")
    login(client, "admin")
    refresh()
    page = client.get("/audit/", headers=HINDI).get_data(as_text=True)
    for hindi in ("ऑडिट लॉग", "हैश की कड़ी जाँचें", "ग्राहक जोड़ा गया", "सभी काम"):
        assert hindi in page, hindi
    assert "ग्राहक Sunita Sharma जोड़ा गया" in page  # the sentence, not only the label


def test_the_export_page_speaks_hindi(client: FlaskClient, admin: User) -> None:
    login(client, "admin")
    refresh()
    page = client.get("/exports/", headers=HINDI).get_data(as_text=True)
    assert "CSV और Excel में एक्सपोर्ट करें" in page and "सब कुछ डाउनलोड करें (ZIP)" in page
