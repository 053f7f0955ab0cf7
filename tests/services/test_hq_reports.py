"""HQ's reports from pushed records (services/hq_reports.py, hq_projections.py): versions that
replace earlier ones, records HQ cannot read, tenancy, shared khata, stock, books, audit, users.

Records here are written as a shop's outbox writes them (services/sync_outbox.serialize);
tests/services/test_hq_projections.py proves the figures against real shops.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from posapp.cli import main
from posapp.models import AuditLog
from posapp.models.base import table
from posapp.models.hq_views import HqInvoice, HqStock
from posapp.services import hq, hq_projections, hq_reports
from posapp.services.summaries import local_day

AT = "2026-11-20T06:30:00Z"
DAY = local_day(datetime(2026, 11, 20, 6, 30))


def enrolled(session: Session, name: str) -> str:
    """A shop at this HQ that has enrolled; its id."""
    made = hq.create_shop(session, name, None)
    body = {"code": made.code, "shop": {"name": name, "gstin": "", "version": "0.1.0"}}
    return hq.enrol(session, body, "HQ").shop_id


def line(line_id: int, rate_bp: int, taxable: int, tax: int, *, qty: int = 1000) -> dict[str, Any]:
    """An invoice line with its GST split between CGST and SGST."""
    return {
        "id": str(line_id),
        "product_id": "1",
        "code": "P1",
        "name": "Atta",
        "unit": "pcs",
        "qty_milli": qty,
        "tax_rate_bp": rate_bp,
        "taxable": taxable,
        "tax": tax,
        "cgst": tax - tax // 2,
        "sgst": tax // 2,
        "igst": 0,
        "cess": 0,
        "total": taxable + tax,
        "unit_cost": 5000,
    }


def invoice(
    number: str,
    lines: list[dict[str, Any]],
    *,
    paid: int | None = None,
    status: str = "paid",
    customer: str | None = None,
    at: str = AT,
) -> dict[str, Any]:
    """An invoice's data; paid at the sale in cash unless `paid` says less."""
    total = sum(item["total"] for item in lines)
    settled = total if paid is None else paid
    payments = (
        [{"id": "1", "method": "cash", "amount": settled, "created_at": at}] if settled else []
    )
    return {
        "number": number,
        "created_at": at,
        "customer_id": customer,
        "total": total,
        "tax_total": sum(item["tax"] for item in lines),
        "discount_total": 0,
        "paid": settled,
        "status": status,
        "tax_rule": 2,
        "lines": lines,
        "payments": payments,
    }


def push(session: Session, shop_id: str, *records: tuple[str, str, dict[str, Any]]) -> None:
    """Push one changeset holding `records` (kind, id, data) as the shop's next seq."""
    seq = hq.acked_seq(session, shop_id) + 1
    body = {
        "shop_id": shop_id,
        "changesets": [
            {"seq": seq, "records": [{"kind": k, "id": i, "data": d} for k, i, d in records]}
        ],
    }
    hq.ingest(session, shop_id, hq.parse_push(body))


def test_a_later_version_of_a_bill_replaces_its_figures(session: Session) -> None:
    shop = enrolled(session, "Main Road")
    lines = [line(1, 500, 10000, 500), line(2, 1800, 2000, 360)]
    push(session, shop, ("invoice", "7", invoice("INV-7", lines, paid=0, customer="3")))
    held = hq_reports.figures(session, shop, DAY, DAY)[(shop, None)]
    assert (held.bills, held.gross, held.paid, held.credit, held.tax) == (1, 12860, 0, 12860, 860)
    assert held.cost == 10000  # two lines of 1 at 50.00

    # Paid later: the bill comes again with its new `paid`; the day's figures keep the sale's.
    later = invoice("INV-7", lines, paid=0, customer="3")
    later["paid"] = 12860
    push(session, shop, ("invoice", "7", later))
    rows = list(session.scalars(select(HqInvoice)))
    assert [(r.invoice_id, r.paid) for r in rows] == [("7", 12860)]
    assert hq_reports.figures(session, shop, DAY, DAY)[(shop, None)].credit == 12860

    # Voided: the bill leaves the sales and the tax report, its rows stay one each.
    push(session, shop, ("invoice", "7", invoice("INV-7", lines, status="void")))
    assert hq_reports.figures(session, shop, DAY, DAY).get((shop, None)) is None
    assert hq_reports.tax_sums(session, shop, DAY, DAY) == {}
    assert len(list(session.scalars(select(HqInvoice)))) == 1


