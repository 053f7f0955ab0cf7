"""Tally XML and CSV of a hand-computed month of entries, voucher by voucher."""

from __future__ import annotations

import csv
import io
import xml.etree.ElementTree as ET
from datetime import date
from decimal import Decimal

import pytest
from flask import Flask

from posapp.errors import ValidationError
from posapp.extensions import db
from posapp.models import User
from posapp.models.base import write_transaction
from posapp.services import books, suppliers, tally
from posapp.services.books import cr, dr
from tests.factories import make_customer

NOV = (date(2026, 11, 1), date(2026, 11, 30))


def post(
    day: date, kind: str, lines: list[books.Line], reference: str = "", narration: str = ""
) -> int:
    with write_transaction(db.session):
        entry_id = books.post(
            db.session, day=day, source_kind=kind, source_id=1, lines=lines,
            reference=reference, narration=narration,
        )  # fmt: skip
    assert entry_id is not None
    return entry_id


@pytest.fixture
def month(app: Flask, admin: User) -> dict[str, int]:
    """November 2026 as the events will post it; one entry either side of the month."""
    customer = make_customer(db.session, admin, name="Sharma & Sons")
    supplier = suppliers.create_supplier(db.session, {"name": 'Gupta "<Wholesale>"'}, admin)
    c, s = {"customer_id": customer.id}, {"supplier_id": supplier.id}
    post(date(2026, 10, 31), "manual", [dr("cash", 100000), cr("capital", 100000)], "", "Before")
    ids = {
        # A cash sale of ₹104.99 rounded up to ₹105.00, 5% GST split, cost ₹70.00.
        "cash_sale": post(date(2026, 11, 2), "sale", [
            dr("cash", 10500), cr("sales", 9999), cr("output_cgst", 250),
            cr("output_sgst", 250), cr("round_off", 1), dr("cogs", 7000), cr("inventory", 7000),
        ], "INV/0001", "Sale INV/0001"),
        "credit_sale": post(date(2026, 11, 3), "sale", [
            dr("receivable", 21000, **c), cr("sales", 20000), cr("output_cgst", 500),
            cr("output_sgst", 500),
        ], "INV/0002", "Sale INV/0002 on credit"),
        "receipt": post(date(2026, 11, 10), "payment", [
            dr("bank", 15000), cr("receivable", 15000, **c),
        ], "", "Payment by UPI"),
        "purchase": post(date(2026, 11, 12), "purchase", [
            dr("inventory", 50000), dr("input_cgst", 1250), dr("input_sgst", 1250),
            cr("payable", 52500, **s),
        ], "PUR/0001", "Bill 778 of Gupta"),
        "supplier_payment": post(date(2026, 11, 15), "supplier_payment", [
            dr("payable", 26250, **s), cr("cash", 26250),
        ], "SP/0001", "Half of PUR/0001"),
        "credit_note": post(date(2026, 11, 18), "return", [
            dr("sales_returns", 5000), dr("output_cgst", 125), dr("output_sgst", 125),
            cr("receivable", 5250, **c), dr("inventory", 3500), cr("cogs", 3500),
        ], "CN/0001", "Return on INV/0002"),
        "expense": post(date(2026, 11, 20), "expense", [
            dr("expense_rent", 300000), cr("bank", 300000),
        ], "", "दुकान का किराया"),
        "journal": post(date(2026, 11, 30), "manual", [
            dr("drawings", 1000), cr("capital", 1000),
        ], "", 'Owner\'s "tea" <& snacks>'),
    }  # fmt: skip
    post(date(2026, 12, 1), "manual", [dr("drawings", 5), cr("cash", 5)], "", "After")
    return ids


def xml_of(text: str) -> ET.Element:
    return ET.fromstring(text.encode("utf-8"))  # noqa: S314 (our own export, not untrusted)


def parsed(start: date = NOV[0], end: date = NOV[1], company: str = "") -> ET.Element:
    return xml_of("".join(tally.tally_xml(db.session, start, end, company)))


def vouchers(root: ET.Element) -> list[tuple[str, str, str, str, list[tuple[str, str, str]]]]:
    return [
        (
            v.get("VCHTYPE", ""),
            v.findtext("DATE", ""),
            v.findtext("VOUCHERNUMBER", ""),
            v.findtext("NARRATION", ""),
            [
                (
                    e.findtext("LEDGERNAME", ""),
                    e.findtext("ISDEEMEDPOSITIVE", ""),
                    e.findtext("AMOUNT", ""),
                )
                for e in v.findall("ALLLEDGERENTRIES.LIST")
            ],
        )
        for v in root.iter("VOUCHER")
    ]


