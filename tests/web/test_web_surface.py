"""The web surface: Host check (DNS rebinding), security headers, HTTPS proxy, off-site folder."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from posapp.extensions import db
from posapp.services import network
from posapp.services.settings import load_settings, save_settings
from tests.conftest import build_app
from tests.factories import PASSWORD, make_user
from tests.web.helpers import login


@pytest.mark.parametrize(
    "host", ["127.0.0.1", "127.0.0.1:8000", "localhost", "localhost:5000", "[::1]:8000"]
)
def test_loopback_hosts_are_served(client: FlaskClient, host: str) -> None:
    assert client.get("/login", headers={"Host": host}).status_code < 400


@pytest.mark.parametrize(
    "url", ["/login", "/setup", "/api/health", "/api/products", "/static/js/app.js"]
)
def test_a_rebinding_hostname_gets_400(client: FlaskClient, url: str) -> None:
    response = client.get(url, headers={"Host": "attacker.example:8000"})
    assert response.status_code == 400


def test_the_api_answers_a_bad_host_with_its_json_error(
    client: FlaskClient,
    admin_headers: dict[str, str],
) -> None:
    response = client.get("/api/products", headers={**admin_headers, "Host": "evil.test"})
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "bad_host"


def test_a_rebinding_page_cannot_run_first_setup(client: FlaskClient) -> None:
    response = client.post(
        "/setup",
        data={"username": "boss", "password": PASSWORD, "confirm": PASSWORD},
        headers={"Host": "attacker.example"},
    )
    assert response.status_code == 400
    assert load_settings(db.session) is not None
    from posapp.models import User

    assert db.session.query(User).count() == 0


def test_names_from_settings_are_served(client: FlaskClient, admin) -> None:  # type: ignore[no-untyped-def]
    login(client)
    response = client.post(
        "/settings/",
        data={"shop_name": "Shop", "currency": "INR", "locale": "en_IN", "invoice_prefix": "INV",
              "fy_start_month": "4", "receipt_width_mm": "80", "invoice_layout": "a4",
              "discount_audit_percent": "10", "low_stock_default": "5", "prices_include_tax": "1",
              "split_tax": "1", "allowed_hosts": "Till.Shop.lan, 10.0.0.9"},
    )  # fmt: skip
    assert response.status_code == 302, response.get_data(as_text=True)
    assert load_settings(db.session).allowed_hosts == "till.shop.lan, 10.0.0.9"
    assert client.get("/login", headers={"Host": "till.shop.lan:8000"}).status_code < 400
    assert client.get("/login", headers={"Host": "10.0.0.9"}).status_code < 400
    assert client.get("/login", headers={"Host": "other.shop.lan"}).status_code == 400


def test_a_bad_allowed_host_setting_is_refused(client: FlaskClient, admin) -> None:  # type: ignore[no-untyped-def]
    login(client)
    response = client.post("/settings/", data={"shop_name": "S", "allowed_hosts": "a b/c"})
    assert response.status_code == 422
    assert "Not a host name" in response.get_data(as_text=True)


def test_tillbook_allowed_hosts_from_the_environment(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TILLBOOK_ALLOWED_HOSTS", "pos.example.com,shop.local")
    app = build_app(data_dir)
    client = app.test_client()
    assert client.get("/login", headers={"Host": "pos.example.com"}).status_code < 400
    assert client.get("/login", headers={"Host": "shop.local:8000"}).status_code < 400
    assert client.get("/login", headers={"Host": "evil.example.com"}).status_code == 400
    with app.app_context():
        db.engine.dispose()


def test_lan_addresses_are_served_only_while_shared(
    app: Flask, client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(network, "lan_addresses", lambda: ["192.168.1.20"])
    assert client.get("/login", headers={"Host": "192.168.1.20:8000"}).status_code == 400
    app.config["LAN_URL"] = "http://192.168.1.20:8000/"
    assert client.get("/login", headers={"Host": "192.168.1.20:8000"}).status_code < 400
    assert client.get("/login", headers={"Host": "192.168.1.21:8000"}).status_code == 400


def test_html_pages_carry_the_csp_and_anti_framing_headers(client: FlaskClient) -> None:
    headers = client.get("/login").headers
    csp = headers["Content-Security-Policy"]
    # 'unsafe-eval' only for pywebview's js_api bridge; inline script stays forbidden.
    # 'wasm-unsafe-eval' only for the camera's WebAssembly barcode reader.
    assert (
        csp.split("script-src")[1].split(";")[0].strip()
        == "'self' 'unsafe-eval' 'wasm-unsafe-eval'"
    )
    assert "frame-ancestors 'none'" in csp and "default-src 'self'" in csp
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"


def test_every_response_is_nosniff(client: FlaskClient) -> None:
    for url in ("/api/health", "/static/js/app.js", "/no-such-page"):
        with client.get(url) as response:
            assert response.headers["X-Content-Type-Options"] == "nosniff", url


def test_templates_hold_no_inline_script_or_event_handlers() -> None:
    import re

    root = Path(__file__).resolve().parents[2] / "templates"
    for path in root.rglob("*.html"):
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"\son[a-z]+\s*=", text), path
        for tag in re.findall(r"<script\b[^>]*>", text):
            assert "src=" in tag or 'type="application/json"' in tag, (path, tag)


def test_behind_an_https_proxy_the_cookie_is_secure_and_hsts_is_sent(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TILLBOOK_PROXY_HOPS", "1")
    app = build_app(data_dir)  # CSRF on: the login form's token is kept in the session
    with app.app_context():
        make_user(db.session)
    client = app.test_client()
    https = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "shop.example.com"}
    response = client.get("/login", headers=https)
    assert response.status_code < 400
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")
    assert "Secure" in response.headers["Set-Cookie"]
    plain = client.get("/login", headers={"X-Forwarded-Proto": "http"})
    assert "Strict-Transport-Security" not in plain.headers
    assert "Secure" not in plain.headers["Set-Cookie"]
    with app.app_context():
        db.engine.dispose()


def test_the_offsite_folder_is_set_only_from_the_shop_laptop(
    client: FlaskClient,
    admin,
    tmp_path: Path,  # type: ignore[no-untyped-def]
) -> None:
    lan = {"REMOTE_ADDR": "192.168.1.50"}
    login(client, environ_base=lan)
    response = client.post("/backups/offsite", data={"folder": str(tmp_path)}, environ_base=lan)
    assert response.status_code == 403
    assert load_settings(db.session).offsite_backup_dir == ""
    assert client.post("/backups/offsite", data={"folder": str(tmp_path)}).status_code == 302
    assert load_settings(db.session).offsite_backup_dir == str(tmp_path)


def test_save_settings_keeps_allowed_hosts(app: Flask) -> None:
    save_settings(db.session, allowed_hosts="a.lan")
    db.session.commit()
    assert load_settings(db.session).allowed_hosts == "a.lan"
