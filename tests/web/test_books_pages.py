"""The books' pages: statements with CSV and PDF, the chart, manual entries, admin only."""

from __future__ import annotations

from datetime import date

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from posapp.extensions import db
from posapp.models import Account, JournalEntry, User
from posapp.models.base import write_transaction
from posapp.services import books
from posapp.services.books import cr, dr
from posapp.services.ledger import local_today
from tests.factories import make_customer

STATEMENTS = (
    "trial-balance", "profit-and-loss", "balance-sheet", "day-book", "account-book",
    "sales-register", "purchase-register", "gst-ledger",
)  # fmt: skip


def post_capital(day: date, amount: int = 500000) -> int:
    with write_transaction(db.session):
        entry_id = books.post(
            db.session, day=day, source_kind="manual", source_id=None,
            lines=[dr("cash", amount), cr("capital", amount)], narration="Capital brought in",
        )  # fmt: skip
    assert entry_id is not None
    return entry_id


def account_id(code: str) -> int:
    return int(db.session.scalar(select(Account.id).where(Account.code == code)))


def entries() -> int:
    return db.session.query(JournalEntry).count()


@pytest.mark.parametrize("name", STATEMENTS)
def test_each_statement_shows_and_downloads(admin_client: FlaskClient, name: str) -> None:
    today = local_today()
    post_capital(today)
    query = f"from={today.isoformat()}&to={today.isoformat()}&at={today.isoformat()}"
    page = admin_client.get(f"/books/{name}?{query}")
    assert page.status_code == 200, page.text
    assert 'data-statement="' + name + '"' in page.text
    csv = admin_client.get(f"/books/{name}?{query}&format=csv")
    assert csv.status_code == 200 and csv.mimetype == "text/csv"
    assert csv.text.splitlines()[0].count(",") >= 2
    pdf = admin_client.get(f"/books/{name}?{query}&format=pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")


def test_trial_balance_page_and_csv_figures(admin_client: FlaskClient) -> None:
    post_capital(date(2026, 11, 3))
    page = admin_client.get("/books/trial-balance?at=2026-11-03")
    assert "Cash in drawer" in page.text and "Owner&#39;s capital" in page.text
    csv = admin_client.get("/books/trial-balance?at=2026-11-03&format=csv").text.splitlines()
    assert "1100,Cash in drawer,5000.00," in csv
    assert ",Total,5000.00,5000.00" in csv
    before = admin_client.get("/books/trial-balance?at=2026-11-02&format=csv").text
    assert "Cash in drawer" not in before


def test_bad_dates_and_parties_answer_422_and_csv_refuses(admin_client: FlaskClient) -> None:
    page = admin_client.get("/books/trial-balance?at=2026-13-40")
    assert page.status_code == 422 and "data-form-error" in page.text
    assert admin_client.get("/books/day-book?from=2026-11-05&to=2026-11-01").status_code == 422
    assert admin_client.get("/books/account-book?account=99999").status_code == 422
    assert admin_client.get("/books/account-book?account=x1").status_code == 422
    assert admin_client.get("/books/customer-ledger?customer=424242").status_code == 422
    assert admin_client.get("/books/customer-ledger").status_code == 200  # asks for one
    assert admin_client.get("/books/trial-balance?at=bad&format=csv").status_code == 422
    assert admin_client.get("/books/nope").status_code == 404


def test_customer_ledger_page(admin_client: FlaskClient, admin: User) -> None:
    customer = make_customer(db.session, admin, name="Asha")
    with write_transaction(db.session):
        books.post(
            db.session, day=date(2026, 11, 3), source_kind="manual", source_id=None,
            lines=[dr("receivable", 7000, customer_id=customer.id), cr("sales", 7000)],
        )  # fmt: skip
    page = admin_client.get(
        f"/books/customer-ledger?customer={customer.id}&from=2026-11-01&to=2026-11-30"
    )
    assert page.status_code == 200 and "Asha" in page.text
    assert f'<option value="{customer.id}" selected>Asha</option>' in page.text


def test_only_admins(cashier_client: FlaskClient) -> None:
    for url in ("/books/", "/books/trial-balance", "/books/accounts", "/books/journal/new"):
        assert cashier_client.get(url).status_code == 403
    assert cashier_client.post("/books/journal/new", data={}).status_code == 403
    assert cashier_client.post("/books/accounts", data={}).status_code == 403


def test_manual_entry_form_refuses_unbalanced_and_posts_balanced(
    admin_client: FlaskClient,
) -> None:
    assert admin_client.get("/books/journal/new").status_code == 200
    form = {
        "day": "2026-11-21", "narration": "Owner took cash home",
        "account_0": str(account_id("3200")), "debit_0": "100", "credit_0": "", "party_0": "",
        "account_1": str(account_id("1100")), "debit_1": "", "credit_1": "99", "party_1": "",
        "account_2": "", "debit_2": "", "credit_2": "", "party_2": "",
    }  # fmt: skip
    before = entries()
    refused = admin_client.post("/books/journal/new", data=form)
    assert refused.status_code == 422
    assert "does not balance: debits 100.00, credits 99.00" in refused.text
    assert 'value="Owner took cash home"' in refused.text  # the form keeps what was typed
    assert entries() == before
    for bad in ({"debit_0": "1e3"}, {"debit_0": "١٠٠"}, {"day": "yesterday"}, {"narration": " "}):
        assert admin_client.post("/books/journal/new", data={**form, **bad}).status_code == 422
    assert entries() == before
    done = admin_client.post("/books/journal/new", data={**form, "credit_1": "100"})
    assert done.status_code == 302 and "day-book" in done.location
    assert entries() == before + 1
    assert books.balance(db.session, "drawings") == 10000


