"""Start HTTPS beside the plain LAN listener when the till is shared on the shop's network.

Tablets and phones need HTTPS for the camera (browsers allow it only on secure origins, and a
LAN address over http is not one). The plain http port stays open too: a second till or a
phone that only sells by typing needs no certificate. Used by the desktop window and by
`serve --lan`; the certificate names (LAN addresses, this computer's name, the allowed host
names) are read again while serving, so a new address or a name added in Settings gets a new
certificate without a restart.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from flask import Flask

from posapp.errors import ValidationError
from posapp.extensions import db
from posapp.https_server import HttpsServer
from posapp.services import network, tls
from posapp.services.hosts import parse_names
from posapp.services.settings import ShopSettings, load_settings

log = logging.getLogger(__name__)
URL_KEY = "LAN_HTTPS_URL"


def _settings(app: Flask) -> ShopSettings:
    with app.app_context():
        try:
            return load_settings(db.session)
        finally:
            db.session.remove()


def certificate_source(app: Flask, bound_host: str) -> Callable[[], tls.Material]:
    """What the listener calls to get (and renew) its certificate, from the app's settings."""
    data_dir = Path(app.config["DATA_DIR"])

    def certificates() -> tls.Material:
        settings = _settings(app)
        try:
            chosen = parse_names(settings.allowed_hosts or "")
        except ValidationError:  # a hand-edited value: the page refuses bad names
            chosen = []
        addresses = network.lan_addresses()
        if bound_host not in network.ANY_ADDRESSES:
            addresses = [bound_host, *addresses]
        names = [*chosen, *app.config.get("ALLOWED_HOSTS", ())]
        return tls.ensure_server_cert(
            data_dir, settings.shop_name, tls.server_names(addresses, names)
        )

    return certificates


def start_https(
    app: Flask,
    host: str,
    port: int | None = None,
    echo: Callable[[str], None] = print,
    warn: Callable[[str], object] | None = None,
) -> HttpsServer | None:
    """Start HTTPS on `port` (the Network page's, when None); None, said why, if it cannot.

    A port in use or a certificate that cannot be written never stops the till: the plain
    http listener serves on, and the owner is told what to change.
    """
    port = _settings(app).lan_https_port if port is None else port
    try:
        server = HttpsServer(app, certificate_source(app, host), host=host, port=port)
    except Exception as exc:  # whatever it is, the till sells on over http
        if isinstance(exc, OSError):  # the port in use, a tls folder that cannot be written
            log.warning("no HTTPS on the local network: %s", exc)
        else:
            log.exception("no HTTPS on the local network")
        (warn or echo)(
            f"HTTPS is not available this time ({exc}). Tablets can still open the http "
            "address, without the camera. If the port is in use, choose another HTTPS port "
            "on the Admin > Local network page."
        )
        return None
    server.start()
    app.extensions[URL_KEY] = server
    address = network.lan_address(host)
    if address:
        app.config[URL_KEY] = network.share_url(address, server.port, "https")
        log.info("HTTPS on the local network at %s", app.config[URL_KEY])
        echo(f"For the camera, tablets and phones open {app.config[URL_KEY]}")
    return server


def stop_https(app: Flask) -> None:
    """Stop the app's HTTPS listener, if one was started (gracefully, like the http one)."""
    server = app.extensions.pop(URL_KEY, None)
    if isinstance(server, HttpsServer):
        server.stop()
