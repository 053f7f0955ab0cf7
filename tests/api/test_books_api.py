"""The books API: chart with balances, journal list and manual entries, statements."""

from __future__ import annotations

from datetime import date

from flask.testing import FlaskClient

from posapp.extensions import db
from posapp.models import JournalEntry
from posapp.models.base import write_transaction
from posapp.services import books
from posapp.services.books import cr, dr

DAY = date(2026, 11, 3)


def seed() -> None:
    """Capital 5000, a sale of 1000 + 90 + 90 GST in cash costing 600, rent 200."""
    entries = [
        [dr("cash", 500000), cr("capital", 500000)],
        [dr("inventory", 100000), cr("capital", 100000)],
        [dr("cash", 118000), cr("sales", 100000), cr("output_cgst", 9000),
         cr("output_sgst", 9000), dr("cogs", 60000), cr("inventory", 60000)],
        [dr("expense_rent", 20000), cr("cash", 20000)],
    ]  # fmt: skip
    with write_transaction(db.session):
        for lines in entries:
            books.post(db.session, day=DAY, source_kind="manual", source_id=None, lines=lines)


def test_trial_balance_shape_and_figures(
    client: FlaskClient, admin_headers: dict[str, str]
) -> None:
    seed()
    body = client.get("/api/books/trial-balance?at=2026-11-03", headers=admin_headers).get_json()
    assert body["total_debit"] == body["total_credit"] == "7180.00"
    rows = {row["code"]: row for row in body["accounts"]}
    assert rows["1100"] == {
        "code": "1100", "name": "Cash in drawer", "kind": "cash", "debit": "5980.00",
        "credit": "0.00",
    }  # fmt: skip
    assert rows["4100"]["credit"] == "1000.00"
    empty = client.get("/api/books/trial-balance?at=2026-11-02", headers=admin_headers)
    assert empty.get_json()["accounts"] == []


def test_profit_and_loss_and_balance_sheet(
    client: FlaskClient, admin_headers: dict[str, str]
) -> None:
    seed()
    pnl = client.get(
        "/api/books/profit-and-loss?from=2026-11-01&to=2026-11-30", headers=admin_headers
    ).get_json()
    assert (pnl["net_sales"], pnl["cogs"], pnl["gross_profit"]) == ("1000.00", "600.00", "400.00")
    assert pnl["expenses"] == "200.00" and pnl["net_profit"] == "200.00"
    bs = client.get("/api/books/balance-sheet?at=2026-11-30", headers=admin_headers).get_json()
    assert bs["assets"] == "6380.00" and bs["gst_payable"] == "180.00"
    assert bs["equity"] == "6200.00" and bs["retained_profit"] == "200.00"
    assert bs["liabilities"] == "180.00"


def test_accounts_and_journal_paging(client: FlaskClient, admin_headers: dict[str, str]) -> None:
    seed()
    accounts = client.get("/api/books/accounts?at=2026-11-03", headers=admin_headers).get_json()
    bank = next(a for a in accounts["accounts"] if a["system_key"] == "bank")
    assert bank["methods"] == ["card", "upi", "bank"]
    page = client.get(
        "/api/books/journal?from=2026-11-01&to=2026-11-30&per_page=3", headers=admin_headers
    ).get_json()
    assert page["total"] == 4 and len(page["items"]) == 3
    rest = client.get(
        "/api/books/journal?from=2026-11-01&to=2026-11-30&per_page=3&page=2",
        headers=admin_headers,
    ).get_json()
    assert len(rest["items"]) == 1 and rest["items"][0]["lines"][0]["account_code"] == "6100"
    rent = client.get(
        "/api/books/journal?from=2026-11-01&to=2026-11-30&account=6100", headers=admin_headers
    ).get_json()
    assert rent["total"] == 1
    bad = client.get("/api/books/journal?account=9999", headers=admin_headers)
    assert bad.status_code == 422 and bad.get_json()["error"]["code"] == "validation_error"


def test_manual_entry_posts_or_refuses_with_the_envelope(
    client: FlaskClient, admin_headers: dict[str, str]
) -> None:
    entry = {
        "day": "2026-11-04",
        "narration": "Owner took cash",
        "lines": [{"account": "3200", "debit": "250.50"}, {"account": "1100", "credit": 250.5}],
    }
    created = client.post("/api/books/journal", json=entry, headers=admin_headers)
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    assert body["source_kind"] == "manual" and body["day"] == "2026-11-04"
    assert [(x["account_code"], x["debit"], x["credit"]) for x in body["lines"]] == [
        ("3200", "250.50", "0.00"), ("1100", "0.00", "250.50"),
    ]  # fmt: skip
    count = db.session.query(JournalEntry).count()
    for bad in (
        {**entry, "lines": [{"account": "3200", "debit": "1"}, {"account": "1100", "credit": "2"}]},
        {**entry, "day": 20261104},
        {**entry, "day": "2026-02-30"},
        {**entry, "lines": "x"},
        {**entry, "lines": [{"account": "3200", "debit": "1", "credit": "1"},
                            {"account": "1100", "credit": "0"}]},
        {**entry, "lines": [{"account": "1300", "debit": "1"}, {"account": "1100", "credit": "1"}]},
        {**entry, "lines": [{"account": "3200", "debit": "1.001"},
                            {"account": "1100", "credit": "1.001"}]},
        {**entry, "lines": [{"account": "nope", "debit": "1"}, {"account": "1100", "credit": "1"}]},
    ):  # fmt: skip
        refused = client.post("/api/books/journal", json=bad, headers=admin_headers)
        assert refused.status_code == 422, (bad, refused.get_json())
        assert "error" in refused.get_json()
    assert db.session.query(JournalEntry).count() == count
    assert client.post("/api/books/journal", data="{", headers=admin_headers).status_code == 400


def test_admins_only(
    client: FlaskClient, cashier_headers: dict[str, str], admin_headers: dict[str, str]
) -> None:
    for url in ("/api/books/accounts", "/api/books/journal", "/api/books/trial-balance",
                "/api/books/profit-and-loss", "/api/books/balance-sheet"):  # fmt: skip
        assert client.get(url, headers=cashier_headers).status_code == 403
        assert client.get(url).status_code == 401
    assert client.post("/api/books/journal", json={}, headers=cashier_headers).status_code == 403
    assert client.get("/api/books/trial-balance?at=x", headers=admin_headers).status_code == 422
    assert (
        client.get("/api/books/profit-and-loss?from=2026-11-05&to=2026-11-01",
                   headers=admin_headers).status_code == 422
    )  # fmt: skip