def test_reverse_button_posts_the_mirror_once(admin_client: FlaskClient) -> None:
    entry_id = post_capital(local_today())
    page = admin_client.get("/books/day-book")
    assert f"/books/journal/{entry_id}/reverse" in page.text
    assert admin_client.post(f"/books/journal/{entry_id}/reverse").status_code == 302
    assert books.balance(db.session, "cash") == 0
    again = admin_client.post(f"/books/journal/{entry_id}/reverse", follow_redirects=True)
    assert "already been reversed" in again.text
    assert books.balance(db.session, "cash") == 0
    assert admin_client.post("/books/journal/999999/reverse").status_code == 404


def test_chart_page_adds_renames_archives_and_deletes(admin_client: FlaskClient) -> None:
    page = admin_client.get("/books/accounts")
    assert page.status_code == 200 and 'data-account="1100"' in page.text
    sales = account_id("4100")
    added = admin_client.post(
        "/books/accounts",
        data={"what": "sub", "code": "4110", "name": "Online sales", "parent_id": str(sales)},
    )
    assert added.status_code == 302
    online = db.session.scalar(select(Account).where(Account.code == "4110"))
    assert online.kind == "income" and online.parent_id == sales
    taken = admin_client.post(
        "/books/accounts", data={"what": "sub", "code": "4110", "name": "Dup", "parent_id": "1"}
    )
    assert taken.status_code == 422 and "taken" in taken.text
    assert (
        admin_client.post(
            "/books/accounts", data={"what": "sub", "code": "ab", "name": "X", "parent_id": "1"}
        ).status_code
        == 422
    )
    bank = admin_client.post(
        "/books/accounts",
        data={"what": "bank", "code": "1210", "name": "HDFC current", "methods": ["upi"]},
    )
    assert bank.status_code == 302
    hdfc = db.session.scalar(select(Account).where(Account.code == "1210"))
    assert books.method_account(db.session, "upi") == hdfc.id
    admin_client.post(f"/books/accounts/{online.id}", data={"action": "rename", "name": "Web"})
    db.session.expire_all()
    assert db.session.get(Account, online.id).name == "Web"
    with write_transaction(db.session):
        books.post(
            db.session, day=date(2026, 11, 3), source_kind="manual", source_id=None,
            lines=[dr("cash", 100), cr(online.id, 100)],
        )  # fmt: skip
    refused = admin_client.post(
        f"/books/accounts/{online.id}", data={"action": "delete"}, follow_redirects=True
    )
    assert "archive it instead" in refused.text
    admin_client.post(f"/books/accounts/{online.id}", data={"action": "archive"})
    db.session.expire_all()
    assert db.session.get(Account, online.id).archived
    standard = admin_client.post(
        f"/books/accounts/{account_id('1100')}", data={"action": "archive"}, follow_redirects=True
    )
    assert "cannot be archived" in standard.text
    admin_client.post(f"/books/accounts/{hdfc.id}", data={"action": "delete"})
    assert db.session.scalar(select(Account).where(Account.code == "1210")) is None


def test_nav_links_the_books_for_admins(admin_client: FlaskClient) -> None:
    assert 'href="/books/"' in admin_client.get("/reports/").text


def test_long_periods_and_long_pdfs_are_refused(
    admin_client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    post_capital(date(2026, 11, 3))
    long = admin_client.get("/books/day-book?from=2026-10-01&to=2026-11-30")
    assert long.status_code == 422 and "at most 31 days" in long.text
    assert admin_client.get("/books/day-book?from=2026-11-01&to=2026-11-30").status_code == 200
    year = "from=2025-01-01&to=2026-11-30"
    assert admin_client.get(f"/books/account-book?{year}&format=csv").status_code == 422
    assert admin_client.get(f"/books/sales-register?{year}").status_code == 200
    from posapp.web import books as books_web

    monkeypatch.setattr(books_web, "PDF_ROWS", 2)
    pdf = admin_client.get("/books/trial-balance?at=2026-11-03&format=pdf")
    assert pdf.status_code == 422
    assert admin_client.get("/books/trial-balance?at=2026-11-03&format=csv").status_code == 200


def test_a_long_account_book_page_shows_its_first_rows_and_closing(
    admin_client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    for day in (1, 2, 3, 4):
        post_capital(date(2026, 11, day), 100 * day)
    from posapp.web import books as books_web

    monkeypatch.setattr(books_web, "SHOWN_ROWS", 3)
    cash = account_id("1100")
    url = f"/books/account-book?account={cash}&from=2026-11-01&to=2026-11-30"
    page = admin_client.get(url).text
    assert "6 rows; the first 2 and the last are shown" in page
    assert "Closing balance" in page and "<td>#1</td>" in page and "<td>#2</td>" not in page
    csv = admin_client.get(url + "&format=csv").text.splitlines()
    assert len(csv) == 7 and csv[-1].endswith(",Closing balance,10.00,0.00,10.00")
