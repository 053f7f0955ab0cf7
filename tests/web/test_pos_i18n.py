"""The till and the customer display in Hindi: the page's own words and the words its scripts
are sent (#tb-i18n) follow the browser's language; English stays the default.

The Hindi comes from the committed catalogs (posapp/translations).
"""

from __future__ import annotations

import json
import re

from flask import Flask
from flask.testing import FlaskClient

from posapp.models import User

HINDI = {"Accept-Language": "hi"}


def script_strings(html: str) -> dict[str, object]:
    match = re.search(r'<script type="application/json" id="tb-i18n">(.*?)</script>', html, re.S)
    assert match, "every page carries its scripts' strings"
    catalog: dict[str, object] = json.loads(match.group(1))
    return catalog


def test_the_till_speaks_hindi_to_a_hindi_browser(cashier_client: FlaskClient) -> None:
    response = cashier_client.get("/pos/", headers=HINDI)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    # The totals and the payment panel.
    for words in ("कुल", "उप-योग", "छूट", "दिए गए नकद पैसे", "बाकी पैसे", "बिक्री पूरी करें", "उधार"):
        assert words in html, words
    assert "बिल खाली है।" in html  # the empty cart
    assert "Complete sale" not in html and "Cash tendered" not in html
    # What the scripts show: the same language, places kept for the script to fill.
    strings = script_strings(html)
    assert strings["till.pay.change"] == "बाकी पैसे"
    assert strings["till.pay.short"] == "भुगतान में %(amount)s कम हैं।"
    assert strings["common.items"] == {"one": "%(num)s आइटम", "other": "%(num)s आइटम"}


def test_the_till_stays_english_by_default(cashier_client: FlaskClient) -> None:
    html = cashier_client.get("/pos/").get_data(as_text=True)
    assert "Complete sale" in html and "Cash tendered" in html
    strings = script_strings(html)
    assert strings["till.pay.change"] == "Change"
    # Plural forms reach the page unfilled: its script puts the count in.
    assert strings["common.items"] == {"one": "%(num)s item", "other": "%(num)s items"}
    # A literal percent in a marked template message is written %% and shown as one.
    assert 'placeholder="e.g. 10.00 or 10%"' in html


def test_the_customer_display_pairing_and_its_errors_speak_hindi(app: Flask, cashier: User) -> None:
    screen = app.test_client()
    page = screen.get("/display/", headers=HINDI).get_data(as_text=True)
    assert "ग्राहक डिस्प्ले" in page and "यह स्क्रीन जोड़ें" in page
    state = screen.get("/display/state", headers=HINDI)
    assert state.status_code == 401
    assert (
        state.get_json()["error"]["message"] == "यह स्क्रीन जुड़ी नहीं है (या हटा दी गई है): इसे फिर से जोड़ें।"
    )
