"""Issued documents in the shop's documents language: English, Hindi, or both on one page.

The Hindi words come from the committed catalogs (posapp/translations/hi).
"""

from __future__ import annotations

import io
import random

import pytest
from pypdf import PdfReader

from posapp.documents.hindi_words import hindi_amount_in_words, hindi_number
from posapp.documents.invoice_pdf import amount_in_words, invoice_html, render_invoice_pdf
from posapp.documents.language import document_language, message_in, plural_in
from posapp.extensions import db
from posapp.models import Invoice, User
from posapp.models.base import write_transaction
from posapp.services import checkout
from posapp.services.settings import load_settings, save_settings
from tests.factories import make_product

pytestmark = pytest.mark.one_backend("the words of documents")


def configure_shop(**values: object) -> None:
    with write_transaction(db.session):
        save_settings(db.session, **values)


def a_sale(user: User, name: str = "Sona Masoori Rice") -> Invoice:
    rice = make_product(db.session, name=name, price="619.40", tax_rate="5")
    return checkout.checkout(
        db.session,
        checkout.parse_checkout(
            {"items": [{"product_id": rice.id, "quantity": 1}],
             "payments": [{"method": "cash", "amount": "619.40"}]}
        ),
        user,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("minor", "words"),
    [
        (61940, "छह सौ उन्नीस रुपये चालीस पैसे"),
        (0, "शून्य रुपये"),
        (100, "एक रुपया"),
        (1, "एक पैसा"),
        (50, "पचास पैसे"),
        (150000, "एक हज़ार पाँच सौ रुपये"),
        (10_000_000, "एक लाख रुपये"),
        (1_000_000_000, "एक करोड़ रुपये"),
        (123_456_789, "बारह लाख चौंतीस हज़ार पाँच सौ सड़सठ रुपये नवासी पैसे"),
        (-25050, "ऋण दो सौ पचास रुपये पचास पैसे"),
    ],
)
def test_hindi_amount_in_words_known_values(minor: int, words: str) -> None:
    assert hindi_amount_in_words(minor) == words


def test_hindi_numbers_below_100_are_each_their_own_word() -> None:
    assert [hindi_number(n) for n in (11, 19, 29, 38, 49, 59, 67, 79, 89, 99)] == [
        *("ग्यारह", "उन्नीस", "उनतीस", "अड़तीस", "उनचास", "उनसठ", "सड़सठ", "उन्यासी"),
        *("नवासी", "निन्यानबे"),
    ]
    assert len({hindi_number(n) for n in range(100)}) == 100


def test_hindi_amount_in_words_for_a_sample_of_every_size() -> None:
    # A fixed seed: the same amounts every run, from paise up to 10^9 paise.
    amounts = [*random.Random(619).sample(range(10**9 + 1), 2000), 10**9, 99, 100, 101]
    for minor in amounts:
        words = hindi_amount_in_words(minor)
        rupees, paise = divmod(minor, 100)
        assert words, minor
        assert not any("a" <= ch.lower() <= "z" or ch.isdigit() for ch in words), words
        assert ("पैस" in words) == bool(paise), minor
        assert ("रुपय" in words or "रुपये" in words) == bool(rupees or not paise), minor
        if rupees >= 10**7:
            assert "करोड़" in words, minor


def test_amount_in_words_follows_the_document_language() -> None:
    english = "Rupees Six Hundred Nineteen and Forty Paise Only"
    assert amount_in_words(61940) == english
    assert amount_in_words(61940, "INR", "hi") == "छह सौ उन्नीस रुपये चालीस पैसे"
    assert amount_in_words(61940, "INR", "bilingual") == (english + " / छह सौ उन्नीस रुपये चालीस पैसे")
    # Other currencies are spelled in English whatever the language.
    assert amount_in_words(61940, "USD", "hi") == amount_in_words(61940, "USD")


def test_a_document_language_is_one_the_app_knows() -> None:
    assert document_language("bilingual") == "bilingual"
    assert document_language("hi") == "hi"
    assert document_language("fr") == "en" and document_language(None) == "en"
    assert message_in("en", "Total") == "Total"
    assert plural_in("en", "%(num)s item", "%(num)s items", 3) == "3 items"


def test_hindi_invoice_speaks_hindi(admin: User) -> None:
    configure_shop(documents_language="hi", tax_number="29ABCDE1234F1ZW")
    invoice = a_sale(admin)
    html = invoice_html(invoice, load_settings(db.session))
    assert "टैक्स इनवॉइस" in html and "कुल" in html and "मात्रा" in html
    assert "छह सौ उन्नीस रुपये चालीस पैसे" in html
    assert "Grand Total" not in html and "Authorised Signatory" not in html


def test_bilingual_invoice_prints_each_label_in_both(admin: User) -> None:
    configure_shop(documents_language="bilingual")
    invoice = a_sale(admin)
    html = invoice_html(invoice, load_settings(db.session), layout="a4")
    assert "Grand Total / कुल रकम" in html
    assert "Qty / मात्रा" in html
    assert "Rupees Six Hundred Nineteen and Forty Paise Only / छह सौ उन्नीस" in html
    # The same layouts in A5 and the receipt PDF.
    assert "Date / तारीख" in invoice_html(invoice, load_settings(db.session), layout="a5")
    assert "TOTAL / कुल" in invoice_html(invoice, load_settings(db.session), layout="receipt")


def test_english_stays_the_default(admin: User) -> None:
    invoice = a_sale(admin)
    html = invoice_html(invoice, load_settings(db.session))
    assert "Grand Total" in html and "कुल" not in html


def test_a_reprint_speaks_the_language_it_was_issued_with(admin: User) -> None:
    configure_shop(documents_language="hi")
    invoice = a_sale(admin)
    configure_shop(documents_language="en")
    html = invoice_html(invoice, load_settings(db.session))
    assert "कुल" in html and "Grand Total" not in html
    # The next bill is issued in today's language.
    assert "Grand Total" in invoice_html(a_sale(admin, "Toor Dal"), load_settings(db.session))


def test_bilingual_invoice_pdf_carries_the_english_half(admin: User) -> None:
    configure_shop(documents_language="bilingual")
    invoice = a_sale(admin)
    pdf = render_invoice_pdf(invoice, load_settings(db.session), layout="a4")
    text = "\n".join(p.extract_text() or "" for p in PdfReader(io.BytesIO(pdf)).pages)
    # Devanagari may come out of the PDF's text oddly (shaping); its English half is plain.
    assert invoice.number in text and "Grand Total" in text and "AMOUNT IN WORDS" in text


def test_escpos_receipt_in_hindi_is_drawn_and_in_english_is_text(
    admin: User,
) -> None:
    from posapp.documents import escpos_receipt

    configure_shop(documents_language="hi")
    hindi = escpos_receipt.receipt_job(a_sale(admin), load_settings(db.session))
    # Devanagari is not in the printer's code page: those lines are printed as images.
    assert b"TOTAL" not in hindi and b"Cash tendered" not in hindi and b"\x1dv0" in hindi
    configure_shop(documents_language="en")
    english = escpos_receipt.receipt_job(a_sale(admin, "Toor Dal"), load_settings(db.session))
    assert b"TOTAL" in english and b"Subtotal (1 item)" in english
    assert b"\x1dv0" not in english
