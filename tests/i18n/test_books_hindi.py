"""The books, the books' export and the suppliers in Hindi: every kind of entry has a label
that reads in English as before, and the books, a statement and a supplier's page speak Hindi
to a Hindi browser."""

from __future__ import annotations

from pathlib import Path

import flask_babel
from flask.testing import FlaskClient

from posapp.extensions import db
from posapp.models import Supplier, User
from posapp.models.books import SOURCE_KINDS, JournalEntry
from posapp.services import books_reports, suppliers
from tests.web.helpers import login

ROOT = Path(__file__).resolve().parents[2]
HINDI = {"Accept-Language": "hi"}
# The Python files whose domain errors, flash texts and labels these screens show.
SOURCES = [
    "posapp/web/books.py", "posapp/web/books_export.py", "posapp/web/suppliers.py",
    "posapp/services/books.py", "posapp/services/books_admin.py",
    "posapp/services/books_reports.py", "posapp/services/books_sales.py",
    "posapp/services/books_stock.py", "posapp/services/books_checks.py",
    "posapp/services/books_history.py", "posapp/services/suppliers.py",
    "posapp/services/debit_notes.py", "posapp/services/settlement.py",
    "posapp/services/expenses.py", "posapp/services/tally.py", "posapp/services/gstr.py",
    "posapp/api/books.py", "posapp/api/suppliers.py",
]  # fmt: skip


def test_every_source_kind_has_a_label_that_reads_as_before() -> None:
    # The registers and the day book said the kind itself ("supplier payment"); in English
    # they still do, and a kind added later without a label still reads as itself.
    assert set(books_reports.SOURCE_LABELS) == set(SOURCE_KINDS)
    for kind in SOURCE_KINDS:
        assert books_reports.source_label(kind) == kind.replace("_", " ")
    assert books_reports.source_label("new_kind") == "new kind"


def _hindi(client: FlaskClient, url: str) -> str:
    # The tests' app context outlives each request, and Flask-Babel keeps the locale it chose
    # there: forget it so this request's Accept-Language decides.
    flask_babel.refresh()
    response = client.get(url, headers=HINDI)
    flask_babel.refresh()
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _supplier(client: FlaskClient) -> Supplier:
    answer = client.post(
        "/suppliers/new", data={"name": "Kumar Traders", "credit_days": "15",
                                "opening_balance": "1500.00"},
    )  # fmt: skip
    assert answer.status_code == 302
    return db.session.query(Supplier).filter_by(name="Kumar Traders").one()


def test_english_pages_stay_as_they_were(client: FlaskClient, admin: User) -> None:
    login(client, "admin")
    supplier = _supplier(client)
    books = client.get("/books/").get_data(as_text=True)
    assert "Chart of accounts" in books and "Trial balance" in books
    page = client.get(f"/suppliers/{supplier.id}").get_data(as_text=True)
    assert "15 days' credit" in page and "Opening balance" in page and "Record payment" in page
    lines = suppliers.ledger_lines(db.session, supplier.id)
    assert [str(line.label) for line in lines] == ["Opening balance"]


def test_the_books_and_a_supplier_speak_hindi(client: FlaskClient, admin: User) -> None:
    login(client, "admin")
    supplier = _supplier(client)
    books = _hindi(client, "/books/")
    assert "बही-खाते" in books and "खातों की सूची" in books and "ट्रायल बैलेंस" in books
    trial = _hindi(client, "/books/trial-balance")
    assert "नाम (Dr)" in trial and "जमा (Cr)" in trial and "कुल" in trial
    assert 'class="books-code"' in trial  # the code column is found in any language
    chart = _hindi(client, "/books/accounts")
    assert "उप-खाता जोड़ें" in chart and "संपत्ति" in chart
    page = _hindi(client, f"/suppliers/{supplier.id}")
    assert "15 दिन का उधार" in page and "शुरुआती बकाया" in page
    assert "भुगतान दर्ज करें" in page and "खुले बिल, पुराने पहले" in page
    listed = _hindi(client, "/suppliers/")
    assert "सप्लायर जोड़ें" in listed and "चुकाना है" in listed


def test_a_books_error_speaks_hindi_and_writes_nothing(client: FlaskClient, admin: User) -> None:
    login(client, "admin")
    flask_babel.refresh()
    answer = client.post(
        "/books/journal/new",
        data={"day": "2026-11-02", "narration": " ", "account_0": "", "debit_0": "1"},
        headers=HINDI,
    )
    flask_babel.refresh()
    assert answer.status_code == 422
    assert "बताएँ कि एंट्री किसलिए है (विवरण)।" in answer.get_data(as_text=True)
    assert db.session.query(JournalEntry).count() == 0
