"""A TCP proxy on loopback that a test steers: the link between a shop and its HQ, with faults.

The shops are enrolled at the proxy's address; the proxy forwards each connection to HQ's
current port (`target`, changed when HQ restarts on another port). What it does to a
connection is decided when the connection is accepted, from `mode`:

- "pass": forward both ways.
- "refuse": close new connections at once (the link is down; nothing reaches HQ).
- "cut_request": forward the first `cut_after` bytes of the request, then close both sides
  (the link fails mid-body: HQ never gets a whole request).
- "cut_answer": forward the request; when HQ's answer comes, close both sides without
  passing a byte of it (HQ stored the batch, the shop never hears so).
- "hold_answer": forward the request; keep HQ's answer until `release()` (the answer then
  goes on) or until the connection is cut (`cut_all`, or the shop dying).
- "delay": forward the request; pass HQ's answer `delay` seconds after it came.

`cut_all()` closes every live connection. `answers` counts the answers HQ started sending
and `answered` is set at each (the test waits on it: a push is then in flight at HQ's end).
HTTP over it is one request per connection (urllib sends `Connection: close`).
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress

MODES = frozenset({"pass", "refuse", "cut_request", "cut_answer", "hold_answer", "delay"})
CHUNK = 64 * 1024


class LinkProxy:
    """The proxy: `url` is what shops are given; `target` is HQ's (host, port)."""

    def __init__(self, target_port: int | None = None) -> None:
        self.target: tuple[str, int] | None = (
            ("127.0.0.1", target_port) if target_port is not None else None
        )
        self.mode = "pass"
        self.cut_after = 0
        self.delay = 0.0
        self.answers = 0
        self.answered = threading.Event()
        self.requests = 0
        self._release = threading.Event()
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._live: set[socket.socket] = set()
        self._listener = socket.create_server(("127.0.0.1", 0))
        # accept() is not woken by close() from another thread: it polls for the stop.
        self._listener.settimeout(0.2)
        self.port = self._listener.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self._accept, name="link-proxy", daemon=True)

    def start(self) -> LinkProxy:
        """Start accepting connections."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop accepting and cut every live connection."""
        self._stopping.set()
        self._release.set()
        with suppress(OSError):
            self._listener.close()
        self.cut_all()
        self._thread.join(timeout=10)

    def retarget(self, port: int) -> None:
        """Send new connections to HQ on another port (HQ restarted)."""
        self.target = ("127.0.0.1", port)

    def set_mode(self, mode: str, *, cut_after: int = 0, delay: float = 0.0) -> None:
        """Choose what happens to the connections accepted from now on."""
        if mode not in MODES:
            raise ValueError(f"unknown mode {mode!r}")
        self.cut_after, self.delay = cut_after, delay
        self._release.clear()
        self.answered.clear()
        self.mode = mode

    def release(self) -> None:
        """Let held answers go on ("hold_answer")."""
        self._release.set()

    @contextmanager
    def mode_for(self, mode: str, *, cut_after: int = 0, delay: float = 0.0) -> Iterator[None]:
        """Use a mode for the block, then go back to "pass" (releasing held answers)."""
        self.set_mode(mode, cut_after=cut_after, delay=delay)
        try:
            yield
        finally:
            self.release()
            self.set_mode("pass")

    def idle(self) -> bool:
        """Whether no connection is open through the proxy now."""
        with self._lock:
            return not self._live

    def cut_all(self) -> None:
        """Close every live connection now, both sides (the cable pulled out)."""
        with self._lock:
            live = list(self._live)
        for sock in live:
            _close(sock)

    # ---------------------------------------------------------------- the forwarding

    def _accept(self) -> None:
        while not self._stopping.is_set():
            try:
                client, _address = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return  # the listener closed: stopping
            client.settimeout(None)
            mode, target = self.mode, self.target
            if mode == "refuse" or target is None:
                _close(client)
                continue
            threading.Thread(target=self._connect, args=(client, target, mode), daemon=True).start()

    def _connect(self, client: socket.socket, target: tuple[str, int], mode: str) -> None:
        try:
            server = socket.create_connection(target, timeout=10)
        except OSError:
            _close(client)  # HQ is down: the shop sees the connection closed
            return
        server.settimeout(None)
        with self._lock:
            self._live.update((client, server))
            self.requests += 1
        pair = (client, server)
        upstream = threading.Thread(target=self._request, args=(pair, mode), daemon=True)
        upstream.start()
        self._answer(pair, mode)
        upstream.join(timeout=30)
        with self._lock:
            self._live.difference_update(pair)
        for sock in pair:
            _close(sock)

    def _request(self, pair: tuple[socket.socket, socket.socket], mode: str) -> None:
        """Shop -> HQ."""
        client, server = pair
        sent = 0
        while True:
            data = _recv(client)
            if not data:
                with suppress(OSError):
                    server.shutdown(socket.SHUT_WR)
                return
            if mode == "cut_request" and sent + len(data) >= self.cut_after:
                with suppress(OSError):
                    server.sendall(data[: max(0, self.cut_after - sent)])
                _close(client)
                _close(server)
                return
            try:
                server.sendall(data)
            except OSError:
                _close(client)
                return
            sent += len(data)

    def _answer(self, pair: tuple[socket.socket, socket.socket], mode: str) -> None:
        """HQ -> shop."""
        client, server = pair
        first = True
        while True:
            data = _recv(server)
            if not data:
                with suppress(OSError):
                    client.shutdown(socket.SHUT_WR)
                return
            if first:
                first = False
                with self._lock:
                    self.answers += 1
                self.answered.set()
                if mode == "cut_answer":
                    _close(client)
                    _close(server)
                    return
                if mode == "hold_answer":
                    self._release.wait()
                elif mode == "delay":
                    self._stopping.wait(self.delay)
            try:
                client.sendall(data)
            except OSError:
                _close(server)
                return


def _recv(sock: socket.socket) -> bytes:
    try:
        return sock.recv(CHUNK)
    except OSError:
        return b""


def _close(sock: socket.socket) -> None:
    with suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    with suppress(OSError):
        sock.close()