def test_a_return_comes_off_its_own_day_with_the_rate_of_the_line_returned(
    session: Session,
) -> None:
    shop = enrolled(session, "Main Road")
    lines = [line(11, 500, 10000, 500), line(12, 1800, 2000, 360)]
    push(session, shop, ("invoice", "1", invoice("INV-1", lines)))
    note = {
        "number": "CN-1",
        "invoice_id": "1",
        "created_at": AT,
        "restock": True,
        "refund_method": "cash",
        "taxable_total": 2000,
        "tax_total": 360,
        "total": 2360,
        "applied": 0,
        "refund": 2360,
        "tax_rule": 2,
        "lines": [
            {
                "id": "1",
                "invoice_line_id": "12",
                "qty_milli": 1000,
                "taxable": 2000,
                "tax": 360,
                "cgst": 180,
                "sgst": 180,
                "igst": 0,
                "cess": 0,
                "total": 2360,
            }
        ],
    }
    push(session, shop, ("credit_note", "1", note))  # the bill it returns came in an earlier push
    held = hq_reports.figures(session, shop, DAY, DAY)[(shop, None)]
    assert (held.gross, held.returns, held.sales, held.paid) == (12860, 2360, 10500, 10500)
    assert held.cost == 5000  # the restocked line's cost came back
    assert hq_reports.tax_sums(session, shop, DAY, DAY) == {
        500: [10000, 500, 250, 250, 0, 0],
        1800: [0, 0, 0, 0, 0, 0],
    }


def test_records_hq_cannot_read_are_stored_but_not_counted(session: Session) -> None:
    shop = enrolled(session, "Main Road")
    broken = invoice("INV-1", [line(1, 0, 1000, 0)])
    broken["created_at"] = "yesterday"
    odd = invoice("INV-2", [line(2, 0, 1000, 0)])
    odd["total"] = "a lot"
    odd["lines"].append("not a line")
    push(session, shop, ("invoice", "1", broken), ("invoice", "2", odd), ("ledger_entry", "1", {}))
    assert [r.invoice_id for r in session.scalars(select(HqInvoice))] == ["2"]
    held = hq_reports.figures(session, shop, DAY, DAY)[(shop, None)]
    assert (held.bills, held.gross) == (1, 0)
    assert len(hq.records_of(session, shop)) == 3


def test_every_report_keeps_to_the_shop_asked_for(session: Session) -> None:
    first = enrolled(session, "Main Road")
    second = enrolled(session, "Station Road")
    push(session, first, ("invoice", "1", invoice("A-1", [line(1, 500, 10000, 500)])))
    push(session, second, ("invoice", "1", invoice("B-1", [line(1, 500, 20000, 1000)])))
    one = hq_reports.sales_by_day(session, first, DAY, DAY)
    both = hq_reports.sales_by_day(session, None, DAY, DAY)
    assert one.rows == [[DAY, 1, 10500, 0, 10500, 500, 10000, 5000, 10500, 0]]
    assert both.rows[0][:3] == [DAY, 2, 31500]
    per_shop = hq_reports.sales_by_shop(session, None, DAY, DAY)
    assert [row[:3] for row in per_shop.rows] == [
        ["Main Road", 1, 10500],
        ["Station Road", 1, 21000],
    ]
    board = hq_reports.dashboard(session, None, "months", DAY)
    assert board.total.sales == sum(row.figures.sales for row in board.rows) == 31500
    assert hq_reports.dashboard(session, second, "today", DAY).total.sales == 21000
    assert hq_reports.tax_sums(session, second, DAY, DAY) == {500: [20000, 1000, 500, 500, 0, 0]}


