"""The till's receipt page speaks the documents' language; its toolbar, the screen's.

The Hindi words come from the catalogs: these pass once they hold the documents' translations.
"""

from __future__ import annotations

from flask.testing import FlaskClient

from posapp.extensions import db
from posapp.models import User
from posapp.models.base import write_transaction
from posapp.services import checkout
from posapp.services.settings import save_settings
from tests.factories import make_product


def sell(user: User) -> int:
    salt = make_product(db.session, name="Tata Salt 1kg", price="45.00", tax_rate="5")
    payload = {
        "items": [{"product_id": salt.id, "quantity": 2}],
        "payments": [{"method": "cash", "amount": "100.00"}],
    }
    return checkout.checkout(db.session, checkout.parse_checkout(payload), user).id


def test_hindi_receipt(admin_client: FlaskClient, admin: User) -> None:
    with write_transaction(db.session):
        save_settings(db.session, documents_language="hi", phone="98220 12345")
    invoice_id = sell(admin)
    html = admin_client.get(f"/pos/receipt/{invoice_id}").get_data(as_text=True)
    assert "कुल" in html and "बाकी पैसे" in html and "दिए गए नकद पैसे" in html
    assert "फ़ोन 98220 12345" in html and "रसीद" in html
    receipt = html[html.index("<article") : html.index("</article>")]
    # (The page's script catalog is in the screen's language: only the receipt is checked.)
    assert ">TOTAL<" not in receipt and "Cash tendered" not in receipt
    # The cashier's screen is English: the buttons stay English.
    assert "Print receipt" in html


def test_bilingual_receipt_and_a_hindi_screen(admin_client: FlaskClient, admin: User) -> None:
    with write_transaction(db.session):
        save_settings(db.session, documents_language="bilingual")
    invoice_id = sell(admin)
    page = admin_client.get(f"/pos/receipt/{invoice_id}", headers={"Accept-Language": "hi"})
    html = page.get_data(as_text=True)
    assert "TOTAL / कुल" in html and "Change / बाकी पैसे" in html
    assert "Subtotal (1 item) / उप-योग (1 आइटम)" in html
    assert "रसीद प्रिंट करें" in html  # the toolbar in the screen's language


def test_english_receipt_on_a_hindi_screen(admin_client: FlaskClient, admin: User) -> None:
    invoice_id = sell(admin)
    page = admin_client.get(f"/pos/receipt/{invoice_id}", headers={"Accept-Language": "hi"})
    html = page.get_data(as_text=True)
    assert ">TOTAL<" in html and "Cash tendered" in html
    assert "कुल" not in html.split("<article", 1)[1]
