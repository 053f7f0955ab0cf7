"""Devanagari digits (the setting `devanagari_digits`): money.py's helpers and parsers, and the
documents issued in Hindi (receipt PDF, A4 invoice, statement) that write ०-९."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from posapp.documents import escpos_receipt
from posapp.documents.customer_pdf import render_statement_pdf, statement_html
from posapp.documents.invoice_pdf import invoice_html, render_invoice_pdf
from posapp.errors import ValidationError
from posapp.extensions import db
from posapp.models import Invoice, User
from posapp.models.base import write_transaction
from posapp.money import (
    MAX_MONEY_MINOR,
    devanagari_digits,
    format_money,
    latin_digits,
    parse_money,
    parse_percent_bp,
    parse_quantity,
    parse_written_money,
)
from posapp.services import checkout, ledger, ledger_views
from posapp.services.settings import load_settings, save_settings
from tests.factories import make_customer, make_product
from tests.services.test_invoice_pdf import pdf_text

pytestmark = pytest.mark.one_backend("formatting and reading digits")

DEVANAGARI = set("०१२३४५६७८९")


def configure_shop(**values: object) -> None:
    with write_transaction(db.session):
        save_settings(db.session, **values)


def a_big_sale(user: User) -> Invoice:
    fridge = make_product(db.session, price="125000.00", tax_rate="18")
    return checkout.checkout(
        db.session,
        checkout.parse_checkout(
            {"items": [{"product_id": fridge.id, "quantity": 1}],
             "payments": [{"method": "cash", "amount": "125000.00"}]}
        ),
        user,
    )  # fmt: skip


# ---------------------------------------------------------------- money.py


def test_the_helpers_swap_only_the_digits() -> None:
    assert devanagari_digits("₹1,25,000.00") == "₹१,२५,०००.००"
    assert devanagari_digits("07-12-2026 14:05") == "०७-१२-२०२६ १४:०५"
    assert latin_digits("₹१,२५,०००.००") == "₹1,25,000.00"
    assert latin_digits("Rice १ kg") == "Rice 1 kg"


@pytest.mark.parametrize(
    ("typed", "minor"),
    [("१२.५०", 1250), ("1२.5०", 1250), ("०.०१", 1), ("-५", -500), ("१२५०००", 12500000)],
)
def test_parse_money_reads_devanagari_digits(typed: str, minor: int) -> None:
    assert parse_money(typed, allow_negative=True) == minor


def test_every_parser_reads_them_and_refuses_the_same_mistakes() -> None:
    assert parse_written_money("₹१,२५,०००.५०") == 12500050
    assert parse_written_money("(₹१,२५०)") == -125000
    assert parse_quantity("१.२५०", "kg") == 1250
    assert parse_percent_bp("१८") == 1800
    with pytest.raises(ValidationError, match="at most 2 decimals"):
        parse_money("१.२३४")
    with pytest.raises(ValidationError, match="not grouped"):
        parse_written_money("१२,५")
    with pytest.raises(ValidationError):
        parse_money("१ २")
    with pytest.raises(ValidationError):
        parse_money("١٢")  # Arabic-Indic digits are not read: only ०-९ are


@given(st.integers(min_value=-MAX_MONEY_MINOR, max_value=MAX_MONEY_MINOR))
def test_any_amount_shown_in_devanagari_parses_back_to_the_same_paise(minor: int) -> None:
    shown = devanagari_digits(format_money(minor))
    assert not set(shown) & set("0123456789")
    assert parse_written_money(shown) == minor


@given(st.integers(min_value=0, max_value=MAX_MONEY_MINOR), st.randoms(use_true_random=False))
def test_mixed_scripts_in_one_number_read_the_same(minor: int, rnd) -> None:  # type: ignore[no-untyped-def]
    shown = format_money(minor)
    mixed = "".join(devanagari_digits(c) if rnd.random() < 0.5 else c for c in shown)
    assert parse_written_money(mixed) == minor


# ---------------------------------------------------------------- documents


def test_hindi_invoice_pdf_writes_devanagari_digits(admin: User) -> None:
    configure_shop(documents_language="hi", devanagari_digits=True)
    invoice = a_big_sale(admin)
    html = invoice_html(invoice, load_settings(db.session))
    assert "₹१,२५,०००.००" in html and "₹1,25,000.00" not in html
    text = pdf_text(render_invoice_pdf(invoice, load_settings(db.session)))
    assert "१,२५,०००.००" in text
    assert invoice.number in text  # the invoice's number is an identifier: it stays 0-9


def test_hindi_receipt_pdf_writes_devanagari_digits(admin: User) -> None:
    configure_shop(documents_language="hi", devanagari_digits=True)
    invoice = a_big_sale(admin)
    text = pdf_text(render_invoice_pdf(invoice, load_settings(db.session), layout="receipt"))
    assert "१,२५,०००.००" in text


def test_without_the_setting_or_in_english_or_bilingual_the_digits_stay(admin: User) -> None:
    for language, on in (("hi", False), ("en", True), ("bilingual", True)):
        configure_shop(documents_language=language, devanagari_digits=on)
        invoice = a_big_sale(admin)
        html = invoice_html(invoice, load_settings(db.session))
        assert "₹1,25,000.00" in html, (language, on)
        assert not DEVANAGARI & set(html.split("<body", 1)[1]), (language, on)


def test_an_invoice_keeps_the_digits_it_was_issued_with(admin: User) -> None:
    configure_shop(documents_language="hi", devanagari_digits=True)
    invoice = a_big_sale(admin)
    configure_shop(devanagari_digits=False)
    html = invoice_html(invoice, load_settings(db.session))
    assert "₹१,२५,०००.००" in html
    configure_shop(devanagari_digits=True, documents_language="en")
    later = a_big_sale(admin)
    assert "₹1,25,000.00" in invoice_html(later, load_settings(db.session))


def test_hindi_statement_writes_devanagari_digits(admin: User) -> None:
    configure_shop(documents_language="hi", devanagari_digits=True)
    customer = make_customer(db.session, admin, name="Lakshmi", opening_balance="125000")
    today = ledger.local_today()
    data = ledger_views.statement(db.session, customer, today - timedelta(days=7), today)
    html = statement_html(data, load_settings(db.session))
    assert "₹१,२५,०००.००" in html and "₹1,25,000.00" not in html
    assert "१,२५,०००.००" in pdf_text(render_statement_pdf(data, load_settings(db.session)))


def test_the_thermal_receipt_prints_as_before(admin: User) -> None:
    # Its text lines go in the printer's code page (0-9); its Hindi lines are images drawn
    # from the same text as without the setting: the setting changes no byte of the job.
    configure_shop(documents_language="hi", devanagari_digits=True)
    invoice = a_big_sale(admin)
    job = escpos_receipt.receipt_job(invoice, load_settings(db.session), columns=48)
    configure_shop(devanagari_digits=False)
    db.session.expire_all()
    assert escpos_receipt.receipt_job(invoice, load_settings(db.session), columns=48) == job
    configure_shop(documents_language="en", devanagari_digits=True)
    english = a_big_sale(admin)
    job = escpos_receipt.receipt_job(english, load_settings(db.session), columns=48)
    assert b"1,25,000.00" in job