def _customer(phone: str, name: str) -> dict[str, Any]:
    return {"name": name, "phone": f"+{phone}", "phone_digits": phone, "archived": False}


def _entry(customer: str, amount: int) -> dict[str, Any]:
    return {"customer_id": customer, "kind": "sale", "amount": amount, "created_at": AT}


def test_shared_customers_sum_one_phone_numbers_khata_at_every_shop(session: Session) -> None:
    first = enrolled(session, "Main Road")
    second = enrolled(session, "Station Road")
    push(
        session,
        first,
        ("customer", "1", _customer("919876543210", "Sunita")),
        ("customer", "2", _customer("919811111111", "Ravi")),
        ("ledger_entry", "1", _entry("1", 50000)),
        ("ledger_entry", "2", _entry("2", 1000)),
    )
    push(
        session,
        second,
        ("customer", "9", _customer("919876543210", "Sunita Devi")),
        ("ledger_entry", "4", _entry("9", 25000)),
        ("ledger_entry", "5", _entry("9", -5000)),
    )
    apart = hq_reports.khata(session, None, shared=False)
    assert [(d.name, d.due) for d in apart] == [
        ("Sunita", 50000),
        ("Sunita Devi", 20000),
        ("Ravi", 1000),
    ]
    shared = hq_reports.khata(session, None, shared=True)
    assert [(d.due, d.shops) for d in shared] == [
        (70000, (("Main Road", 50000), ("Station Road", 20000))),
        (1000, (("Main Road", 1000),)),
    ]
    assert [d.due for d in hq_reports.khata(session, second, shared=True)] == [20000]
    assert hq_reports.outstanding(session, None) == 71000
    assert hq_reports.customer_due(session, "+91 98765-43210") == {
        "phone": "919876543210",
        "due": 70000,
        "shops": [{"name": "Main Road", "due": 50000}, {"name": "Station Road", "due": 20000}],
    }
    assert hq_reports.customer_due(session, "919000000000")["due"] == 0


def test_sharing_customers_is_the_owners_choice_and_audited(session: Session) -> None:
    assert hq_reports.customers_shared(session) is False
    hq_reports.set_customers_shared(session, True, None)
    assert hq_reports.customers_shared(session) is True
    entry = session.scalar(select(AuditLog).order_by(AuditLog.id.desc()))
    assert entry is not None and entry.action == "hq.customers_shared"
    hq_reports.set_customers_shared(session, False, None)
    assert hq_reports.customers_shared(session) is False


@pytest.mark.parametrize("phone", ["", "12", "abc", "9" * 41, None])
def test_a_phone_that_is_no_phone_is_refused(session: Session, phone: Any) -> None:
    with pytest.raises(hq.ValidationError):
        hq_reports.customer_due(session, phone)


def _product(code: str, name: str, stock: int, price: int = 1000) -> dict[str, Any]:
    return {
        "code": code,
        "name": name,
        "unit": "pcs",
        "price": price,
        "stock_milli": stock,
        "is_service": False,
        "archived": False,
    }


def test_the_stock_matrix_puts_each_product_of_each_shop_in_its_column(session: Session) -> None:
    first = enrolled(session, "Main Road")
    second = enrolled(session, "Station Road")
    push(session, first, ("product", "1", _product("A1", "Atta", 5000)))
    push(session, first, ("product", "2", _product("S1", "Soap", 0)))
    push(session, second, ("product", "7", _product("A1", "Atta", -1000)))
    columns, lines = hq_reports.stock_matrix(session, None)
    assert [c.name for c in columns] == ["Main Road", "Station Road"]
    assert [(ln.code, ln.stock, ln.value) for ln in lines] == [
        ("A1", [5000, -1000], 5000),
        ("S1", [0, None], 0),
    ]
    _columns, out = hq_reports.stock_matrix(session, first, out_only=True)
    assert [(ln.code, ln.stock) for ln in out] == [("S1", [0])]
    assert [ln.code for ln in hq_reports.stock_matrix(session, None, query="soa")[1]] == ["S1"]
    # A later version (stock moved at the shop) replaces the row.
    push(session, first, ("product", "2", _product("S1", "Soap", 12000)))
    assert session.get(HqStock, (first, "2")).stock_milli == 12000


