"""The admin's settings, network, backups and API pages in Hindi: English pages and messages
stay as they were, and the settings and backups pages, their flashes and their errors speak
Hindi to a Hindi browser."""

from __future__ import annotations

from pathlib import Path

import flask_babel
import pytest
from flask.testing import FlaskClient

from posapp.errors import ValidationError
from posapp.models import User
from posapp.services import hosts, upi
from tests.web.helpers import login

ROOT = Path(__file__).resolve().parents[2]
HINDI = {"Accept-Language": "hi"}


def test_messages_outside_a_request_stay_in_english() -> None:
    with pytest.raises(ValidationError) as bad_host:
        hosts.parse_names("till.shop.lan, not a name!")
    assert bad_host.value.message.startswith("Not a host name: 'not a name!'. Type names like")
    with pytest.raises(ValidationError) as bad_vpa:
        upi.normalise_vpa("shop")
    assert bad_vpa.value.message.startswith("“shop” is not a UPI ID: write name@handle")


def test_english_pages_stay_as_they_were(client: FlaskClient, admin: User) -> None:
    login(client, "admin")
    settings = client.get("/settings/").get_data(as_text=True)
    assert "Shop settings" in settings and "Save settings" in settings and "January" in settings
    assert "Receipt printer (ESC/POS)" in settings
    assert client.post("/backups/now").status_code == 302
    backups = client.get("/backups/").get_data(as_text=True)
    assert "Backup now" in backups and "Off-site copy" in backups and "Manual" in backups


def _hindi(client: FlaskClient, url: str, data: dict[str, str] | None = None) -> str:
    # The tests' app context outlives each request, and Flask-Babel keeps the locale it chose
    # there: forget it so this request's Accept-Language decides.
    flask_babel.refresh()
    if data is None:
        response = client.get(url, headers=HINDI, follow_redirects=True)
    else:
        response = client.post(url, data=data, headers=HINDI, follow_redirects=True)
    flask_babel.refresh()
    return response.get_data(as_text=True)


def test_the_settings_page_speaks_hindi(client: FlaskClient, admin: User) -> None:
    login(client, "admin")
    page = _hindi(client, "/settings/")
    assert "दुकान की सेटिंग्स" in page and "सेटिंग्स सेव करें" in page
    assert "रसीद प्रिंटर (ESC/POS)" in page and "जनवरी" in page and "लोगो अपलोड करें" in page
    refused = _hindi(client, "/settings/", {"shop_name": "", "currency": "XYZ"})
    assert "कुछ सेटिंग्स ठीक करनी हैं; कुछ भी सेव नहीं हुआ।" in refused
    assert "दुकान का नाम टाइप करें।" in refused
    network = _hindi(client, "/network/")
    assert "लोकल नेटवर्क पर शेयर करें" in network


def test_the_backups_page_speaks_hindi(client: FlaskClient, admin: User) -> None:
    login(client, "admin")
    written = _hindi(client, "/backups/now", {})
    assert "बैकअप लिखा गया:" in written
    assert "अभी बैकअप लें" in written and "ऑफ़-साइट कॉपी" in written
    assert "खुद लिया गया" in written and "फ़ाइल से डेटा वापस लाएँ" in written
    refused = _hindi(client, "/backups/offsite", {"folder": "relative/path"})
    assert "फ़ोल्डर का पूरा पाथ दें (या खाली छोड़ें)।" in refused