def test_the_envelope_is_tallys_import_request(month: dict[str, int]) -> None:
    root = parsed(company="Ravi's Kirana & General")
    assert root.tag == "ENVELOPE"
    assert root.findtext("HEADER/TALLYREQUEST") == "Import Data"
    desc = root.find("BODY/IMPORTDATA/REQUESTDESC")
    assert desc is not None and desc.findtext("REPORTNAME") == "Vouchers"
    assert desc.findtext("STATICVARIABLES/SVCURRENTCOMPANY") == "Ravi's Kirana & General"
    messages = root.findall("BODY/IMPORTDATA/REQUESTDATA/TALLYMESSAGE")
    kinds = [next(iter(m)).tag for m in messages]
    # Masters first, then vouchers, one object per message.
    assert kinds == sorted(kinds) and kinds.count("VOUCHER") == 8
    assert all(len(m) == 1 for m in messages)
    for voucher in root.iter("VOUCHER"):
        assert voucher.get("ACTION") == "Create"
        assert (
            voucher.get("OBJVIEW") == voucher.findtext("PERSISTEDVIEW") == "Accounting Voucher View"
        )
        assert voucher.findtext("VOUCHERTYPENAME") == voucher.get("VCHTYPE")
        assert voucher.findtext("EFFECTIVEDATE") == voucher.findtext("DATE")


def test_every_ledger_a_voucher_names_has_a_master_and_every_voucher_balances(
    month: dict[str, int],
) -> None:
    root = parsed()
    masters = {ledger.get("NAME"): ledger.findtext("PARENT") for ledger in root.iter("LEDGER")}
    assert all(ledger.findtext("NAME.LIST/NAME") == name for name, ledger in
               ((x.get("NAME"), x) for x in root.iter("LEDGER")))  # fmt: skip
    named = {e.findtext("LEDGERNAME") for e in root.iter("ALLLEDGERENTRIES.LIST")}
    assert named == set(masters)  # no master for a ledger this range does not use
    for voucher in root.iter("VOUCHER"):
        amounts = [Decimal(x.text or "") for x in voucher.iter("AMOUNT")]
        assert sum(amounts) == 0
        for entry in voucher.findall("ALLLEDGERENTRIES.LIST"):
            negative = Decimal(entry.findtext("AMOUNT", "")) < 0
            assert entry.findtext("ISDEEMEDPOSITIVE") == ("Yes" if negative else "No")
    assert masters == {
        "Sharma & Sons": "Sundry Debtors",
        'Gupta "<Wholesale>"': "Sundry Creditors",
        "Cash in drawer": "Cash-in-Hand",
        "Bank": "Bank Accounts",
        "Inventory (stock)": "Current Assets",
        "Input CGST": "Duties & Taxes",
        "Input SGST": "Duties & Taxes",
        "Output CGST": "Duties & Taxes",
        "Output SGST": "Duties & Taxes",
        "Owner's capital": "Capital Account",
        "Owner's drawings": "Capital Account",
        "Sales": "Sales Accounts",
        "Sales returns": "Sales Accounts",
        "Round-off": "Indirect Incomes",
        "Cost of goods sold": "Purchase Accounts",
        "Rent": "Indirect Expenses",
    }


def test_each_voucher_of_the_month_by_hand(month: dict[str, int]) -> None:
    shop, gupta = "Sharma & Sons", 'Gupta "<Wholesale>"'
    assert vouchers(parsed()) == [
        ("Sales", "20261102", "INV/0001", "Sale INV/0001", [
            ("Cash in drawer", "Yes", "-105.00"),
            ("Cost of goods sold", "Yes", "-70.00"),
            ("Sales", "No", "99.99"),
            ("Output CGST", "No", "2.50"),
            ("Output SGST", "No", "2.50"),
            ("Round-off", "No", "0.01"),
            ("Inventory (stock)", "No", "70.00"),
        ]),
        ("Sales", "20261103", "INV/0002", "Sale INV/0002 on credit", [
            (shop, "Yes", "-210.00"),
            ("Sales", "No", "200.00"),
            ("Output CGST", "No", "5.00"),
            ("Output SGST", "No", "5.00"),
        ]),
        ("Receipt", "20261110", f"JV/{month['receipt']}", "Payment by UPI", [
            ("Bank", "Yes", "-150.00"),
            (shop, "No", "150.00"),
        ]),
        ("Purchase", "20261112", "PUR/0001", "Bill 778 of Gupta", [
            ("Inventory (stock)", "Yes", "-500.00"),
            ("Input CGST", "Yes", "-12.50"),
            ("Input SGST", "Yes", "-12.50"),
            (gupta, "No", "525.00"),
        ]),
        ("Payment", "20261115", "SP/0001", "Half of PUR/0001", [
            (gupta, "Yes", "-262.50"),
            ("Cash in drawer", "No", "262.50"),
        ]),
        ("Credit Note", "20261118", "CN/0001", "Return on INV/0002", [
            ("Sales returns", "Yes", "-50.00"),
            ("Output CGST", "Yes", "-1.25"),
            ("Output SGST", "Yes", "-1.25"),
            ("Inventory (stock)", "Yes", "-35.00"),
            (shop, "No", "52.50"),
            ("Cost of goods sold", "No", "35.00"),
        ]),
        ("Payment", "20261120", f"JV/{month['expense']}", "दुकान का किराया", [
            ("Rent", "Yes", "-3000.00"),
            ("Bank", "No", "3000.00"),
        ]),
        ("Journal", "20261130", f"JV/{month['journal']}", 'Owner\'s "tea" <& snacks>', [
            ("Owner's drawings", "Yes", "-10.00"),
            ("Owner's capital", "No", "10.00"),
        ]),
    ]  # fmt: skip
    # The party ledger Tally shows on the voucher.
    parties = [v.findtext("PARTYLEDGERNAME") for v in parsed().iter("VOUCHER")]
    assert parties == [None, shop, shop, gupta, gupta, shop, None, None]


