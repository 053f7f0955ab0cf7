"""The `selftest` step "https": a throwaway CA and certificate, and a real TLS handshake.

The Windows build runs `TillBook.exe selftest`; this step proves that the frozen bundle holds
what the LAN's HTTPS needs (cryptography's compiled part, cheroot, the ssl module and its
OpenSSL) and that a client trusting only the shop's CA verifies the listener by its address.
Nothing of the data dir is touched: the CA lives in a temporary folder, deleted afterwards.
"""

from __future__ import annotations

import http.client
import shutil
import ssl
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from posapp.https_server import HttpsServer
from posapp.services import tls

HOST = "127.0.0.1"
ANSWER = b"TillBook HTTPS self-test"


def _hello(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(ANSWER)))])
    return [ANSWER]


def check_https() -> str:
    """Make a CA and server certificate, serve HTTPS on 127.0.0.1 and shake hands with it."""
    folder = Path(tempfile.mkdtemp(prefix="tillbook-https-selftest-"))
    try:
        material = tls.ensure_server_cert(folder, "Self-test", [HOST])
        server = HttpsServer(_hello, lambda: material, host=HOST, port=0, threads=1)
        server.start()
        try:
            context = ssl.create_default_context(cafile=str(material.ca_path))
            connection = http.client.HTTPSConnection(HOST, server.port, timeout=10, context=context)
            try:
                connection.connect()  # the handshake: the chain and the address are checked
                version = connection.sock.version()
                connection.request("GET", "/")
                body = connection.getresponse().read()
            finally:
                connection.close()
        finally:
            server.stop(grace=5)
        if body != ANSWER:
            raise RuntimeError(f"the HTTPS listener answered {body[:60]!r}")
        return f"{version} to https://{HOST}:{server.port}/, certificate verified against its CA"
    finally:
        shutil.rmtree(folder, ignore_errors=True)
