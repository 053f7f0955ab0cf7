"""The LAN's HTTPS listener (posapp/https_server.py, posapp/lan_https.py) on real sockets.

Servers listen on 127.0.0.2 only, this suite's stand-in for the shop computer's LAN address
(the whole of 127/8 is loopback on Linux); a client bound to 127.0.0.3 stands for a tablet.
"""

from __future__ import annotations

import http.client
import socket
import ssl
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from posapp.extensions import db
from posapp.https_server import HttpsServer, RenewingAdapter
from posapp.lan_https import URL_KEY, start_https, stop_https
from posapp.services import tls
from posapp.services.settings import save_settings
from tests.conftest import build_app
from tests.factories import PASSWORD, make_user

pytestmark = pytest.mark.one_backend("TLS")

LAN = "127.0.0.2"
TABLET = "127.0.0.3"


def certificates(data_dir: Path, names: list[str]) -> Callable[[], tls.Material]:
    return lambda: tls.ensure_server_cert(data_dir, "Test shop", tls.server_names(names, []))


def connect(
    server: HttpsServer, data_dir: Path, source: str = TABLET, name: str = LAN
) -> http.client.HTTPSConnection:
    """An HTTPS connection that trusts the shop's CA and checks the name, from `source`."""
    context = ssl.create_default_context(cafile=str(data_dir / "tls" / "ca.crt"))

    class Connection(http.client.HTTPSConnection):
        def connect(self) -> None:
            sock = socket.create_connection((LAN, server.port), 10, (source, 0))
            try:
                self.sock = context.wrap_socket(sock, server_hostname=name)
            except BaseException:
                sock.close()
                raise

    return Connection(LAN, server.port, timeout=10, context=context)


def fetch(
    server: HttpsServer,
    data_dir: Path,
    path: str,
    *,
    method: str = "GET",
    body: str | None = None,
    source: str = TABLET,
    name: str = LAN,
    **headers: str,
) -> tuple[int, dict[str, str], bytes]:
    """One request on its own connection: (status, headers, body)."""
    connection = connect(server, data_dir, source, name)
    try:
        connection.request(method, path, body=body, headers={"Host": LAN, **headers})
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


@pytest.fixture
def shop(data_dir: Path) -> Iterator[Flask]:
    application = build_app(data_dir, WTF_CSRF_ENABLED=False, ALLOWED_HOSTS=[LAN])
    yield application
    with application.app_context():
        db.engine.dispose()


@pytest.fixture
def https(shop: Flask, data_dir: Path) -> Iterator[HttpsServer]:
    server = HttpsServer(shop, certificates(data_dir, [LAN]), host=LAN, port=0)
    server.start()
    yield server
    server.stop()


def test_the_till_answers_over_https_with_the_shops_certificate(
    https: HttpsServer, data_dir: Path
) -> None:
    status, _headers, _body = fetch(https, data_dir, "/api/health")
    assert status == 200
    assert https.running
    # Its threads never keep the process alive past a start-up that failed before stop().
    workers = [t for t in threading.enumerate() if t.name.startswith("CP Server")]
    assert workers and all(t.daemon for t in workers)


def test_a_lan_client_over_https_is_not_taken_for_the_shop_computer(
    https: HttpsServer, data_dir: Path
) -> None:
    # The first admin may be created only on the shop computer itself (its loopback address).
    # A TLS front before waitress would hand the app 127.0.0.1 for every tablet.
    assert fetch(https, data_dir, "/setup", source=TABLET)[0] == 403
    assert fetch(https, data_dir, "/setup", source="127.0.0.1")[0] == 200


