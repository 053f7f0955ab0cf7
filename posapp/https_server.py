"""The HTTPS listener for the shop's LAN: cheroot with TLS, on a thread, stopped gracefully.

Why cheroot: waitress (the till's server) has no TLS, and browsers give the camera only to
secure origins. A TLS front in front of waitress would hand every request to the app from
127.0.0.1, and the app's "this computer only" rules (the desktop quit, backups to a local
folder, the second launch's show call) and the audit's addresses read the peer address: every
tablet would look like the shop computer itself. cheroot (CherryPy's pure-Python WSGI server,
pinned) terminates TLS with the standard library's `ssl` and serves the same WSGI app, so the
app sees the tablet's own address and `wsgi.url_scheme` https (Secure cookies).

Sockets follow the till's rules (posapp.serving.listening_socket: SO_EXCLUSIVEADDRUSE on
Windows). The certificate is checked on the accepting thread at most every few minutes and
reloaded when renewed (a new LAN address from the router, or expiry near), so new connections
get the new certificate without a restart.
"""

from __future__ import annotations

import logging
import math
import socket
import ssl
import threading
import time
from collections.abc import Callable
from typing import Any

from cheroot import wsgi
from cheroot.ssl.builtin import BuiltinSSLAdapter

from posapp.services.tls import Material
from posapp.serving import BACKLOG, STOP_GRACE_SECONDS, listening_socket
from posapp.web.security import LAN_HTTPS_MARK

log = logging.getLogger(__name__)
HANDSHAKE_SECONDS = 5.0  # cheroot shakes hands on its accepting thread: bound a silent client
REFRESH_SECONDS = 600.0  # how often the certificate's names and expiry are checked

Certificates = Callable[[], Material]


def tls_context(material: Material) -> ssl.SSLContext:
    """A server-side TLS context for the certificate chain: TLS 1.2 or newer."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(material.cert_path, material.key_path)
    return context


class RenewingAdapter(BuiltinSSLAdapter):
    """cheroot's standard-library TLS adapter, with a certificate it renews while serving."""

    def __init__(
        self,
        certificates: Certificates,
        refresh: float = REFRESH_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        # Not BuiltinSSLAdapter.__init__: it reads the files itself and would keep its own
        # copy of the certificate in every request's environ.
        self._certificates = certificates
        self._refresh = refresh
        self._clock = clock
        self.material = certificates()
        self.certificate = str(self.material.cert_path)
        self.private_key = str(self.material.key_path)
        self.certificate_chain = None
        self.ciphers = None
        self.private_key_password = None
        self._server_env: dict[str, str] = {}
        self.context = tls_context(self.material)
        self._checked = clock()

    def refresh(self) -> bool:
        """Check the certificate now; True if a renewed one was loaded."""
        self._checked = self._clock()
        try:
            material = self._certificates()
        except Exception:  # a full disk, a busy database: keep serving the current one
            log.exception("could not check the HTTPS certificate; keeping the current one")
            return False
        if not material.renewed and material.names == self.material.names:
            return False
        self.context = tls_context(material)
        self.material = material
        log.info("HTTPS certificate renewed for %s", ", ".join(material.names))
        return True

    def wrap(self, sock: socket.socket) -> tuple[Any, dict[str, str]]:
        """Shake hands (bounded), after renewing the certificate if it is due."""
        if self._clock() - self._checked >= self._refresh:
            # Here, on the accepting thread: no handshake can meet a half-swapped context.
            self.refresh()
        sock.settimeout(HANDSHAKE_SECONDS)
        return super().wrap(sock)

    def get_environ(self, sock: ssl.SSLSocket) -> dict[str, str]:  # type: ignore[override]
        """What a request over TLS adds to the WSGI environ."""
        # The mark gives the session cookie its own name here (posapp.web.security).
        return {"wsgi.url_scheme": "https", "HTTPS": "on", LAN_HTTPS_MARK: "1"}


class _CherootServer(wsgi.Server):
    """cheroot's WSGI server on a socket bound beforehand (the till's socket rules)."""

    def __init__(self, sock: socket.socket, app: Any, threads: int) -> None:
        super().__init__(
            sock.getsockname()[:2],
            app,
            numthreads=threads,
            server_name="TillBook",
            request_queue_size=BACKLOG,  # cheroot's 5 drops a tablet's burst of connections
            shutdown_timeout=math.ceil(STOP_GRACE_SECONDS),
        )
        self._bound = sock

    def bind(self, family: int, type: int, proto: int = 0) -> socket.socket:
        """Use the socket bound beforehand instead of making one."""
        self.socket = self._bound
        self.bind_addr = self._bound.getsockname()[:2]
        return self._bound

    def error_log(self, msg: str = "", level: int = 20, traceback: bool = False) -> None:
        """Into the app's log, not stderr (a windowed build's stderr goes nowhere)."""
        log.log(level, "%s", msg, exc_info=traceback)


class HttpsServer:
    """HTTPS for the shop's devices on its own thread, with a graceful `stop()`."""

    def __init__(
        self,
        app: Any,
        certificates: Certificates,
        host: str = "127.0.0.1",
        port: int = 0,
        threads: int = 6,
    ) -> None:
        adapter = RenewingAdapter(certificates)  # a bad certificate fails before the bind
        sock = listening_socket(host, port)
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self._server = _CherootServer(sock, app, threads)
        except BaseException:
            sock.close()
            raise
        self._server.ssl_adapter = adapter
        self.adapter = adapter
        self.host = host
        self.port: int = int(sock.getsockname()[1])
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Start the worker threads and serve from a background thread.

        cheroot starts its workers as ordinary threads, which Python waits for at exit: a
        start-up that failed before `stop()` would then never end. Started from a daemon
        thread they are daemon threads too (as waitress's are); `stop()` still drains them.
        """
        failed: list[BaseException] = []

        def prepare() -> None:
            try:
                self._server.prepare()
            except BaseException as exc:  # handed to the caller below
                failed.append(exc)

        preparing = threading.Thread(target=prepare, name="https-start", daemon=True)
        preparing.start()
        preparing.join()
        if failed:
            raise failed[0]
        self._thread = threading.Thread(target=self._server.serve, name="https", daemon=True)
        self._thread.start()

    @property
    def running(self) -> bool:
        """Tell whether the serving thread is alive."""
        return self._thread is not None and self._thread.is_alive()

    def stop(self, grace: float = STOP_GRACE_SECONDS) -> bool:
        """Stop accepting, let requests in flight finish (up to `grace` s); True if all did.

        cheroot closes the listening socket and idle keep-alive connections, then waits for
        each worker to finish the request it is answering. No signal is involved, so Windows
        (which has no SIGTERM) stops the same way.
        """
        self._server.shutdown_timeout = math.ceil(grace)
        started = time.monotonic()
        if self._thread is None:
            self._server.socket = None
            self._bound_close()
            return True
        self._server.stop()
        self._thread.join(timeout=5)
        drained = time.monotonic() - started < grace
        log.info("HTTPS server stopped (%s)", "drained" if drained else "forced")
        return drained

    def _bound_close(self) -> None:
        self._server._bound.close()
