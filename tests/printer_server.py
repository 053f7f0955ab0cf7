"""A real TCP "network receipt printer" on 127.0.0.1 for tests: it records every job's bytes."""

from __future__ import annotations

import contextlib
import queue
import socket
import threading
from types import TracebackType


class PrinterServer:
    """Listens like a thermal printer on port 9100 would; each connection's bytes are one job."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(4)
        self.port: int = self.sock.getsockname()[1]
        self.jobs: queue.Queue[bytes] = queue.Queue()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:  # closed by stop()
                return
            with conn:
                chunks = []
                while data := conn.recv(65536):
                    chunks.append(data)
            self.jobs.put(b"".join(chunks))

    def job(self) -> bytes:
        """The next complete job (the sender closed its connection)."""
        # A bound on the wait, not an assertion about time: a missing job fails the test here.
        return self.jobs.get(timeout=10)

    def stop(self) -> None:
        # shutdown() wakes the thread blocked in accept(); close() alone does not on Linux.
        with contextlib.suppress(OSError):
            self.sock.shutdown(socket.SHUT_RDWR)
        self.sock.close()
        self.thread.join(timeout=10)

    def __enter__(self) -> PrinterServer:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def closed_port() -> int:
    """A loopback port nobody listens on (a switched-off printer): connecting is refused."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