def test_low_stock_is_each_shops_own_level(session: Session) -> None:
    first = enrolled(session, "Main Road")
    second = enrolled(session, "Station Road")
    # Rice: 3 left at Main Road, whose level is 5 (low); 3 at Station Road, level 2 (fine).
    push(
        session, first, ("product", "1", {**_product("R1", "Rice", 3000), "low_stock_milli": 5000})
    )
    push(
        session, second, ("product", "4", {**_product("R1", "Rice", 3000), "low_stock_milli": 2000})
    )
    push(
        session, second, ("product", "5", {**_product("D1", "Dal", 9000), "low_stock_milli": 2000})
    )
    _columns, lines = hq_reports.stock_matrix(session, None)
    assert [(ln.code, ln.low) for ln in lines] == [("D1", [False, False]), ("R1", [True, False])]
    assert [ln.code for ln in hq_reports.stock_matrix(session, None, low_only=True)[1]] == ["R1"]
    # One shop's view: Station Road is low on nothing.
    assert hq_reports.stock_matrix(session, second, low_only=True)[1] == []


def test_a_shops_trial_balance_sums_its_journal_lines(session: Session) -> None:
    shop = enrolled(session, "Main Road")
    entry = {
        "day": "2026-11-20",
        "lines": [
            {"id": "1", "account_id": "10", "debit": 11800, "credit": 0},
            {"id": "2", "account_id": "40", "debit": 0, "credit": 10000},
            {"id": "3", "account_id": "9", "debit": 0, "credit": 1800},
        ],
    }
    push(session, shop, ("journal_entry", "1", entry))
    report = hq_reports.trial_balance(session, shop, date(2026, 11, 30))
    # Accounts the shop has not sent yet show by their id.
    assert report.rows == [["#9", "", 0, 1800], ["#10", "", 11800, 0], ["#40", "", 0, 10000]]
    assert list(report.totals.values()) == [11800, 11800]
    assert hq_reports.trial_balance(session, shop, date(2026, 11, 19)).rows == []


def _account(code: str, name: str) -> dict[str, Any]:
    return {"code": code, "name": name, "kind": "asset", "parent_id": None, "archived": False}


def test_books_are_consolidated_across_shops_by_account_code(session: Session) -> None:
    first = enrolled(session, "Main Road")
    second = enrolled(session, "Station Road")
    # The same chart at both shops, under different local ids.
    push(session, first, ("account", "3", _account("1100", "Cash")))
    push(session, first, ("account", "7", _account("4000", "Sales")))
    push(session, second, ("account", "12", _account("1100", "Cash")))
    push(session, second, ("account", "15", _account("4000", "Sales")))

    def sale(cash_id: str, sales_id: str, amount: int) -> dict[str, Any]:
        return {
            "day": "2026-11-20",
            "lines": [
                {"id": "1", "account_id": cash_id, "debit": amount, "credit": 0},
                {"id": "2", "account_id": sales_id, "debit": 0, "credit": amount},
            ],
        }

    push(session, first, ("journal_entry", "1", sale("3", "7", 10000)))
    push(session, second, ("journal_entry", "1", sale("12", "15", 2550)))
    end = date(2026, 11, 30)
    assert hq_reports.trial_balance(session, first, end).rows == [
        ["1100", "Cash", 10000, 0],
        ["4000", "Sales", 0, 10000],
    ]
    together = hq_reports.trial_balance(session, None, end)
    assert together.rows == [["1100", "Cash", 12550, 0], ["4000", "Sales", 0, 12550]]
    assert list(together.totals.values()) == [12550, 12550]