def test_the_session_cookie_is_secure_and_apart_from_the_http_one(
    shop: Flask, https: HttpsServer, data_dir: Path
) -> None:
    with shop.app_context():
        make_user(db.session, "owner", "admin")
    status, headers, _ = fetch(
        https,
        data_dir,
        "/login",
        method="POST",
        body=f"username=owner&password={PASSWORD}",
        **{"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert status == 302
    cookie = headers.get("Set-Cookie", "")
    assert cookie.startswith("__Host-session=")
    assert "Secure" in cookie and "Path=/" in cookie and "Domain" not in cookie
    session = cookie.split(";")[0]
    status, _, till = fetch(https, data_dir, "/pos/", Cookie=session)
    assert status == 200 and b"csrf" in till.lower()
    # The plain http cookie name is not read over HTTPS (and the other way round).
    plain = session.replace("__Host-session=", "session=")
    assert fetch(https, data_dir, "/pos/", Cookie=plain)[0] == 302


def test_an_address_change_is_served_with_a_renewed_certificate_without_a_restart(
    shop: Flask, data_dir: Path
) -> None:
    names = [LAN]
    source = lambda: tls.ensure_server_cert(data_dir, "Shop", tls.server_names(names, []))  # noqa: E731
    server = HttpsServer(shop, source, host=LAN, port=0)
    server.adapter._refresh = 0.0  # check at every connection
    server.start()
    try:
        with pytest.raises(ssl.SSLCertVerificationError):
            fetch(server, data_dir, "/api/health", name="till.shop.test")
        names.append("till.shop.test")  # a name added in Settings (or a new address)
        assert fetch(server, data_dir, "/api/health", name="till.shop.test")[0] == 200
        assert "till.shop.test" in server.adapter.material.names
    finally:
        server.stop()


def test_a_failing_certificate_check_keeps_serving_the_current_one(data_dir: Path) -> None:
    calls: list[int] = []

    def source() -> tls.Material:
        calls.append(1)
        if len(calls) > 1:
            raise RuntimeError("database is locked")
        return tls.ensure_server_cert(data_dir, "Shop", [LAN])

    adapter = RenewingAdapter(source)
    before = adapter.context
    assert adapter.refresh() is False
    assert adapter.context is before


def test_stop_lets_a_request_in_flight_finish_and_refuses_new_connections(
    data_dir: Path,
) -> None:
    entered, release = threading.Event(), threading.Event()

    def slow(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        entered.set()
        release.wait(10)
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"sold"]

    server = HttpsServer(slow, certificates(data_dir, [LAN]), host=LAN, port=0)
    server.start()
    answers: list[bytes] = []
    client = threading.Thread(target=lambda: answers.append(fetch(server, data_dir, "/")[2]))
    client.start()
    assert entered.wait(10)
    stopped: list[bool] = []
    stopper = threading.Thread(target=lambda: stopped.append(server.stop()))
    stopper.start()
    refused = False
    for _ in range(200):  # until the listening socket is closed
        try:
            socket.create_connection((LAN, server.port), 1).close()
        except OSError:
            refused = True
            break
        threading.Event().wait(0.02)
    assert refused
    release.set()
    client.join(10)
    stopper.join(20)
    assert answers == [b"sold"]
    assert stopped == [True]
    assert not server.running


def test_a_taken_https_port_leaves_the_till_on_http_and_says_what_to_do(
    shop: Flask, data_dir: Path
) -> None:
    told: list[str] = []
    with socket.socket() as squatter:
        squatter.bind((LAN, 0))
        squatter.listen()
        taken = squatter.getsockname()[1]
        assert start_https(shop, LAN, taken, echo=told.append) is None
    assert URL_KEY not in shop.extensions
    assert len(told) == 1 and f"port {taken} is already in use" in told[0]
    assert "Local network page" in told[0]


def test_start_https_takes_the_network_pages_port_and_stops_with_the_app(
    shop: Flask, data_dir: Path
) -> None:
    with socket.socket() as probe:
        probe.bind((LAN, 0))
        port = probe.getsockname()[1]
    with shop.app_context():
        save_settings(db.session, lan_https_port=port)
        db.session.commit()
        db.session.remove()
    server = start_https(shop, LAN, echo=lambda _text: None)
    assert server is not None and server.port == port
    try:
        assert fetch(server, data_dir, "/api/health")[0] == 200
        material = server.adapter.material
        assert LAN in material.names and "localhost" in material.names
    finally:
        stop_https(shop)
    assert not server.running
    with pytest.raises(OSError):
        socket.create_connection((LAN, port), 1).close()


@pytest.mark.parametrize(
    ("args", "env", "wanted"),
    [
        (["--lan", "--https-port", "9443"], {}, (True, 9443)),
        (["--lan", "--no-https"], {}, (False, None)),
        (["--lan"], {"TILLBOOK_PROXY_HOPS": "1"}, (False, None)),  # the proxy serves TLS
        ([], {}, (False, None)),  # loopback only: no LAN, no LAN HTTPS
    ],
)
def test_serve_starts_lan_https_with_lan_unless_told_or_behind_a_proxy(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    args: list[str],
    env: dict[str, str],
    wanted: tuple[bool, int | None],
) -> None:
    from click.testing import CliRunner

    from posapp import cli

    for key, value in env.items():
        monkeypatch.setenv(key, value)
    seen: list[tuple[bool, int | None]] = []

    def serve(*_args: object, https: bool = False, https_port: int | None = None) -> None:
        seen.append((https, https_port))

    monkeypatch.setattr(cli, "_serve", serve)
    result = CliRunner().invoke(
        cli.main, ["--data-dir", str(tmp_path / "data"), "serve", "--port", "0", *args]
    )
    assert result.exit_code == 0, result.output
    assert seen == [wanted]


def test_a_certificate_that_cannot_be_made_leaves_the_till_on_http(
    shop: Flask, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def unwritable(*_args: object, **_kwargs: object) -> tls.Material:
        raise PermissionError(13, "Access is denied", str(data_dir / "tls" / "ca.key"))

    monkeypatch.setattr(tls, "ensure_server_cert", unwritable)
    told: list[str] = []
    assert start_https(shop, LAN, 0, echo=told.append) is None
    assert len(told) == 1 and "Access is denied" in told[0]
    assert URL_KEY not in shop.extensions
