"""The Local network page's HTTPS part and the open "Trust this till" page with the CA."""

from __future__ import annotations

from pathlib import Path

from cryptography import x509
from flask import Flask
from flask.testing import FlaskClient

from posapp.extensions import db
from posapp.services import tls
from posapp.services.settings import load_settings, save_settings


def make_ca(app: Flask) -> tls.CaInfo:
    tls.ensure_server_cert(Path(app.config["DATA_DIR"]), "Sharma Kirana", ["127.0.0.1"])
    info = tls.ca_info(Path(app.config["DATA_DIR"]))
    assert info is not None
    return info


def test_the_https_port_is_saved_with_the_sharing(admin_client: FlaskClient) -> None:
    form = {"lan_sharing": "1", "lan_port": "8000", "lan_https_port": "9443"}
    assert admin_client.post("/network/", data=form).status_code == 302
    settings = load_settings(db.session)
    assert settings.lan_https_port == 9443 and settings.lan_sharing
    # A form without the field (an older page) keeps the saved port.
    form = {"lan_sharing": "1", "lan_port": "8001"}
    assert admin_client.post("/network/", data=form).status_code == 302
    assert load_settings(db.session).lan_https_port == 9443


def test_a_bad_or_shared_https_port_is_refused_and_nothing_is_saved(
    admin_client: FlaskClient,
) -> None:
    for https_port, message in (
        ("8000", b"HTTPS needs a port of its own"),
        ("443", b"1024 to 65535 (8443"),
        ("\u0968\u0966\u0966\u0966", b"1024 to 65535"),  # Devanagari digits
        ("", b"1024 to 65535"),
    ):
        form = {"lan_sharing": "1", "lan_port": "8000", "lan_https_port": https_port}
        response = admin_client.post("/network/", data=form)
        assert response.status_code == 422, https_port
        assert message in response.data
        assert b'id="f-lan_https_port"' in response.data
    settings = load_settings(db.session)
    assert settings.lan_sharing is False and settings.lan_https_port == 8443


def test_the_page_shows_the_live_https_address_its_qr_and_the_fingerprint(
    app: Flask, admin_client: FlaskClient
) -> None:
    info = make_ca(app)
    app.config["LAN_URL"] = "http://192.168.1.20:8000/"
    app.config["LAN_HTTPS_URL"] = "https://192.168.1.20:8443/"
    page = admin_client.get("/network/").data.decode()
    assert 'href="https://192.168.1.20:8443/"' in page
    assert info.fingerprint in page
    assert "http://192.168.1.20:8000/network/trust" in page
    image = admin_client.get("/network/https-qr.png")
    assert image.status_code == 200 and image.data[:8] == b"\x89PNG\r\n\x1a\n"


def test_no_https_qr_while_not_shared(admin_client: FlaskClient) -> None:
    assert b"data-https-card" not in admin_client.get("/network/").data
    assert admin_client.get("/network/https-qr.png").status_code == 404


def test_cashiers_cannot_change_the_ports(cashier_client: FlaskClient) -> None:
    form = {"lan_sharing": "1", "lan_port": "8000", "lan_https_port": "9443"}
    assert cashier_client.post("/network/", data=form).status_code == 403
    assert cashier_client.get("/network/https-qr.png").status_code == 403


def test_the_trust_page_is_open_and_serves_only_the_ca_certificate(
    app: Flask, client: FlaskClient, admin: object
) -> None:
    # Nobody is signed in: a tablet installs the certificate before anyone logs in on it.
    before = client.get("/network/trust")
    assert before.status_code == 200 and b"data-no-ca" in before.data
    assert client.get("/network/tillbook-ca.crt").status_code == 404
    assert client.get("/network/tillbook-ca.pem").status_code == 404

    info = make_ca(app)
    page = client.get("/network/trust").data.decode()
    assert "TillBook local CA — Sharma Kirana" in page
    assert info.fingerprint in page and info.sha1_fingerprint in page
    for step in ("Android", "iPhone and iPad", "Windows", "Chrome on a laptop"):
        assert step in page
    der = client.get("/network/tillbook-ca.crt")
    assert der.mimetype == "application/x-x509-ca-cert"
    assert 'filename="tillbook-ca.crt"' in der.headers["Content-Disposition"]
    assert (
        x509.load_der_x509_certificate(der.data).fingerprint(tls.hashes.SHA256()).hex(":").upper()
        == info.fingerprint
    )
    pem = client.get("/network/tillbook-ca.pem")
    assert pem.data.startswith(b"-----BEGIN CERTIFICATE-----")
    assert b"PRIVATE KEY" not in pem.data and b"PRIVATE KEY" not in der.data


def test_the_trust_page_names_the_https_address_when_serving(
    app: Flask, client: FlaskClient, admin: object
) -> None:
    make_ca(app)
    app.config["LAN_HTTPS_URL"] = "https://192.168.1.20:8443/"
    with app.app_context():
        save_settings(db.session, lan_sharing=True)
        db.session.commit()
    assert b'href="https://192.168.1.20:8443/"' in client.get("/network/trust").data