def test_names_are_escaped_and_same_names_get_apart(app: Flask, admin: User) -> None:
    first = make_customer(db.session, admin, name="Ramesh <b>&amp;</b>")
    second = make_customer(db.session, admin, name="ramesh <B>&amp;</B>")
    named_like_account = make_customer(db.session, admin, name="Cash in drawer")
    # Already named like the suffix the account would take.
    sly = make_customer(db.session, admin, name="Cash in drawer (1100)")
    post(date(2026, 11, 5), "ledger", [
        dr("receivable", 100, customer_id=first.id), dr("receivable", 200, customer_id=second.id),
        dr("receivable", 300, customer_id=named_like_account.id),
        dr("receivable", 400, customer_id=sly.id), cr("opening", 1000),
        dr("cash", 1), cr("over_short", 1),
    ], "A&B <1>", "Opening\x01 balances \x1f& more")  # fmt: skip
    text = "".join(tally.tally_xml(db.session, *NOV, company="A & <B>"))
    assert "Ramesh <b>" not in text and "&amp;amp;" in text
    assert "\x01" not in text and "\x1f" not in text
    root = xml_of(text)
    ledgers = {x.get("NAME") for x in root.iter("LEDGER")}
    assert {
        f"Ramesh <b>&amp;</b> (customer {first.id})",
        f"ramesh <B>&amp;</B> (customer {second.id})",
        f"Cash in drawer (customer {named_like_account.id})",
        "Cash in drawer (1100)",
        "Cash in drawer (1100) 2",
        "Opening balances",
    } <= ledgers
    assert len({name.casefold() for name in ledgers}) == len(ledgers) == 7
    names = tally.Ledgers(db.session).names
    cash = books.system_ids(db.session)["cash"]
    assert names[("c", sly.id)] == "Cash in drawer (1100)"  # its own name, used once
    assert names[("a", cash)] == "Cash in drawer (1100) 2"
    (voucher,) = vouchers(root)
    assert voucher[2] == "A&B <1>" and voucher[3] == "Opening balances & more"
    assert root.findtext(".//SVCURRENTCOMPANY") == "A & <B>"


def test_an_empty_range_is_a_valid_file_with_nothing_in_it(month: dict[str, int]) -> None:
    root = parsed(date(2026, 6, 1), date(2026, 6, 30))
    assert root.findtext("HEADER/TALLYREQUEST") == "Import Data"
    assert root.find("BODY/IMPORTDATA/REQUESTDATA") is not None
    assert list(root.iter("TALLYMESSAGE")) == []
    assert tally.count_entries(db.session, date(2026, 6, 1), date(2026, 6, 30)) == 0
    assert tally.count_entries(db.session, *NOV) == 8


def test_the_csv_has_one_row_per_line_with_rupees(month: dict[str, int]) -> None:
    text = "".join(tally.csv_chunks(db.session, *NOV))
    assert text.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"))))
    assert len(rows) == 7 + 4 + 2 + 4 + 2 + 6 + 2 + 2
    assert rows[0] == {
        "date": "2026-11-02", "voucher_type": "Sales", "voucher_number": "INV/0001",
        "narration": "Sale INV/0001", "account_code": "1100", "account_name": "Cash in drawer",
        "party": "", "debit": "105.00", "credit": "",
    }  # fmt: skip
    receipt = [r for r in rows if r["voucher_type"] == "Receipt"]
    assert [(r["account_code"], r["party"], r["debit"], r["credit"]) for r in receipt] == [
        ("1200", "", "150.00", ""),
        ("1300", "Sharma & Sons", "", "150.00"),
    ]
    debit = sum(Decimal(r["debit"] or "0") for r in rows)
    credit = sum(Decimal(r["credit"] or "0") for r in rows)
    assert debit == credit == Decimal("4420.00")  # Σ of the debits above, by hand
    assert {r["date"][:7] for r in rows} == {"2026-11"}


@pytest.mark.parametrize(
    ("start", "end", "field"),
    [
        ("", "2026-11-30", "from"),
        ("2026-11-01", None, "to"),
        ("2026-13-01", "2026-11-30", "from"),
        ("2026-11-01", "30/11/2026", "to"),
        ("2026-11-02", "2026-11-01", "to"),
        ("1969-12-31", "2026-11-01", "from"),
    ],
)
def test_bad_ranges_are_refused(start: str, end: str | None, field: str) -> None:
    with pytest.raises(ValidationError) as refused:
        tally.parse_range(start, end)
    assert field in refused.value.details.get("fields", {})