def test_the_audit_across_shops_is_newest_first_filtered_and_paged(session: Session) -> None:
    first = enrolled(session, "Main Road")
    second = enrolled(session, "Station Road")
    user = {"username": "asha", "role": "cashier", "active": True, "language": "hi"}
    push(session, first, ("user", "5", user))
    entries = [
        (
            "audit",
            str(i),
            {
                "created_at": f"2026-11-20T06:{i:02d}:00Z",
                "action": "sale",
                "user_id": "5",
                "entity": "invoice",
                "entity_id": str(i),
            },
        )
        for i in range(60)
    ]
    push(session, first, *entries)
    push(
        session,
        second,
        (
            "audit",
            "1",
            {"created_at": "2026-11-21T06:00:00Z", "action": "login.ok", "user_id": "1"},
        ),
    )
    lines, count = hq_reports.audit_page(session, None)
    assert count == 61 and len(lines) == hq_reports.AUDIT_PAGE
    assert (lines[0].shop, lines[0].action) == ("Station Road", "login.ok")
    assert (lines[1].shop, lines[1].user, lines[1].entity_id) == ("Main Road", "asha", "59")
    rest, _count = hq_reports.audit_page(session, None, page=2)
    assert len(rest) == 11 and rest[-1].entity_id == "0"
    only, found = hq_reports.audit_page(session, first, action="login.ok")
    assert (only, found) == ([], 0)
    assert hq_reports.audit_page(session, None, user="5")[1] == 60
    assert hq_reports.audit_actions(session) == ["login.ok", "sale"]


def test_a_shops_users_are_what_it_sent(session: Session) -> None:
    shop = enrolled(session, "Main Road")
    assert hq_reports.shop_users(session, shop) == []
    push(
        session,
        shop,
        ("user", "2", {"username": "ravi", "role": "admin", "active": False}),
        ("user", "1", {"username": "Asha", "role": "cashier", "active": True, "language": "hi"}),
    )
    users = hq_reports.shop_users(session, shop)
    assert [(u.username, u.role, u.active, u.language) for u in users] == [
        ("Asha", "cashier", True, "hi"),
        ("ravi", "admin", False, ""),
    ]


def test_rebuilding_one_shop_leaves_the_others_alone(session: Session) -> None:
    first = enrolled(session, "Main Road")
    second = enrolled(session, "Station Road")
    push(session, first, ("invoice", "1", invoice("A-1", [line(1, 500, 10000, 500)])))
    push(session, second, ("invoice", "1", invoice("B-1", [line(1, 500, 20000, 1000)])))
    before = hq_reports.figures(session, None, DAY, DAY)
    assert hq_projections.rebuild(session, first) == 1
    assert hq_reports.figures(session, None, DAY, DAY) == before
    assert hq_projections.rebuild(session) == 2
    assert hq_reports.figures(session, None, DAY, DAY) == before
    entry = session.scalar(select(AuditLog).order_by(AuditLog.id.desc()))
    assert entry is not None and entry.action == "hq.projections_rebuild"


def test_the_rebuild_command_makes_the_tables_again(session: Session, data_dir: Path) -> None:
    shop = enrolled(session, "Main Road")
    push(session, shop, ("invoice", "1", invoice("A-1", [line(1, 500, 10000, 500)])))
    session.execute(delete(table(HqInvoice)))
    session.commit()
    assert hq_reports.sales_by_day(session, shop, DAY, DAY).rows  # hq_daily still has the day
    session.rollback()  # no read stays open across the command's write
    ran = CliRunner().invoke(main, ["--data-dir", str(data_dir), "hq", "rebuild", "--shop", shop])
    assert ran.exit_code == 0, ran.output
    assert "rebuilt from 1 records" in ran.output
    assert [r.invoice_id for r in session.scalars(select(HqInvoice))] == ["1"]
