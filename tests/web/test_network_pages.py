"""The Local network page and the desktop launcher's "Share on the local network" setting."""

from __future__ import annotations

import io
import socket
import ssl
import urllib.request
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from PIL import Image
from sqlalchemy import select

from posapp import desktop, winsys
from posapp.desktop import start_server
from posapp.extensions import db
from posapp.lan_https import stop_https
from posapp.models import AuditLog
from posapp.services import network
from posapp.services.settings import load_settings, save_settings


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_not_shared_by_default_and_no_qr(admin_client: FlaskClient) -> None:
    page = admin_client.get("/network/")
    assert page.status_code == 200
    assert b"Only this computer can open TillBook now" in page.data
    assert b"data-lan-qr" not in page.data
    assert admin_client.get("/network/qr.png").status_code == 404


def test_switching_sharing_on_is_saved_audited_and_shows_the_address(
    admin_client: FlaskClient,
) -> None:
    response = admin_client.post("/network/", data={"lan_sharing": "1", "lan_port": "8123"})
    assert response.status_code == 302
    settings = load_settings(db.session)
    assert settings.lan_sharing is True and settings.lan_port == 8123
    entry = db.session.scalars(select(AuditLog).where(AuditLog.action == "settings.network")).one()
    assert "lan_sharing" in (entry.after or "")
    page = admin_client.get("/network/").data.decode()
    addresses = network.lan_addresses()
    if addresses:
        assert f"http://{addresses[0]}:8123/" in page
        image = admin_client.get("/network/qr.png")
        assert image.status_code == 200 and image.mimetype == "image/png"
        assert Image.open(io.BytesIO(image.data)).size[0] > 100
    else:
        assert "has no network address now" in page


def test_a_bad_port_is_refused_and_nothing_is_saved(admin_client: FlaskClient) -> None:
    for port in ("80", "70000", "abc", ""):
        response = admin_client.post("/network/", data={"lan_sharing": "1", "lan_port": port})
        assert response.status_code == 422, port
        assert b"1024 to 65535" in response.data
    settings = load_settings(db.session)
    assert settings.lan_sharing is False and settings.lan_port == 8000


def test_the_live_lan_url_is_shown_with_its_qr(app: Flask, admin_client: FlaskClient) -> None:
    app.config["LAN_URL"] = "http://192.168.1.20:8000/"
    page = admin_client.get("/network/").data.decode()
    assert "The shop's other tills open" in page
    assert 'href="http://192.168.1.20:8000/"' in page
    image = admin_client.get("/network/qr.png")
    assert image.status_code == 200 and image.data[:8] == b"\x89PNG\r\n\x1a\n"


def test_the_desktop_launcher_shares_on_the_lan_when_the_setting_is_on(app: Flask) -> None:
    addresses = network.lan_addresses()
    if not addresses:
        pytest.skip("this machine has no non-loopback network interface")
    port, https_port = free_port(), free_port()
    save_settings(db.session, lan_sharing=True, lan_port=port, lan_https_port=https_port)
    db.session.commit()
    server = start_server(app)
    try:
        assert server.port == port
        assert app.config["LAN_URL"] == f"http://{addresses[0]}:{port}/"
        # HTTPS for the tablets' cameras starts with the sharing, on its own port.
        assert app.config["LAN_HTTPS_URL"] == f"https://{addresses[0]}:{https_port}/"
        server.start()
        with urllib.request.urlopen(f"{app.config['LAN_URL']}api/health", timeout=10) as answer:
            assert answer.status == 200
        trusted = ssl.create_default_context(
            cafile=str(Path(app.config["DATA_DIR"]) / "tls/ca.crt")
        )
        url = f"{app.config['LAN_HTTPS_URL']}api/health"
        with urllib.request.urlopen(url, timeout=10, context=trusted) as answer:
            assert answer.status == 200
    finally:
        stop_https(app)
        server.stop()


class User32:
    """A stand-in user32 DLL that records the message boxes asked for."""

    def __init__(self) -> None:
        self.boxes: list[str] = []

    def MessageBoxW(self, owner: object, text: str, title: str, flags: int) -> int:
        self.boxes.append(text)
        return 1


@pytest.mark.parametrize(("platform", "boxes"), [("win32", 1), ("linux", 0)])
def test_the_launcher_stays_on_loopback_when_the_port_is_taken(
    app: Flask,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    platform: str,
    boxes: int,
) -> None:
    user32 = User32()
    monkeypatch.setattr(winsys, "_user32", lambda: user32)
    monkeypatch.setattr(desktop.sys, "platform", platform)
    with socket.socket() as squatter:
        squatter.bind(("0.0.0.0", 0))
        squatter.listen()
        taken = int(squatter.getsockname()[1])
        save_settings(db.session, lan_sharing=True, lan_port=taken)
        db.session.commit()
        server = start_server(app)
        try:
            assert server.port != taken
            assert "LAN_URL" not in app.config
            server.start()  # (stop() closes the listening socket of a started server only)
        finally:
            server.stop()
    printed = capsys.readouterr().out
    assert f"Port {taken} is in use" in printed
    assert len(user32.boxes) == boxes  # the .exe has no console: Windows gets a message box
    assert all(f"Port {taken} is in use" in text for text in user32.boxes)


@pytest.mark.parametrize(("platform", "boxes"), [("win32", 1), ("linux", 0)])
def test_a_launcher_that_cannot_bind_at_all_says_so_and_exits_1(
    app: Flask,
    data_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    platform: str,
    boxes: int,
) -> None:
    user32 = User32()
    monkeypatch.setattr(winsys, "_user32", lambda: user32)
    monkeypatch.setattr(desktop.sys, "platform", platform)

    def refuse(app: Flask) -> None:
        raise OSError(10013, "An attempt was made to access a socket in a way forbidden")

    monkeypatch.setattr(desktop, "start_server", refuse)
    opened: list[str] = []
    monkeypatch.setattr(desktop, "open_window", lambda *args: opened.append("window"))
    assert desktop.run_desktop(data_dir, lambda: app) == 1
    assert opened == []
    printed = capsys.readouterr().err
    assert "TillBook cannot start" in printed and "forbidden" in printed
    assert len(user32.boxes) == boxes
    assert all("TillBook cannot start" in text for text in user32.boxes)
    assert not (data_dir / "instance.json").exists()


def test_without_the_setting_the_launcher_listens_on_loopback_only(app: Flask) -> None:
    server = start_server(app)
    try:
        assert "LAN_URL" not in app.config
        server.start()
        for address in network.lan_addresses():
            with pytest.raises(OSError), socket.create_connection((address, server.port), 5):
                pass
    finally:
        server.stop()
